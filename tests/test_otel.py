"""OpenTelemetryHooks, read back through the OpenTelemetry SDK's in-memory span exporter and metric reader."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from infobip_2fa_async import RateLimitError, RetryPolicy, TwoFactorClient
from infobip_2fa_async.otel import OpenTelemetryHooks

from .conftest import API_KEY, BASE_URL, PIN_ID, SENT_JSON, VERIFIED_JSON, RecordingSleep, legacy_error

LIMITED = httpx.Response(429, headers={"Retry-After": "1"}, json=legacy_error("TOO_MANY_REQUESTS", "x"))


class Telemetry:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.hooks = OpenTelemetryHooks(tracer_provider, MeterProvider(metric_readers=[self.metrics]))

    def points(self, name: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        return [point for resource in data.resource_metrics for scope in resource.scope_metrics
                for metric in scope.metrics if metric.name == name for point in metric.data.data_points]  # fmt: skip


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


def _client(telemetry: Telemetry, **kwargs: Any) -> TwoFactorClient:
    return TwoFactorClient(API_KEY, BASE_URL, hooks=[telemetry.hooks], retry=RetryPolicy(jitter=False),
                           sleep=RecordingSleep(), **kwargs)  # fmt: skip


async def test_a_call_is_one_client_span_after_the_http_conventions(
    telemetry: Telemetry, mock_api: respx.MockRouter
) -> None:
    mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").mock(side_effect=[LIMITED, httpx.Response(200, json=VERIFIED_JSON)])
    async with _client(telemetry) as client:
        await client.verify_pin(PIN_ID, "4821")
    (span,) = telemetry.spans.get_finished_spans()
    assert span.name == "POST /2fa/2/pin/{pinId}/verify"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes) == {
        "http.request.method": "POST", "url.template": "/2fa/2/pin/{pinId}/verify", "server.address": "api.infobip.com",
        "server.port": 443, "infobip_2fa.operation": "verify_pin", "http.response.status_code": 200,
        "http.request.resend_count": 1,
    }  # fmt: skip
    (retry,) = span.events
    assert retry.name == "retry"
    assert dict(retry.attributes) == {"infobip_2fa.attempt": 1, "infobip_2fa.retry.wait": 1.0,
                                      "infobip_2fa.retry.reason": "429 with Retry-After 1 s"}  # fmt: skip
    text = repr([span.to_json()])
    assert PIN_ID not in text
    assert "4821" not in text


async def test_a_failed_call_is_an_error_span_and_counted(telemetry: Telemetry, mock_api: respx.MockRouter) -> None:
    mock_api.post("/2fa/2/pin").mock(return_value=httpx.Response(429, headers={"Retry-After": "999"}))
    async with _client(telemetry) as client:
        with pytest.raises(RateLimitError):
            await client.send_pin(application_id="A", message_id="M", to="41793026727")
    (span,) = telemetry.spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "QuotaExceededError"  # a 999 s Retry-After is a quota, not a throttle
    assert span.attributes["infobip_2fa.maybe_sent"] is False
    (call,) = telemetry.points("infobip_2fa.client.call.duration")
    assert dict(call.attributes) == {"infobip_2fa.operation": "send_pin", "infobip_2fa.outcome": "error",
                                     "error.type": "QuotaExceededError"}  # fmt: skip
    assert call.count == 1
    (limited,) = telemetry.points("infobip_2fa.client.rate_limited")
    assert (dict(limited.attributes), limited.value) == ({"infobip_2fa.operation": "send_pin"}, 1)


async def test_metrics_by_operation_and_outcome(telemetry: Telemetry, mock_api: respx.MockRouter) -> None:
    mock_api.post("/2fa/2/pin").mock(side_effect=[LIMITED, httpx.Response(200, json=SENT_JSON),
                                                  httpx.Response(200, json=SENT_JSON)])  # fmt: skip
    async with _client(telemetry) as client:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
    (calls,) = telemetry.points("infobip_2fa.client.call.duration")
    assert dict(calls.attributes) == {"infobip_2fa.operation": "send_pin", "infobip_2fa.outcome": "ok"}
    assert calls.count == 2
    (retries,) = telemetry.points("infobip_2fa.client.retries")
    assert dict(retries.attributes) == {"infobip_2fa.operation": "send_pin", "infobip_2fa.retry.reason": "429"}
    assert retries.value == 1
    attempts = telemetry.points("http.client.request.duration")
    assert sorted((dict(p.attributes)["http.response.status_code"], p.count) for p in attempts) == [(200, 2), (429, 1)]
    assert all(dict(p.attributes)["url.template"] == "/2fa/2/pin" for p in attempts)


async def test_the_span_is_current_while_the_call_runs(telemetry: Telemetry, mock_api: respx.MockRouter) -> None:
    """Spans made beneath the call (an instrumented HTTP library, a log correlation) nest under it."""
    from opentelemetry import trace

    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(trace.get_current_span().get_span_context().span_id)
        return httpx.Response(200, json=SENT_JSON)

    mock_api.post("/2fa/2/pin").mock(side_effect=record)
    async with _client(telemetry) as client:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
    (span,) = telemetry.spans.get_finished_spans()
    assert seen == [span.context.span_id]
    assert not trace.get_current_span().get_span_context().is_valid, "detached again after the call"


async def test_a_management_call_is_named_as_called_with_infobips_path_template(
    telemetry: Telemetry, mock_api: respx.MockRouter
) -> None:
    """A dashboard groups ``client.templates.update`` calls under one span name, and never sees the ids."""
    mock_api.put("/2fa/2/applications/APP-7/messages/MSG-9").respond(json={"messageId": "MSG-9"})
    async with _client(telemetry) as client:
        await client.templates.update("APP-7", "MSG-9", pin_length=6)
    (span,) = telemetry.spans.get_finished_spans()
    assert span.name == "PUT /2fa/2/applications/{appId}/messages/{msgId}"
    assert span.attributes["url.template"] == "/2fa/2/applications/{appId}/messages/{msgId}"
    assert span.attributes["infobip_2fa.operation"] == "templates.update"
    assert "APP-7" not in repr(span.to_json())
    (call,) = telemetry.points("infobip_2fa.client.call.duration")
    assert dict(call.attributes) == {"infobip_2fa.operation": "templates.update", "infobip_2fa.outcome": "ok"}
