"""Carries out an ApiRequest over httpx: JSON body, tenacity retry loop, status -> typed error, JSON -> model.

The decisions (retry or not, how long, which error) live in ``_retry`` and ``_protocol`` as plain
functions; this module only does the I/O around them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import tenacity

from ._exceptions import (
    ConfigurationError,
    InvalidRequestError,
    RequestMaybeSentError,
    RequestNotSentError,
    TransportError,
)
from ._protocol import decode_response, encode_body, error_from_response
from ._request import ApiRequest
from ._retry import RetryDecision, RetryPolicy, decide

__all__ = ["DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "NOT_GIVEN", "HttpTransport", "NotGiven", "TimeoutArg"]

T = TypeVar("T")

logger = logging.getLogger("infobip_2fa_async")

#: Per phase: connecting 5 s, waiting for the answer 30 s (a send may include a Number Lookup), writing
#: the small JSON body 10 s, waiting for a free pooled connection 10 s.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=10.0)

#: Enough connections for a busy backend: 200 open at once, 100 kept alive between requests.
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
    (httpx.HTTPError, "transport_error"),
)


def _reason(error: Exception, table: tuple[tuple[type[Exception], str], ...]) -> str | None:
    return next((reason for kind, reason in table if isinstance(error, kind)), None)


def transport_error(error: Exception, request: ApiRequest[Any], host: str) -> TransportError:
    """Classify an httpx failure as never sent or maybe sent."""
    where = f"{request.method} {request.path} to {host}"
    detail = str(error) or type(error).__name__
    reason = _reason(error, _NOT_SENT)
    if reason is not None:
        return RequestNotSentError(
            f"{reason.replace('_', ' ')} on {where}; the request was not sent: {detail}",
            reason=reason,
            method=request.method,
            path=request.path,
        )
    reason = _reason(error, _MAYBE_SENT) or "transport_error"
    return RequestMaybeSentError(
        f"{reason.replace('_', ' ')} on {where}; the server may have processed it: {detail}",
        reason=reason,
        method=request.method,
        path=request.path,
    )


class HttpTransport:
    """Sends ApiRequests through one httpx.AsyncClient with the client's retry policy."""

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient,
        owns_http_client: bool,
        base_url: str,
        headers: dict[str, str] | None,
        policy: RetryPolicy,
        sleep: Sleep | None,
        timeout: TimeoutArg,
    ) -> None:
        self.http_client = http_client
        self.owns_http_client = owns_http_client
        self.base_url = base_url
        self.host = httpx.URL(base_url).host
        self._headers = headers
        self._timeout: Any = httpx.USE_CLIENT_DEFAULT if isinstance(timeout, NotGiven) else timeout
        self.policy = policy
        self._retrying = tenacity.AsyncRetrying(
            sleep=sleep or asyncio.sleep,
            stop=tenacity.stop_after_attempt(policy.max_retries + 1),
            retry=self._should_retry,
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )

    async def call(
        self, request: ApiRequest[T], *, max_retries: int | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> T:
        """Send the request, retrying as the policy allows, and return the parsed answer."""
        if self.http_client.is_closed:
            raise ConfigurationError("this TwoFactorClient (or the http_client it uses) is closed")
        content = encode_body(request.body)
        effective_timeout = self._timeout if isinstance(timeout, NotGiven) else timeout
        if max_retries is None:
            retrying = self._retrying.copy()
        else:
            if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
                raise InvalidRequestError("max_retries", f"must be a whole number >= 0, not {max_retries!r}")
            retrying = self._retrying.copy(stop=tenacity.stop_after_attempt(max_retries + 1))
        result: T = await retrying(self._attempt, request, content, effective_timeout)
        return result

    async def _attempt(self, request: ApiRequest[T], content: bytes | None, timeout: Any) -> T:
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug("request %s %s%s", request.method, self.host, request.path)
            started = time.perf_counter()
        try:
            response = await self.http_client.request(
                request.method,
                self.base_url + request.path,
                params=request.query,
                content=content,
                headers=self._headers,
                timeout=timeout,
            )
        except httpx.HTTPError as error:
            raise transport_error(error, request, self.host) from error
        status = response.status_code
        if debug:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug("response %s %s -> %d in %.1f ms", request.method, request.path, status, elapsed_ms)
        if 200 <= status < 300:
            return decode_response(request, status, response.content)
        raise error_from_response(
            status,
            response.headers,
            response.content,
            method=request.method,
            path=request.path,
            now=time.time(),
        )

    def _decision_for(self, state: tenacity.RetryCallState, draw: float) -> RetryDecision | None:
        error = state.outcome.exception() if state.outcome is not None else None
        if error is None:
            return None
        request: ApiRequest[Any] = state.args[0]
        return decide(self.policy, error=error, attempt=state.attempt_number, idempotent=request.idempotent, draw=draw)

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        decision = self._decision_for(state, 1.0)
        return decision is not None and decision.retry

    def _wait(self, state: tenacity.RetryCallState) -> float:
        decision = self._decision_for(state, random.random())  # noqa: S311  (jitter, not security)
        return decision.wait if decision is not None else 0.0

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        decision = self._decision_for(state, 1.0)
        request: ApiRequest[Any] = state.args[0]
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        logger.warning(
            "retrying %s %s in %.2f s after %s (attempt %d failed)",
            request.method,
            request.path,
            wait,
            decision.reason if decision is not None else "an error",
            state.attempt_number,
        )

    async def aclose(self) -> None:
        """Close the httpx client if this transport created it."""
        if self.owns_http_client:
            await self.http_client.aclose()
