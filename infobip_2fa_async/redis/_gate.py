"""``RedisGate``: one rate budget and one 429 pause for every process that names the same key.

One Lua script decides everything on the server, reading Redis's own clock (``TIME``), so machines with skewed
clocks agree:

- ``enter`` is GCRA (the algorithm of redis-cell): a "theoretical arrival time" (TAT) per key. One call grants up to
  *k* slots at once, each exactly the slot that *k* calls in a row would have granted, so the rate held across
  processes is the same as one slot per call: *k* is how many callers of this process wait right now (at most
  ``MAX_BATCH``), and only slots that open within ``reserve_ahead`` seconds are granted. Within a process one caller
  at a time asks Redis, for itself and every caller queued behind it, hands each its slot, and passes the asking on
  to the next caller still waiting; each sleeps until its own slot. A slot serves only the caller it was granted to
  (one that is cancelled leaves it unused), so a slot is never used later than the caller's own wake-up. Under
  load, Redis calls per send fall well under one; one caller at a time costs one call per send, as before. A slot
  further off than ``reserve_ahead`` is asked for again when it comes within reach. When a call fails (Redis down,
  or silent until the timeout), every caller that queued while it was made shares its outcome at once instead of
  asking in turn: a hung Redis costs each waiting caller at most one timeout.
- ``pause`` sets a key with a millisecond expiry that is only ever lengthened, and moves the TAT past it, so no slot
  is handed out inside a pause. Other processes learn of it at their next call: slots they were granted just before
  it (at most ``reserve_ahead`` ahead) still go out. In the process that saw the 429, a caller whose slot comes while
  the pause is in force waits it out and asks again.

Both keys, ``<tag>:tat`` and ``<tag>:pause``, share one hash tag (``{key}``, or ``key`` itself when it holds one), so
they sit in one Redis Cluster slot.

If Redis cannot be reached: by default ``enter`` raises ``GateUnavailableError`` (fail closed: nothing is sent
while the shared budget cannot be checked); with ``fail_open=True`` requests go through unlimited, with a warning
logged once per outage. A failed ``pause`` always holds this process back for the pause locally.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._exceptions import GateUnavailableError, InvalidRequestError
from .._options import Sleep
from ._connect import UNREACHABLE, Outage, Script, connect, hash_tagged
from ._ranges import RESERVE_AHEAD_RANGE, check_shared_rate, in_range

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["MAX_BATCH", "RedisGate", "check_shared_rate", "in_range"]

logger = logging.getLogger("infobip_2fa_async")

MAX_BATCH = 64
"""Slots one call may grant: what the process has waiting, at most this many."""

#: What is left of a pause below this many seconds is float noise from clock readings, not a pause to wait out.
_CLOCK_NOISE = 1e-3

# KEYS: tat, pause. ARGV: operation ("enter" or "pause"), interval µs, tolerance µs, reserve-ahead µs, pause ms,
# slots wanted. Returns {wait µs, slots granted, pause left ms, Redis's time µs}. When slots are granted, "wait" is
# when the first one opens (from Redis's time, negative when it opened already) and slot j opens
# max(0, wait + j * interval) from Redis's time; when none is, it is how long to wait before asking again.
GATE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local pause_left = redis.call('PTTL', KEYS[2])
if pause_left < 0 then pause_left = 0 end
local interval = tonumber(ARGV[2])
if ARGV[1] == 'pause' then
  local wanted = tonumber(ARGV[5])
  if wanted > pause_left then
    redis.call('SET', KEYS[2], '1', 'PX', wanted)
    pause_left = wanted
  end
  local resume = now + pause_left * 1000
  local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
  if interval > 0 and tat < resume then
    redis.call('SET', KEYS[1], string.format('%d', resume), 'PX', pause_left + 60000)
  end
  return {0, 0, pause_left, now}
end
if pause_left > 0 then
  return {pause_left * 1000, 0, pause_left, now}
end
local wanted = tonumber(ARGV[6])
if interval == 0 then
  return {0, wanted, 0, now}
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local first = tat - tonumber(ARGV[3]) - now
local horizon = tonumber(ARGV[4])
if first > horizon then
  return {first - horizon, 0, 0, now}
end
local granted = math.min(wanted, math.floor((horizon - first) / interval) + 1)
local next_tat = tat + granted * interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 60000)
return {first, granted, 0, now}
"""

_LEAD = object()  # what a waiting caller is handed when it is its turn to ask Redis for everyone waiting


