"""Carries out an ApiRequest: JSON body, tenacity retry loop, a backend for the I/O, status -> typed error,
JSON -> model.

The decisions (retry or not, how long, which error) live in ``_retry`` and ``_protocol`` as plain
functions, and the bytes go through a backend (``_backends``); this module only wires them together.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import tenacity

from ._backends import Backend, respx_is_mocking
from ._exceptions import ConfigurationError, InfobipError, InvalidRequestError, RateLimitError
from ._options import NOT_GIVEN, Sleep, TimeoutArg
from ._protocol import decode_response, encode_body, error_from_response
from ._request import ApiRequest
from ._retry import RetryDecision, RetryPolicy, decide

if TYPE_CHECKING:
    from ._bulk import Gate

__all__ = ["HttpTransport"]

T = TypeVar("T")

logger = logging.getLogger("infobip_2fa_async")


class HttpTransport:
    """Sends ApiRequests through a backend with the client's retry policy.

    ``respx_fallback`` builds an httpx backend, used instead of ``backend`` while respx is mocking, so that a
    default client stays mockable with respx in users' tests.
    """

    def __init__(
        self,
        *,
        backend: Backend,
        base_url: str,
        host: str,
        policy: RetryPolicy,
        sleep: Sleep | None,
        respx_fallback: Callable[[], Backend] | None = None,
    ) -> None:
        self.backend = backend
        self.base_url = base_url
        self.host = host
        self.policy = policy
        self._respx_fallback = respx_fallback
        self._fallback: Backend | None = None
        self._retrying = tenacity.AsyncRetrying(
            sleep=sleep or asyncio.sleep,
            stop=tenacity.stop_after_attempt(policy.max_retries + 1),
            retry=self._should_retry,
            wait=self._wait,
            before_sleep=self._log_retry,
            reraise=True,
        )

    def _backend_now(self) -> Backend:
        if self._respx_fallback is not None and respx_is_mocking():
            if self._fallback is None:
                self._fallback = self._respx_fallback()
            return self._fallback
        return self.backend

    async def call(
        self,
        request: ApiRequest[T],
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        gate: Gate | None = None,
    ) -> T:
        """Send the request, retrying as the policy allows, and return the parsed answer.

        With a ``gate`` (bulk dispatch), every attempt waits at it first, and a 429 pauses the whole gate instead of
        this call alone.
        """
        if self.backend.is_closed:
            raise ConfigurationError("this TwoFactorClient (or the http_client it uses) is closed")
        content = encode_body(request.body)
        if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            raise InvalidRequestError("max_retries", f"must be a whole number >= 0, not {max_retries!r}")
        # Most calls succeed at once: the first attempt runs directly, and tenacity takes over the loop from
        # the first failure on (replaying that failure as its attempt 1), so its bookkeeping is paid only then.
        try:
            return await self._attempt(request, content, timeout, gate)
        except InfobipError as error:
            if max_retries == 0 or (max_retries is None and self.policy.max_retries == 0):
                raise
            first_failure = error
        if max_retries is None:
            retrying = self._retrying.copy()
        else:
            retrying = self._retrying.copy(stop=tenacity.stop_after_attempt(max_retries + 1))
        replayed = False

        async def attempt(request: ApiRequest[T], content: bytes | None, timeout: TimeoutArg, gate: Gate | None) -> T:
            nonlocal replayed
            if not replayed:
                replayed = True
                raise first_failure
            return await self._attempt(request, content, timeout, gate)

        result: T = await retrying(attempt, request, content, timeout, gate)
        return result

    async def _attempt(
        self, request: ApiRequest[T], content: bytes | None, timeout: TimeoutArg, gate: Gate | None
    ) -> T:
        if gate is not None:
            await gate.enter()
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug("request %s %s%s", request.method, self.host, request.path)
            started = time.perf_counter()
        response = await self._backend_now().send(request, self.base_url + request.path, content, timeout)
        if debug:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug("response %s %s -> %d in %.1f ms", request.method, request.path, response.status, elapsed_ms)
        if 200 <= response.status < 300:
            return decode_response(request, response.status, response.content)
        raise error_from_response(
            response.status,
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
        if decision is None:
            return 0.0
        gate: Gate | None = state.args[3]
        if gate is not None and isinstance(state.outcome.exception() if state.outcome else None, RateLimitError):
            gate.pause(decision.wait)  # every bulk worker waits this out at the gate, this one included
            return 0.0
        return decision.wait

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        decision = self._decision_for(state, 1.0)
        request: ApiRequest[Any] = state.args[0]
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        gate: Gate | None = state.args[3]
        if gate is not None:
            wait = max(wait, gate.remaining())
        logger.warning(
            "retrying %s %s in %.2f s after %s (attempt %d failed)",
            request.method,
            request.path,
            wait,
            decision.reason if decision is not None else "an error",
            state.attempt_number,
        )

    async def aclose(self) -> None:
        """Close what the backends own."""
        await self.backend.aclose()
        if self._fallback is not None:
            await self._fallback.aclose()
