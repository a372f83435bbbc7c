"""I/O backends: the one place that sends bytes and gets bytes back.

A backend takes a described request and its encoded body, and returns the status, headers and body, or raises
``RequestNotSentError`` / ``RequestMaybeSentError``. Everything else (retries, errors by status, JSON) lives
above it, so each backend is small:

- ``AiohttpBackend`` (the default): aiohttp's connection pool, without building httpx objects per request.
  It is what the benchmarks chose: see benchmarks/RESULTS.md.
- ``HttpxBackend``: any ``httpx.AsyncClient``; used when you pass ``http_client=`` or ``transport=``, and while
  respx is mocking (so respx sees every request of a default client too).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from .._request import ApiRequest

__all__ = ["Backend", "RawResponse", "respx_is_mocking"]


class RawResponse(NamedTuple):
    """What came back: status, headers (case-insensitive mapping) and the whole body."""

    status: int
    headers: Mapping[str, str]
    content: bytes


class Backend(Protocol):
    """Sends one request; raises RequestNotSentError or RequestMaybeSentError when no answer came."""

    @property
    def is_closed(self) -> bool:
        """Whether ``aclose()`` was called (or the underlying client was closed)."""
        ...

    async def send(self, request: ApiRequest[Any], url: str, content: bytes | None, timeout: Any) -> RawResponse:
        """Send and read the whole answer. ``timeout`` is NOT_GIVEN, None, seconds or an httpx.Timeout."""
        ...

    async def aclose(self) -> None:
        """Release connections the backend owns."""
        ...


def respx_is_mocking() -> bool:
    """True while a respx router is active: then a default client must send through httpx for respx to see it."""
    mocks = sys.modules.get("respx.mocks")
    if mocks is None:
        return False
    registry = getattr(getattr(mocks, "Mocker", None), "registry", {})
    return any(getattr(mocker, "routers", None) for mocker in registry.values())
