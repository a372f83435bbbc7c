"""``RedisGate``: one rate budget and one 429 pause for every process that names the same key.

One Lua script decides everything on the server, reading Redis's own clock (``TIME``), so machines with skewed
clocks agree:

- ``enter`` is GCRA (the algorithm of redis-cell): a "theoretical arrival time" (TAT) per key. A caller whose slot is
  at most ``reserve_ahead`` seconds away reserves it in the same call and sleeps until it: one round trip per send.
  Within a process, one caller at a time asks Redis (the others queue on a lock, as in ``LocalGate``), so each
  process holds at most one reserved slot, a few milliseconds ahead, and a slot further off than ``reserve_ahead``
  is asked for again when it comes within reach. When a call fails (Redis down, or silent until the timeout), every
  caller that queued while it was made shares its outcome at once instead of asking in turn: a hung Redis costs each
  waiting caller at most one timeout.
- ``pause`` sets a key with a millisecond expiry that is only ever lengthened, and moves the TAT past it, so no slot
  is handed out inside a pause. Slots reserved just before it (one per process, at most ``reserve_ahead`` ahead)
  still go out; a 429 refuses them too (nothing is done), and they wait out the same pause.

If Redis cannot be reached: by default ``enter`` raises ``GateUnavailableError`` (fail closed: nothing is sent
while the shared budget cannot be checked); with ``fail_open=True`` requests go through unlimited, with a warning
logged once per outage. A failed ``pause`` always holds this process back for the pause locally.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from .._exceptions import GateUnavailableError, InvalidRequestError
from .._options import Sleep

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisGate", "check_shared_rate"]

logger = logging.getLogger("infobip_2fa_async")

# What the script can hold: Lua numbers are doubles, exact to 2**53 µs (285 years of UNIX time), and every time it
# computes (now + burst window + reserve_ahead + interval) must stay well inside that.
RATE_RANGE = (1e-3, 1e6)  # requests per second: one every 1,000 s to one per µs
BURST_RANGE = (1.0, 1e6)  # requests
RESERVE_AHEAD_RANGE = (0.0, 3600.0)  # seconds
TIMEOUT_RANGE = (1e-3, 3600.0)  # seconds


def in_range(argument: str, value: object, accepted: tuple[float, float], what: str) -> float:
    """``value`` as a float if it is a number within ``accepted`` (bounds included), else InvalidRequestError."""
    low, high = accepted
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        shown = (f"{bound:,.0f}" if bound >= 1 and bound == int(bound) else f"{bound:g}" for bound in accepted)
        raise InvalidRequestError(argument, f"must be a number of {what} from {next(shown)} to {next(shown)}, "
                                            f"not {value!r}")  # fmt: skip
    return float(value)


def check_shared_rate(rate: object, burst: object) -> tuple[float | None, float | None]:
    """Validate a shared gate's ``rate`` and ``burst`` (also before a campaign stores them for its workers).

    Returns:
        ``(rate, burst)`` as floats (None where not given).

    Raises:
        InvalidRequestError: Either is not a number in the range the gate can hold (rate: 0.001 to 1,000,000
            requests per second; burst: 1 to 1,000,000 requests), or a burst is given without a rate.
    """
    checked_rate = None if rate is None else in_range("rate", rate, RATE_RANGE, "requests per second")
    checked_burst = None if burst is None else in_range("burst", burst, BURST_RANGE, "requests")
    if checked_burst is not None and checked_rate is None:
        raise InvalidRequestError("burst", "applies to a rate: give rate= too, or leave burst out")
    return checked_rate, checked_burst


# KEYS: tat, pause. ARGV: operation ("enter", "pause" or "peek"), interval µs, tolerance µs, reserve-ahead µs,
# pause ms.
# Returns {wait µs, reserved (1) or not (0), pause left ms, Redis's time µs}.
GATE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local pause_left = redis.call('PTTL', KEYS[2])
if pause_left < 0 then pause_left = 0 end
if ARGV[1] == 'peek' then
  return {0, 0, pause_left, now}
end
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
if interval == 0 then
  return {0, 1, 0, now}
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tonumber(ARGV[3]) - now
if wait > tonumber(ARGV[4]) then
  return {wait - tonumber(ARGV[4]), 0, 0, now}
end
if wait < 0 then wait = 0 end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000) + 60000)
return {wait, 1, 0, now}
"""


