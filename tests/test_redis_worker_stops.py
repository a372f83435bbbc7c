"""``bulk-worker`` stops when it must (issue 17): at the first refused key (exit 1, nothing marked failed that was not
tried, the rest left for a worker with the right key) and when the application's quota is spent (exit 5, the rest
left for after the reset). Real worker processes, a real Redis, the sandbox on a real port."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from pathlib import Path

import pytest

from infobip_2fa_async import ApplicationConfiguration, InvalidRequestError
from infobip_2fa_async.redis import run_worker
from infobip_2fa_async.sandbox import ManualClock, Sandbox

from .clitools import run_cli
from .test_redis_campaign import _csv, _worker

ROWS = 60


async def _campaign(redis_url: str, tmp_path: Path, sandbox: Sandbox, daily_limit: int) -> str:
    async with sandbox.client() as client:
        app = await client.applications.create(
            name="Stops", configuration=ApplicationConfiguration(send_pin_per_application_limit=f"{daily_limit}/1d")
        )
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    campaign = f"test-{uuid.uuid4().hex[:8]}"
    _csv(tmp_path / "numbers.csv", ROWS)
    code, _, err = await run_cli("bulk-submit", "--redis", redis_url, "--campaign", campaign, "--in",
                                 str(tmp_path / "numbers.csv"), "--application-id", app.application_id,
                                 "--message-id", template.message_id)  # fmt: skip
    assert code == 0, err
    return campaign


async def _report(redis_url: str, campaign: str, tmp_path: Path) -> tuple[int, Counter[str]]:
    journal = tmp_path / "journal.jsonl"
    code, _, _ = await run_cli("bulk-report", "--redis", redis_url, "--campaign", campaign, "--out", str(journal))
    states = {entry["index"]: entry["status"] for entry in map(json.loads, journal.read_text().splitlines())}
    return code, Counter(states.values())


async def _finish(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_refused_key_stops_the_worker_and_a_worker_with_the_right_key_sends_everything(
    redis_url: str, tmp_path: Path
) -> None:
    sandbox = Sandbox()
    campaign = await _campaign(redis_url, tmp_path, sandbox, 1000)
    async with sandbox.serve() as server:
        wrong = await _worker(redis_url, campaign, server.base_url, "--concurrency", "1", "--api-key", "bad-key")
        code, out, err = await _finish(wrong)
        assert code == 1, out + err
        assert "AuthenticationError" in err
        assert len(err.strip().splitlines()) == 1, err
        assert "bad-key" not in out + err
        _, states = await _report(redis_url, campaign, tmp_path)
        assert states == {"failed": 1}, "it stopped at the first 401; nothing else was marked failed"

        right = await _worker(redis_url, campaign, server.base_url, "--concurrency", "5", "--lease", "30")
        code, out, err = await _finish(right)
        assert code == 0, out + err
    code, states = await _report(redis_url, campaign, tmp_path)
    assert code == 0
    assert states == {"sent": ROWS}, "the right key sent every row, the one refused before included"
    assert set(Counter(message.to for message in sandbox.outbox).values()) == {1}


async def test_a_spent_quota_stops_the_worker_with_exit_5_and_leaves_the_rest_for_after_the_reset(
    redis_url: str, tmp_path: Path
) -> None:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    campaign = await _campaign(redis_url, tmp_path, sandbox, 20)
    async with sandbox.serve() as server:
        code, out, err = await _finish(await _worker(redis_url, campaign, server.base_url, "--concurrency", "1"))
        assert code == 5, out + err
        assert "quota is spent" in out
        assert len(sandbox.outbox) == 20
        _, states = await _report(redis_url, campaign, tmp_path)
        assert states == {"sent": 20, "failed": 3}, "three numbers in a row refused for the quota, then a stop"

        clock.advance(86400)  # the reset: a worker started now takes the handed-back chunk at once
        code, out, err = await _finish(await _worker(redis_url, campaign, server.base_url, "--concurrency", "1"))
        assert code == 5, out + err
        assert len(sandbox.outbox) == 40
        clock.advance(86400)
        code, out, err = await _finish(await _worker(redis_url, campaign, server.base_url, "--concurrency", "4"))
        assert code == 0, out + err
    code, states = await _report(redis_url, campaign, tmp_path)
    assert code == 0
    assert states == {"sent": ROWS}
    assert set(Counter(message.to for message in sandbox.outbox).values()) == {1}, "nobody was texted twice"


@pytest.mark.parametrize(
    "arguments", [{"concurrency": 0}, {"concurrency": 2.5}, {"lease": -1}, {"lease": float("nan")},
                  {"lease": float("inf")}],
)  # fmt: skip
async def test_run_worker_refuses_bad_numbers_before_touching_redis(arguments: dict[str, float]) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        await run_worker("redis://127.0.0.1:1/0", "c", **arguments)  # type: ignore[arg-type]
    assert refused.value.argument == next(iter(arguments))
