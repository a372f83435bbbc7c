"""The gate: one rate budget and one 429 pause for every request behind it, on an injected clock."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from infobip_2fa_async import ApplicationConfiguration, Gate, InvalidRequestError, LocalGate, SendPinRequest
from infobip_2fa_async.sandbox import Fault, ManualClock, Sandbox

SEND_PIN = r"^POST /2fa/2/pin$"


async def _times(gate: LocalGate, clock: ManualClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await gate.enter()
        times.append(clock.now)
    return times


async def test_the_default_burst_is_one_seconds_worth() -> None:
    clock = ManualClock(0.0)
    times = await _times(LocalGate(10, clock=clock, sleep=clock.sleep), clock, 30)
    assert times[:10] == [0.0] * 10
    assert times[10:] == pytest.approx([0.1 * n for n in range(1, 21)])


async def test_burst_1_spaces_every_request_evenly() -> None:
    clock = ManualClock(0.0)
    times = await _times(LocalGate(10, burst=1, clock=clock, sleep=clock.sleep), clock, 11)
    assert times == pytest.approx([0.1 * n for n in range(11)])
    assert all(later - earlier == pytest.approx(0.1) for earlier, later in itertools.pairwise(times))


async def test_a_pause_only_grows_and_holds_everyone() -> None:
    clock = ManualClock(0.0)
    gate = LocalGate(clock=clock, sleep=clock.sleep)
    await gate.pause(5)
    await gate.pause(2)  # shorter: changes nothing
    await asyncio.gather(gate.enter(), gate.enter(), gate.enter())
    assert clock.now == pytest.approx(5), "all three waited out the longer pause, together"
    await gate.enter()
    assert clock.now == pytest.approx(5), "the pause is over: the next caller goes at once"


@pytest.mark.parametrize(
    ("rate", "burst", "argument"),
    [(0, None, "rate"), (-1, None, "rate"), (float("nan"), None, "rate"), (float("inf"), None, "rate"),
     (True, None, "rate"), (10, 0.5, "burst"), (None, 5, "burst"), (10, "2", "burst"), (1e-320, None, "rate"),
     (1e-3, 1e306, "rate")],
)  # fmt: skip
def test_bad_rates_and_bursts_are_refused(rate: Any, burst: Any, argument: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        LocalGate(rate, burst=burst)
    assert caught.value.argument == argument


def test_local_gate_is_a_gate() -> None:
    assert isinstance(LocalGate(), Gate)


@pytest.fixture
async def served() -> tuple[Sandbox, ManualClock, str, str]:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    async with sandbox.client(sleep=clock.sleep) as client:
        app = await client.applications.create(
            name="Gate", configuration=ApplicationConfiguration(send_pin_per_application_limit="100000/1d")
        )
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return sandbox, clock, app.application_id, template.message_id


async def test_a_clients_gate_holds_every_request_of_that_client(served: tuple[Sandbox, ManualClock, str, str]) -> None:
    sandbox, clock, app, message = served
    gate = LocalGate(5, burst=1, clock=clock, sleep=clock.sleep)
    started = clock.now
    async with sandbox.client(gate=gate, sleep=clock.sleep) as client:
        assert client.gate is gate
        for number in range(1, 11):
            await client.send_pin(application_id=app, message_id=message, to=f"4176{number:07d}")
        await client.applications.list()  # management calls pass the gate too
    times = [message.sent_at for message in sandbox.outbox]
    assert times == pytest.approx([started + 0.2 * n for n in range(10)])
    assert clock.now == pytest.approx(started + 2.0)


async def test_a_429_seen_by_one_client_pauses_another_on_the_same_gate(
    served: tuple[Sandbox, ManualClock, str, str],
) -> None:
    """Two web replicas on one gate: the 429 one of them meets holds the other back until Retry-After ends."""
    sandbox, clock, app, message = served
    gate = LocalGate(clock=clock, sleep=clock.sleep)
    sandbox.faults.script(Fault.rate_limit(retry_after=7), match=SEND_PIN)
    async with sandbox.client(gate=gate, sleep=clock.sleep) as first, sandbox.client(gate=gate) as second:
        started = clock.now
        await first.send_pin(application_id=app, message_id=message, to="41760000001")
        assert clock.now == pytest.approx(started + 7), "first waited the pause out at the gate"
        await gate.pause(3)
        await second.send_pin(application_id=app, message_id=message, to="41760000002")
    assert sandbox.outbox[-1].sent_at == pytest.approx(started + 10), "the second replica waited out the pause"
    assert len(sandbox.faults.injected) == 1


async def test_send_many_takes_a_gate_instead_of_a_rate(served: tuple[Sandbox, ManualClock, str, str]) -> None:
    sandbox, clock, app, message = served
    gate = LocalGate(4, burst=1, clock=clock, sleep=clock.sleep)
    started = clock.now
    async with sandbox.client(sleep=clock.sleep, clock=clock) as client:
        requests = [SendPinRequest(app, message, f"4175{n:07d}") for n in range(1, 9)]
        results = [result async for result in client.send_many(requests, gate=gate, concurrency=4)]
        assert all(result.ok for result in results)
        with pytest.raises(InvalidRequestError, match="not both"):
            client.send_many(requests, gate=gate, rate=10)
        with pytest.raises(InvalidRequestError) as caught:
            client.send_many(requests, gate="redis://")  # type: ignore[arg-type]
        assert caught.value.argument == "gate"
    assert len(sandbox.outbox) == 8
    assert clock.now - started == pytest.approx(7 * 0.25), "8 sends at 4 per second, evenly spaced"
