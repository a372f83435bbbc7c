"""Client options shared by every layer: timeouts, deadlines, retries, connection limits, the body cap, "not given".

A timeout bounds one attempt; a deadline bounds a whole call (every attempt and every wait between them). Both are
checked here, once, the same whichever backend sends the request. ``max_retries``, ``timeout`` and ``deadline`` are
the per-call options: ``NOT_GIVEN`` (left out) means "the client's", and None means "none" for the two that can be
none (docs/client-options.md).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

import attrs
import httpx

from ._exceptions import InvalidRequestError

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "AttemptTimeout",
    "DeadlineArg",
    "NotGiven",
    "RetriesArg",
    "Sleep",
    "TimeoutArg",
    "attempt_timeout",
    "check_deadline",
    "check_max_response_bytes",
    "check_max_retries",
    "per_call_retries",
]

#: Per phase: connecting 5 s, waiting for the answer 30 s (a send may include a Number Lookup), writing
#: the small JSON body 10 s, waiting for a free pooled connection 10 s. A whole attempt is bounded by the largest
#: phase, 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)

#: Enough connections for a busy backend: 200 open at once, 100 kept alive for 30 s between requests.
DEFAULT_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=100, keepalive_expiry=30.0)

#: The largest answer body read, counted after decompression: 2FA answers are a few hundred bytes, a list of
#: applications or templates a few hundred kilobytes at most.
DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024


class NotGiven:
    """Marks an option that was not passed, so that it takes the client's value (``None`` means "none": no timeout,
    no deadline)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()

TimeoutArg = float | httpx.Timeout | None | NotGiven
DeadlineArg = float | None | NotGiven
RetriesArg = int | NotGiven
Sleep = Callable[[float], Awaitable[None]]


@attrs.frozen
class AttemptTimeout:
    """One attempt's limits: httpx's phases, and ``total``, the bound on the attempt as a whole (None: no bound).

    ``total`` is the number given as ``timeout=``, or the largest phase of an ``httpx.Timeout``; a deadline can
    shorten it for the last attempt that fits.
    """

    phases: httpx.Timeout
    total: float | None

    def within(self, seconds: float) -> AttemptTimeout:
        """This timeout, its total cut to ``seconds`` if that is shorter."""
        if self.total is not None and self.total <= seconds:
            return self
        return AttemptTimeout(self.phases, seconds)


def _positive(argument: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InvalidRequestError(
            argument, f"must be a number of seconds > 0 and finite, or None for no limit, not {value!r}"
        )
    return float(value)


def attempt_timeout(value: object) -> AttemptTimeout:
    """Check a ``timeout=`` (seconds, an ``httpx.Timeout`` or None) and give the attempt's limits.

    0, negative, NaN and infinite values are refused: httpx and aiohttp read them differently (aiohttp takes 0 as
    "no timeout"), so neither reading is allowed to surprise anyone.
    """
    if isinstance(value, NotGiven):
        value = DEFAULT_TIMEOUT
    if value is None:
        return AttemptTimeout(httpx.Timeout(None), None)
    if isinstance(value, httpx.Timeout):
        phases = {"connect": value.connect, "read": value.read, "write": value.write, "pool": value.pool}
        given = [_positive(f"timeout.{name}", seconds) for name, seconds in phases.items() if seconds is not None]
        return AttemptTimeout(value, max(given) if given else None)
    seconds = _positive("timeout", value)
    return AttemptTimeout(httpx.Timeout(seconds), seconds)


def check_deadline(value: object) -> float | None:
    """Check a ``deadline=``: seconds > 0 and finite, or None (no deadline)."""
    return None if value is None else _positive("deadline", value)


_NO_NONE_RETRIES = "cannot be None: pass 0 for no retries, or leave it out for the client's"


def check_max_retries(value: object) -> int:
    """Check a ``max_retries=`` given to ``with_options``: a whole number >= 0 (None is refused, saying to pass 0)."""
    if value is None:
        raise InvalidRequestError("max_retries", _NO_NONE_RETRIES)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidRequestError("max_retries", f"must be a whole number >= 0, not {value!r}")
    return value


def per_call_retries(value: RetriesArg | None) -> int | None:
    """A call's ``max_retries=`` as the transport takes it: None for "the client's" when it was left out; None given
    is refused (it would read as "the client's", not "none"). The transport checks the rest."""
    if isinstance(value, NotGiven):
        return None
    if value is None:
        raise InvalidRequestError("max_retries", _NO_NONE_RETRIES)
    return value


def check_max_response_bytes(value: object) -> int:
    """Check ``max_response_bytes=``: a whole number of bytes, at least 1 KiB."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
        raise InvalidRequestError("max_response_bytes", f"must be a whole number of bytes >= 1024, not {value!r}")
    return value
