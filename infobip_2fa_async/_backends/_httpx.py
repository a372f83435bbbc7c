"""The httpx backend: any httpx.AsyncClient (a caller's, or one made around a caller's transport).

Whatever the client was built with, these requests never follow a redirect, and their bodies are read raw and
decoded by ``BodyReader`` with the cap. The attempt as a whole is bounded by a timer around it; httpx's trace
extension tells whether the request had started to go out when the timer fired, or when httpx refused to write it.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from ._base import RawResponse, Timeouts
from ._body import BodyReader, announced_length
from ._compat import time_limit
from ._errors import NoAnswer, connect_failure, other_event_loop

__all__ = ["HttpxBackend", "Progress", "classify_httpx_error", "sends_through_proxy"]

#: How deep a chain of causes is searched for the TLS failure beneath an httpx ConnectError.
_CAUSE_DEPTH = 10

# httpx failures that prove the request never reached the server, by reason.
_NOT_SENT: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ConnectTimeout, "connect_timeout"),
    (httpx.PoolTimeout, "pool_timeout"),
    (httpx.ProxyError, "proxy_error"),  # the proxy refused to open a tunnel
    (httpx.ConnectError, "connect_error"),
    (httpx.UnsupportedProtocol, "protocol_error"),  # refused before connecting
)
# Failures after which the server may have acted on the request.
_MAYBE_SENT: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ReadTimeout, "read_timeout"),
    (httpx.WriteTimeout, "write_timeout"),
    (httpx.RemoteProtocolError, "connection_dropped"),
    (httpx.ReadError, "connection_dropped"),
    (httpx.WriteError, "connection_dropped"),
)


class Progress:
    """httpx's trace callback for one attempt: whether the request's head had started to go out, and whether all of
    it had."""

    __slots__ = ("head_written", "sending", "traced")

    def __init__(self) -> None:
        self.traced = False
        self.sending = False
        self.head_written = False

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.traced = True
        if "send_request_headers" in event:
            self.sending = True
            self.head_written = self.head_written or event.endswith(".complete")


def _is_certificate_failure(error: BaseException) -> bool:
    """Whether a TLS handshake failed underneath (httpcore reports it as a ConnectError)."""
    seen: BaseException | None = error
    for _ in range(_CAUSE_DEPTH):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _connect_failure(error: httpx.ConnectError, proxied: bool) -> str:
    """What httpx tried to connect to, and why it failed, worded as on the aiohttp backend."""
    try:
        url = error.request.url
    except RuntimeError:  # an error made without its request
        return connect_failure(error, scheme=None, host=None, port=None, through_proxy=proxied)
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return connect_failure(error, scheme=url.scheme, host=url.host, port=port, through_proxy=proxied)


def sends_through_proxy(client: httpx.AsyncClient, url: httpx.URL) -> bool:
    """Whether ``client`` sends ``url`` through a proxy (its own or the environment's), so that a connect error may
    be the proxy's. httpx says so nowhere public: its mounts are read, and anything unexpected answers False."""
    mounts = getattr(client, "_mounts", None)
    if not isinstance(mounts, dict):
        return False
    for pattern, transport in mounts.items():
        matches = getattr(pattern, "matches", None)
        if transport is not None and callable(matches) and matches(url):
            return "proxy" in type(getattr(transport, "_pool", None)).__name__.lower()
    return False


def classify_httpx_error(error: Exception, progress: Progress, *, proxied: bool = False) -> NoAnswer:
    """An httpx failure as never sent or maybe sent, and why.

    A request httpx refused to write (``LocalProtocolError``) never left unless its head was already out: then the
    server may have read the request and acted on it. A connection that could not be opened is worded by
    ``connect_failure``; ``proxied``: the client sends this request through a proxy.
    """
    if isinstance(error, httpx.ConnectError):
        reason = "tls_error" if _is_certificate_failure(error) else "connect_error"
        return NoAnswer(True, reason, _connect_failure(error, proxied))
    if isinstance(error, httpx.LocalProtocolError):
        return NoAnswer(not progress.head_written, "protocol_error", error)
    for kind, reason in _NOT_SENT:
        if isinstance(error, kind):
            return NoAnswer(True, reason, error)
    reason = next((reason for kind, reason in _MAYBE_SENT if isinstance(error, kind)), "transport_error")
    return NoAnswer(False, reason, error)


class HttpxBackend:
    """Sends through an httpx.AsyncClient; ``headers`` go with each request when the client is a caller's."""

    def __init__(self, http_client: httpx.AsyncClient, *, owned: bool, headers: dict[str, str] | None,
                 max_response_bytes: int) -> None:  # fmt: skip
        self.http_client = http_client
        self.owned = owned
        self._headers = headers
        self._cap = max_response_bytes
        self._phases_of: Timeouts | None = None  # the bounds ``_phases`` was last asked for
        self._phases_key: tuple[float | None, ...] = ()  # the phases ``_phases`` was made of
        self._phases = httpx.Timeout(None)
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop of the first request

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client is closed."""
        return self.http_client.is_closed

    def _httpx_timeout(self, timeouts: Timeouts) -> httpx.Timeout:
        """The phases in httpx's terms, made again only when they differ from the last attempt's (usually the very
        same bounds, the client's; a deadline cuts the total, not the phases)."""
        if timeouts is not self._phases_of:
            key = timeouts[:4]
            if key != self._phases_key:
                self._phases = httpx.Timeout(connect=timeouts.connect, read=timeouts.read, write=timeouts.write,
                                             pool=timeouts.pool)  # fmt: skip
                self._phases_key = key
            self._phases_of = timeouts
        return self._phases

    async def send(
        self, method: str, url: str, body: bytes | None, timeouts: Timeouts, headers: Mapping[str, str] | None = None
    ) -> RawResponse:
        """One request through httpx, within the attempt's total."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None:
                raise other_event_loop()
            self._loop = loop
        progress = Progress()
        built = self.http_client.build_request(
            method,
            url,
            content=body,
            headers=self._headers if headers is None else {**(self._headers or {}), **headers},
            timeout=self._httpx_timeout(timeouts),
            extensions={"trace": progress},
        )
        total = timeouts.total
        try:
            async with time_limit(total):
                return await self._exchange(built)
        except asyncio.TimeoutError as error:
            # Our own timer for the whole attempt: not sent only if httpx's trace shows it never started sending.
            not_sent = progress.traced and not progress.sending
            detail = f"the attempt took longer than its timeout of {total:g} s"
            raise NoAnswer(not_sent, "connect_timeout" if not_sent else "read_timeout", detail) from error
        except httpx.HTTPError as error:
            proxied = isinstance(error, httpx.ConnectError) and sends_through_proxy(self.http_client, built.url)
            raise classify_httpx_error(error, progress, proxied=proxied) from error

    async def _exchange(self, built: httpx.Request) -> RawResponse:
        response = await self.http_client.send(built, stream=True, follow_redirects=False)
        try:
            if response.is_stream_consumed:  # a mock (respx) that read, and decoded, the body already
                reader = BodyReader(None, self._cap)
                reader.feed(response.content)
                body, problem = reader.result()
                return RawResponse(response.status_code, response.headers, body, problem)
            headers = response.headers
            reader = BodyReader(
                headers.get("content-encoding"), self._cap, announced_length(headers.get("content-length"))
            )
            if reader.problem is None:
                async for chunk in response.aiter_raw():
                    if not reader.feed(chunk):
                        break
            body, problem = reader.result()
            return RawResponse(response.status_code, response.headers, body, problem)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        """Close the httpx client if this library made it."""
        if self.owned:
            await self.http_client.aclose()
