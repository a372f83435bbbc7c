"""send_many: every input accounted for exactly once, bounded memory, shared rate limiting, clean stops."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from infobip_2fa_async import (
    ApplicationConfiguration,
    BulkResult,
    InvalidRequestError,
    RateLimitError,
    SendPinRequest,
    ServerError,
    TwoFactorClient,
)
from infobip_2fa_async.sandbox import Fault, ManualClock, Sandbox

SEND_PIN = r"^POST /2fa/2/pin$"


class Setup:
    def __init__(self, sandbox: Sandbox, client: TwoFactorClient, clock: ManualClock, app: str, message: str) -> None:
        self.sandbox, self.client, self.clock, self.app, self.message = sandbox, client, clock, app, message

    def request(self, number: int, **kwargs: Any) -> SendPinRequest:
        return SendPinRequest(self.app, self.message, f"4178{number:07d}", **kwargs)

    def requests(self, count: int) -> Iterator[SendPinRequest]:
        return (self.request(number) for number in range(1, count + 1))


@pytest.fixture
async def setup() -> Setup:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep, seed=42)
    client = sandbox.client(sleep=clock.sleep, clock=clock)
    limits = ApplicationConfiguration(send_pin_per_application_limit="1000000/1d")
    app = await client.applications.create(name="Bulk", configuration=limits)
    template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return Setup(sandbox, client, clock, app.application_id, template.message_id)


async def _settle() -> None:
    """Give the event loop a few turns (it closes an abandoned async generator on its next turn)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def _collect(results: AsyncIterator[BulkResult]) -> list[BulkResult]:
    return [result async for result in results]


async def test_ten_thousand_items_through_429_storms_and_5xx(setup: Setup) -> None:
    setup.sandbox.faults.rate(Fault.rate_limit(retry_after=1), 0.05, match=SEND_PIN)
    setup.sandbox.faults.rate(Fault.rate_limit(), 0.02, match=SEND_PIN)
    setup.sandbox.faults.rate(Fault.server_error(503), 0.02, match=SEND_PIN)
    results = await _collect(setup.client.send_many(setup.requests(10_000), concurrency=50))

    assert sorted(result.index for result in results) == list(range(10_000))
    for result in results:
        assert (result.result is None) != (result.error is None)
        assert result.request.to == f"4178{result.index + 1:07d}"
    failures = [result for result in results if not result.ok]
    assert failures, "the faults should have failed some sends"
    assert all(isinstance(result.error, (ServerError, RateLimitError)) for result in failures)
    delivered = [message.to for message in setup.sandbox.outbox]
    assert len(delivered) == len(set(delivered)), "somebody was texted twice"
    assert set(delivered) == {result.request.to for result in results if result.ok}


async def test_a_429_pauses_every_worker_together(setup: Setup) -> None:
    setup.sandbox.faults.script(Fault.rate_limit(retry_after=5), match=SEND_PIN)
    started = setup.clock.now
    results = await _collect(setup.client.send_many(setup.requests(500), concurrency=25))
    assert all(result.ok for result in results)
    early = [message for message in setup.sandbox.outbox if message.sent_at < started + 5]
    assert len(early) < 25, "only the sends already in flight may land during the pause"
    assert len(setup.sandbox.faults.injected) == 1, "nobody else ran into the limit"


async def test_ordered_results_come_in_input_order(setup: Setup) -> None:
    setup.sandbox.faults.rate(Fault.slow(0.5), 0.3, match=SEND_PIN)
    unordered = [r.index for r in await _collect(setup.client.send_many(setup.requests(200), concurrency=20))]
    assert sorted(unordered) == list(range(200))
    assert unordered != sorted(unordered), "slow answers should let later items finish first"
    ordered = await _collect(setup.client.send_many(setup.requests(200), concurrency=20, ordered=True))
    assert [r.index for r in ordered] == list(range(200))
    assert all(r.ok and r.result is not None and r.result.to == r.request.to for r in ordered)


async def test_the_input_is_read_lazily_and_the_ordered_buffer_is_bounded(setup: Setup) -> None:
    pulled = 0

    def numbers() -> Iterator[SendPinRequest]:
        nonlocal pulled
        for number in range(1, 100_001):
            pulled += 1
            yield setup.request(number)

    setup.sandbox.faults.script(Fault.slow(30), match=SEND_PIN)  # the head of the line is slow
    seen = 0
    async for result in setup.client.send_many(numbers(), concurrency=10, ordered=True):
        assert result.index == seen
        assert result.ok
        seen += 1
        assert pulled <= seen + 2 * 10, "more taken from the input than the window allows"
        if seen == 300:
            break
    assert pulled <= 300 + 20


async def test_async_iterables_are_accepted(setup: Setup) -> None:
    async def numbers() -> AsyncIterator[SendPinRequest]:
        for number in range(1, 51):
            await asyncio.sleep(0)
            yield setup.request(number)

    results = await _collect(setup.client.send_many(numbers(), concurrency=7))
    assert sorted(r.index for r in results) == list(range(50))
    assert all(r.ok and r.result is not None and r.result.to == r.request.to for r in results)
    assert sorted(m.to for m in setup.sandbox.outbox) == sorted(r.request.to for r in results)


