"""A call always ends: ``timeout`` bounds each attempt as a whole and ``deadline`` the whole call, on both backends,
against real 127.0.0.1 servers that trickle, hang or keep refusing.

The servers here misbehave in real time (a byte every 50 ms), so the client's timers are real too, and short; the
retry waits are on an injected clock, so no test sleeps for them.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import httpx
import pytest

from infobip_2fa_async import (
    DeadlineExceededError,
    InvalidRequestError,
    LocalGate,
    RequestMaybeSentError,
    RetryPolicy,
    TwoFactorClient,
)
from infobip_2fa_async.sandbox import ManualClock

from .conftest import SENT_JSON
from .hostile import BACKENDS, SEND, Hostile, Request, answer, hang, response_head

TOO_MANY = answer(429, b'{"requestError":{"serviceException":{"messageId":"TOO_MANY_REQUESTS"}}}', {"Retry-After": "3"})


def trickle(every: float = 0.05, length: int = 10_000) -> Any:
    """Headers at once, then the body one byte every ``every`` seconds: each read is quick, the whole is not."""

    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        writer.write(response_head(200, {"Content-Type": "application/json", "Content-Length": str(length)}))
        while True:
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(every)

    return behaviour


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _elapsed(call: Any) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(Exception) as caught:  # noqa: PT011  (the test asserts the type next)
        await call
    return caught.value, time.monotonic() - started


async def test_a_trickling_answer_is_cut_at_the_timeout_for_the_whole_attempt(backend: str) -> None:
    async with Hostile(trickle()) as server, TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client:
        error, elapsed = await _elapsed(client.send_pin(**SEND, timeout=0.4))
    assert isinstance(error, RequestMaybeSentError)
    assert error.reason == "read_timeout"
    assert elapsed < 2.0, f"a 0.4 s timeout took {elapsed:.1f} s"


async def test_an_httpx_timeout_is_bounded_as_a_whole_by_its_largest_phase(backend: str) -> None:
    """Reads 50 ms apart never break ``read=0.3``, but the attempt as a whole stops at the largest phase, 0.4 s."""
    phases = httpx.Timeout(connect=0.2, read=0.3, write=0.2, pool=0.4)
    async with Hostile(trickle()) as server, TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client:
        error, elapsed = await _elapsed(client.send_pin(**SEND, timeout=phases))
    assert isinstance(error, RequestMaybeSentError)
    assert elapsed < 2.0


@pytest.mark.parametrize(
    "timeout", [0, 0.0, -1, math.nan, math.inf, True, "5", httpx.Timeout(0), httpx.Timeout(5, read=-1)]
)
async def test_timeouts_that_mean_nothing_are_refused_before_anything_is_sent(backend: str, timeout: Any) -> None:
    async with Hostile(answer(200, b"{}")) as server, TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client:
        with pytest.raises(InvalidRequestError) as caught:
            await client.send_pin(**SEND, timeout=timeout)
        assert caught.value.argument.startswith("timeout")
        with pytest.raises(InvalidRequestError):
            TwoFactorClient("k", server.url, timeout=timeout, **BACKENDS[backend]())
    assert server.connections == 0


@pytest.mark.parametrize("deadline", [0, -2, math.nan, math.inf, "10"])
def test_deadlines_that_mean_nothing_are_refused(deadline: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        TwoFactorClient("k", "http://127.0.0.1:9", deadline=deadline)
    assert caught.value.argument == "deadline"


async def test_a_deadline_stops_retrying_when_the_next_wait_would_end_past_it(backend: str) -> None:
    """429 with Retry-After: 3, deadline 10 s: attempts at 0, 3, 6 and 9 s; the wait to 12 s is not begun."""
    clock = ManualClock(0.0)
    policy = RetryPolicy(max_retries=10, jitter=False)
    async with (
        Hostile(TOO_MANY) as server,
        TwoFactorClient(
            "k", server.url, retry=policy, deadline=10, clock=clock, sleep=clock.sleep, **BACKENDS[backend]()
        ) as client,
    ):
        with pytest.raises(DeadlineExceededError) as caught:
            await client.send_pin(**SEND)
    assert len(server.requests) == 4
    assert clock.now == 9.0
    error = caught.value
    assert (error.attempts, error.deadline, error.maybe_sent) == (4, 10.0, False)
    assert "deadline of 10 s for POST /2fa/2/pin ran out after 4 attempts" in str(error)
    assert error.last_error is not None
    assert error.last_error.maybe_sent is False


async def test_a_per_call_deadline_overrides_the_clients(backend: str) -> None:
    clock = ManualClock(0.0)
    async with (
        Hostile(TOO_MANY, TOO_MANY, answer(200, b'{"pinId": "P"}')) as server,
        TwoFactorClient("k", server.url, deadline=5, clock=clock, sleep=clock.sleep, **BACKENDS[backend]()) as client,
    ):
        assert (await client.send_pin(**SEND, deadline=None)).pin_id == "P"  # no deadline: 3 attempts, 6 s
    assert clock.now == 6.0


async def test_a_deadline_cuts_a_hanging_attempt_and_says_it_may_have_been_sent(backend: str) -> None:
    async with Hostile(hang) as server, TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client:
        error, elapsed = await _elapsed(client.send_pin(**SEND, deadline=0.4))
    assert isinstance(error, DeadlineExceededError)
    assert error.maybe_sent is True, "the request was out when the deadline cut it"
    assert isinstance(error.last_error, RequestMaybeSentError)
    assert len(server.requests) == 1
    assert elapsed < 2.0


async def test_a_deadline_that_runs_out_at_the_gate_sends_nothing(backend: str) -> None:
    clock = ManualClock(0.0)
    gate = LocalGate(clock=clock, sleep=clock.sleep)
    await gate.pause(30)
    async with (
        Hostile(answer(200, b'{"pinId": "P"}')) as server,
        TwoFactorClient("k", server.url, gate=gate, clock=clock, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(DeadlineExceededError) as caught:
            await client.send_pin(**SEND, deadline=10)
    assert caught.value.maybe_sent is False
    assert caught.value.attempts == 0
    assert server.requests == []


async def test_the_default_timeout_bounds_an_attempt_too() -> None:
    from infobip_2fa_async import DEFAULT_TIMEOUT

    client = TwoFactorClient("k", "http://127.0.0.1:9")
    limits = client._transport.timeout
    assert limits.total == max(
        DEFAULT_TIMEOUT.connect, DEFAULT_TIMEOUT.read, DEFAULT_TIMEOUT.write, DEFAULT_TIMEOUT.pool
    )
    await client.aclose()


async def test_a_callers_http_client_gets_the_whole_attempt_bound_from_its_own_timeout() -> None:
    async with (
        Hostile(trickle()) as server,
        httpx.AsyncClient(timeout=httpx.Timeout(0.4)) as mine,
        TwoFactorClient("k", server.url, http_client=mine) as client,
    ):
        error, elapsed = await _elapsed(client.send_pin(**SEND))
    assert isinstance(error, RequestMaybeSentError)
    assert elapsed < 2.0


async def test_a_quick_server_still_answers_within_every_bound(backend: str) -> None:
    body = httpx.Response(200, json=SENT_JSON).content
    async with (
        Hostile(answer(200, body)) as server,
        TwoFactorClient("k", server.url, deadline=5, timeout=2, **BACKENDS[backend]()) as client,
    ):
        assert (await client.send_pin(**SEND)).pin_id == SENT_JSON["pinId"]
