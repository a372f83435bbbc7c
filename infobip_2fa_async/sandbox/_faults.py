"""Fault injection: scripted sequences or random rates of 429s, 5xx, slow answers, broken bodies and drops."""

from __future__ import annotations

import math
import random
import re
from collections import deque
from enum import Enum

import attrs

__all__ = ["ConnectionDropped", "ConnectionRefused", "Fault", "FaultKind", "Faults"]


class FaultKind(str, Enum):
    """What a fault does."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    HTML = "html"
    MALFORMED = "malformed"
    SLOW = "slow"
    DROP = "drop"
    REFUSE = "refuse"


@attrs.frozen
class Fault:
    """One injected fault. Build it with the class methods; ``after_processing`` faults really carry out
    the request (a PIN is sent, an attempt is spent) and only then spoil the answer.

    Attributes:
        kind: What it does.
        status: The HTTP status it answers with, if any.
        retry_after: A 429's ``Retry-After``, if any.
        seconds: How long a slow fault waits.
        after_processing: Whether the request is carried out before the answer is spoiled.

    Raises:
        ValueError: A wait (``retry_after``, ``seconds``) that is negative, infinite or NaN; a server error's status
            outside 500-599, another status outside 100-599.
        TypeError: A wait or status that is not a number.
    """

    kind: FaultKind
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0
    after_processing: bool = False

    def __attrs_post_init__(self) -> None:
        # Checked when built, so that a fault the sandbox cannot serve honestly (``Retry-After: nan``, a negative
        # wait) fails at the call that made it, not later in the middle of a test run.
        _check_seconds("seconds", self.seconds)
        if self.retry_after is not None:
            _check_seconds("retry_after", self.retry_after)
        if isinstance(self.status, bool) or not isinstance(self.status, int):
            raise TypeError(f"status must be an int, not {type(self.status).__name__}")
        if self.kind is FaultKind.SERVER_ERROR and not 500 <= self.status <= 599:
            raise ValueError(f"status of a server error must be from 500 to 599, not {self.status}")
        if self.kind in (FaultKind.HTML, FaultKind.MALFORMED) and not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status from 100 to 599, not {self.status}")

    @classmethod
    def rate_limit(cls, retry_after: float | None = None) -> Fault:
        """429 TOO_MANY_REQUESTS (with ``Retry-After`` when given); nothing is processed."""
        return cls(FaultKind.RATE_LIMIT, status=429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500, *, after_processing: bool = False) -> Fault:
        """A 5xx with the legacy GENERAL_ERROR envelope, before or after processing."""
        return cls(FaultKind.SERVER_ERROR, status=status, after_processing=after_processing)

    @classmethod
    def html(cls, status: int = 502, *, after_processing: bool = False) -> Fault:
        """An HTML error page, as a proxy or load balancer answers."""
        return cls(FaultKind.HTML, status=status, after_processing=after_processing)

    @classmethod
    def malformed(cls, status: int = 200, *, after_processing: bool = True) -> Fault:
        """A truncated JSON body with the given status (by default: processed, then a broken 200)."""
        return cls(FaultKind.MALFORMED, status=status, after_processing=after_processing)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` (through the sandbox's sleep) before answering normally."""
        return cls(FaultKind.SLOW, seconds=seconds)

    @classmethod
    def drop(cls, *, after_processing: bool = False) -> Fault:
        """Close the connection without an answer, before or after processing the request."""
        return cls(FaultKind.DROP, after_processing=after_processing)

    @classmethod
    def refuse(cls) -> Fault:
        """Refuse the connection: in-process this is ``httpx.ConnectError``; over HTTP, a close before reading."""
        return cls(FaultKind.REFUSE)


def _check_seconds(name: str, value: object) -> None:
    """A number of seconds: a finite int or float, zero or more."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number of seconds, 0 or more, not {value}")


class ConnectionDropped(Exception):
    """Raised inside the sandbox app to make its transport or server drop the connection."""


class ConnectionRefused(ConnectionDropped):
    """Raised inside the sandbox app to make its transport refuse the connection."""


@attrs.define
class _Rate:
    fault: Fault
    probability: float
    pattern: re.Pattern[str] | None


class Faults:
    """The faults a Sandbox injects. ``script`` queues faults for the next matching requests, in order
    (``None`` lets one request through untouched); ``rate`` injects a fault into a share of them."""

    def __init__(self, seed: int | None = None) -> None:
        self._scripts: deque[tuple[Fault | None, re.Pattern[str] | None]] = deque()
        self._rates: list[_Rate] = []
        self._random = random.Random(seed)  # noqa: S311  (test traffic, not security)
        self.injected: list[tuple[str, Fault]] = []
        """Every fault injected so far, with the ``"METHOD /path"`` it hit."""

    def script(self, *faults: Fault | None, match: str | None = None) -> None:
        """Apply these faults to the next matching requests, in order.

        Args:
            *faults: The faults; ``None`` lets one request through untouched.
            match: A regex over ``"METHOD /path"``; None matches every request.
        """
        pattern = re.compile(match) if match is not None else None
        self._scripts.extend((fault, pattern) for fault in faults)

    def rate(self, fault: Fault, probability: float, *, match: str | None = None) -> None:
        """Inject ``fault`` into a share of the matching requests.

        Args:
            fault: The fault.
            probability: The share, from 0 to 1.
            match: A regex over ``"METHOD /path"``; None matches every request.

        Raises:
            ValueError: The probability is not between 0 and 1.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, not {probability}")
        self._rates.append(_Rate(fault, probability, re.compile(match) if match is not None else None))

    def clear(self) -> None:
        """Remove every scripted and random fault."""
        self._scripts.clear()
        self._rates.clear()

    def pick(self, target: str) -> Fault | None:
        """The fault for this request, if any (the first matching scripted one, else a random draw).

        Args:
            target: The request, as ``"METHOD /path"``.

        Returns:
            The fault, or None.
        """
        for index, (fault, pattern) in enumerate(self._scripts):
            if pattern is None or pattern.search(target):
                del self._scripts[index]
                return self._record(target, fault)
        for rate in self._rates:
            if (rate.pattern is None or rate.pattern.search(target)) and self._random.random() < rate.probability:
                return self._record(target, rate.fault)
        return None

    def _record(self, target: str, fault: Fault | None) -> Fault | None:
        if fault is not None:
            self.injected.append((target, fault))
        return fault
