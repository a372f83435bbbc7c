"""The default backend: aiohttp's connection pool, with no httpx objects built per request.

Why: at 64 concurrent sends httpx's own transport spends milliseconds of CPU per request in its pool and locks,
and even on an aiohttp transport the httpx request/response layer costs more than the whole aiohttp request.
benchmarks/RESULTS.md has the figures.

aiohttp's own decompression is off: ``BodyReader`` decodes gzip and deflate with a cap, as on the httpx backend.
Proxies come from ``_connection`` (not aiohttp's ``trust_env``), so both backends pick the same one.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp
import httpx
from yarl import URL

from .._exceptions import ConfigurationError, TransportError
from .._options import AttemptTimeout
from .._request import ApiRequest
from . import BodyReader, RawResponse, transport_error

__all__ = ["AiohttpBackend", "classify_aiohttp_error", "client_timeout"]

# Checked in this order: the first matching class decides. (not sent?, reason)
_CLASSES: tuple[tuple[type[BaseException], bool, str], ...] = (
    (aiohttp.ConnectionTimeoutError, True, "connect_timeout"),  # connecting or waiting for a pooled connection
    (aiohttp.ClientConnectorCertificateError, True, "tls_error"),
    (aiohttp.ClientConnectorSSLError, True, "tls_error"),
    (aiohttp.ClientHttpProxyError, True, "proxy_error"),  # the proxy refused to open a tunnel (e.g. 407)
    (aiohttp.ClientConnectorError, True, "connect_error"),
    (aiohttp.InvalidURL, True, "protocol_error"),
    (aiohttp.SocketTimeoutError, False, "read_timeout"),
    (asyncio.TimeoutError, False, "read_timeout"),
    (aiohttp.ServerDisconnectedError, False, "connection_dropped"),
    (aiohttp.ClientOSError, False, "connection_dropped"),
    (aiohttp.ClientPayloadError, False, "connection_dropped"),
    (aiohttp.ClientResponseError, False, "protocol_error"),  # an answer aiohttp could not parse
)


def classify_aiohttp_error(error: BaseException, request: ApiRequest[Any], host: str) -> TransportError:
    """Classify an aiohttp failure as never sent or maybe sent."""
    for kind, not_sent, reason in _CLASSES:
        if isinstance(error, kind):
            return transport_error(not_sent, reason, request, host, error)
    return transport_error(False, "transport_error", request, host, error)


def client_timeout(timeout: AttemptTimeout) -> aiohttp.ClientTimeout:
    """An attempt's limits in aiohttp's terms.

    ``total`` bounds the attempt as a whole: connecting, sending, waiting and reading the whole body (aiohttp's
    body reads run under the same timer). aiohttp's ``connect`` also covers waiting for a pooled connection, so it
    gets pool + connect; a read phase as long as the total adds nothing and is left out (one timer fewer).
    aiohttp has no write timeout: the total covers writing too.
    """
    phases, total = timeout.phases, timeout.total
    acquire = None if phases.pool is None or phases.connect is None else phases.pool + phases.connect
    read = phases.read if phases.read is not None and (total is None or phases.read < total) else None
    return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=phases.connect, sock_read=read)


class AiohttpBackend:
    """One aiohttp ClientSession, opened on the first request (inside the event loop) and reused."""

    def __init__(
        self,
        *,
        headers: dict[str, str],
        timeout: AttemptTimeout,
        limits: httpx.Limits,
        host: str,
        max_response_bytes: int,
        ssl_context: ssl.SSLContext,
        proxy: str | None,
    ) -> None:
        self._headers = headers
        self._default_timeout = timeout
        self._client_timeout = client_timeout(timeout)
        self._limits = limits
        self._host = host
        self._max_bytes = max_response_bytes
        self._ssl = ssl_context
        self._proxy = proxy
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
            ssl=self._ssl,
        )
        self._session = aiohttp.ClientSession(
            headers=self._headers,
            connector=connector,
            timeout=self._client_timeout,
            skip_auto_headers=("User-Agent",),
            auto_decompress=False,
            trust_env=False,
        )
        return self._session

    async def send(
        self, request: ApiRequest[Any], url: str, content: bytes | None, timeout: AttemptTimeout
    ) -> RawResponse:
        """One request through aiohttp; the body is read (up to the cap) before the connection goes back."""
        session = self._session or self._open()
        if asyncio.get_running_loop() is not self._loop:
            raise ConfigurationError(
                "this TwoFactorClient's connections belong to the event loop it first sent from; "
                "create one client per event loop (for example in your app's startup, or in a test fixture)"
            )
        kwargs: dict[str, Any] = {}
        if timeout is not self._default_timeout:
            kwargs["timeout"] = client_timeout(timeout)
        if self._proxy is not None:
            kwargs["proxy"] = self._proxy
        try:
            async with session.request(
                request.method,
                URL(url, encoded=True),
                params=request.query,
                data=content,
                allow_redirects=False,
                **kwargs,
            ) as response:
                encoding = response.headers.get("Content-Encoding")
                length = response.content_length
                if encoding is None and length is not None and length <= self._max_bytes:
                    return RawResponse(response.status, response.headers, await response.read())
                reader = BodyReader(encoding, self._max_bytes)
                if length is not None and encoding is None:  # announced past the cap: not a byte of it is read
                    reader.problem = reader.too_large()
                else:
                    async for chunk in response.content.iter_any():
                        if not reader.feed(chunk):
                            break
                body, problem = reader.result()
                if problem is not None:
                    response.close()  # the rest stays unread: the connection cannot be reused
                return RawResponse(response.status, response.headers, body, problem)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise classify_aiohttp_error(error, request, self._host) from error

    async def aclose(self) -> None:
        """Close the session and its connections."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
