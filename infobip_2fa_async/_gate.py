"""The gate: what every attempt passes before it goes out, so that many callers share one rate budget and one pause.

``Gate`` is the interface the transport knows. Two implementations:

- ``LocalGate``: in this process (a GCRA bucket on the event loop's clock); ``send_many`` makes one per run;
- ``infobip_2fa_async.redis.RedisGate``: in Redis, shared by every process and machine that names the same key.

A gate is handed to ``TwoFactorClient(gate=...)`` (every request of that client passes it) or to
``send_many(gate=...)`` (the requests of that run). The transport calls ``enter()`` before each attempt and
``pause(seconds)`` after a 429, instead of sleeping alone, so that all callers wait the limit out together.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from ._exceptions import InfobipError, InvalidRequestError, QuotaExceededError, RateLimitError
from ._options import Sleep
from ._retry import RetryPolicy, is_throttle

__all__ = ["Gate", "LocalGate", "check_rate", "share_rate_limit"]

logger = logging.getLogger("infobip_2fa_async")

#: What is left of a pause below this many seconds is float noise from adding and subtracting clock readings, not a
#: pause to wait out.
_CLOCK_NOISE = 1e-3


@runtime_checkable
class Gate(Protocol):
    """A shared rate budget and a shared pause after a 429."""

    async def enter(self) -> None:
        """Wait until one more request may go out: any pause is over and the rate allows it."""
        ...

    async def pause(self, seconds: float) -> None:
        """A 429 was answered: hold every request through this gate back for ``seconds`` from now.

        A pause only ever grows: a shorter one than the pause already in force changes nothing.
        """
        ...


async def share_rate_limit(
    gates: Sequence[Gate], policy: RetryPolicy, error: RateLimitError
) -> QuotaExceededError | None:
    """What a 429 means for everyone sharing ``gates``, decided where it is answered, whether or not the call will
    retry it: a throttle (``is_throttle``) pauses every gate for its ``Retry-After`` (``initial_delay`` without one)
    and None is returned (raise the 429 as it is); a quota pauses nobody and becomes the QuotaExceededError to raise.
    """
    if not is_throttle(policy, error):
        return QuotaExceededError.of(error, now=time.time())
    seconds = policy.initial_delay if error.retry_after is None else max(error.retry_after, 0.0)
    for gate in gates:
        try:
            await gate.pause(seconds)
        except InfobipError as failure:  # a shared gate that cannot be told: the 429 is still what happened
            logger.warning("could not share a 429 pause through %r: %s", gate, failure)
    return None


def check_rate(rate: object, burst: object) -> tuple[float | None, float | None]:
    """Validate ``rate`` (requests per second > 0, or None) and ``burst`` (requests >= 1, or None).

    Raises:
        InvalidRequestError: Either is invalid.
    """
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < math.inf):
        raise InvalidRequestError("rate", f"must be a number of requests per second > 0, or None, not {rate!r}")
    if burst is not None:
        if isinstance(burst, bool) or not isinstance(burst, (int, float)) or not 1 <= burst < math.inf:
            raise InvalidRequestError("burst", f"must be a number of requests >= 1, or None, not {burst!r}")
        if rate is None:
            raise InvalidRequestError("burst", "applies to a rate: give rate= too, or leave burst out")
    if rate is not None and not math.isfinite((float(burst or 1.0)) / rate):  # e.g. rate=1e-320: no finite spacing
        raise InvalidRequestError("rate", f"is too small to space requests: {rate!r} per second")
    return (None if rate is None else float(rate)), (None if burst is None else float(burst))


class LocalGate:
    """A gate held in this process: the rate as a GCRA token bucket, and the pause after a 429.

    GCRA keeps a single "theoretical arrival time", so each request sleeps at most once.

    Args:
        rate: Requests per second; None for no rate limit, only the shared pause.
        burst: How many requests may go at once after a quiet spell (default one second's worth, ``max(1, rate)``);
            1 spaces every request ``1/rate`` apart.
        clock: What the gate reads (default ``time.monotonic``); tests inject a manual clock.
        sleep: What the gate waits with (default ``asyncio.sleep``).

    Raises:
        InvalidRequestError: ``rate`` or ``burst`` is not a positive, finite number (or ``burst`` without a rate).
    """

    def __init__(
        self,
        rate: float | None = None,
        *,
        burst: float | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        import asyncio  # here, not at the top: `import infobip_2fa_async` stays light

        self.rate, self.burst = check_rate(rate, burst)
        self._clock = clock or time.monotonic
        self._sleep = sleep or asyncio.sleep
        self._interval = None if self.rate is None else 1.0 / self.rate
        size = self.burst if self.burst is not None else max(1.0, self.rate or 0.0)
        self._tolerance = 0.0 if self._interval is None else (size - 1.0) * self._interval
        self._arrival = -math.inf  # when the next request is due if the bucket were empty
        self._paused_until = -math.inf
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"LocalGate(rate={self.rate!r}, burst={self.burst!r})"

    async def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` from now (a longer pause already set wins)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def enter(self) -> None:
        """Wait for the pause to end and for the rate limit; one caller at a time waits, the others queue."""
        if self._interval is None and self._clock() >= self._paused_until:
            return
        async with self._lock:
            # A pause can grow while we sleep (another 429).
            while (wait := self._paused_until - self._clock()) > _CLOCK_NOISE:
                await self._sleep(wait)
            if self._interval is None:
                return
            now = self._clock()
            arrival = max(self._arrival, now)
            allowed_at = arrival - self._tolerance
            if allowed_at > now:
                await self._sleep(allowed_at - now)
            self._arrival = arrival + self._interval
