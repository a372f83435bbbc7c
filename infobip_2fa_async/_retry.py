"""Retry policy and the pure decision "retry or not, and how long to wait".

No I/O here: ``decide`` is a function of (error, attempt, idempotency, policy, a random draw), so every
rule is tested with plain data. ``_transport`` hands it to tenacity, which drives the loop.

The rules, from the API's own facts (sending or verifying a PIN is not idempotent and takes no
idempotency key):
- 429 is always retried: the server refused the request, so nothing was done. A ``Retry-After`` is
  honoured when present; one longer than ``max_retry_after`` raises at once instead of sleeping. Whether a 429
  pauses a shared gate is decided where it is classified (``is_throttle``), not here: whether or not it is
  retried, a short one (a throttle) holds back everyone sharing the gate, a long one (a quota) holds back nobody.
- Failures that prove the request never left are retried when they are transient (connect error, connect timeout,
  pool timeout); the others (a certificate that fails, a proxy that refuses, a request that cannot be written) fail
  the same way again and are not.
- 5xx, read/write timeouts and dropped connections may come after the server acted (a PIN was texted, an
  attempt was spent). They are retried only for idempotent operations or with ``retry_unsafe=True``.
"""

from __future__ import annotations

import math

import attrs

from ._exceptions import (
    InvalidRequestError,
    RateLimitError,
    RequestMaybeSentError,
    RequestNotSentError,
    ServerError,
)

__all__ = [
    "NOT_SENT_REASONS",
    "RETRIED_NOT_SENT_REASONS",
    "RetryDecision",
    "RetryPolicy",
    "backoff",
    "decide",
    "is_throttle",
]

#: The ``reason`` of a ``RequestNotSentError``, on either backend: the request provably never reached the server.
#: (``protocol_error`` also names an answer that could not be parsed, a ``RequestMaybeSentError``: the request went
#: out; what proves "never sent" is the error's class, the reason says why.)
NOT_SENT_REASONS = frozenset(
    {"connect_error", "connect_timeout", "pool_timeout", "tls_error", "proxy_error", "protocol_error", "token_error"}
)
#: Those of them that are transient, so retried: the next connection may well succeed. A certificate that fails, a
#: proxy that refuses the tunnel and a request that cannot be written fail the same way again. (``token_error``: no
#: OAuth2 token could be had, for a reason other than refused credentials, so the request was not sent.)
RETRIED_NOT_SENT_REASONS = frozenset({"connect_error", "connect_timeout", "pool_timeout", "token_error"})


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:  # NaN too
        raise InvalidRequestError(attribute.name, f"must be a number >= 0, not {value!r}")


def _pause_bound(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InvalidRequestError(attribute.name, f"must be a finite number of seconds >= 0, not {value!r}")


def _retry_count(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError(attribute.name, f"must be a whole number >= 0, not {value!r}")


@attrs.frozen
class RetryPolicy:
    """How the client retries. The defaults suit a web backend: at most 3 retries, waits of 0.5 s to 8 s.

    Attributes:
        max_retries: Retries after the first try (0: never retry).
        initial_delay: The first backoff's ceiling, in seconds; it doubles with each retry.
        max_delay: The largest backoff ceiling, in seconds.
        max_retry_after: The longest ``Retry-After`` slept through; a longer one raises ``RateLimitError`` at once.
        max_shared_pause: The longest ``Retry-After`` that is a throttle: such a 429 pauses every caller sharing
            the client's gate (or a ``send_many`` run's), whether or not this call retries. A longer one is a quota
            (a number's or the application's daily limit): it pauses nobody else and raises ``QuotaExceededError``
            (saying when the quota resets) unless ``max_retry_after`` allows this call alone to wait it out.
        retry_unsafe: Also retry sends and verifies after they may have reached the server (5xx, timeouts, drops):
            this can text a person twice or spend a PIN attempt.
        jitter: Full jitter on the backoff (False gives exact waits, handy in tests).

    Raises:
        InvalidRequestError: A negative or non-numeric value.
    """

    max_retries: int = attrs.field(default=3, validator=_retry_count)
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    max_shared_pause: float = attrs.field(default=60.0, validator=_pause_bound)
    retry_unsafe: bool = False
    jitter: bool = True


@attrs.frozen
class RetryDecision:
    """Whether to send the request again, after how many seconds, and why (for the log).

    Attributes:
        retry: Whether to send it again.
        wait: Seconds to wait first.
        reason: Why, in words.
    """

    retry: bool
    wait: float
    reason: str


def is_throttle(policy: RetryPolicy, error: RateLimitError) -> bool:
    """Whether a 429 is a throttle that everyone sharing a gate should wait out (no ``Retry-After``, or one of at
    most ``max_shared_pause``), rather than a quota that only this request's number or application has spent."""
    return error.retry_after is None or error.retry_after <= policy.max_shared_pause


def backoff(policy: RetryPolicy, attempt: int, draw: float) -> float:
    """Exponential backoff with full jitter: a wait in [0, min(max_delay, initial_delay * 2**(attempt-1))].

    Args:
        policy: The retry policy.
        attempt: The attempt that failed (1 = the first).
        draw: A random number in [0, 1); with ``jitter=False`` the ceiling itself is used.

    Returns:
        The wait in seconds.
    """
    ceiling = min(policy.max_delay, policy.initial_delay * 2.0 ** max(attempt - 1, 0))
    return ceiling * draw if policy.jitter else ceiling


def decide(policy: RetryPolicy, *, error: BaseException, attempt: int, idempotent: bool, draw: float) -> RetryDecision:
    """Decide whether a failed attempt should be retried, and after how long: the client's rules as a pure function.

    The retry count limit is applied by the caller; this says what the outcome itself allows: a 429 always (after
    its ``Retry-After`` when given, unless over ``max_retry_after``), a failure that proves the request never left
    always, a 5xx or a failure after the request may have reached the server only when ``idempotent`` or
    ``policy.retry_unsafe``.

    Args:
        policy: The retry policy.
        error: What the attempt raised.
        attempt: The attempt that failed (1 = the first).
        idempotent: Whether sending the request twice is harmless (GET, PUT).
        draw: A random number in [0, 1) for the jitter.

    Returns:
        Whether to retry, the wait, and the reason.
    """
    if isinstance(error, RateLimitError):
        if error.retry_after is None:
            return RetryDecision(True, backoff(policy, attempt, draw), "429 Too Many Requests")
        if error.retry_after > policy.max_retry_after:
            return RetryDecision(
                False,
                0.0,
                f"429 with Retry-After {error.retry_after:g} s, over max_retry_after ({policy.max_retry_after:g} s)",
            )
        return RetryDecision(True, max(error.retry_after, 0.0), f"429 with Retry-After {error.retry_after:g} s")
    if isinstance(error, RequestNotSentError):
        if error.reason in RETRIED_NOT_SENT_REASONS:
            return RetryDecision(True, backoff(policy, attempt, draw), f"{error.reason} (request never sent)")
        return RetryDecision(False, 0.0, f"{error.reason} is not transient")
    if isinstance(error, (ServerError, RequestMaybeSentError)):
        what = f"HTTP {error.status_code}" if isinstance(error, ServerError) else error.reason
        if idempotent or policy.retry_unsafe:
            return RetryDecision(True, backoff(policy, attempt, draw), what)
        return RetryDecision(
            False,
            0.0,
            f"{what} after the request may have reached the server; not retried because sending it again "
            "could text the person twice or spend a PIN attempt (RetryPolicy(retry_unsafe=True) allows it)",
        )
    return RetryDecision(False, 0.0, f"{type(error).__name__} is not retried")
