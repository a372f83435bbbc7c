"""OpenTelemetry for the 2FA client (the ``[otel]`` extra), built on the client's hooks::

    from infobip_2fa_async import TwoFactorClient
    from infobip_2fa_async.otel import OpenTelemetryHooks

    client = TwoFactorClient(hooks=[OpenTelemetryHooks()])   # the global tracer and meter providers

Traces: one span of kind CLIENT per call, named ``{method} {url.template}`` (``POST /2fa/2/pin/{pinId}/verify``)
after the HTTP client semantic conventions, with ``http.request.method``, ``url.template``, ``server.address``,
``server.port``, ``http.response.status_code``, ``http.request.resend_count`` when it was retried and
``error.type`` when it failed, plus ``infobip_2fa.operation``. Each retry is a span event (``retry``: attempt,
wait, reason). The span is current while the call runs, so spans of the HTTP library beneath become its children,
and no longer current once it ends, however it ends: a cancelled call (a timeout around it) ends its span with
status ERROR and ``error.type`` ``CancelledError`` (the exception's class name, as the semantic conventions ask),
and nothing of it is kept. Several ``OpenTelemetryHooks`` on one client unwind in reverse order.
``url.full`` is left out on purpose: paths hold PIN and application ids, which the hooks never hand out.

Metrics:

- ``infobip_2fa.client.call.duration`` (histogram, s): each call, waits included, by ``infobip_2fa.operation``,
  ``infobip_2fa.outcome`` (ok, error, cancelled) and ``error.type``;
- ``http.client.request.duration`` (histogram, s): each attempt, as the HTTP semantic conventions define it;
- ``infobip_2fa.client.retries`` (counter): retries scheduled, by operation and ``infobip_2fa.retry.reason``;
- ``infobip_2fa.client.rate_limited`` (counter): 429 answers, by operation;
- ``infobip_2fa.shield.refusals`` (counter): sends the abuse shield refused, or in monitor mode would have, by
  ``infobip_2fa.shield.reason`` (the rule), ``infobip_2fa.shield.country`` (the region code, when known),
  ``infobip_2fa.shield.monitor``, ``infobip_2fa.operation`` and ``infobip_2fa.shield.channel``: never by number,
  prefix, IP or id.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry import context, metrics, trace
except ImportError as error:  # pragma: no cover
    raise ImportError("infobip_2fa_async.otel needs OpenTelemetry: pip install 'infobip-2fa-async[otel]'") from error

from ._hooks import CallFinished, CallStarted, Hook, ResponseReceived, RetryScheduled, SendRefused
from ._version import __version__

__all__ = ["OpenTelemetryHooks"]

_SCOPE = "infobip_2fa_async"


class OpenTelemetryHooks(Hook):
    """Spans and metrics for every call of the clients it is given to (see the module's docstring).

    Args:
        tracer_provider: Where spans go; the global provider when left out.
        meter_provider: Where metrics go; the global provider when left out.
    """

    def __init__(
        self, tracer_provider: trace.TracerProvider | None = None, meter_provider: metrics.MeterProvider | None = None
    ) -> None:
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(_SCOPE, __version__, meter_provider=meter_provider)
        self._call_duration = meter.create_histogram(
            "infobip_2fa.client.call.duration", unit="s", description="Duration of 2FA client calls, retries included"
        )
        self._request_duration = meter.create_histogram(
            "http.client.request.duration", unit="s", description="Duration of HTTP client requests"
        )
        self._retries = meter.create_counter("infobip_2fa.client.retries", description="Retries scheduled")
        self._rate_limited = meter.create_counter("infobip_2fa.client.rate_limited", description="429 answers")
        self._refusals = meter.create_counter(
            "infobip_2fa.shield.refusals", description="PIN sends the abuse shield refused (or would have, monitoring)"
        )
        self._calls: dict[int, tuple[trace.Span, object, CallStarted]] = {}

    def on_call_started(self, event: CallStarted) -> None:
        """Start the call's span and make it current."""
        span = self._tracer.start_span(
            f"{event.method} {event.route}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": event.method,
                "url.template": event.route,
                "server.address": event.server_address,
                "server.port": event.server_port,
                "infobip_2fa.operation": event.operation,
            },
        )
        token = context.attach(trace.set_span_in_context(span))
        self._calls[event.call_id] = (span, token, event)

    def on_response_received(self, event: ResponseReceived) -> None:
        """Record the attempt's duration; count a 429."""
        call = self._calls.get(event.call_id)
        if call is None:
            return
        started = call[2]
        attributes: dict[str, Any] = {
            "http.request.method": started.method,
            "url.template": started.route,
            "server.address": started.server_address,
            "server.port": started.server_port,
        }
        if event.status is not None:
            attributes["http.response.status_code"] = event.status
        if event.error_type is not None:
            attributes["error.type"] = event.error_type
        self._request_duration.record(event.duration, attributes)
        if event.status == 429:
            self._rate_limited.add(1, {"infobip_2fa.operation": event.operation})

    def on_retry_scheduled(self, event: RetryScheduled) -> None:
        """A span event for the retry, and the retries counter."""
        call = self._calls.get(event.call_id)
        if call is not None:
            call[0].add_event(
                "retry", {"infobip_2fa.attempt": event.attempt, "infobip_2fa.retry.wait": event.wait,
                          "infobip_2fa.retry.reason": event.reason},
            )  # fmt: skip
        self._retries.add(1, {"infobip_2fa.operation": event.operation, "infobip_2fa.retry.reason": _kind(event)})

    def on_call_finished(self, event: CallFinished) -> None:
        """End the call's span with its outcome, and record the call's duration."""
        call = self._calls.pop(event.call_id, None)
        attributes: dict[str, Any] = {"infobip_2fa.operation": event.operation, "infobip_2fa.outcome": event.outcome}
        if event.error_type is not None:
            attributes["error.type"] = event.error_type
        self._call_duration.record(event.duration, attributes)
        if call is None:
            return
        span, token, _ = call
        if event.status is not None:
            span.set_attribute("http.response.status_code", event.status)
        if event.attempts > 1:
            span.set_attribute("http.request.resend_count", event.attempts - 1)
        if event.outcome != "ok":
            span.set_attribute("error.type", event.error_type or "error")
            span.set_attribute("infobip_2fa.maybe_sent", event.maybe_sent)
            span.set_status(trace.Status(trace.StatusCode.ERROR, event.error_type))
        span.end()
        context.detach(token)  # type: ignore[arg-type]

    def on_send_refused(self, event: SendRefused) -> None:
        """Count the refusal by rule and country (never by number)."""
        attributes: dict[str, Any] = {
            "infobip_2fa.operation": event.operation,
            "infobip_2fa.shield.reason": event.reason,
            "infobip_2fa.shield.channel": event.channel,
            "infobip_2fa.shield.monitor": event.monitor,
        }
        if event.country is not None:
            attributes["infobip_2fa.shield.country"] = event.country
        self._refusals.add(1, attributes)


def _kind(event: RetryScheduled) -> str:
    """A low-cardinality reason for the retries counter: 429, not_sent, server_error or other."""
    reason = event.reason
    if reason.startswith("429"):
        return "429"
    if "never sent" in reason:
        return "not_sent"
    if reason.startswith("HTTP 5"):
        return "server_error"
    return "other"