class RedisGate:
    """A gate held in Redis, shared by every process and machine that uses the same ``key``.

    Build it with ``from_url`` or around your own ``redis.asyncio.Redis`` client.

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        key: The name of the shared budget: every process naming it shares one rate and one pause.
        rate: Requests per second for all of them together (0.001 to 1,000,000); None for only the shared 429 pause.
        burst: As in ``LocalGate`` (1 to 1,000,000): default one second's worth; 1 spaces requests evenly.
        fail_open: When Redis cannot be reached, let requests through without the shared limit (a warning is
            logged once per outage) instead of raising ``GateUnavailableError`` (the default: fail closed).
        reserve_ahead: How far ahead, in seconds, a slot may be reserved in the same round trip (0 to 3,600).
        sleep: What the gate waits with (default ``asyncio.sleep``).

    Attributes:
        calls: How many times this gate asked Redis.
        last_slot: When the latest slot this gate was granted opened, in Redis's clock (UNIX seconds).

    Raises:
        InvalidRequestError: An empty key, or a rate, burst or reserve_ahead outside the ranges above (nan and
            infinity included).
    """

    def __init__(
        self,
        redis: Redis,
        *,
        key: str,
        rate: float | None = None,
        burst: float | None = None,
        fail_open: bool = False,
        reserve_ahead: float = 0.05,
        sleep: Sleep | None = None,
    ) -> None:
        if not isinstance(key, str) or not key:
            raise InvalidRequestError("key", "must be a non-empty string naming the shared budget, e.g. 'sms-login'")
        reserve_ahead = in_range("reserve_ahead", reserve_ahead, RESERVE_AHEAD_RANGE, "seconds")
        self.rate, self.burst = check_shared_rate(rate, burst)
        self.key = key
        self.fail_open = bool(fail_open)
        self.calls = 0
        """How many times this gate asked Redis (the benchmark's round trips)."""
        self.last_slot: float | None = None
        """When the latest slot this gate was granted opened, in Redis's clock (UNIX seconds)."""
        self._redis = redis
        self._owned = False
        self._script = redis.register_script(GATE_SCRIPT)
        self._keys = [f"{key}:tat", f"{key}:pause"]
        interval = 0.0 if self.rate is None else 1.0 / self.rate
        size = self.burst if self.burst is not None else max(1.0, self.rate or 0.0)
        self._arguments = (round(interval * 1e6), round((size - 1.0) * interval * 1e6), round(reserve_ahead * 1e6))
        self._sleep = sleep or asyncio.sleep
        self._lock: asyncio.Lock | None = None
        self._local_pause_until = -math.inf
        self._outage_logged = False
        self._failures = 0  # Redis calls that failed so far; the latest one's error:
        self._failure: GateUnavailableError | None = None

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
    ) -> RedisGate:
        """A gate on the Redis at ``url``, with its own connections (closed by ``aclose``).

        Args:
            url: ``redis://host:6379/0`` (``rediss://`` for TLS).
            key: The name of the shared budget.
            rate: Requests per second for all processes together; None for only the pause.
            burst: How many requests may go at once after a quiet spell.
            fail_open: Let requests through when Redis cannot be reached (default: fail closed).
            reserve_ahead: How far ahead a slot may be reserved in one round trip, in seconds.
            timeout: Bound on each Redis call, in seconds (0.001 to 3,600).

        Returns:
            The gate.

        Raises:
            InvalidRequestError: An invalid argument (see the class).
        """
        from redis.asyncio import Redis

        timeout = in_range("timeout", timeout, TIMEOUT_RANGE, "seconds")
        redis = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        gate = cls(redis, key=key, rate=rate, burst=burst, fail_open=fail_open, reserve_ahead=reserve_ahead)
        gate._owned = True
        return gate

    def __repr__(self) -> str:
        return f"RedisGate(key={self.key!r}, rate={self.rate!r}, burst={self.burst!r}, fail_open={self.fail_open})"

    async def _ask(self, operation: str, pause_ms: int = 0) -> tuple[float, bool, float]:
        """One script call: (seconds to wait, whether a slot was reserved, seconds of pause left)."""
        from redis.exceptions import RedisError

        self.calls += 1
        try:
            wait, reserved, pause, now = await self._script(
                keys=self._keys, args=[operation, *self._arguments, pause_ms]
            )
        except (RedisError, OSError) as error:
            raise GateUnavailableError(
                f"the shared gate {self.key!r} cannot reach Redis ({type(error).__name__}); "
                "nothing was sent (RedisGate(fail_open=True) would let requests through unlimited)"
            ) from error
        if self._outage_logged:
            logger.warning("the shared gate %r reaches Redis again", self.key)
            self._outage_logged = False
        if reserved:
            self.last_slot = (int(now) + int(wait)) / 1e6
        return int(wait) / 1e6, bool(reserved), int(pause) / 1000

    async def enter(self) -> None:
        """Wait for a slot in the shared budget (and for any pause, shared or local, to end).

        Raises:
            GateUnavailableError: Redis cannot be reached and the gate fails closed.
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        failures = self._failures
        async with self._lock:
            while (local := self._local_pause_until - time.monotonic()) > 1e-3:
                await self._sleep(local)
            while True:
                if self._failures != failures and self._failure is not None:
                    # A call made while this caller queued failed just now: the same outcome, not another timeout.
                    shared = GateUnavailableError(str(self._failure))
                    shared.__cause__ = self._failure.__cause__
                    self._unavailable(shared)
                    return
                try:
                    wait, reserved, _ = await self._ask("enter")
                except GateUnavailableError as error:
                    self._failures += 1
                    self._failure = error
                    self._unavailable(error)
                    return
                if wait > 0:
                    await self._sleep(wait)
                if reserved:
                    return

    def _unavailable(self, error: GateUnavailableError) -> None:
        """Redis could not be asked: raise (fail closed), or let this request through and warn once (fail open)."""
        if not self.fail_open:
            raise error
        if not self._outage_logged:
            logger.warning("%s; fail_open: sending without the shared limit", error)
            self._outage_logged = True

    async def pause(self, seconds: float) -> None:
        """A 429: hold every process on this key back for ``seconds`` (a longer pause already set wins).

        Args:
            seconds: How long, from now.
        """
        self._local_pause_until = max(self._local_pause_until, time.monotonic() + seconds)
        try:
            await self._ask("pause", max(1, math.ceil(seconds * 1000)))
        except GateUnavailableError as error:
            logger.warning("%s; the pause holds this process only", error)

    async def remaining(self) -> float:
        """Seconds left in the shared pause (0 when there is none)."""
        local = max(self._local_pause_until - time.monotonic(), 0.0)
        try:
            _, _, pause = await self._ask("peek")
        except GateUnavailableError:
            return local
        return max(pause, local)

    async def reset(self) -> None:
        """Forget the budget and any pause (for tests and new campaigns)."""
        await self._redis.delete(*self._keys)
        self._local_pause_until = -math.inf

    async def aclose(self) -> None:
        """Close the Redis connections, if ``from_url`` made them."""
        if self._owned:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisGate:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
