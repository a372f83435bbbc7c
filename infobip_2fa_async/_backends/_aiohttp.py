"""The default backend: aiohttp's connection pool, with no httpx objects built per request.

Why: at 64 concurrent sends httpx's own transport spends milliseconds of CPU per request in its pool and locks,
and even on an aiohttp transport the httpx request/response layer costs more than the whole aiohttp request.
benchmarks/RESULTS.md has the figures.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import httpx
from yarl import URL

from .._exceptions import ConfigurationError, TransportError
from .._options import NotGiven
from .._request import ApiRequest
from . import RawResponse
from ._httpx import transport_error

__all__ = ["AiohttpBackend", "classify_aiohttp_error", "client_timeout"]

# Checked in this order: the first matching class decides. (not sent?, reason)
_CLASSES: tuple[tuple[type[BaseException], bool, str], ...] = (
    (aiohttp.ConnectionTimeoutError, True, "connect_timeout"),  # connecting or waiting for a pooled connection
    (aiohttp.ClientConnectorCertificateError, True, "tls_error"),
    (aiohttp.ClientConnectorSSLError, True, "tls_error"),
    (aiohttp.ClientConnectorError, True, "connect_error"),
    (aiohttp.InvalidURL, True, "protocol_error"),
    (aiohttp.SocketTimeoutError, False, "read_timeout"),
    (asyncio.TimeoutError, False, "read_timeout"),
    (aiohttp.ServerDisconnectedError, False, "connection_dropped"),
    (aiohttp.ClientOSError, False, "connection_dropped"),
    (aiohttp.ClientPayloadError, False, "connection_dropped"),
)


def classify_aiohttp_error(error: BaseException, request: ApiRequest[Any], host: str) -> TransportError:
    """Classify an aiohttp failure as never sent or maybe sent."""
    for kind, not_sent, reason in _CLASSES:
        if isinstance(error, kind):
            return transport_error(not_sent, reason, request, host, error)
    return transport_error(False, "transport_error", request, host, error)


def client_timeout(timeout: float | httpx.Timeout | None) -> aiohttp.ClientTimeout:
    """httpx's timeout phases in aiohttp's terms. aiohttp's ``connect`` also covers waiting for a pooled
    connection, so it gets pool + connect; aiohttp has no write timeout (the bodies here are small)."""
    if timeout is None:
        return aiohttp.ClientTimeout(total=None)
    phases = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    acquire = None if phases.pool is None or phases.connect is None else phases.pool + phases.connect
    return aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=phases.connect, sock_read=phases.read)


class AiohttpBackend:
    """One aiohttp ClientSession, opened on the first request (inside the event loop) and reused."""

    def __init__(self, *, headers: dict[str, str], timeout: Any, limits: httpx.Limits, host: str) -> None:
        self._headers = headers
        self._timeout = client_timeout(None if isinstance(timeout, NotGiven) else timeout)
        self._limits = limits
        self._host = host
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def is_closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return self._closed

    def _open(self) -> aiohttp.ClientSession:
        self._loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0,
            keepalive_timeout=self._limits.keepalive_expiry,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            headers=self._headers, connector=connector, timeout=self._timeout, skip_auto_headers=("User-Agent",)
        )
        return self._session

    async def send(self, request: ApiRequest[Any], url: str, content: bytes | None, timeout: Any) -> RawResponse:
        """One request through aiohttp; the whole body is read before the connection goes back to the pool."""
        session = self._session or self._open()
        if asyncio.get_running_loop() is not self._loop:
            raise ConfigurationError(
                "this TwoFactorClient's connections belong to the event loop it first sent from; "
                "create one client per event loop (for example in your app's startup, or in a test fixture)"
            )
        kwargs: dict[str, Any] = {}
        if not isinstance(timeout, NotGiven):
            kwargs["timeout"] = client_timeout(timeout)
        try:
            async with session.request(
                request.method,
                URL(url, encoded=True),
                params=request.query,
                data=content,
                allow_redirects=False,
                **kwargs,
            ) as response:
                body = await response.read()
                return RawResponse(response.status, response.headers, body)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise classify_aiohttp_error(error, request, self._host) from error

    async def aclose(self) -> None:
        """Close the session and its connections."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
