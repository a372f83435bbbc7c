"""Distributed bulk: a campaign submitted to a real Redis, sent by several ``infobip-2fa bulk-worker`` processes
(one killed with SIGKILL mid-run), reported back as the journal ``infobip-2fa bulk`` writes. No row is sent twice."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.redis import Campaign, Row, submit_campaign
from infobip_2fa_async.sandbox import Sandbox

from .clitools import run_cli

ROWS = 3000


async def _app(sandbox: Sandbox) -> tuple[str, str]:
    async with sandbox.client() as client:
        app = await client.applications.create(
            name="Campaign", configuration=ApplicationConfiguration(send_pin_per_application_limit="1000000/1d")
        )
        template = await client.templates.create(app.application_id, message_text="Hi {{name}}: {{pin}}",
                                                 pin_type="NUMERIC")  # fmt: skip
    return app.application_id, template.message_id


def _csv(path: Path, rows: int, bad: dict[int, str] | None = None) -> set[str]:
    numbers = {line: f"4176{line:07d}" for line in range(2, rows + 2)} | (bad or {})
    path.write_text("to,name\n" + "".join(f"{numbers[line]},Ana{line}\n" for line in sorted(numbers)))
    return {to for to in numbers.values() if len(to) > 5}


async def _worker(redis_url: str, campaign: str, base_url: str, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "infobip_2fa_async", "bulk-worker", "--redis", redis_url, "--campaign", campaign,
        "--base-url", base_url, "--api-key", "sandbox-key", *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip


async def test_three_workers_one_killed_every_row_accounted_for_none_sent_twice(redis_url: str, tmp_path: Path) -> None:
    sandbox = Sandbox()
    app, message = await _app(sandbox)
    campaign = f"test-{uuid.uuid4().hex[:8]}"
    valid = _csv(tmp_path / "numbers.csv", ROWS, bad={7: "12"})
    code, out, err = await run_cli("bulk-submit", "--redis", redis_url, "--campaign", campaign, "--in",
                                   str(tmp_path / "numbers.csv"), "--application-id", app, "--message-id", message,
                                   "--rate", "1000")  # fmt: skip
    assert code == 0, err
    assert f"Campaign {campaign}: {ROWS} rows submitted." in out

    async with sandbox.serve() as server:
        workers = [await _worker(redis_url, campaign, server.base_url, "--concurrency", "20", "--lease", "1")
                   for _ in range(3)]  # fmt: skip
        while len(sandbox.outbox) < 600:  # noqa: ASYNC110  (real processes are sending; poll what they did)
            await asyncio.sleep(0.01)
        workers[0].kill()  # a machine dies mid-run
        await workers[0].wait()
        results = [await asyncio.wait_for(worker.communicate(), 120) for worker in workers[1:]]
        assert all(worker.returncode == 0 for worker in workers[1:]), results

    journal = tmp_path / "journal.jsonl"
    code, out, _ = await run_cli("bulk-report", "--redis", redis_url, "--campaign", campaign, "--out", str(journal))
    delivered = Counter(message.to for message in sandbox.outbox)
    assert max(delivered.values()) == 1, "somebody was texted twice"
    states: dict[str, str] = {}
    for line in journal.read_text().splitlines():
        entry = json.loads(line)
        states[entry["to"]] = entry["status"]
    unknown = {to for to, status in states.items() if status in ("taken", "unknown")}
    assert set(delivered) | unknown == valid, "every row is sent or of unknown fate"
    assert states["12"] == "failed"
    assert len(unknown) <= 20, "only the dead worker's rows in flight are of unknown fate"
    assert code == (4 if unknown else 3)
    sent = len(set(delivered) - unknown)  # an unknown row may have arrived: the dead worker never heard back
    assert f"Journal {journal}: {sent} sent, 0 not sent, 1 failed, {len(unknown)} unknown." in out


async def test_the_report_is_a_journal_that_bulk_resumes_from(fleet_url: str, tmp_path: Path) -> None:
    """On one Redis, a Redis Cluster and a Redis over TLS: the commands take each URL."""
    sandbox = Sandbox()
    app, message = await _app(sandbox)
    campaign = f"test-{uuid.uuid4().hex[:8]}"
    csv = tmp_path / "numbers.csv"
    valid = _csv(csv, 200)
    await run_cli("bulk-submit", "--redis", fleet_url, "--campaign", campaign, "--in", str(csv),
                  "--application-id", app, "--message-id", message)  # fmt: skip
    async with sandbox.serve() as server:
        worker = await _worker(fleet_url, campaign, server.base_url)
        out, _ = await asyncio.wait_for(worker.communicate(), 60)
        assert b"This worker: 200 sent, 0 not sent, 0 failed, 0 unknown." in out
        journal = tmp_path / "journal.jsonl"
        code, _, _ = await run_cli("bulk-report", "--redis", fleet_url, "--campaign", campaign, "--out", str(journal))
        assert code == 0
        code, out, err = await run_cli("bulk", "--in", str(csv), "--out", str(journal), "--application-id", app,
                                       "--message-id", message, "--base-url", server.base_url, "--api-key",
                                       "sandbox-key")  # fmt: skip
    assert code == 0, err
    assert "This run: 0 sent, 0 not sent, 0 failed, 0 unknown; skipped 200 already sent" in out
    assert set(Counter(m.to for m in sandbox.outbox)) == valid
    assert len(sandbox.outbox) == 200


async def test_submission_holds_back_while_chunks_wait(redis_url: str) -> None:
    """Back-pressure: with 3 chunks waiting, the fourth is not loaded until a worker takes one away."""
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url)
    name = f"test-{uuid.uuid4().hex[:8]}"
    rows = (Row(index, index + 2, f"4176{index:07d}", None) for index in range(100))
    submitting = asyncio.ensure_future(submit_campaign(redis, name, rows, application_id="A", message_id="M",
                                                       chunk_size=10, max_waiting_chunks=3, poll=0.01))  # fmt: skip
    campaign = Campaign(redis, name)
    await asyncio.sleep(0.2)
    await campaign.settings()  # binds the chunk keys to the submission
    assert await redis.xlen(campaign.chunks_key) == 3
    assert not submitting.done()
    taken = 0
    while not submitting.done():
        entries = await redis.xrange(campaign.chunks_key, count=1)
        if entries:
            await redis.xdel(campaign.chunks_key, entries[0][0])
            taken += 1
        assert await redis.xlen(campaign.chunks_key) <= 3
        await asyncio.sleep(0.01)
    assert await submitting == 100
    assert (await campaign.settings())["submitted"] == "1"
    await redis.aclose()


async def test_a_campaign_name_is_used_once_and_a_missing_one_is_a_clear_error(redis_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "numbers.csv"
    _csv(csv, 3)
    name = f"test-{uuid.uuid4().hex[:8]}"
    submit = ("bulk-submit", "--redis", redis_url, "--campaign", name, "--in", str(csv), "--application-id", "A",
              "--message-id", "M")  # fmt: skip
    assert (await run_cli(*submit))[0] == 0
    code, _, err = await run_cli(*submit)
    assert code == 1
    assert "already exists" in err
    code, _, err = await run_cli("bulk-report", "--redis", redis_url, "--campaign", "no-such", "--out",
                                 str(tmp_path / "x.jsonl"))  # fmt: skip
    assert code == 1
    assert "there is no campaign 'no-such'" in err


@pytest.mark.parametrize("command", ["bulk-worker", "bulk-report"])
async def test_redis_unreachable_is_a_clear_error(command: str, tmp_path: Path) -> None:
    extra = ("--out", str(tmp_path / "x.jsonl")) if command == "bulk-report" else ("--api-key", "k")
    code, _, err = await run_cli(command, "--redis", "redis://127.0.0.1:9/0", "--campaign", "c", *extra)
    assert code == 1
    assert "Redis" in err
    assert "Traceback" not in err
