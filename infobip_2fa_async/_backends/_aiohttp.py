"""The default backend: aiohttp's connection pool, with no httpx objects built per request.

Why: at 64 concurrent sends httpx's own transport spends milliseconds of CPU per request in its pool and locks,
and even on an aiohttp transport the httpx request/response layer costs more than the whole aiohttp request.
benchmarks/RESULTS.md has the figures.

A request goes through aiohttp's connector (pool, DNS cache, TLS, connect timeouts and errors) and its response
parser, not through ``ClientSession.request``: the request's head is written as bytes made from headers joined once,
and the answer is read from the connection's parser. ``ClientSession.request`` spends about twice the CPU of
everything else in a send (request and response objects, cookie jar, timers, traces, middlewares: about 290,000
instructions of the 440,000 a plain aiohttp POST takes; benchmarks/RESULTS.md). The session's path is still taken
through a proxy, and when ``ClientSession._request`` is replaced (aioresponses mocks aiohttp that way), so that a mock
of aiohttp still sees every request.

aiohttp's own decompression is off: ``BodyReader`` decodes gzip and deflate with a cap, as on the httpx backend.
Proxies come from ``_connection`` (not aiohttp's ``trust_env``), so both backends pick the same one.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from aiohttp.client_reqrep import ClientRequest
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from ._base import RawResponse, Timeouts
from ._body import BodyReader, announced_length
from ._compat import time_limit
from ._errors import NoAnswer, connect_failure, other_event_loop

__all__ = ["AiohttpBackend", "classify_aiohttp_error", "client_timeout"]

#: How long a resolved host name is reused before it is looked up again, in seconds.
DNS_CACHE_SECONDS = 300

#: The encodings ``BodyReader`` decodes, and so the only ones asked for (aiohttp's own default adds br and zstd when
#: their packages are installed).
ACCEPT_ENCODING = "gzip, deflate"

# As in aiohttp's ClientSession: a request on a pooled connection that the server had closed is sent once more on a
# new one for these methods only (a POST that may have arrived is not); and these carry no "Content-Length: 0".
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Connections dropped in a row before a request is written on one (closed, or holding a stray answer) before the
#: request gives up, not sent: a server that closes each connection at once would otherwise be dialled forever.
_UNUSABLE_KEPT = 16
#: Origins kept (scheme, host and port: a client talks to one, its token endpoint to the same or one more).
_ORIGINS_KEPT = 16

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
        self._connector: aiohttp.TCPConnector | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._client_timeout = client_timeout(timeouts)
        self._fields = _header_fields(headers, None)  # the header lines every request carries
        self._last_extra: tuple[dict[str, str], bytes] = ({}, self._fields)  # the last per-call headers, joined
        self._origins: dict[str, tuple[ClientRequest, bytes]] = {}

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
        self._connector = connector
        self._session = aiohttp.ClientSession(
            headers={"Accept-Encoding": ACCEPT_ENCODING, **self._headers},
            connector=connector,
            timeout=self._client_timeout,
            skip_auto_headers=("User-Agent",),
            auto_decompress=False,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),  # an API answer's cookies are not kept, on either path
        )
        return self._session

    async def send(
        self, method: str, url: str, body: bytes | None, timeouts: Timeouts, headers: Mapping[str, str] | None = None
    ) -> RawResponse:
        """One request through aiohttp; the body is read (up to the cap) before the connection goes back."""
        session = self._session or self._open()
        if asyncio.get_running_loop() is not self._loop:
            raise other_event_loop()
        same = timeouts is self._timeouts or timeouts == self._timeouts
        try:
            if self._proxy is None and (aiohttp.ClientSession._request is _GENUINE[0] or _genuine_session_request()):
                limits = self._client_timeout if same else client_timeout(timeouts)
                async with time_limit(limits.total):
                    return await self._send(method, url, body, limits, headers)
            kwargs: dict[str, Any] = {} if same else {"timeout": client_timeout(timeouts)}
            if self._proxy is not None:
                kwargs["proxy"] = self._proxy
            if headers is not None:  # merged over the session's own by aiohttp
                kwargs["headers"] = headers
            async with session.request(
                method, URL(url, encoded=True), data=body, allow_redirects=False, **kwargs
            ) as response:
                return await self._read(response.status, response.headers, response.content, response.close)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise classify_aiohttp_error(error, url.partition(":")[0].lower()) from error
        except HttpProcessingError as error:  # an answer the parser refused: as ClientSession reports it
            raise NoAnswer(False, "connection_dropped", error) from error
        except Unsendable as error:  # found before a byte was written
            raise NoAnswer(True, "protocol_error", error) from error

    async def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        limits: aiohttp.ClientTimeout,
        headers: Mapping[str, str] | None,
    ) -> RawResponse:
        """The request written on a connection from aiohttp's pool, and its answer read from the connection's parser."""
        end = url.find("/", url.find("//") + 2)  # the library's URLs are "scheme://host[:port]/path[?query]"
        origin = url[:end] if end > 0 else url
        key_request, host = self._origin(origin)
        target = _checked(url[end:] if end > 0 else "/", "the request's path")
        if headers is None:
            fields = self._fields
        elif headers == self._last_extra[0]:  # a bearer token is the same for many requests: joined once
            fields = self._last_extra[1]
        else:
            fields = _header_fields(self._headers, headers)
            self._last_extra = (dict(headers), fields)
        if body is not None:
            length = b"Content-Length: %d\r\n" % len(body)
        else:
            length = b"" if method in _NO_BODY else b"Content-Length: 0\r\n"
        data = b"%s %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n%s" % (
            method.encode(), target.encode(), host, fields, length, body or b"")  # fmt: skip
        connector = self._connector
        assert connector is not None
        again = method in _IDEMPOTENT
        unusable = 0
        while True:
            try:  # aiohttp (3.10.11 on) bounds waiting for the pool and connecting by the timeout's connect
                connection = await connector.connect(key_request, [], limits)
            except asyncio.TimeoutError as error:  # named as ClientSession names it, without the path and query
                raise aiohttp.ConnectionTimeoutError(f"Connection timeout to host {origin}") from error
            protocol, transport = connection.protocol, connection.transport
            if protocol is None or transport is None or transport.is_closing() or protocol.should_close:
                # A pooled connection that closed, or that holds an answer nobody asked for (a stray 408 on an idle
                # connection): dropped before a byte is written, so even a POST is safe on the next one.
                connection.close()
                unusable += 1
                if unusable > _UNUSABLE_KEPT:
                    raise NoAnswer(True, "connect_error", f"the server closed {unusable} connections before a request "
                                   "could be written on one")  # fmt: skip
                continue
            try:
                protocol.set_response_params(
                    skip_payload=method == "HEAD", read_until_eof=True, auto_decompress=False,
                    read_timeout=limits.sock_read,
                )  # fmt: skip
                transport.write(data)
                protocol.start_timeout()
                message, payload = await protocol.read()
                while 100 <= message.code < 200 and message.code != 101:  # an interim answer: the real one follows
                    protocol.start_timeout()  # (its end stopped the read timer)
                    message, payload = await protocol.read()
            except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError):
                connection.close()
                if not again:
                    raise
                again = False
                continue
            except BaseException:
                connection.close()
                raise
            try:
                response = await self._read(message.code, message.headers, payload, connection.close)
            except BaseException:
                connection.close()
                raise
            connection.release()  # back to the pool, unless the answer said to close it
            return response

    async def _read(
        self, status: int, headers: Any, content: aiohttp.StreamReader, close: Callable[[], None]
    ) -> RawResponse:
        """The answer's body, read up to the cap (``close`` drops the connection when the rest stays unread)."""
        encoding = headers.get("Content-Encoding")
        length = announced_length(headers.get("Content-Length"))
        if encoding is None and length is not None and length <= self._cap:  # the usual answer: one read
            return RawResponse(status, headers, await content.read())
        reader = BodyReader(encoding, self._cap, length)
        if reader.problem is None:
            async for chunk in content.iter_any():
                if not reader.feed(chunk):
                    break
        body, problem = reader.result()
        if problem is not None:
            close()  # the rest stays unread: the connection cannot be reused
        return RawResponse(status, headers, body, problem)

    def _origin(self, origin: str) -> tuple[ClientRequest, bytes]:
        """For a scheme, host and port: a request that aiohttp's pool keys connections by, and the Host header."""
        known = self._origins.get(origin)
        if known is None:
            if len(self._origins) >= _ORIGINS_KEPT:
                self._origins.clear()
            assert self._loop is not None
            try:
                key_request = ClientRequest("GET", URL(origin + "/", encoded=True), loop=self._loop)
            except ValueError as error:
                raise aiohttp.InvalidURL(origin) from error  # the origin only: a query may hold a phone number
            host = key_request.headers["Host"]
            known = self._origins[origin] = (key_request, _encoded(_checked(host, "the host name"), "the host name"))
        return known

    async def aclose(self) -> None:
        """Close the session and its connections."""
        self._closed = True
        if self._session is not None:
            await self._session.close()


