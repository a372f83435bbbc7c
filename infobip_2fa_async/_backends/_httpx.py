"""The httpx backend: any httpx.AsyncClient (a caller's, or one made around a caller's transport).

Whatever the client was built with, these requests never follow a redirect, and their bodies are read raw and
decoded by ``BodyReader`` with the cap. The attempt as a whole is bounded by a timer around it; httpx's trace
extension tells whether the request had started to go out when the timer fired.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpx

from .._exceptions import TransportError
from .._options import AttemptTimeout
from .._request import ApiRequest
from . import BodyReader, RawResponse, time_limit, transport_error

__all__ = ["HttpxBackend", "classify_httpx_error"]

# httpx failures that prove the request never reached the server, by reason.
_NOT_SENT: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ConnectTimeout, "connect_timeout"),
    (httpx.PoolTimeout, "pool_timeout"),
    (httpx.ProxyError, "proxy_error"),
    (httpx.ConnectError, "connect_error"),
    (httpx.UnsupportedProtocol, "protocol_error"),
    (httpx.LocalProtocolError, "protocol_error"),
)
# Failures after which the server may have acted on the request.
_MAYBE_SENT: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ReadTimeout, "read_timeout"),
    (httpx.WriteTimeout, "write_timeout"),
    (httpx.RemoteProtocolError, "connection_dropped"),
    (httpx.ReadError, "connection_dropped"),
    (httpx.WriteError, "connection_dropped"),
)


def _is_certificate_failure(error: BaseException) -> bool:
    """Whether a TLS handshake failed underneath (httpcore reports it as a ConnectError)."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def classify_httpx_error(error: Exception, request: ApiRequest[Any], host: str) -> TransportError:
    """Classify an httpx failure as never sent or maybe sent."""
    if isinstance(error, httpx.ConnectError) and _is_certificate_failure(error):
        return transport_error(True, "tls_error", request, host, error)
    for kind, reason in _NOT_SENT:
        if isinstance(error, kind):
            return transport_error(True, reason, request, host, error)
    reason = next((reason for kind, reason in _MAYBE_SENT if isinstance(error, kind)), "transport_error")
    return transport_error(False, reason, request, host, error)


class _Progress:
    """httpx's trace callback: records whether the request's headers had started to go out."""

    __slots__ = ("sending", "traced")

    def __init__(self) -> None:
        self.traced = False
        self.sending = False

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.traced = True
        if "send_request_headers" in event:
            self.sending = True


class HttpxBackend:
    """Sends through an httpx.AsyncClient; ``headers`` go with each request when the client is a caller's."""

    def __init__(self, http_client: httpx.AsyncClient, *, owned: bool, headers: dict[str, str] | None,
                 host: str, max_response_bytes: int) -> None:  # fmt: skip
        self.http_client = http_client
        self.owned = owned
        self._headers = headers
        self._host = host
        self._max_bytes = max_response_bytes

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client is closed."""
        return self.http_client.is_closed

    async def send(
        self, request: ApiRequest[Any], url: str, content: bytes | None, timeout: AttemptTimeout
    ) -> RawResponse:
        """One request through httpx, within the attempt's total."""
        progress = _Progress()
        built = self.http_client.build_request(
            request.method,
            url,
            params=request.query,
            content=content,
            headers=self._headers,
            timeout=timeout.phases,
            extensions={"trace": progress},
        )
        try:
            async with time_limit(timeout.total):
                return await self._exchange(built)
        except asyncio.TimeoutError as error:
            # Our own timer for the whole attempt: not sent only if httpx's trace shows it never started sending.
            not_sent = progress.traced and not progress.sending
            reason = "connect_timeout" if not_sent else "read_timeout"
            detail = f"the attempt took longer than its timeout of {timeout.total:g} s"
            raise transport_error(not_sent, reason, request, self._host, detail) from error
        except httpx.HTTPError as error:
            raise classify_httpx_error(error, request, self._host) from error

    async def _exchange(self, built: httpx.Request) -> RawResponse:
        response = await self.http_client.send(built, stream=True, follow_redirects=False)
        try:
            if response.is_stream_consumed:  # a mock (respx) that read, and decoded, the body already
                reader = BodyReader(None, self._max_bytes)
                reader.feed(response.content)
                body, problem = reader.result()
                return RawResponse(response.status_code, response.headers, body, problem)
            reader = BodyReader(response.headers.get("content-encoding"), self._max_bytes)
            length = response.headers.get("content-length")
            announced = int(length) if length is not None and length.isdigit() else None
            if announced is not None and announced > self._max_bytes and not response.headers.get("content-encoding"):
                reader.problem = reader.too_large()  # announced past the cap: not a byte of it is read
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
