"""A 429 pauses everyone sharing the gate when it is a throttle, whether or not the caller retries it; a long one is
a quota: it pauses nobody and raises QuotaExceededError saying when the quota resets (issue 17)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import pytest

from infobip_2fa_async import (
    ApplicationConfiguration,
    InvalidRequestError,
    LocalGate,
    QuotaExceededError,
    RateLimitError,
    RetryPolicy,
    SendPinRequest,
)
from infobip_2fa_async.sandbox import Fault, ManualClock, Sandbox

SEND_PIN = r"^POST /2fa/2/pin$"
Served = tuple[Sandbox, ManualClock, str, str]


@pytest.fixture
async def served() -> Served:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    async with sandbox.client(sleep=clock.sleep) as client:
        app = await client.applications.create(
            name="Pause", configuration=ApplicationConfiguration(send_pin_per_application_limit="100000/1d")
        )
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return sandbox, clock, app.application_id, template.message_id


async def _refused_then_other_replica_sends(served: Served, retry_after: float, **client: Any) -> tuple[Any, float]:
    """Replica A meets a 429 and does not retry it; replica B, on the same gate, sends next: (A's error, B's wait)."""
    sandbox, clock, app, message = served
    gate = LocalGate(clock=clock, sleep=clock.sleep)
    sandbox.faults.script(Fault.rate_limit(retry_after=retry_after), match=SEND_PIN)
    async with sandbox.client(gate=gate, sleep=clock.sleep, **client) as first, sandbox.client(gate=gate) as second:
        with pytest.raises(RateLimitError) as refused:
            await first.send_pin(application_id=app, message_id=message, to="41760000001")
        started = clock.now
        await second.send_pin(application_id=app, message_id=message, to="41760000002")
    return refused.value, sandbox.outbox[-1].sent_at - started


async def test_a_throttle_pauses_the_fleet_even_when_the_caller_does_not_retry(served: Served) -> None:
    error, waited = await _refused_then_other_replica_sends(served, 7, retry=RetryPolicy(max_retries=0))
    assert not isinstance(error, QuotaExceededError)
    assert waited == pytest.approx(7), "the other replica waited out the Retry-After at the shared gate"


async def test_a_throttle_over_max_retry_after_still_pauses_the_fleet(served: Served) -> None:
    """Not slept through by this caller (over max_retry_after), but still a throttle for everyone else."""
    error, waited = await _refused_then_other_replica_sends(
        served, 30, retry=RetryPolicy(max_retry_after=5, max_shared_pause=60)
    )
    assert error.retry_after == 30
    assert waited == pytest.approx(30)


async def test_a_quota_429_pauses_nobody_and_says_when_it_resets(served: Served) -> None:
    before = time.time()
    error, waited = await _refused_then_other_replica_sends(served, 86400)
    assert isinstance(error, QuotaExceededError)
    assert waited == 0, "one number's daily cap must not stop the fleet"
    assert error.retry_after == 86400
    assert error.maybe_sent is False
    resets = error.resets_at.timestamp()
    assert before + 86400 - 1 <= resets <= time.time() + 86400
    assert error.resets_at.tzinfo is timezone.utc
    assert "quota" in str(error)
    assert datetime.fromtimestamp(resets, timezone.utc).isoformat() in str(error)


async def test_the_shared_pause_bound_is_configurable(served: Served) -> None:
    error, waited = await _refused_then_other_replica_sends(
        served, 30, retry=RetryPolicy(max_shared_pause=10, max_retry_after=20)
    )
    assert isinstance(error, QuotaExceededError)
    assert waited == 0


async def test_a_quota_within_max_retry_after_is_waited_out_alone(served: Served) -> None:
    sandbox, clock, app, message = served
    pauses: list[float] = []

    class Watched(LocalGate):
        async def pause(self, seconds: float) -> None:
            pauses.append(seconds)
            await super().pause(seconds)

    gate = Watched(clock=clock, sleep=clock.sleep)
    sandbox.faults.script(Fault.rate_limit(retry_after=120), match=SEND_PIN)
    policy = RetryPolicy(max_retry_after=300, max_shared_pause=60)
    async with sandbox.client(gate=gate, sleep=clock.sleep, retry=policy) as client:
        started = clock.now
        await client.send_pin(application_id=app, message_id=message, to="41760000001")
        assert clock.now - started == pytest.approx(120), "this caller slept through it on its own"
    assert pauses == [], "nobody else was held back"


async def test_a_throttle_in_send_many_without_retries_pauses_the_run(served: Served) -> None:
    sandbox, clock, app, message = served
    sandbox.faults.script(Fault.rate_limit(retry_after=5), match=SEND_PIN)
    async with sandbox.client(sleep=clock.sleep, clock=clock, retry=RetryPolicy(max_retries=0)) as client:
        requests = [SendPinRequest(app, message, f"4175{n:07d}") for n in range(1, 4)]
        started = clock.now
        results = [result async for result in client.send_many(requests, concurrency=1)]
    assert [result.ok for result in results] == [False, True, True]
    assert sandbox.outbox[0].sent_at - started == pytest.approx(5)


@pytest.mark.parametrize("bound", [-1, float("nan"), float("inf"), "60", True])
def test_a_bad_shared_pause_bound_is_refused(bound: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        RetryPolicy(max_shared_pause=bound)
    assert caught.value.argument == "max_shared_pause"


def test_a_nan_retry_setting_is_refused() -> None:
    with pytest.raises(InvalidRequestError):
        RetryPolicy(max_retry_after=float("nan"))
