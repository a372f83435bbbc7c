"""Bulk PIN dispatch: ``TwoFactorClient.send_many``.

- The input is consumed lazily by ``concurrency`` workers, and at most ``window`` items are between being taken
  from the input and being handed to the caller, so memory follows ``concurrency``, not the input's size.
- Every input gives exactly one BulkResult: a failure (or an invalid item) is a result, never a stop.
- One gate is shared by the workers (``_gate``): a rate budget, and a common pause after a 429, so the workers wait
  out a rate limit together instead of each finding it on its own.
- Retries follow the client's policy (``_retry.decide``), so nothing is sent twice unless ``retry_unsafe``.

This module gets what it needs to send, the transport's ``call`` and the API version, not the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

import attrs

from ._endpoints.channels import Channel, send_pin_request
from ._exceptions import InfobipError, InvalidRequestError
from ._gate import Gate, LocalGate
from ._models import PinSent
from ._options import Sleep
from ._request import Call

__all__ = ["BulkResult", "SendPinRequest", "send_many"]

Progress = Callable[[int, "int | None", int, int], None]
BeforeSend = Callable[[int, "SendPinRequest"], "Awaitable[None] | None"]


@attrs.frozen
class SendPinRequest:
    """One PIN to send in bulk: the arguments of ``send_pin``, and the channel.

    Attributes:
        application_id: The 2FA application.
        message_id: The message template.
        to: The phone number.
        from_: A sender overriding the template's.
        placeholders: Values for the template's placeholders.
        track_delivery: Whether Infobip should track the delivery.
        nc_needed: Whether to run a Number Lookup first (SMS only).
        channel: ``"sms"`` or ``"voice"``.
    """

    application_id: str
    message_id: str
    to: str
    from_: str | None = None
    placeholders: dict[str, str] | None = None
    track_delivery: bool | None = None
    nc_needed: bool | None = None
    channel: Channel = "sms"


@attrs.frozen
class BulkResult:
    """The outcome of one input: ``result`` when it was sent, ``error`` when not (exactly one is set).

    Attributes:
        index: The input's position (0 = the first item).
        request: The input itself (a ``SendPinRequest``, or whatever invalid item was given).
        result: The answer, when the PIN was sent (see ``PinSent.message_sent``).
        error: The typed error, when it was not; its ``maybe_sent`` says whether it may have gone out anyway.
    """

    index: int
    request: Any
    result: PinSent | None = None
    error: InfobipError | None = None

    @property
    def ok(self) -> bool:
        """Whether the PIN was sent."""
        return self.error is None


async def _one(
    call: Call, api_version: int, index: int, item: object, gate: Gate, before_send: BeforeSend | None
) -> BulkResult:
    if not isinstance(item, SendPinRequest):
        error = InvalidRequestError(f"requests[{index}]", f"must be a SendPinRequest, not {type(item).__name__}")
        return BulkResult(index, item, error=error)
    try:
        request = send_pin_request(
            api_version,
            item.channel,
            application_id=item.application_id,
            message_id=item.message_id,
            to=item.to,
            from_=item.from_,
            placeholders=item.placeholders,
            track_delivery=item.track_delivery,
            nc_needed=item.nc_needed,
        )
        hook = None if before_send is None else (lambda: before_send(index, item))
        sent = await call(request, gate=gate, before_send=hook)
    except InfobipError as error:
        return BulkResult(index, item, error=error)
    except Exception as error:  # a bug of ours must not lose the item either
        wrapped = InfobipError(f"unexpected {type(error).__name__} while sending item {index}: {error}")
        wrapped.__cause__ = error
        return BulkResult(index, item, error=wrapped)
    return BulkResult(index, item, result=sent)


def send_many(
    call: Call,
    api_version: int,
    requests: Iterable[Any] | AsyncIterable[Any],
    *,
    concurrency: int,
    rate: float | None,
    burst: float | None,
    gate: Gate | None,
    ordered: bool,
    on_progress: Progress | None,
    before_send: BeforeSend | None,
    clock: Callable[[], float],
    sleep: Sleep,
) -> AsyncIterator[BulkResult]:
    """The body of ``TwoFactorClient.send_many`` (see there): checks the options now, then dispatches lazily."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidRequestError("concurrency", f"must be a whole number >= 1, not {concurrency!r}")
    if gate is not None:
        if not isinstance(gate, Gate):
            raise InvalidRequestError("gate", f"must be a Gate (LocalGate, RedisGate, ...), not {type(gate).__name__}")
        if rate is not None or burst is not None:
            raise InvalidRequestError("rate", "give rate/burst or a gate, not both: the gate holds the rate")
    else:
        gate = LocalGate(rate, burst=burst, clock=clock, sleep=sleep)
    total = len(requests) if hasattr(requests, "__len__") else None  # type: ignore[arg-type]
    if isinstance(requests, AsyncIterable):
        source: AsyncIterator[Any] = aiter(requests)
    elif isinstance(requests, Iterable):
        source = _as_async(iter(requests))
    else:
        raise InvalidRequestError(
            "requests", f"must be an iterable or async iterable of SendPinRequest, not {type(requests).__name__}"
        )
    return _dispatch(call, api_version, source, total, concurrency, gate, ordered, on_progress, before_send)


async def _dispatch(
    call: Call,
    api_version: int,
    source: AsyncIterator[Any],
    total: int | None,
    concurrency: int,
    gate: Gate,
    ordered: bool,
    on_progress: Progress | None,
    before_send: BeforeSend | None,
) -> AsyncIterator[BulkResult]:
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
                finished.put_nowait(await _one(call, api_version, index, item, gate, before_send))
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
