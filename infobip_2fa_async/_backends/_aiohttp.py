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
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from ._base import RawResponse, Timeouts
from ._body import BodyReader
from ._errors import NoAnswer, connect_failure, other_event_loop

__all__ = ["AiohttpBackend", "classify_aiohttp_error", "client_timeout"]

#: How long a resolved host name is reused before it is looked up again, in seconds.
DNS_CACHE_SECONDS = 300

# Checked in this order: the first matching class decides. (not sent?, reason)
_CLASSES: tuple[tuple[type[BaseException], bool, str], ...] = (
    (aiohttp.ConnectionTimeoutError, True, "connect_timeout"),  # connecting or waiting for a pooled connection
    (aiohttp.ClientConnectorCertificateError, True, "tls_error"),
    (aiohttp.ClientConnectorSSLError, True, "tls_error"),
    (aiohttp.ClientHttpProxyError, True, "proxy_error"),  # the proxy refused to open a tunnel (e.g. 407)
    (aiohttp.ClientConnectorError, True, "connect_error"),
    (aiohttp.InvalidURL, True, "protocol_error"),  # refused before connecting
    (aiohttp.SocketTimeoutError, False, "read_timeout"),
    (asyncio.TimeoutError, False, "read_timeout"),
    (aiohttp.ServerDisconnectedError, False, "connection_dropped"),
    (aiohttp.ClientOSError, False, "connection_dropped"),
    (aiohttp.ClientPayloadError, False, "connection_dropped"),
    # An answer aiohttp could not parse (garbage instead of HTTP): the request went out. httpx reports the same as a
    # RemoteProtocolError, which it also raises for a connection closed mid-answer: both are "connection_dropped".
    (aiohttp.ClientResponseError, False, "connection_dropped"),
)


def classify_aiohttp_error(error: BaseException, scheme: str | None = None) -> NoAnswer:
    """An aiohttp failure as never sent or maybe sent, and why.

    A connection that could not be opened is worded by ``connect_failure`` (host, port, http or https: not aiohttp's
    ``ssl:default``); ``scheme`` is the request URL's.
    """
    for kind, not_sent, reason in _CLASSES:
        if isinstance(error, kind):
            if isinstance(error, aiohttp.ClientConnectorError) and reason in ("tls_error", "connect_error"):
                proxy = isinstance(error, aiohttp.ClientProxyConnectionError)
                detail = connect_failure(error, scheme=None if proxy else scheme, host=error.host, port=error.port,
                                         proxy=proxy)  # fmt: skip
                return NoAnswer(not_sent, reason, detail)
            return NoAnswer(not_sent, reason, error)
    return NoAnswer(False, "transport_error", error)


def client_timeout(timeouts: Timeouts) -> aiohttp.ClientTimeout:
    """An attempt's bounds in aiohttp's terms.

    ``total`` bounds the attempt as a whole: connecting, sending, waiting and reading the whole body (aiohttp's
    body reads run under the same timer). aiohttp's ``connect`` also covers waiting for a pooled connection, so it
    gets pool + connect; a read phase as long as the total adds nothing and is left out (one timer fewer).
    aiohttp has no write timeout: the total covers writing too.
    """
    total, pool, connect, read = timeouts.total, timeouts.pool, timeouts.connect, timeouts.read
    acquire = None if pool is None or connect is None else pool + connect
    read = read if read is not None and (total is None or read < total) else None
    return aiohttp.ClientTimeout(total=total, connect=acquire, sock_connect=connect, sock_read=read)


class AiohttpBackend:
    """One aiohttp ClientSession, opened on the first request (inside the event loop) and reused.

    Args:
        headers: Sent with every request.
        timeouts: The client's default bounds (the session's; an attempt with other bounds passes its own).
        max_connections: The pool's size (0: no bound).
        keepalive_expiry: Seconds an idle connection is kept.
        max_response_bytes: The body cap.
        ssl_context: The TLS context of every connection.
        proxy: The proxy every request goes through, if any.
    """

    def __init__(
        self,
        *,
        headers: dict[str, str],
        timeouts: Timeouts,
        max_connections: int,
        keepalive_expiry: float | None,
        max_response_bytes: int,
        ssl_context: ssl.SSLContext,
        proxy: str | None,
    ) -> None:
        self._headers = headers
        self._timeouts = timeouts
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._cap = max_response_bytes
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
            limit=self._max_connections,
            keepalive_timeout=self._keepalive_expiry,
            ttl_dns_cache=DNS_CACHE_SECONDS,
            ssl=self._ssl,
        )
        self._session = aiohttp.ClientSession(
            headers=self._headers,
            connector=connector,
            timeout=client_timeout(self._timeouts),
            skip_auto_headers=("User-Agent",),
            auto_decompress=False,
            trust_env=False,
        )
        return self._session

    async def send(
        self, method: str, url: str, body: bytes | None, timeouts: Timeouts, headers: Mapping[str, str] | None = None
    ) -> RawResponse:
        """One request through aiohttp; the body is read (up to the cap) before the connection goes back."""
        session = self._session or self._open()
        if asyncio.get_running_loop() is not self._loop:
            raise other_event_loop()
        kwargs: dict[str, Any] = {}
        if timeouts is not self._timeouts and timeouts != self._timeouts:
            kwargs["timeout"] = client_timeout(timeouts)
        if self._proxy is not None:
            kwargs["proxy"] = self._proxy
        if headers is not None:  # merged over the session's own by aiohttp
            kwargs["headers"] = headers
        try:
            async with session.request(
                method, URL(url, encoded=True), data=body, allow_redirects=False, **kwargs
            ) as response:
                encoding = response.headers.get("Content-Encoding")
                length = response.content_length
                if encoding is None and length is not None and length <= self._cap:  # the usual answer: one read
                    return RawResponse(response.status, response.headers, await response.read())
                reader = BodyReader(encoding, self._cap, length)
                if reader.problem is None:
                    async for chunk in response.content.iter_any():
                        if not reader.feed(chunk):
                            break
                body, problem = reader.result()
                if problem is not None:
                    response.close()  # the rest stays unread: the connection cannot be reused
                return RawResponse(response.status, response.headers, body, problem)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise classify_aiohttp_error(error, url.partition(":")[0].lower()) from error

    async def aclose(self) -> None:
        """Close the session and its connections."""
        self._closed = True
        if self._session is not None:
            await self._session.close()