#: aiohttp's own ``ClientSession._request``, once seen in place (a mock such as aioresponses replaces it).
_GENUINE: list[Any] = [None]


def _genuine_session_request() -> bool:
    """Whether ``ClientSession._request`` is aiohttp's own, not a mock's: while a mock replaces it, requests go
    through the session so that the mock sees them (even when the mock was on before this module was imported)."""
    current = aiohttp.ClientSession._request
    if _GENUINE[0] is None and (current.__module__, current.__qualname__) == (
        "aiohttp.client",
        "ClientSession._request",
    ):
        _GENUINE[0] = current
    return current is _GENUINE[0]


class Unsendable(ValueError):
    """A request target or header that would break the request's head (a line break or NUL): nothing is written."""


def _checked(text: str, what: str) -> str:
    """A request target, header name or value, refused if it could end its line (as aiohttp refuses it).

    ``what`` names it in the error; the text itself is not quoted (a header's value may be a key or a token).
    """
    if "\r" in text or "\n" in text or "\x00" in text:
        raise Unsendable(f"{what} holds a line break or a NUL character; nothing was sent")
    return text


def _header_fields(headers: Mapping[str, str], extra: Mapping[str, str] | None) -> bytes:
    """The header lines of a request (Host and Content-Length apart), ``extra`` replacing same-named ones.

    Accept-Encoding is added (as ``BodyReader`` decodes) unless given.
    """
    merged = {name.lower(): (name, value) for name, value in headers.items()}
    if extra:
        merged.update((name.lower(), (name, value)) for name, value in extra.items())
    merged.setdefault("accept-encoding", ("Accept-Encoding", ACCEPT_ENCODING))
    merged.pop("host", None)
    merged.pop("content-length", None)
    lines = (f"{_checked(name, 'a header name')}: {_checked(value, f'the value of header {name}')}\r\n"
             for name, value in merged.values())  # fmt: skip
    return _encoded("".join(lines), "a header")


def _encoded(text: str, what: str) -> bytes:
    """Header text as bytes (Latin-1, as HTTP/1.1 allows); anything else is refused, without quoting it."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        pass  # raised below, outside this block: the encoding error (which holds the text) is not kept as context
    raise Unsendable(f"{what} holds a character HTTP headers cannot carry (not Latin-1); nothing was sent")
