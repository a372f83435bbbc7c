"""Bulk PIN dispatch: ``TwoFactorClient.send_many``.

- The input is consumed lazily by ``concurrency`` workers, and at most ``window`` items are between being taken
  from the input and being handed to the caller, so memory follows ``concurrency``, not the input's size.
- Every input gives exactly one BulkResult: a failure (or an invalid item) is a result, never a stop.
- One Gate is shared by the workers: a token bucket for ``rate``, and a common pause after a 429, so the
  workers wait out a rate limit together instead of each finding it on its own.
- Retries follow the client's policy (``_retry.decide``), so nothing is sent twice unless ``retry_unsafe``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ._exceptions import InfobipError, InvalidRequestError
from ._models import PinSent
from ._options import Sleep

if TYPE_CHECKING:
    from ._client import TwoFactorClient

__all__ = ["BulkResult", "Gate", "SendPinRequest", "send_many"]

Progress = Callable[[int, "int | None", int, int], None]


@attrs.frozen
class SendPinRequest:
    """One PIN to send in bulk: the arguments of ``send_pin``, and the channel (``"sms"`` or ``"voice"``)."""

    application_id: str
    message_id: str
    to: str
    from_: str | None = None
    placeholders: dict[str, str] | None = None
    track_delivery: bool | None = None
    nc_needed: bool | None = None
    channel: Literal["sms", "voice"] = "sms"


@attrs.frozen
class BulkResult:
    """The outcome of one input: ``result`` when it was sent, ``error`` when not (exactly one is set)."""

    index: int
    request: Any
    result: PinSent | None = None
    error: InfobipError | None = None

    @property
    def ok(self) -> bool:
        """Whether the PIN was sent."""
        return self.error is None


class Gate:
    """What every attempt of a bulk run passes first: the shared pause after a 429, then the rate limit.

    The rate limit is a token bucket (burst: one second's worth) kept as GCRA, a "theoretical arrival time", so
    each attempt sleeps at most once. Not aiolimiter: this one runs on the client's injected clock and sleep, so
    tests and the 429 pause move the same time, and the pause holds back the same queue of workers.
    """

    def __init__(self, rate: float | None, clock: Callable[[], float], sleep: Sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._interval = None if rate is None else 1.0 / rate
        burst = max(1.0, rate or 0.0)
        self._tolerance = 0.0 if self._interval is None else (burst - 1.0) * self._interval
        self._arrival = -math.inf  # when the next attempt is due if the bucket were empty
        self._paused_until = -math.inf
        self._lock = asyncio.Lock()

    def remaining(self) -> float:
        """Seconds left in the current pause (0 when there is none)."""
        return max(self._paused_until - self._clock(), 0.0)

    def pause(self, seconds: float) -> None:
        """A 429 answered: hold every worker back for ``seconds`` from now (a longer pause already set wins)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def enter(self) -> None:
        """Wait for the pause to end and for the rate limit; one worker at a time waits, the others queue."""
        if self._interval is None and self._clock() >= self._paused_until:
            return
        async with self._lock:
            # A pause can grow while we sleep (another 429); below a millisecond is float noise, not a pause.
            while (wait := self._paused_until - self._clock()) > 1e-3:
                await self._sleep(wait)
            if self._interval is None:
                return
            now = self._clock()
            arrival = max(self._arrival, now)
            allowed_at = arrival - self._tolerance
            if allowed_at > now:
                await self._sleep(allowed_at - now)
            self._arrival = arrival + self._interval


def _check_options(concurrency: object, rate: object) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidRequestError("concurrency", f"must be a whole number >= 1, not {concurrency!r}")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0):
        raise InvalidRequestError("rate", f"must be a number of requests per second > 0, or None, not {rate!r}")


async def _one(client: TwoFactorClient, index: int, item: object, gate: Gate) -> BulkResult:
    if not isinstance(item, SendPinRequest):
        error = InvalidRequestError(f"requests[{index}]", f"must be a SendPinRequest, not {type(item).__name__}")
        return BulkResult(index, item, error=error)
    try:
        sent = await client._send_one(item, gate)
    except InfobipError as error:
        return BulkResult(index, item, error=error)
    except Exception as error:  # a bug of ours must not lose the item either
        wrapped = InfobipError(f"unexpected {type(error).__name__} while sending item {index}: {error}")
        wrapped.__cause__ = error
        return BulkResult(index, item, error=wrapped)
    return BulkResult(index, item, result=sent)


async def send_many(
    client: TwoFactorClient,
    requests: Iterable[Any] | AsyncIterable[Any],
    *,
    concurrency: int,
    rate: float | None,
    ordered: bool,
    on_progress: Progress | None,
    clock: Callable[[], float],
    sleep: Sleep,
) -> AsyncIterator[BulkResult]:
    """The body of ``TwoFactorClient.send_many`` (see there)."""
    _check_options(concurrency, rate)
    total = len(requests) if hasattr(requests, "__len__") else None  # type: ignore[arg-type]
    if isinstance(requests, AsyncIterable):
        source: AsyncIterator[Any] = aiter(requests)
    else:
        source = _as_async(iter(requests))
    gate = Gate(rate, clock, sleep)
    # Items between being taken from the input and being yielded: in flight, queued or waiting for their turn.
    window = asyncio.Semaphore(concurrency * 2)
    finished: asyncio.Queue[BulkResult | BaseException | None] = asyncio.Queue()
    take_lock = asyncio.Lock()
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        try:
            while True:
                await window.acquire()
                async with take_lock:
                    try:
                        item = await anext(source)
                    except StopAsyncIteration:
                        window.release()
                        return
                    index = next_index
                    next_index += 1
                finished.put_nowait(await _one(client, index, item, gate))
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # the input itself failed: hand it to the caller
            finished.put_nowait(error)
        finally:
            finished.put_nowait(None)  # this worker is done

    workers = [asyncio.ensure_future(worker()) for _ in range(concurrency)]
    running = len(workers)
    held: dict[int, BulkResult] = {}
    to_yield = 0
    done = succeeded = failed = 0
    try:
        while running or held:
            if ordered and to_yield in held:
                outcome: BulkResult | BaseException | None = held.pop(to_yield)
            elif running:
                outcome = await finished.get()
            else:
                break
            if outcome is None:
                running -= 1
                continue
            if isinstance(outcome, BaseException):
                raise outcome
            if ordered and outcome.index != to_yield:
                held[outcome.index] = outcome
                continue
            to_yield += 1
            done += 1
            succeeded += outcome.ok
            failed += not outcome.ok
            window.release()
            if on_progress is not None:
                on_progress(done, total, succeeded, failed)
            yield outcome
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def _as_async(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item
