"""A distributed campaign's submission either completes or says it did not (issue 17): a bad input file creates
nothing in Redis and the name stays usable; a submission that fails or dies part-way is withdrawn when none of its
rows was taken, and otherwise reported incomplete by workers (which stop rather than wait forever) and reports (which
exit non-zero). Bad numbers on the command line are usage errors found before Redis is contacted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infobip_2fa_async.redis import Campaign, Row, submit_campaign
from infobip_2fa_async.sandbox import Sandbox

from .clitools import run_cli
from .test_redis_campaign import _app, _csv, _worker


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Any]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def _keys(redis: Any, name: str) -> list[bytes]:
    return sorted(await redis.keys(f"infobip-2fa:campaign:\\{{{name}\\}}:*"))


def _submit(redis_url: str, name: str, path: Path) -> tuple[str, ...]:
    return ("bulk-submit", "--redis", redis_url, "--campaign", name, "--in", str(path), "--application-id", "A",
            "--message-id", "M")  # fmt: skip


# --- a bad input file ---


def _not_utf8_at_row_1501(path: Path) -> None:
    _csv(path, 3000)
    lines = path.read_bytes().split(b"\n")
    lines[1501] = lines[1501].replace(b",Ana", b",Ana\xff")  # the 1501st data row
    path.write_bytes(b"\n".join(lines))


BAD_INPUTS = {
    "no-to-column": (lambda path: path.write_text("phone,name\n41760000001,Ana\n"), "needs a header row with a 'to'"),
    "missing": (lambda path: None, "cannot read"),
    "directory": (lambda path: path.mkdir(), "cannot read"),
    "not-utf8-at-row-1501": (_not_utf8_at_row_1501, "is not UTF-8 text (line 1502)"),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
async def test_a_bad_input_file_is_a_file_error_creates_nothing_and_the_name_stays_usable(
    kind: str, redis_url: str, redis: Any, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.csv"
    make, said = BAD_INPUTS[kind]
    make(path)
    name = _name()
    code, out, err = await run_cli(*_submit(redis_url, name, path))
    assert code == 1, (out, err)
    assert err.count("\n") == 1, f"one line on stderr: {err!r}"
    assert said in err
    assert str(path) in err
    assert "Redis" not in err, "a file error, not a Redis one"
    assert await _keys(redis, name) == [], "nothing was created in Redis"

    if path.is_dir():
        path.rmdir()
    _csv(path, 2000)  # corrected
    code, out, err = await run_cli(*_submit(redis_url, name, path))
    assert code == 0, err
    assert f"Campaign {name}: 2000 rows submitted." in out


# --- a submission that fails part-way ---


class Broken(Exception):
    """The source of rows failed."""


def _rows(count: int, fail_at: int | None = None) -> Iterator[Row]:
    for index in range(count):
        if index == fail_at:
            raise Broken(f"row {index}")
        yield Row(index, index + 2, f"4176{index + 2:07d}", {"name": f"Ana{index}"})


async def test_a_submission_that_fails_before_any_row_was_taken_is_withdrawn(redis: Any) -> None:
    name = _name()
    with pytest.raises(Broken):
        await submit_campaign(redis, name, _rows(3000, fail_at=1500), application_id="A", message_id="M")
    # Withdrawn: only its chunk stream lingers, expiring, for any worker still reading it.
    left = await _keys(redis, name)
    assert [key.rsplit(b":", 1)[1] for key in left] == [b"chunks"]
    assert 0 < await redis.ttl(left[0]) <= 3600
    assert await submit_campaign(redis, name, _rows(3000), application_id="A", message_id="M") == 3000
    assert (await Campaign(redis, name).settings())["submitted"] == "1"


async def test_workers_and_reports_on_a_submission_that_failed_after_rows_were_taken(
    redis_url: str, redis: Any, tmp_path: Path
) -> None:
    """The issue's case: workers already sent rows when the submission failed. The worker sends what was loaded
    and then stops (it used to wait forever), exiting non-zero; the report says the campaign is incomplete and exits
    non-zero (it used to say "200 sent", exit 0); the name cannot be silently reused (rows may have been sent)."""
    sandbox = Sandbox()
    app, message = await _app(sandbox)
    name = _name()
    rows = _rows(1000, fail_at=200)  # 4 chunks of 50 load; the 5th never does
    async with sandbox.serve() as server:
        submitting = asyncio.ensure_future(
            submit_campaign(redis, name, rows, application_id=app, message_id=message, chunk_size=50,
                            max_waiting_chunks=3, poll=0.01)
        )  # fmt: skip
        await _until(lambda: redis.exists(f"infobip-2fa:campaign:{{{name}}}:settings"), 10)
        worker = await _worker(redis_url, name, server.base_url, "--concurrency", "5")
        try:
            with pytest.raises(Broken):
                await asyncio.wait_for(submitting, 30)  # the 4th chunk waited for the worker to finish one
            out, err = await asyncio.wait_for(worker.communicate(), 30)
        finally:
            with contextlib.suppress(ProcessLookupError):
                worker.kill()
            await worker.wait()
    assert len(sandbox.outbox) == 200, (out, err)
    assert b"This worker: 200 sent, 0 not sent, 0 failed, 0 unknown." in out
    assert worker.returncode == 1
    assert b"is incomplete: its bulk-submit failed" in err
    assert err.count(b"\n") == 1
    assert b"Traceback" not in err

    journal = tmp_path / "journal.jsonl"
    code, out_text, err_text = await run_cli("bulk-report", "--redis", redis_url, "--campaign", name, "--out",
                                             str(journal))  # fmt: skip
    assert code == 3, out_text
    assert "200 sent" in out_text
    said = (
        f"campaign {name!r} is incomplete: its bulk-submit failed (reading the rows failed: Broken) after loading 200"
    )
    assert said in out_text

    path = tmp_path / "numbers.csv"
    _csv(path, 1000)
    code, _, err_text = await run_cli(*_submit(redis_url, name, path))
    assert code == 1
    assert "cannot be replaced" in err_text


@contextlib.asynccontextmanager
async def _killable_submitter(redis_url: str, name: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """A submitter in its own process that loads one chunk and then holds back (nobody takes chunks)."""
    script = (
        "import asyncio, sys\n"
        "from redis.asyncio import Redis\n"
        "from infobip_2fa_async.redis import Row, submit_campaign\n"
        "async def main():\n"
        "    rows = (Row(i, i + 2, f'4176{i:07d}', None) for i in range(100))\n"
        f"    await submit_campaign(Redis.from_url({redis_url!r}), {name!r}, rows, application_id='A', message_id='M',"
        " chunk_size=10, max_waiting_chunks=1, poll=0.01, lease=1.0, expected=100)\n"
        "asyncio.run(main())\n"
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", script, stdin=asyncio.subprocess.DEVNULL,
                                                   env={**os.environ})  # fmt: skip
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def _state(redis: Any, name: str) -> str | None:
    submission = await Campaign(redis, name).submission()
    return None if submission is None else submission.state


async def _until(condition: Callable[[], Awaitable[object]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "not within the bound"
        await asyncio.sleep(0.02)  # polling a real Redis that another process writes


async def test_a_killed_submitter_is_found_out_and_its_name_reused_when_nothing_was_taken(
    redis_url: str, redis: Any, tmp_path: Path
) -> None:
    name = _name()
    journal = tmp_path / "journal.jsonl"
    async with _killable_submitter(redis_url, name) as submitter:
        await _until(lambda: _state(redis, name), 20)
        assert await _state(redis, name) == "loading"
        code, out, _ = await run_cli("bulk-report", "--redis", redis_url, "--campaign", name, "--out", str(journal))
        assert code == 3, out
        assert "0 sent, 0 not sent, 0 failed, 0 unknown, 100 not tried yet" in out
        assert f"campaign {name!r} is still being submitted: 10 of 100 rows loaded so far" in out
        submitter.send_signal(signal.SIGKILL)
        await submitter.wait()
    # Its lease (1 s) runs out: it is taken for gone.
    await _until(lambda: _is(redis, name, "abandoned"), 5)
    code, out, _ = await run_cli("bulk-report", "--redis", redis_url, "--campaign", name, "--out", str(journal))
    assert code == 3
    assert f"campaign {name!r} is incomplete: its bulk-submit stopped without finishing after loading 10 of 100" in out
    path = tmp_path / "numbers.csv"
    _csv(path, 30)
    code, out, err = await run_cli(*_submit(redis_url, name, path))
    assert code == 0, err
    assert f"Campaign {name}: 30 rows submitted." in out
    assert await _state(redis, name) == "complete"


async def _is(redis: Any, name: str, state: str) -> bool:
    return await _state(redis, name) == state


# --- bad numbers on the command line ---


@contextlib.asynccontextmanager
async def _listener() -> AsyncIterator[tuple[str, list[int]]]:
    """A port on 127.0.0.1 that counts the connections made to it (and answers none)."""
    made: list[int] = []

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        made.append(1)
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0", made
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("--lease", "-1"), "argument --lease: must be a number of seconds from 1 to 86400, not -1"),
        (("--lease", "inf"), "argument --lease: must be a number of seconds from 1 to 86400, not inf"),
        (("--lease", "nan"), "argument --lease: must be a number of seconds from 1 to 86400, not nan"),
        (("--lease", "0"), "argument --lease: must be a number of seconds from 1 to 86400, not 0"),
        (("--concurrency", "0"), "argument --concurrency: must be a whole number from 1 to 10000, not 0"),
        (("--concurrency", "-3"), "argument --concurrency: must be a whole number from 1 to 10000, not -3"),
    ],
)
async def test_bulk_worker_refuses_bad_numbers_before_connecting(arguments: tuple[str, ...], said: str) -> None:
    async with _listener() as (url, made):
        code, _, err = await run_cli("bulk-worker", "--redis", url, "--campaign", "c", "--api-key", "k", *arguments)
    assert code == 2, err
    assert err.strip().splitlines() == [f"infobip-2fa bulk-worker: error: {said} (see infobip-2fa bulk-worker --help)"]
    assert made == [], "Redis was not contacted"


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("--rate", "1e-320"), "argument --rate: must be a number of requests per second from 0.001 to 1,000,000"),
        (("--rate", "1e-3", "--burst", "1e300"), "argument --burst: must be a number of requests from 1 to 1,000,000"),
        (("--burst", "2"), "argument --burst: applies to a rate: give --rate too"),
        (("--rate", "nan"), "argument --rate:"),
        (("--rate", "-1"), "argument --rate:"),
    ],
)
async def test_bulk_submit_refuses_a_rate_the_gate_cannot_hold_before_connecting(
    arguments: tuple[str, ...], said: str, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.csv"
    _csv(path, 3)
    async with _listener() as (url, made):
        code, _, err = await run_cli(*_submit(url, "c", path), *arguments)
    assert code == 2, err
    assert err.strip().splitlines()[-1].startswith(f"infobip-2fa bulk-submit: error: {said}")
    assert made == [], "Redis was not contacted"
