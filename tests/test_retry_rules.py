"""The pure retry decision and Retry-After parsing, tested with plain data (no I/O, no clock)."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from infobip_2fa_async import (
    InvalidRequestError,
    RateLimitError,
    RequestMaybeSentError,
    RequestNotSentError,
    RetryPolicy,
    ServerError,
)
from infobip_2fa_async._protocol import parse_retry_after
from infobip_2fa_async._retry import NOT_SENT_REASONS, RETRIED_NOT_SENT_REASONS
from infobip_2fa_async.retry import backoff, decide

POLICY = RetryPolicy()


def test_defaults_are_the_documented_ones() -> None:
    assert (
        RetryPolicy(
            max_retries=3, initial_delay=0.5, max_delay=8.0, max_retry_after=60.0, retry_unsafe=False, jitter=True
        )
        == POLICY
    )


def test_backoff_doubles_up_to_max_delay_and_jitter_scales_it() -> None:
    exact = RetryPolicy(jitter=False)
    assert [backoff(exact, attempt, 0.3) for attempt in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff(POLICY, 3, 0.25) == 0.5  # full jitter: a draw of 0.25 takes a quarter of the 2 s ceiling
    assert backoff(POLICY, 3, 0.0) == 0.0


def test_429_without_retry_after_backs_off() -> None:
    decision = decide(POLICY, error=RateLimitError(429), attempt=2, idempotent=False, draw=1.0)
    assert decision.retry
    assert decision.wait == 1.0


def test_429_retry_after_is_honoured_exactly() -> None:
    decision = decide(POLICY, error=RateLimitError(429, retry_after=2.0), attempt=1, idempotent=False, draw=0.1)
    assert decision.retry
    assert decision.wait == 2.0


def test_429_retry_after_over_the_cap_is_not_waited_for() -> None:
    decision = decide(POLICY, error=RateLimitError(429, retry_after=61.0), attempt=1, idempotent=False, draw=1.0)
    assert not decision.retry
    assert "max_retry_after" in decision.reason


@pytest.mark.parametrize("reason", ["connect_error", "connect_timeout", "pool_timeout"])
def test_failures_before_sending_are_retried_even_for_sends(reason: str) -> None:
    error = RequestNotSentError("x", reason=reason)
    assert decide(POLICY, error=error, attempt=1, idempotent=False, draw=1.0).retry


@pytest.mark.parametrize("reason", ["tls_error", "proxy_error", "protocol_error"])
def test_failures_before_sending_that_would_fail_again_are_not_retried(reason: str) -> None:
    """A certificate that fails, a proxy that refuses the tunnel, a request that cannot be written: never sent, and
    the next try would fail the same way."""
    error = RequestNotSentError("x", reason=reason)
    assert error.maybe_sent is False
    decision = decide(POLICY, error=error, attempt=1, idempotent=True, draw=1.0)
    assert not decision.retry
    assert decision.reason == f"{reason} is not transient"


def test_the_never_sent_reasons_are_those_the_errors_document() -> None:
    from infobip_2fa_async import TransportError

    documented = (TransportError.__doc__ or "").split("(never sent)")[0]
    assert {reason for reason in NOT_SENT_REASONS if f"``{reason}``" in documented} == NOT_SENT_REASONS
    assert RETRIED_NOT_SENT_REASONS < NOT_SENT_REASONS


@pytest.mark.parametrize(
    "error",
    [ServerError(500), ServerError(503), RequestMaybeSentError("x", reason="read_timeout")],
    ids=["500", "503", "read-timeout"],
)
def test_maybe_processed_failures_are_retried_only_when_safe(error: Exception) -> None:
    assert not decide(POLICY, error=error, attempt=1, idempotent=False, draw=1.0).retry
    assert "text the person twice" in decide(POLICY, error=error, attempt=1, idempotent=False, draw=1.0).reason
    assert decide(POLICY, error=error, attempt=1, idempotent=True, draw=1.0).retry
    unsafe = RetryPolicy(retry_unsafe=True)
    assert decide(unsafe, error=error, attempt=1, idempotent=False, draw=1.0).retry


def test_other_errors_are_not_retried() -> None:
    assert not decide(POLICY, error=ValueError("x"), attempt=1, idempotent=True, draw=1.0).retry


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), (" 120 ", 120.0), ("1.5", 1.5), ("0", 0.0), ("-3", None), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_in_seconds(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=1_000_000.0) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)
    later = format_datetime(datetime(2026, 11, 25, 12, 0, 30, tzinfo=timezone.utc), usegmt=True)
    assert later == "Wed, 25 Nov 2026 12:00:30 GMT"
    assert parse_retry_after(later, now=now.timestamp()) == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 11:59:00 GMT", now=now.timestamp()) == 0.0


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"max_retries": 1.5}, {"initial_delay": -0.1}, {"max_retry_after": "60"}]
)
def test_a_nonsense_policy_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidRequestError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
