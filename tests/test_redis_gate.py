"""RedisGate: one rate budget and one 429 pause for every process, against real Redis servers (one, a Cluster, over
TLS) and the script's logic in-process on fakeredis. The multi-process tests run real processes against the HTTP
sandbox. Round trips are counted outside the gate, around its script (``redistools.counting``)."""

from __future__ import annotations

import asyncio
import bisect
import itertools
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
from infobip_2fa_async.redis import RedisGate, connect
from infobip_2fa_async.redis._gate import MAX_BATCH
from infobip_2fa_async.sandbox import Fault, ManualClock, Sandbox

from .conftest import RecordingSleep
from .hostile import Hostile, answer
from .redistools import Scripts, counting

SENDER = Path(__file__).resolve().parents[1] / "benchmarks" / "gate_sender.py"


def _key() -> str:
    return f"test-gate-{uuid.uuid4().hex}"


# --- the script's logic, in-process (fakeredis, its clock and the gate's one manual clock) ---


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    """One manual clock for fakeredis (its TIME and expiries read ``time.time``) and for the gate."""
    made = ManualClock()
    monkeypatch.setattr(time, "time", made)
    return made


def _fake_gate(clock: ManualClock, sleep: Any = None, **arguments: Any) -> tuple[RedisGate, Scripts, Any]:
    import fakeredis

    redis = fakeredis.FakeAsyncRedis()
    scripts = counting(redis)
    register = redis.register_script

    def round_trip(script: Any) -> Any:
        """A script call that lets the other callers run, as a round trip to a real Redis does: fakeredis's may
        finish without suspending (it does on Python 3.13), and then no caller ever finds another one asking."""
        registered = register(script)

        async def call(**arguments: Any) -> Any:
            await asyncio.sleep(0)
            return await registered(**arguments)

        return call

    redis.register_script = round_trip
    gate = RedisGate(redis, key=_key(), clock=clock, sleep=sleep or clock.sleep, **arguments)
    return gate, scripts, redis


async def test_the_script_grants_evenly_spaced_slots_on_fakeredis(clock: ManualClock) -> None:
    sleep = RecordingSleep()  # the clock stands still: every slot is asked for at the same Redis time
    gate, scripts, _ = _fake_gate(clock, sleep, rate=10, burst=1, reserve_ahead=100)
    for _ in range(5):
        await gate.enter()
    assert sleep.waits == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert scripts.calls == 5, "one caller at a time: one round trip per enter"


async def test_callers_waiting_together_share_one_round_trip_on_fakeredis(clock: ManualClock) -> None:
    sleep = RecordingSleep()
    gate, scripts, _ = _fake_gate(clock, sleep, rate=100, burst=1, reserve_ahead=1)
    await asyncio.gather(*(gate.enter() for _ in range(20)))
    assert scripts.granted == [1, 19], "the first caller asked at once, the next for the 19 queued meanwhile"
    assert sorted(sleep.waits) == pytest.approx([n / 100 for n in range(1, 20)]), "each its own slot, 1/rate apart"


async def test_slots_are_granted_only_within_reserve_ahead_and_never_closer_than_the_rate_on_fakeredis(
    clock: ManualClock,
) -> None:
    gate, scripts, _ = _fake_gate(clock, rate=100, burst=1, reserve_ahead=0.05)
    await asyncio.gather(*(gate.enter() for _ in range(60)))
    slots = scripts.slots
    assert len(slots) == 60
    assert min(b - a for a, b in itertools.pairwise(slots)) >= 0.01 - 1e-6
    assert scripts.calls < 60 / 3, f"{scripts.calls} round trips for 60 callers"
    assert max(scripts.granted) <= 6, "at most the slots within 50 ms: 0, 10, ..., 50 ms"


async def test_one_round_trip_grants_at_most_max_batch_slots_on_fakeredis(clock: ManualClock) -> None:
    gate, scripts, _ = _fake_gate(clock)  # no rate: only the shared pause is asked about
    await asyncio.gather(*(gate.enter() for _ in range(2 * MAX_BATCH + 11)))
    assert scripts.granted == [1, MAX_BATCH, MAX_BATCH, 10]


async def test_a_pause_only_grows_and_pushes_every_slot_past_it_on_fakeredis(clock: ManualClock) -> None:
    gate, _, redis = _fake_gate(clock, rate=100, reserve_ahead=100)
    await gate.pause(5)
    await gate.pause(1)
    assert await redis.pttl(gate._keys[1]) == pytest.approx(5000, abs=1)
    started = clock.now
    await gate.enter()
    assert clock.now - started >= 5, "no slot inside the pause"


async def test_a_429_in_this_process_voids_a_slot_granted_before_it_on_fakeredis(clock: ManualClock) -> None:
    paused: list[float] = []

    async def sleep(seconds: float) -> None:
        await clock.sleep(seconds)
        if not paused:  # while the second caller sleeps to its slot, a 429 comes back on another request
            paused.append(clock.now)
            await gate.pause(3)

    gate, scripts, _ = _fake_gate(clock, sleep, rate=1, burst=1, reserve_ahead=5)
    await gate.enter()  # the first slot: now
    await gate.enter()  # the second, 1 s later: voided by the pause, then granted after it
    assert clock.now >= paused[0] + 3
    assert scripts.slots[-1] >= paused[0] + 3 - 1e-6, "the slot it finally went on came after the pause"
    assert scripts.calls == 4, "enter, enter, the pause, and once more after it"


