"""Client options shared by every layer: timeouts, connection limits, the "not given" marker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

__all__ = ["DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "NOT_GIVEN", "NotGiven", "Sleep", "TimeoutArg"]

#: Per phase: connecting 5 s, waiting for the answer 30 s (a send may include a Number Lookup), writing
#: the small JSON body 10 s, waiting for a free pooled connection 10 s.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)

#: Enough connections for a busy backend: 200 open at once, 100 kept alive for 30 s between requests.
DEFAULT_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=100, keepalive_expiry=30.0)


class NotGiven:
    """Marks an argument that was not passed (``None`` already means "no timeout" to httpx)."""

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
Sleep = Callable[[float], Awaitable[None]]