class RedisGate:
    """A gate held in Redis, shared by every process and machine that uses the same ``key``.

    Build it with ``from_url`` or around your own redis-py asyncio client (``Redis`` or ``RedisCluster``).

    Args:
        redis: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster`` client.
        key: The name of the shared budget: every process naming it shares one rate and one pause. Its keys are
            ``{key}:tat`` and ``{key}:pause`` (``key:tat``, ``key:pause`` when ``key`` holds a hash tag already).
        rate: Requests per second for all of them together (0.001 to 1,000,000); None for only the shared 429 pause.
        burst: As in ``LocalGate`` (1 to 1,000,000): default one second's worth; 1 spaces requests evenly.
        fail_open: When Redis cannot be reached, let requests through without the shared limit (a warning is
            logged once per outage) instead of raising ``GateUnavailableError`` (the default: fail closed).
        reserve_ahead: How far ahead, in seconds, slots may be granted in one round trip (0 to 3,600).
        sleep: What the gate waits with (default ``asyncio.sleep``).
        clock: What the gate reads to time the waits (default ``time.monotonic``); tests inject a manual clock.

    Raises:
        InvalidRequestError: An empty key, or a rate, burst or reserve_ahead outside the ranges above (nan and
            infinity included).
    """

    def __init__(
        self,
        redis: Redis | RedisCluster,
        *,
        key: str,
        rate: float | None = None,
        burst: float | None = None,
        fail_open: bool = False,
        reserve_ahead: float = 0.05,
        sleep: Sleep | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise InvalidRequestError("key", "must be a non-empty string naming the shared budget, e.g. 'sms-login'")
        reserve_ahead = in_range("reserve_ahead", reserve_ahead, RESERVE_AHEAD_RANGE, "seconds")
        self.rate, self.burst = check_shared_rate(rate, burst)
        self.key = key
        self.fail_open = bool(fail_open)
        self._redis: Any = redis
        self._owned = False
        self._script = Script(redis, GATE_SCRIPT)
        tag = hash_tagged(key)
        self._keys = [f"{tag}:tat", f"{tag}:pause"]
        interval = 0 if self.rate is None else round(1e6 / self.rate)
        size = self.burst if self.burst is not None else max(1.0, self.rate or 0.0)
        self._arguments = (interval, round((size - 1.0) * interval), round(reserve_ahead * 1e6))
        self._interval = interval / 1e6
        self._half_horizon = reserve_ahead / 2
        self._next_ask = -math.inf  # when the next call may grant several slots (before it, it would grant few)
        self._sleep = sleep or asyncio.sleep
        self._clock = clock or time.monotonic
        self._waiting: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._asking = False  # whether a caller is asking Redis for everyone waiting (the lead)
        self._local_pause_until = -math.inf
        self._outage = Outage(f"the shared gate {key!r}")

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key: str,
        rate: float | None = None,
        burst: float | None = None,
        fail_open: bool = False,
        reserve_ahead: float = 0.05,
        timeout: float = 2.0,
        ssl_ca_certs: str | os.PathLike[str] | None = None,
    ) -> RedisGate:
        """A gate on the Redis at ``url``, with its own connections (closed by ``aclose``).

        Args:
            url: ``redis://[user:password@]host:6379/0``, ``rediss://`` for TLS, ``redis+cluster://host:7000`` or
                ``rediss+cluster://`` for a Redis Cluster (see ``connect``).
            key: The name of the shared budget.
            rate: Requests per second for all processes together; None for only the pause.
            burst: How many requests may go at once after a quiet spell.
            fail_open: Let requests through when Redis cannot be reached (default: fail closed).
            reserve_ahead: How far ahead slots may be granted in one round trip, in seconds.
            timeout: Bound on each Redis call, in seconds (0.001 to 3,600).
            ssl_ca_certs: A CA bundle the server's certificate must chain to (TLS URLs only).

        Returns:
            The gate.

        Raises:
            InvalidRequestError: An invalid argument (see the class and ``connect``).
        """
        redis = connect(url, timeout=timeout, ssl_ca_certs=ssl_ca_certs)
        gate = cls(redis, key=key, rate=rate, burst=burst, fail_open=fail_open, reserve_ahead=reserve_ahead)
        gate._owned = True
        return gate

    def __repr__(self) -> str:
        return f"RedisGate(key={self.key!r}, rate={self.rate!r}, burst={self.burst!r}, fail_open={self.fail_open})"

    async def _ask(self, operation: str, pause_ms: int = 0, wanted: int = 1) -> tuple[float, int, float]:
        """One script call: (seconds, slots granted, seconds of shared pause left); see GATE_SCRIPT."""
        try:
            wait, granted, pause, _ = await self._script(
                keys=self._keys, args=[operation, *self._arguments, pause_ms, wanted]
            )
        except UNREACHABLE as error:
            raise GateUnavailableError(
                f"the shared gate {self.key!r} cannot reach Redis ({type(error).__name__}); "
                "nothing was sent (RedisGate(fail_open=True) would let requests through unlimited)"
            ) from error
        self._outage.reached()
        return int(wait) / 1e6, int(granted), int(pause) / 1000

    async def enter(self) -> None:
        """Wait for a slot in the shared budget (and for any pause, shared or local, to end).

        Raises:
            GateUnavailableError: Redis cannot be reached and the gate fails closed.
        """
        while True:
            while (local := self._local_pause_until - self._clock()) > _CLOCK_NOISE:
                await self._sleep(local)
            slot = await self._slot()
            if slot is None:  # fail open: through without the shared limit
                return
            if (wait := slot - self._clock()) > 0:
                await self._sleep(wait)
            if self._local_pause_until - self._clock() <= _CLOCK_NOISE:
                return
            # A 429 in this process paused the gate while this caller waited: its slot is void, ask again after.

    async def _slot(self) -> float | None:
        """When this caller may go (on ``clock``), or None: through unchecked (fail open)."""
        if self._asking:
            ticket: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiting.append(ticket)
            try:
                answer = await ticket
            except asyncio.CancelledError:
                # Its turn to ask may have come just as it was cancelled: then it passes the turn on.
                if ticket.done() and not ticket.cancelled() and ticket.exception() is None and ticket.result() is _LEAD:
                    self._pass_on()
                raise
            if answer is not _LEAD:
                return answer  # type: ignore[no-any-return]
        self._asking = True
        return await self._ask_for_everyone()

    async def _ask_for_everyone(self) -> float | None:
        """Ask Redis for slots for this caller and those waiting, until this caller has its own; hand the others
        theirs, then pass the asking on to the next caller still waiting."""
        try:
            while True:
                if (early := self._next_ask - self._clock()) > 0:
                    await self._sleep(early)
                wanted = 1 + sum(1 for ticket in self._waiting if not ticket.done())
                try:
                    first, granted, pause = await self._ask("enter", wanted=min(wanted, MAX_BATCH))
                except GateUnavailableError as error:
                    self._share_failure(error)  # raises, unless the gate fails open: then through unchecked
                    return None
                now = self._clock()
                if pause > 0:
                    # A pause set by another process: the slots this one holds are void too (see enter).
                    self._local_pause_until = max(self._local_pause_until, now + pause)
                    await self._sleep(pause)
                    continue
                if not granted:
                    # No slot within reserve_ahead: ask again when half of it is free, so that a call grants several.
                    self._next_ask = now + first + self._half_horizon
                    continue
                # The slots after these are not within reach before the TAT they leave is half a horizon away.
                self._next_ask = now + first + granted * self._interval - self._half_horizon
                for number in range(1, granted):
                    ticket = self._next_waiting()
                    if ticket is None:
                        break
                    ticket.set_result(now + max(0.0, first + number * self._interval))
                return now + max(0.0, first)
        finally:
            self._pass_on()

    def _next_waiting(self) -> asyncio.Future[Any] | None:
        while self._waiting:
            ticket = self._waiting.popleft()
            if not ticket.done():
                return ticket
        return None

    def _pass_on(self) -> None:
        ticket = self._next_waiting()
        if ticket is None:
            self._asking = False
        else:
            ticket.set_result(_LEAD)

    def _share_failure(self, error: GateUnavailableError) -> None:
        """Redis could not be asked: this caller and every caller waiting get the same outcome at once: the error
        (fail closed), or through without the shared limit (fail open, a warning logged once per outage)."""
        while (ticket := self._next_waiting()) is not None:
            if self.fail_open:
                ticket.set_result(None)
            else:
                shared = GateUnavailableError(str(error))
                shared.__cause__ = error.__cause__
                ticket.set_exception(shared)
        if not self.fail_open:
            raise error
        self._outage.failed(error, "fail_open: sending without the shared limit")

    async def pause(self, seconds: float) -> None:
        """A 429: hold every process on this key back for ``seconds`` (a longer pause already set wins).

        Args:
            seconds: How long, from now.
        """
        self._local_pause_until = max(self._local_pause_until, self._clock() + seconds)
        try:
            await self._ask("pause", max(1, math.ceil(seconds * 1000)))
        except GateUnavailableError as error:
            logger.warning("%s; the pause holds this process only", error)

    async def aclose(self) -> None:
        """Close the Redis connections, if ``from_url`` made them."""
        if self._owned:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisGate:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
