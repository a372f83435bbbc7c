"""The httpx backend: any httpx.AsyncClient (a caller's, or one made around a caller's transport)."""

from __future__ import annotations

from typing import Any

import httpx

from .._exceptions import RequestMaybeSentError, RequestNotSentError, TransportError
from .._options import NotGiven
from .._request import ApiRequest
from . import RawResponse

__all__ = ["HttpxBackend", "classify_httpx_error"]

# httpx failures that prove the request never reached the server, by reason.
_NOT_SENT: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ConnectTimeout, "connect_timeout"),
    (httpx.PoolTimeout, "pool_timeout"),
    (httpx.ConnectError, "connect_error"),
    (httpx.ProxyError, "connect_error"),
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


def transport_error(
    not_sent: bool, reason: str, request: ApiRequest[Any], host: str, error: BaseException
) -> TransportError:
    """The typed error for a request that got no answer, worded for the log and the caller."""
    where = f"{request.method} {request.path} to {host}"
    detail = str(error) or type(error).__name__
    if not_sent:
        text = f"{reason.replace('_', ' ')} on {where}; the request was not sent: {detail}"
        return RequestNotSentError(text, reason=reason, method=request.method, path=request.path)
    text = f"{reason.replace('_', ' ')} on {where}; the server may have processed it: {detail}"
    return RequestMaybeSentError(text, reason=reason, method=request.method, path=request.path)


def classify_httpx_error(error: Exception, request: ApiRequest[Any], host: str) -> TransportError:
    """Classify an httpx failure as never sent or maybe sent."""
    for kind, reason in _NOT_SENT:
        if isinstance(error, kind):
            return transport_error(True, reason, request, host, error)
    reason = next((reason for kind, reason in _MAYBE_SENT if isinstance(error, kind)), "transport_error")
    return transport_error(False, reason, request, host, error)


class HttpxBackend:
    """Sends through an httpx.AsyncClient; ``headers`` go with each request when the client is a caller's."""

    def __init__(self, http_client: httpx.AsyncClient, *, owned: bool, headers: dict[str, str] | None,
                 timeout: Any, host: str) -> None:  # fmt: skip
        self.http_client = http_client
        self.owned = owned
        self._headers = headers
        self._timeout: Any = httpx.USE_CLIENT_DEFAULT if isinstance(timeout, NotGiven) else timeout
        self._host = host

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client is closed."""
        return self.http_client.is_closed

    async def send(self, request: ApiRequest[Any], url: str, content: bytes | None, timeout: Any) -> RawResponse:
        """One request through httpx."""
        try:
            response = await self.http_client.request(
                request.method,
                url,
                params=request.query,
                content=content,
                headers=self._headers,
                timeout=self._timeout if isinstance(timeout, NotGiven) else timeout,
            )
        except httpx.HTTPError as error:
            raise classify_httpx_error(error, request, self._host) from error
        return RawResponse(response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        """Close the httpx client if this library made it."""
        if self.owned:
            await self.http_client.aclose()