async def test_invalid_items_are_results_and_are_not_sent(setup: Setup) -> None:
    items: list[Any] = [
        setup.request(1),
        {"to": "41780000002"},
        SendPinRequest(setup.app, setup.message, "not a number"),
        setup.request(4, channel="fax"),  # type: ignore[arg-type]
        setup.request(5, channel="voice", nc_needed=True),
        setup.request(6, channel="voice"),
    ]
    results = {r.index: r for r in await _collect(setup.client.send_many(items, concurrency=3))}
    assert [results[i].ok for i in range(6)] == [True, False, False, False, False, True]
    assert [getattr(results[i].error, "argument", None) for i in (1, 2, 3, 4)] == [
        "requests[1]", "to", "channel", "nc_needed",
    ]  # fmt: skip
    assert all(isinstance(results[i].error, InvalidRequestError) for i in (1, 2, 3, 4))
    assert sorted((m.to, m.channel) for m in setup.sandbox.outbox) == [("41780000001", "sms"), ("41780000006", "voice")]


async def test_progress_is_reported_after_each_result(setup: Setup) -> None:
    setup.sandbox.faults.script(Fault.server_error(500), match=SEND_PIN)
    calls: list[tuple[int, int | None, int, int]] = []
    await _collect(
        setup.client.send_many(list(setup.requests(30)), concurrency=4, on_progress=lambda *a: calls.append(a))
    )
    assert [call[0] for call in calls] == list(range(1, 31))
    assert calls[-1] == (30, 30, 29, 1)
    calls.clear()
    await _collect(setup.client.send_many(setup.requests(5), on_progress=lambda *a: calls.append(a)))
    assert calls[-1][1] is None  # a generator has no length


async def test_rate_limiting_on_the_injected_clock(setup: Setup) -> None:
    started = setup.clock.now
    await _collect(setup.client.send_many(setup.requests(50), concurrency=10, rate=10))
    elapsed = setup.clock.now - started
    assert 3.9 <= elapsed <= 4.1  # a burst of 10, then 40 more at 10 per second
    times = sorted(message.sent_at for message in setup.sandbox.outbox)
    assert times[9] == started, "the first second's worth goes out at once"
    gaps = [later - earlier for earlier, later in itertools.pairwise(times[9:])]
    assert min(gaps) >= 0.1 - 1e-5, "after the burst, no faster than 10 per second"  # 1e-5: float clock noise


async def test_breaking_early_cancels_the_sends_in_flight(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    before = asyncio.all_tasks()
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        async with contextlib.aclosing(setup.client.send_many(setup.requests(10_000), concurrency=20)) as results:
            async for result in results:
                if result.index >= 5:
                    break
        assert asyncio.all_tasks() == before, "tasks left pending"
        # a plain break, without aclosing: the loop closes the generator on its next turns
        async for _ in setup.client.send_many(setup.requests(10_000), concurrency=20):
            break
        await _settle()
        assert asyncio.all_tasks() == before
    assert not [r for r in caplog.records if "destroyed" in r.getMessage() or "never awaited" in r.getMessage()]
    assert len(setup.sandbox.outbox) < 200  # the rest of the 10,000 was never sent
    assert (await setup.client.send_pin(application_id=setup.app, message_id=setup.message, to="41790000001")).pin_id


async def test_cancelling_the_consumer_cancels_everything(setup: Setup) -> None:
    before = asyncio.all_tasks()
    consumed: list[BulkResult] = []
    fifty = asyncio.Event()

    async def consume() -> None:
        async for result in setup.client.send_many(setup.requests(10_000), concurrency=20):
            consumed.append(result)
            if len(consumed) == 50:
                fifty.set()
                await asyncio.Event().wait()  # stuck here until cancelled

    task = asyncio.create_task(consume())
    await fifty.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _settle()
    assert asyncio.all_tasks() == before
    assert (await setup.client.send_pin(application_id=setup.app, message_id=setup.message, to="41790000001")).pin_id


async def test_an_input_that_fails_stops_the_run_with_its_error(setup: Setup) -> None:
    def broken() -> Iterator[SendPinRequest]:
        yield setup.request(1)
        yield setup.request(2)
        raise ValueError("the CSV file went away")

    got: list[BulkResult] = []

    async def consume() -> None:
        async for result in setup.client.send_many(broken(), concurrency=1):
            got.append(result)

    with pytest.raises(ValueError, match="went away"):
        await consume()
    assert [r.index for r in got] == [0, 1]
    assert all(r.ok for r in got), "the items before the failure were sent"
    assert len(setup.sandbox.outbox) == 2


@pytest.mark.parametrize(("option", "value"), [("concurrency", 0), ("concurrency", 2.5), ("rate", 0), ("rate", "10")])
def test_bad_options_are_refused_at_the_call(setup: Setup, option: str, value: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        setup.client.send_many([], **{option: value})
    assert caught.value.argument == option
