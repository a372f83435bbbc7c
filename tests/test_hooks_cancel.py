"""Hooks and OpenTelemetry when a call does not end by returning or raising an InfobipError: cancelled (a timeout
around it), or watched by two OpenTelemetryHooks at once; and hooks that could never run (``async def``)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.trace import StatusCode

from infobip_2fa_async import CallFinished, ConfigurationError, Hook, ResponseReceived, TwoFactorClient

from .conftest import API_KEY, SENT_JSON, make_client
from .test_hooks import Recorder
from .test_otel import Telemetry

SEND = {"application_id": "A", "message_id": "M", "to": "41793026727"}


class Stalled:
    """An API that answers the first request never (until cancelled), and every later one at once."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.requests = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests == 1:
            self.reached.set()
            await asyncio.Event().wait()  # never set: only a cancellation ends this
        return httpx.Response(200, json=SENT_JSON)


async def test_a_cancelled_call_ends_for_the_hooks() -> None:
    stalled, recorder = Stalled(), Recorder()
    async with make_client(stalled, hooks=[recorder]) as client:
        task = asyncio.ensure_future(client.send_pin(**SEND))
        await stalled.reached.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    kinds = [type(event).__name__ for event in recorder.events]
    assert kinds == ["CallStarted", "RequestSent", "ResponseReceived", "CallFinished"]
    received, finished = recorder.events[2:]
    assert isinstance(received, ResponseReceived)
    assert (received.status, received.error_type) == (None, "CancelledError")
    assert isinstance(finished, CallFinished)
    assert (finished.outcome, finished.error_type, finished.attempts) == ("cancelled", "CancelledError", 1)
    assert finished.maybe_sent is True, "the request was out when it was cancelled: it may have been acted on"


async def test_a_call_cancelled_before_any_attempt_went_out_was_not_sent() -> None:
    recorder = Recorder()
    entered = asyncio.Event()

    class Held:
        async def enter(self) -> None:
            entered.set()
            await asyncio.Event().wait()

        async def pause(self, seconds: float) -> None:
            raise AssertionError("not reached")

        async def remaining(self) -> float:
            return 0.0

    async with make_client(Stalled(), hooks=[recorder], gate=Held()) as client:
        task = asyncio.ensure_future(client.send_pin(**SEND))
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finished = recorder.events[-1]
    assert (finished.outcome, finished.attempts, finished.maybe_sent) == ("cancelled", 0, False)


async def test_a_cancelled_call_ends_its_span_and_a_later_call_is_not_its_child() -> None:
    telemetry, stalled = Telemetry(), Stalled()
    async with make_client(stalled, hooks=[telemetry.hooks]) as client:
        # The call runs in this very task and is cancelled there, as ``asyncio.timeout(5)`` around it does when
        # it fires (here once the request is out, without waiting for real).
        this_task = asyncio.current_task()
        assert this_task is not None

        async def fire_once_out() -> None:
            await stalled.reached.wait()
            this_task.cancel()

        firing = asyncio.ensure_future(fire_once_out())
        with pytest.raises(asyncio.CancelledError):
            await client.send_pin(**SEND)
        if sys.version_info >= (3, 11):
            this_task.uncancel()  # what asyncio.timeout does as it turns the cancellation into TimeoutError
        await firing
        assert not trace.get_current_span().get_span_context().is_valid, "the dead span is no longer current"
        await client.send_pin(**SEND)
    cancelled, later = telemetry.spans.get_finished_spans()
    assert cancelled.status.status_code is StatusCode.ERROR
    assert cancelled.attributes["error.type"] == "CancelledError"
    assert later.parent is None, "a later call in the same task is a root span, not a child of the cancelled one"
    assert later.status.status_code is StatusCode.UNSET
    (call,) = [p for p in telemetry.points("infobip_2fa.client.call.duration")
               if p.attributes["infobip_2fa.outcome"] == "cancelled"]  # fmt: skip
    assert call.attributes["error.type"] == "CancelledError"
    attempts = telemetry.points("http.client.request.duration")
    assert sorted(str(dict(p.attributes).get("error.type")) for p in attempts) == ["CancelledError", "None"]


async def test_cancelled_calls_leave_nothing_behind_in_the_hooks() -> None:
    telemetry = Telemetry()
    for _ in range(3):
        stalled = Stalled()
        async with make_client(stalled, hooks=[telemetry.hooks]) as client:
            task = asyncio.ensure_future(client.send_pin(**SEND))
            await stalled.reached.wait()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert len(telemetry.spans.get_finished_spans()) == 3
    assert telemetry.hooks._calls == {}, "one entry kept per cancelled call: a leak in a long-running service"


async def test_two_opentelemetry_hooks_leave_no_span_current_after_the_call() -> None:
    first, second = Telemetry(), Telemetry()
    async with make_client(lambda request: httpx.Response(200, json=SENT_JSON),
                           hooks=[first.hooks, second.hooks]) as client:  # fmt: skip
        await client.send_pin(**SEND)
        assert not trace.get_current_span().get_span_context().is_valid, "an ended span stayed current"
        await client.send_pin(**SEND)
    for telemetry in (first, second):
        one, two = telemetry.spans.get_finished_spans()
        assert two.context.trace_id != one.context.trace_id, "the second call was nested under the first"


def test_an_async_hook_method_is_refused_when_the_client_is_built() -> None:
    class Exporter(Hook):
        async def on_call_finished(self, event: CallFinished) -> None:  # type: ignore[override]
            pass

    with pytest.raises(ConfigurationError, match="synchronous") as raised:
        TwoFactorClient(API_KEY, hooks=[Exporter()])
    assert "on_call_finished" in str(raised.value)


def test_an_async_generator_hook_method_is_refused_too() -> None:
    class Streamer(Hook):
        async def on_call_started(self, event: Any) -> Any:  # type: ignore[override]
            yield event

    with pytest.raises(ConfigurationError, match="synchronous"):
        TwoFactorClient(API_KEY, hooks=[Streamer()])
