"""Keeping a default client mockable with respx in users' tests.

respx mocks httpx by patching it (httpcore's connection pool by default, httpx's client with ``using="httpx"``)
while a router is active; respx has no public "is mocking" call. A default client sends through aiohttp, which respx
cannot see, so while httpx is patched it sends through an httpx client instead, built on first need. Whether to
look at all is decided once per client (``_choose``): only where respx is installed, so that production code, without
respx, never pays for the check (nor for importing httpcore); where it is, each attempt costs a look at two
attributes.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Mapping

import httpcore
import httpx

from ._base import Backend, RawResponse, Timeouts

__all__ = ["WhileRespxMocks", "httpx_is_patched"]


_MODULES = sys.modules


def httpx_is_patched() -> bool:
    """Whether httpx's sending path is patched now, as respx does while a router is active: httpcore's pool or
    httpx's transport choice is no longer their own code."""
    pool = httpcore.AsyncConnectionPool.handle_async_request
    choice = httpx.AsyncClient._transport_for_url
    return not pool.__module__.startswith("httpcore.") or not choice.__module__.startswith("httpx.")


class WhileRespxMocks:
    """A backend that sends through ``backend``, or, while httpx is patched, through the httpx backend that
    ``make_fallback`` builds (once)."""

    def __init__(self, backend: Backend, make_fallback: Callable[[], Backend]) -> None:
        self.backend = backend
        self._make_fallback = make_fallback
        self._fallback: Backend | None = None

    @property
    def is_closed(self) -> bool:
        """Whether the backend is closed."""
        return self.backend.is_closed

    def send(
        self, method: str, url: str, body: bytes | None, timeouts: Timeouts, headers: Mapping[str, str] | None = None
    ) -> Awaitable[RawResponse]:
        """Send through the backend, or through httpx while respx mocks it."""
        if "respx" in _MODULES and httpx_is_patched():  # respx cannot be mocking before it is imported
            if self._fallback is None:
                self._fallback = self._make_fallback()
            return self._fallback.send(method, url, body, timeouts, headers)
        return self.backend.send(method, url, body, timeouts, headers)

    async def aclose(self) -> None:
        """Close both backends."""
        await self.backend.aclose()
        if self._fallback is not None:
            await self._fallback.aclose()
