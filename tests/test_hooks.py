"""Instrumentation hooks: the events a production team sees, in order, with plain data and never a secret."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import respx

from infobip_2fa_async import (
    CallFinished,
    CallStarted,
    ConfigurationError,
    Hook,
    QuotaExceededError,
    RequestNotSentError,
    RequestSent,
    ResponseReceived,
    RetryPolicy,
    RetryScheduled,
    TwoFactorClient,
)

from .conftest import API_KEY, BASE_URL, PIN_ID, SENT_JSON, VERIFIED_JSON, RecordingSleep, legacy_error

PHONE = "41793026727"


class Recorder(Hook):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_call_started(self, event: CallStarted) -> None:
        self.events.append(event)

    def on_request_sent(self, event: RequestSent) -> None:
        self.events.append(event)

    def on_response_received(self, event: ResponseReceived) -> None:
        self.events.append(event)

    def on_retry_scheduled(self, event: RetryScheduled) -> None:
        self.events.append(event)

    def on_call_finished(self, event: CallFinished) -> None:
        self.events.append(event)


def _client(recorder: Hook, **kwargs: Any) -> TwoFactorClient:
    kwargs.setdefault("retry", RetryPolicy(jitter=False))
    return TwoFactorClient(API_KEY, kwargs.pop("base_url", BASE_URL), hooks=[recorder], **kwargs)


async def test_a_call_that_succeeds_at_once(mock_api: respx.MockRouter) -> None:
    mock_api.post("/2fa/2/pin").respond(json=SENT_JSON)
    recorder = Recorder()
    async with _client(recorder) as client:
        await client.send_pin(application_id="A", message_id="M", to=PHONE)
    started, sent, received, finished = recorder.events
    assert started == CallStarted(started.call_id, "send_pin", "POST", "/2fa/2/pin", "api.infobip.com", 443)
    assert sent == RequestSent(started.call_id, "send_pin", 1)
    assert (received.attempt, received.status, received.error_type) == (1, 200, None)
    assert received.duration >= 0
    assert (finished.outcome, finished.status, finished.attempts, finished.maybe_sent) == ("ok", 200, 1, True)
    assert finished.duration >= received.duration


async def test_a_429_then_success_shows_the_retry(mock_api: respx.MockRouter) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "2"}, json=legacy_error("TOO_MANY_REQUESTS", "x"))
    mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").mock(side_effect=[limited, httpx.Response(200, json=VERIFIED_JSON)])
    recorder = Recorder()
    async with _client(recorder, sleep=RecordingSleep()) as client:
        await client.verify_pin(PIN_ID, "1234")
    kinds = [type(event).__name__ for event in recorder.events]
    assert kinds == ["CallStarted", "RequestSent", "ResponseReceived", "RetryScheduled", "RequestSent",
                     "ResponseReceived", "CallFinished"]  # fmt: skip
    retry = recorder.events[3]
    assert (retry.attempt, retry.wait, retry.reason) == (1, 2.0, "429 with Retry-After 2 s")
    assert (recorder.events[2].status, recorder.events[2].error_type) == (429, "RateLimitError")
    assert recorder.events[0].route == "/2fa/2/pin/{pinId}/verify"
    assert recorder.events[-1].attempts == 2
    assert len({event.call_id for event in recorder.events}) == 1


async def test_a_failure_says_what_and_whether_it_may_have_been_sent() -> None:
    recorder = Recorder()
    async with _client(recorder, retry=RetryPolicy(max_retries=0), base_url="http://127.0.0.1:9") as client:
        with pytest.raises(RequestNotSentError):
            await client.send_pin(application_id="A", message_id="M", to=PHONE)
    received, finished = recorder.events[-2:]
    assert (received.status, received.error_type) == (None, "RequestNotSentError")
    assert (finished.outcome, finished.error_type, finished.maybe_sent) == ("error", "RequestNotSentError", False)


async def test_events_never_carry_the_key_a_pin_a_number_or_an_id(mock_api: respx.MockRouter) -> None:
    mock_api.post("/2fa/2/pin").respond(json=SENT_JSON)
    mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").respond(json=VERIFIED_JSON)
    mock_api.get("/2fa/2/applications/APP-SECRETID/verifications").respond(json={"verifications": []})
    recorder = Recorder()
    async with _client(recorder) as client:
        await client.send_pin(application_id="APP-SECRETID", message_id="MSG-SECRETID", to=PHONE)
        await client.verify_pin(PIN_ID, "739104")
        await client.verification_status("APP-SECRETID", msisdn=PHONE)
    text = repr(recorder.events)
    for secret in (API_KEY, "739104", PHONE, PIN_ID, "APP-SECRETID", "MSG-SECRETID"):
        assert secret not in text


async def test_only_overridden_methods_are_called_and_a_failing_hook_breaks_nothing(
    mock_api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock_api.post("/2fa/2/pin").respond(json=SENT_JSON)

    class Broken(Hook):
        calls = 0

        def on_call_finished(self, event: CallFinished) -> None:
            Broken.calls += 1
            raise RuntimeError("exporter down")

    with caplog.at_level(logging.WARNING, logger="infobip_2fa_async"):
        async with _client(Broken()) as client:
            for _ in range(3):
                assert (await client.send_pin(application_id="A", message_id="M", to=PHONE)).pin_id
    assert Broken.calls == 3
    assert sum("exporter down" in (record.exc_text or "") or "failed" in record.getMessage()
               for record in caplog.records) == 1, "logged once"  # fmt: skip


def test_only_hooks_are_accepted() -> None:
    with pytest.raises(ConfigurationError, match="Hook"):
        TwoFactorClient(API_KEY, hooks=[print])  # type: ignore[list-item]


async def test_a_client_without_hooks_builds_no_event(
    mock_api: respx.MockRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody watches, so nothing is built: a call that is retried, fails over and succeeds touches no event class."""
    from infobip_2fa_async import _transport

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("an event was built for nobody")

    for name in ("CallStarted", "RequestSent", "ResponseReceived", "RetryScheduled", "CallFinished"):
        monkeypatch.setattr(_transport, name, never)
    limited = httpx.Response(429, json=legacy_error("TOO_MANY_REQUESTS", "x"))
    mock_api.post("/2fa/2/pin").mock(side_effect=[limited, httpx.Response(200, json=SENT_JSON)])
    async with TwoFactorClient(API_KEY, hooks=[Hook()], sleep=RecordingSleep()) as client:  # a hook watching nothing
        assert (await client.send_pin(application_id="A", message_id="M", to=PHONE)).pin_id


async def test_a_quota_429_is_a_quota_error_for_the_attempt_and_the_call(mock_api: respx.MockRouter) -> None:
    mock_api.post("/2fa/2/pin").respond(429, headers={"Retry-After": "86400"}, json=legacy_error("QUOTA", "x"))
    recorder = Recorder()
    async with _client(recorder) as client:
        with pytest.raises(QuotaExceededError):
            await client.send_pin(application_id="A", message_id="M", to=PHONE)
    received, finished = recorder.events[-2:]
    assert (received.status, received.error_type) == (429, "QuotaExceededError")
    assert (finished.outcome, finished.error_type, finished.maybe_sent) == ("error", "QuotaExceededError", False)
