"""What RedisGate promises at its edges (issue 17): a Redis that accepts connections but never answers costs every
waiting caller at most one timeout, not one timeout each in turn; and a rate, burst or reserve_ahead the gate cannot
hold is refused with InvalidRequestError instead of a raw OverflowError."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import time
from collections.abc import AsyncIterator

import pytest

from infobip_2fa_async import GateUnavailableError, InvalidRequestError
from infobip_2fa_async.redis import RedisGate, connect

from .redistools import counting

TIMEOUT = 0.3


@contextlib.asynccontextmanager
async def silent_redis() -> AsyncIterator[str]:
    """A server on 127.0.0.1 that accepts every connection, reads what it is sent, and never answers."""
    connections: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()


async def _six_enters(gate: RedisGate) -> list[tuple[float, BaseException | None]]:
    """Six concurrent callers: when each learned its outcome (seconds from the start), and the error if any."""
    started = time.monotonic()

    async def one() -> tuple[float, BaseException | None]:
        try:
            await gate.enter()
        except GateUnavailableError as error:
            return time.monotonic() - started, error
        return time.monotonic() - started, None

    return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(6))), 10 * 6 * TIMEOUT)


async def test_a_silent_redis_fails_every_waiting_caller_within_one_timeout() -> None:
    async with silent_redis() as url, RedisGate.from_url(url, key="k", rate=10, timeout=TIMEOUT) as gate:
        outcomes = await _six_enters(gate)
    assert all(isinstance(error, GateUnavailableError) for _, error in outcomes)
    latest = max(at for at, _ in outcomes)
    # Before: one caller asked at a time behind the lock, so they failed at 0.3, 0.6, ... 1.8 s.
    assert latest < 3 * TIMEOUT, f"the last caller waited {latest:.2f} s for a {TIMEOUT} s timeout"


async def test_a_silent_redis_lets_every_waiting_caller_through_within_one_timeout_when_failing_open(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        silent_redis() as url,
        RedisGate.from_url(url, key="k", rate=10, timeout=TIMEOUT, fail_open=True) as gate,
    ):
        with caplog.at_level(logging.WARNING, logger="infobip_2fa_async"):
            outcomes = await _six_enters(gate)
    assert [error for _, error in outcomes] == [None] * 6, "fail open: every caller goes through"
    latest = max(at for at, _ in outcomes)
    assert latest < 3 * TIMEOUT, f"the last caller waited {latest:.2f} s for a {TIMEOUT} s timeout"
    assert sum("fail_open" in record.getMessage() for record in caplog.records) == 1, "warned once per outage"


async def test_after_a_shared_failure_the_next_caller_asks_redis_again() -> None:
    """The failure is shared only with the callers that queued while it was asked: one call for six callers, and a
    caller that comes later asks Redis again."""
    async with silent_redis() as url:
        redis = connect(url, timeout=TIMEOUT)
        scripts = counting(redis)  # the gate's round trips, counted on the way to Redis
        async with redis:
            gate = RedisGate(redis, key="k", rate=100)
            await _six_enters(gate)
            assert scripts.calls == 1, "the five queued callers shared the first one's failure"
            with pytest.raises(GateUnavailableError):
                await gate.enter()
            assert scripts.calls == 2


# --- what the gate can hold ---


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"reserve_ahead": math.inf}, "reserve_ahead"),
        ({"reserve_ahead": math.nan}, "reserve_ahead"),
        ({"reserve_ahead": -1}, "reserve_ahead"),
        ({"reserve_ahead": 1e6}, "reserve_ahead"),
        ({"rate": 1e-320}, "rate"),
        ({"rate": 1e-9}, "rate"),
        ({"rate": 1e12}, "rate"),
        ({"rate": math.nan}, "rate"),
        ({"rate": -5}, "rate"),
        ({"rate": 1e-3, "burst": 1e300}, "burst"),
        ({"rate": 10, "burst": 1e7}, "burst"),
        ({"rate": 10, "burst": math.nan}, "burst"),
        ({"rate": 10, "burst": 0.5}, "burst"),
    ],
)
def test_values_the_gate_cannot_hold_are_refused_with_the_accepted_range(
    arguments: dict[str, float], argument: str
) -> None:
    import fakeredis

    with pytest.raises(InvalidRequestError) as caught:
        RedisGate(fakeredis.FakeAsyncRedis(), key="k", **arguments)
    assert caught.value.argument == argument
    assert re.search(r"from \S+ to \S+", caught.value.problem), "the message says what is accepted"


@pytest.mark.parametrize("timeout", [0, -1, math.nan, math.inf])
def test_from_url_refuses_a_timeout_it_cannot_use(timeout: float) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        RedisGate.from_url("redis://127.0.0.1:9/0", key="k", timeout=timeout)
    assert caught.value.argument == "timeout"


async def test_the_edges_of_the_accepted_ranges_work_on_fakeredis() -> None:
    import fakeredis

    for arguments in ({"rate": 1e-3, "burst": 1e6}, {"rate": 1e6, "burst": 1}, {"rate": 5, "reserve_ahead": 3600}):
        gate = RedisGate(fakeredis.FakeAsyncRedis(), key="k", **arguments)
        await gate.enter()
        await gate.enter()
