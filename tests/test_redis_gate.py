"""RedisGate: one rate budget and one 429 pause for every process, against a real Redis (and the script's logic
in-process on fakeredis). The multi-process tests run real processes against the HTTP sandbox."""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from infobip_2fa_async import ApplicationConfiguration, GateUnavailableError, TwoFactorClient
from infobip_2fa_async.redis import RedisGate
from infobip_2fa_async.sandbox import Fault, Sandbox

from .conftest import RecordingSleep
from .hostile import Hostile, answer

SENDER = Path(__file__).resolve().parents[1] / "benchmarks" / "gate_sender.py"


def _key() -> str:
    return f"test-gate-{uuid.uuid4().hex}"


# --- the script's logic, in-process ---


async def test_the_script_reserves_evenly_spaced_slots_on_fakeredis() -> None:
    import fakeredis

    sleep = RecordingSleep()
    gate = RedisGate(fakeredis.FakeAsyncRedis(), key=_key(), rate=10, burst=1, reserve_ahead=100, sleep=sleep)
    for _ in range(5):
        await gate.enter()
    # Redis's clock barely moves between the calls (the sleeps are recorded, not slept): slots 0.1 s apart
    assert sleep.waits[0] == pytest.approx(0.1, abs=0.02)
    # (Redis's TIME is real time: on a busy machine a few milliseconds pass between two calls, and shorten a wait)
    gaps = [b - a for a, b in zip(sleep.waits, sleep.waits[1:], strict=False)]
    assert gaps == pytest.approx([0.1, 0.1, 0.1], abs=0.03)
    assert gate.calls == 5, "one round trip per enter"


async def test_a_pause_only_grows_and_pushes_every_slot_past_it_on_fakeredis() -> None:
    import fakeredis

    sleep = RecordingSleep()
    gate = RedisGate(fakeredis.FakeAsyncRedis(), key=_key(), rate=100, reserve_ahead=100, sleep=sleep)
    await gate.pause(5)
    await gate.pause(1)
    assert await gate.remaining() == pytest.approx(5, abs=0.1)
    await gate.enter()
    assert sum(sleep.waits) >= 4.9, "no slot inside the pause"


# --- a real Redis ---


@pytest.fixture
async def gate(redis_url: str) -> AsyncIterator[RedisGate]:
    async with RedisGate.from_url(redis_url, key=_key(), rate=50, burst=1) as made:
        yield made


async def test_enter_costs_one_round_trip_per_send(gate: RedisGate) -> None:
    started = time.monotonic()
    for _ in range(20):
        await gate.enter()
    elapsed = time.monotonic() - started
    assert 0.33 <= elapsed < 1.5, "20 slots at 50/s, evenly spaced: about 0.38 s"
    assert gate.calls == 20


async def test_the_decision_does_not_read_this_machines_clock(gate: RedisGate, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine whose clock is far off still gets slots 1/rate apart: the script reads Redis's TIME."""
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    started = time.perf_counter()
    for _ in range(10):
        await gate.enter()
    assert time.perf_counter() - started == pytest.approx(0.18, abs=0.1)


async def test_redis_down_fails_closed_by_default_and_open_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    async with Hostile(answer(200, b'{"pinId": "P"}')) as server:
        closed = RedisGate.from_url("redis://127.0.0.1:9/0", key="k", rate=10, timeout=0.5)
        async with TwoFactorClient("k", server.url, gate=closed) as client:
            with pytest.raises(GateUnavailableError) as caught:
                await client.send_pin(application_id="A", message_id="M", to="41793026727")
        assert caught.value.maybe_sent is False
        assert server.requests == [], "fail closed: nothing was sent"
        opened = RedisGate.from_url("redis://127.0.0.1:9/0", key="k", rate=10, timeout=0.5, fail_open=True)
        with caplog.at_level(logging.WARNING, logger="infobip_2fa_async"):
            async with TwoFactorClient("k", server.url, gate=opened) as client:
                await client.send_pin(application_id="A", message_id="M", to="41793026727")
                await client.send_pin(application_id="A", message_id="M", to="41793026727")
        assert len(server.requests) == 2, "fail open: sent without the shared limit"
        assert sum("fail_open" in record.getMessage() for record in caplog.records) == 1, "warned once per outage"
        await closed.aclose()
        await opened.aclose()


async def _served_sandbox() -> tuple[Sandbox, str, str]:
    sandbox = Sandbox()
    async with sandbox.client() as client:
        app = await client.applications.create(
            name="Gate", configuration=ApplicationConfiguration(send_pin_per_application_limit="1000000/1d")
        )
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return sandbox, app.application_id, template.message_id


async def _senders(base_url: str, redis_url: str, key: str, count: int, app: str, message: str,
                   rate: str = "200", burst: str = "1") -> list[dict[str, Any]]:  # fmt: skip
    command = [sys.executable, str(SENDER), base_url, redis_url, key, rate, burst, str(count), "25", app, message]
    processes = [
        await asyncio.create_subprocess_exec(
            *command, f"41{number}7", stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
        )
        for number in range(4)
    ]
    outputs = [await asyncio.wait_for(process.communicate(), 120) for process in processes]
    return [json.loads(out.splitlines()[-1]) for out, _ in outputs]


async def test_four_processes_share_one_rate(redis_url: str) -> None:
    """rate=200, burst 1, 4 processes of 25 tasks: at most 201 sends in any second, at least 190/s steady.

    Sends are counted at the slot the gate granted each (Redis's clock), which is what the gate decides; the moment
    each request then leaves adds this machine's scheduling delay (a few ms on 2 busy cores), which no gate can
    take back. Those times are checked too, for the steady rate and for a window only a late wake-up can stretch.
    """
    sandbox, app, message = await _served_sandbox()
    async with sandbox.serve() as server:
        results = await _senders(server.base_url, redis_url, _key(), 150, app, message)
    assert [result["sent"] for result in results] == [150] * 4
    assert len(sandbox.outbox) == 600
    slots = sorted(slot for result in results for slot in result["slots"])
    assert len(slots) == 600
    assert _busiest_second(slots) <= 201, f"{_busiest_second(slots)} slots in one second"
    out_at = sorted(at for result in results for at in result["out_at"])
    assert _busiest_second(out_at) <= 205, "only the scheduling delay of a late wake-up on top"
    for times in (slots, out_at):
        steady = times[len(times) // 10 : -len(times) // 10]
        assert (len(steady) - 1) / (steady[-1] - steady[0]) >= 190
    calls = sum(result["calls"] for result in results)
    assert calls <= 1.2 * 600, f"{calls / 600:.2f} Redis calls per send"


def _busiest_second(times: list[float]) -> int:
    return max(bisect.bisect_left(times, start + 1.0) - index for index, start in enumerate(times))


async def test_a_429_seen_by_one_process_pauses_the_others(redis_url: str) -> None:
    sandbox, app, message = await _served_sandbox()
    sandbox.faults.script(*[None] * 150, Fault.rate_limit(retry_after=1), match=r"^POST /2fa/2/pin$")
    async with sandbox.serve() as server:
        results = await _senders(server.base_url, redis_url, _key(), 100, app, message, rate="100")
    assert [result["sent"] for result in results] == [100] * 4, "the limited send was retried after the pause"
    assert len(sandbox.faults.injected) == 1
    times = sorted(delivery.sent_at for delivery in sandbox.outbox)
    limited_at = times[149]  # the 429 came after the 150th delivery
    during = [t for t in times if limited_at + 0.15 < t < limited_at + 0.95]
    assert during == [], f"{len(during)} sends went out during the pause"
