"""The application limits (``sendPinPerApplicationLimit``, ``sendPinPerPhoneNumberLimit``, ``verifyPinLimit``):
sliding windows of events per key, answering 429 with ``Retry-After`` when one more would not fit."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .._durations import parse_limit
from ._errors import rate_limited

__all__ = ["Limits"]


class _Window:
    """A sliding-window counter: at most ``limit`` events per ``window`` seconds."""

    def __init__(self) -> None:
        self.events: deque[float] = deque()

    def wait_needed(self, now: float, limit: int, window: float) -> float:
        """0 if one more event fits now; else the seconds until the oldest one leaves the window."""
        while self.events and self.events[0] <= now - window:
            self.events.popleft()
        if len(self.events) < limit:
            return 0.0
        return self.events[0] + window - now


class Limits:
    """Sliding windows keyed by tuples such as ``("to", app_id, number)``, on the service's clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, ...], _Window] = {}

    def check(self, key: tuple[str, ...], limit: str, what: str) -> None:
        """Raise 429 when one more event under ``key`` would break ``limit`` (an API limit string, "3/1d")."""
        attempts, window = parse_limit(what, limit)
        wait = self._windows.setdefault(key, _Window()).wait_needed(self._clock(), attempts, window.total_seconds())
        if wait > 0:
            raise rate_limited(wait, what)

    def count(self, *keys: tuple[str, ...]) -> None:
        """Record one event now under each key."""
        now = self._clock()
        for key in keys:
            self._windows.setdefault(key, _Window()).events.append(now)