async def test_a_caller_cancelled_while_it_asks_passes_the_asking_on_on_fakeredis(clock: ManualClock) -> None:
    gate, scripts, _ = _fake_gate(clock, rate=100, burst=100)
    [counted] = scripts
    release = asyncio.Event()
    real = counted.script

    async def held(**arguments: Any) -> Any:
        await release.wait()
        return await real(**arguments)

    counted.script = held
    first = asyncio.ensure_future(gate.enter())
    await asyncio.sleep(0)  # it is asking, and held there
    others = [asyncio.ensure_future(gate.enter()) for _ in range(3)]
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()
    await asyncio.wait_for(asyncio.gather(*others), 5)
    assert counted.calls == 2, "the cancelled call, then one for the three waiting"


# --- a real Redis: one server, a Redis Cluster, over TLS ---


@pytest.fixture
async def counted_gate(fleet_url: str) -> AsyncIterator[tuple[RedisGate, Scripts]]:
    redis = connect(fleet_url)
    scripts = counting(redis)
    async with redis:
        yield RedisGate(redis, key=_key(), rate=50, burst=1), scripts


async def test_enter_costs_one_round_trip_per_send_one_at_a_time(counted_gate: tuple[RedisGate, Scripts]) -> None:
    gate, scripts = counted_gate
    started = time.monotonic()
    for _ in range(20):
        await gate.enter()
    elapsed = time.monotonic() - started
    assert 0.33 <= elapsed < 1.5, "20 slots at 50/s, evenly spaced: about 0.38 s"
    assert scripts.calls == 20


async def test_callers_waiting_together_cost_a_fraction_of_a_round_trip_each(fleet_url: str) -> None:
    redis = connect(fleet_url)
    scripts = counting(redis)
    async with redis:
        gate = RedisGate(redis, key=_key(), rate=1_000_000)
        await asyncio.gather(*(gate.enter() for _ in range(200)))
    assert scripts.calls <= 20, f"{scripts.calls} round trips for 200 callers"


@pytest.fixture
async def gate(redis_url: str) -> AsyncIterator[RedisGate]:
    async with RedisGate.from_url(redis_url, key=_key(), rate=50, burst=1) as made:
        yield made


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


async def test_four_processes_share_one_rate(fleet_url: str) -> None:
    """rate=200, burst 1, 4 processes of 25 tasks: at most 201 sends in any second, at least 190/s steady.

    Sends are counted at the slot the gate granted each (Redis's clock), which is what the gate decides; the moment
    each request then leaves adds this machine's scheduling delay (a few ms on 2 busy cores), which no gate can
    take back. Those times are checked too, for the steady rate and for a window only a late wake-up can stretch.
    """
    sandbox, app, message = await _served_sandbox()
    async with sandbox.serve() as server:
        results = await _senders(server.base_url, fleet_url, _key(), 150, app, message)
    assert [result["sent"] for result in results] == [150] * 4
    assert len(sandbox.outbox) == 600
    slots = sorted(slot for result in results for slot in result["slots"])
    assert len(slots) == 600
    assert _busiest_second(slots) <= 201, f"{_busiest_second(slots)} slots in one second"
    out_at = sorted(at for result in results for at in result["out_at"])
    # Up to 5% more (210): on 2 cores under another test run, late wake-ups bunched 207 into one second while the
    # gate's slots held 201. A sender leaving before its slot would show far more.
    assert _busiest_second(out_at) <= 210, "only the scheduling delay of a late wake-up on top"
    for times in (slots, out_at):
        steady = times[len(times) // 10 : -len(times) // 10]
        assert (len(steady) - 1) / (steady[-1] - steady[0]) >= 190
    calls = sum(result["calls"] for result in results)
    assert calls <= 0.8 * 600, f"{calls / 600:.2f} Redis calls per send: slots are granted several at a time"


def _busiest_second(times: list[float]) -> int:
    return max(bisect.bisect_left(times, start + 1.0) - index for index, start in enumerate(times))


async def test_a_429_seen_by_one_process_pauses_the_others(fleet_url: str) -> None:
    sandbox, app, message = await _served_sandbox()
    sandbox.faults.script(*[None] * 150, Fault.rate_limit(retry_after=1), match=r"^POST /2fa/2/pin$")
    async with sandbox.serve() as server:
        results = await _senders(server.base_url, fleet_url, _key(), 100, app, message, rate="100")
    assert [result["sent"] for result in results] == [100] * 4, "the limited send was retried after the pause"
    assert len(sandbox.faults.injected) == 1
    times = sorted(delivery.sent_at for delivery in sandbox.outbox)
    limited_at = times[149]  # the 429 came after the 150th delivery
    during = [t for t in times if limited_at + 0.15 < t < limited_at + 0.95]
    assert during == [], f"{len(during)} sends went out during the pause"
