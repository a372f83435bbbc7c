"""Carries out an ApiRequest: JSON body, the gate, the retry loop, a backend for the I/O, status -> typed error,
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
from typing import Any, Generic, TypeVar

import tenacity

from ._backends import Backend, respx_is_mocking
from ._exceptions import ConfigurationError, InfobipError, InvalidRequestError, RateLimitError
from ._gate import Gate
from ._options import NOT_GIVEN, Sleep, TimeoutArg
from ._protocol import decode_response, encode_body, error_from_response
from ._request import ApiRequest
from ._retry import RetryDecision, RetryPolicy, decide

__all__ = ["HttpTransport"]

T = TypeVar("T")

logger = logging.getLogger("infobip_2fa_async")


class HttpTransport:
    """Sends ApiRequests through a backend with the client's retry policy and, when it has one, the client's gate.

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
        gate: Gate | None = None,
        respx_fallback: Callable[[], Backend] | None = None,
    ) -> None:
        self.backend = backend
        self.base_url = base_url
        self.host = host
        self.policy = policy
        self.sleep: Sleep = sleep or asyncio.sleep
        self.gate = gate
        self._gates: tuple[Gate, ...] = () if gate is None else (gate,)
        self._respx_fallback = respx_fallback
        self._fallback: Backend | None = None

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

        Every attempt passes the client's gate and ``gate`` (a bulk run's) first, and a 429 pauses those gates for
        everyone instead of this call sleeping alone.
        """
        if self.backend.is_closed:
            raise ConfigurationError("this TwoFactorClient (or the http_client it uses) is closed")
        if max_retries is None:
            max_retries = self.policy.max_retries
        elif isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidRequestError("max_retries", f"must be a whole number >= 0, not {max_retries!r}")
        gates = self._gates if gate is None or gate is self.gate else (*self._gates, gate)
        attempt = _Attempt(self, request, encode_body(request.body), timeout, gates)
        # Most calls succeed at once: the first attempt runs directly, and tenacity's bookkeeping is paid only
        # from the first failure on (the benchmark in benchmarks/RESULTS.md shows what it costs per call).
        try:
            return await attempt()
        except InfobipError as error:
            if max_retries == 0:
                raise
            return await _Retries(attempt, error).run(max_retries)

    async def aclose(self) -> None:
        """Close what the backends own."""
        await self.backend.aclose()
        if self._fallback is not None:
            await self._fallback.aclose()


class _Attempt(Generic[T]):
    """One attempt at a request: pass the gates, send, and turn the answer into a model or a typed error."""

    __slots__ = ("content", "gates", "request", "timeout", "transport")

    def __init__(
        self,
        transport: HttpTransport,
        request: ApiRequest[T],
        content: bytes | None,
        timeout: TimeoutArg,
        gates: tuple[Gate, ...],
    ) -> None:
        self.transport, self.request, self.content, self.timeout, self.gates = (
            transport, request, content, timeout, gates
        )  # fmt: skip

    async def __call__(self) -> T:
        request, transport = self.request, self.transport
        for gate in self.gates:
            await gate.enter()
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug("request %s %s%s", request.method, transport.host, request.path)
            started = time.perf_counter()
        response = await transport._backend_now().send(
            request, transport.base_url + request.path, self.content, self.timeout
        )
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


class _Retries(Generic[T]):
    """The retries of one call whose first attempt failed, driven by tenacity.

    Each failure is decided once (``_retry.decide``); that one decision answers tenacity's three questions: retry
    or not (``_should_retry``), how long to wait (``_wait``) and what to log (``_log``). The wait after a 429
    becomes a pause of the gates, when the call has any, so that every caller behind them waits it out together.
    """

    def __init__(self, attempt: _Attempt[T], first_failure: InfobipError) -> None:
        self.attempt = attempt
        self.first_failure = first_failure
        self.failure: BaseException = first_failure
        self.decision = RetryDecision(False, 0.0, "")

    async def run(self, max_retries: int) -> T:
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(max_retries + 1),
            retry=self._should_retry,
            wait=self._wait,
            before_sleep=self._log,
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number == 1:
                    raise self.first_failure  # attempt 1 already ran (the fast path): tenacity starts from its failure
                return await self.attempt()
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        self.failure = outcome.exception()  # type: ignore[assignment]
        self.decision = decide(
            self.attempt.transport.policy,
            error=self.failure,
            attempt=state.attempt_number,
            idempotent=self.attempt.request.idempotent,
            draw=random.random(),  # noqa: S311  (jitter, not security)
        )
        return self.decision.retry

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return self.decision.wait

    async def _sleep(self, seconds: float) -> None:
        if self.attempt.gates and isinstance(self.failure, RateLimitError):
            for gate in self.attempt.gates:
                await gate.pause(seconds)  # the next attempt waits it out at the gate, with every other caller
            return
        await self.attempt.transport.sleep(seconds)

    def _log(self, state: tenacity.RetryCallState) -> None:
        request: ApiRequest[Any] = self.attempt.request
        logger.warning(
            "retrying %s %s in %.2f s after %s (attempt %d failed)",
            request.method,
            request.path,
            self.decision.wait,
            self.decision.reason,
            state.attempt_number,
        )
