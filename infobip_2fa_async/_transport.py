"""Carries out an ApiRequest: JSON body, the gate, the retry loop, a backend for the I/O, status -> typed error,
JSON -> model, all within the call's deadline, with the client's hooks told as it goes.

The decisions (retry or not, how long, which error) live in ``_retry`` and ``_protocol`` as plain functions, and the
bytes go through a backend (``_backends``) as plain data; this module only wires them together. There is one path
through it, watched or not: each point where an event could be told checks the tuple of hooks watching that event
(``_hooks.Hooks``), empty when nobody does, and builds the event only when it is not.

Whatever goes wrong below, what leaves ``call`` is an ``InfobipError``: a failure of ours while decoding a 2xx
answer is a ``ResponseDecodeError`` (the server answered: ``maybe_sent``), one while sending is a
``RequestMaybeSentError``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

import tenacity

from ._backends import Backend, NoAnswer, Timeouts, plain_timeouts, time_limit, transport_error
from ._exceptions import (
    ConfigurationError,
    DeadlineExceededError,
    InfobipError,
    InvalidRequestError,
    QuotaExceededError,
    RateLimitError,
)
from ._gate import Gate, share_rate_limit
from ._hooks import CallFinished, CallStarted, Hooks, RequestSent, ResponseReceived, RetryScheduled
from ._options import (
    NOT_GIVEN,
    AttemptTimeout,
    DeadlineArg,
    NotGiven,
    Sleep,
    TimeoutArg,
    attempt_timeout,
    check_deadline,
)
from ._protocol import encode_body, read_answer
from ._request import ApiRequest, BeforeSendHook
from ._retry import RetryDecision, RetryPolicy, decide

if TYPE_CHECKING:
    from ._tokens import Tokens

__all__ = ["HttpTransport"]

T = TypeVar("T")

logger = logging.getLogger("infobip_2fa_async")

_TIMEOUT_REASONS = frozenset({"connect_timeout", "read_timeout", "write_timeout", "pool_timeout"})


class HttpTransport:
    """Sends ApiRequests through a backend with the client's retry policy, timeout, deadline and, when it has one,
    the client's gate. With ``tokens`` (OAuth2), each attempt carries the client's bearer token.
    """

    def __init__(
        self,
        *,
        backend: Backend,
        base_url: str,
        host: str,
        policy: RetryPolicy,
        timeout: AttemptTimeout,
        deadline: float | None,
        sleep: Sleep | None,
        clock: Callable[[], float],
        gate: Gate | None = None,
        hooks: Hooks | None = None,
        port: int = 443,
        tokens: Tokens | None = None,
    ) -> None:
        self.backend = backend
        self.tokens = tokens
        self.hooks = hooks if hooks is not None else Hooks(())
        self.port = port
        self.base_url = base_url
        self.host = host
        self.policy = policy
        self.timeout = timeout
        self._timeouts = plain_timeouts(timeout)
        self.deadline = deadline
        self.sleep: Sleep = sleep or asyncio.sleep
        self.clock = clock
        self.gate = gate
        self._gates: tuple[Gate, ...] = () if gate is None else (gate,)

    async def call(
        self,
        request: ApiRequest[T],
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
        gate: Gate | None = None,
        before_send: BeforeSendHook | None = None,
    ) -> T:
        """Send the request, retrying as the policy allows, and return the parsed answer.

        Every attempt passes the client's gate and ``gate`` (a bulk run's) first, and a 429 pauses those gates for
        everyone instead of this call sleeping alone. ``timeout`` bounds each attempt, ``deadline`` the whole call.
        ``before_send`` is called before each attempt goes out, after the gates: the latest moment a journal can
        record that the request may be sent.
        """
        if self.backend.is_closed:
            raise ConfigurationError("this TwoFactorClient (or the http_client it uses) is closed")
        if max_retries is None:
            max_retries = self.policy.max_retries
        elif isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidRequestError("max_retries", f"must be a whole number >= 0, not {max_retries!r}")
        timeouts = self._timeouts if isinstance(timeout, NotGiven) else plain_timeouts(attempt_timeout(timeout))
        seconds = self.deadline if isinstance(deadline, NotGiven) else check_deadline(deadline)
        gates = self._gates if gate is None or gate is self.gate else (*self._gates, gate)
        url = self.base_url + request.path
        if request.query:  # encoded here, once, the same for every backend
            url = f"{url}?{urlencode(request.query)}"
        attempt = _Attempt(self, request, url, encode_body(request.body), timeouts, gates, seconds, before_send)
        hooks = self.hooks
        started = self._call_started(attempt) if hooks.watched else 0.0
        try:
            try:
                # Most calls succeed at once: the first attempt runs directly, and tenacity's bookkeeping is paid
                # only from the first failure on (benchmarks/RESULTS.md shows what it costs per call).
                result = await attempt()
            except InfobipError as error:
                if max_retries == 0:
                    raise
                result = await _Retries(attempt, error).run(max_retries)
        except BaseException as error:  # a cancelled call (a timeout around it) ends for the hooks too
            if hooks.call_finished:
                hooks.emit(hooks.call_finished, CallFinished.failed(
                    attempt.call_id, request.operation, error, attempt.last_status, attempt.count,
                    time.perf_counter() - started,
                ))  # fmt: skip
            raise
        if hooks.call_finished:
            hooks.emit(hooks.call_finished, CallFinished(
                attempt.call_id, request.operation, "ok", None, attempt.last_status, attempt.count,
                time.perf_counter() - started, True,
            ))  # fmt: skip
        return result

    def _call_started(self, attempt: _Attempt[Any]) -> float:
        """Number a watched call and tell the hooks it began; the time it began, for its duration."""
        hooks, request = self.hooks, attempt.request
        attempt.call_id = hooks.new_call_id()
        if hooks.call_started:
            hooks.emit(hooks.call_started, CallStarted(
                attempt.call_id, request.operation, request.method, request.route, self.host, self.port
            ))  # fmt: skip
        return time.perf_counter()

    async def aclose(self) -> None:
        """Close what the backend owns."""
        await self.backend.aclose()


class _Attempt(Generic[T]):
    """One attempt at a request: pass the gates, send, and turn the answer into a model or a typed error.

    Called again for each retry; it counts the attempts and keeps the call's deadline (``ends_at`` on the
    transport's clock), which shortens the attempt that would otherwise outlast it.
    """

    __slots__ = (
        "before_send", "body", "call_id", "count", "deadline", "ends_at", "gates", "last_failure", "last_status",
        "request", "timeouts", "transport", "url",
    )  # fmt: skip

    def __init__(
        self,
        transport: HttpTransport,
        request: ApiRequest[T],
        url: str,
        body: bytes | None,
        timeouts: Timeouts,
        gates: tuple[Gate, ...],
        deadline: float | None,
        before_send: BeforeSendHook | None,
    ) -> None:
        self.transport, self.request, self.gates = transport, request, gates
        self.url, self.body, self.timeouts = url, body, timeouts
        self.before_send = before_send
        self.deadline = deadline
        self.ends_at = None if deadline is None else transport.clock() + deadline
        self.count = 0
        self.last_failure: InfobipError | None = None
        self.last_status: int | None = None
        self.call_id = 0  # numbered when the client has hooks

    def out_of_time(self, error: InfobipError | None) -> DeadlineExceededError:
        """The error saying the deadline ran out, after ``error`` (else the last failure, if any)."""
        assert self.deadline is not None
        request = self.request
        last = error if error is not None else self.last_failure
        return DeadlineExceededError(
            deadline=self.deadline, attempts=self.count, last_error=last, method=request.method, path=request.path
        )

    def time_left(self) -> float | None:
        """Seconds left before the deadline (None: there is none)."""
        return None if self.ends_at is None else self.ends_at - self.transport.clock()

    async def _pass_gates(self) -> Timeouts:
        """Wait at the gates, within the deadline; the attempt's bounds, its total cut to what is left of it."""
        left = self.time_left()
        if left is None:
            for gate in self.gates:
                await gate.enter()
            return self.timeouts
        try:
            async with time_limit(max(left, 0.0)):
                for gate in self.gates:
                    await gate.enter()
        except asyncio.TimeoutError:
            raise self.out_of_time(None) from None
        left = self.time_left()
        if left is None or left <= 0:
            raise self.out_of_time(None)
        return self.timeouts.within(left)

    async def __call__(self) -> T:
        timeouts = await self._pass_gates() if self.gates or self.ends_at is not None else self.timeouts
        if self.before_send is not None:
            claimed = self.before_send()
            if claimed is not None:
                await claimed
        self.count += 1
        transport, request, hooks = self.transport, self.request, self.transport.hooks
        if hooks.request_sent:
            hooks.emit(hooks.request_sent, RequestSent(self.call_id, request.operation, self.count))
        debug = logger.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug or hooks.response_received else 0.0
        if debug:
            logger.debug("request %s %s%s", request.method, transport.host, request.path)
        status = None
        try:
            try:
                if transport.tokens is None:
                    response = await transport.backend.send(request.method, self.url, self.body, timeouts)
                else:
                    response = await transport.tokens.send(transport.backend, request.method, self.url, self.body,
                                                           timeouts)  # fmt: skip
            except Exception as unanswered:
                typed = self._unanswered(unanswered, timeouts)
                if typed is unanswered:
                    raise
                raise typed  # noqa: B904  (its __cause__ is the underlying failure, set by _unanswered)
            status = self.last_status = response.status
            if debug:
                elapsed_ms = (time.perf_counter() - started) * 1000
                logger.debug("response %s %s -> %d in %.1f ms", request.method, request.path, status, elapsed_ms)
            result = read_answer(request, response, now=time.time())
        except BaseException as error:  # a typed error, or the attempt cancelled while out
            failure: BaseException = error
            if isinstance(error, RateLimitError):  # a throttle pauses the gates now, whether or not the call retries
                failure = await share_rate_limit(self.gates, transport.policy, error) or error
            if hooks.response_received:
                hooks.emit(hooks.response_received, ResponseReceived(
                    self.call_id, request.operation, self.count, status, type(failure).__name__,
                    time.perf_counter() - started,
                ))  # fmt: skip
            if failure is error:
                raise
            raise failure from error
        if hooks.response_received:
            hooks.emit(hooks.response_received, ResponseReceived(
                self.call_id, request.operation, self.count, status, None, time.perf_counter() - started
            ))  # fmt: skip
        return result

    def _unanswered(self, failure: Exception, timeouts: Timeouts) -> Exception:
        """The typed error for a send that raised ``failure`` (a backend's ``NoAnswer``, or anything else)."""
        if isinstance(failure, InfobipError):
            return failure
        cause: BaseException | None = failure
        if isinstance(failure, NoAnswer):
            cause = failure.__cause__
        else:  # a failure nobody classified: the request may have gone out
            failure = NoAnswer(False, "transport_error", failure)
        request = self.request
        error = transport_error(failure, request.method, request.path, self.transport.host)
        error.__cause__ = cause
        if timeouts is not self.timeouts and failure.reason in _TIMEOUT_REASONS:
            deadline = self.out_of_time(error)  # the deadline, not the timeout, cut this attempt short
            deadline.__cause__ = error
            return deadline
        return error


class _Retries(Generic[T]):
    """The retries of one call whose first attempt failed, driven by tenacity.

    Each failure is decided once (``_retry.decide``); that one decision answers tenacity's three questions: retry
    or not (``_should_retry``), how long to wait (``_wait``) and what to log (``_log``). The wait after a 429
    becomes a pause of the gates, when the call has any, so that every caller behind them waits it out together.
    A retry whose wait would end past the call's deadline is not made: the call ends with DeadlineExceededError.
    """

    def __init__(self, attempt: _Attempt[T], first_failure: InfobipError) -> None:
        self.attempt = attempt
        self.first_failure = first_failure
        self.failure: BaseException = first_failure
        self.decision = RetryDecision(False, 0.0, "")
        self.out_of_time = False

    async def run(self, max_retries: int) -> T:
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(max_retries + 1),
            retry=self._should_retry,
            wait=self._wait,
            before_sleep=self._log,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number == 1:
                        raise self.first_failure  # attempt 1 already ran (the fast path): tenacity starts from it
                    return await self.attempt()
        except InfobipError as error:
            if self.out_of_time:
                raise self.attempt.out_of_time(error) from error
            raise
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def _should_retry(self, state: tenacity.RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        self.failure = outcome.exception()  # type: ignore[assignment]
        if isinstance(self.failure, DeadlineExceededError):
            return False
        if isinstance(self.failure, InfobipError):
            self.attempt.last_failure = self.failure
        self.decision = decide(
            self.attempt.transport.policy,
            error=self.failure,
            attempt=state.attempt_number,
            idempotent=self.attempt.request.idempotent,
            draw=random.random(),  # noqa: S311  (jitter, not security)
        )
        left = self.attempt.time_left()
        if self.decision.retry and left is not None and self.decision.wait >= left:
            self.out_of_time = True
            return False
        return self.decision.retry

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return self.decision.wait

    async def _sleep(self, seconds: float) -> None:
        throttled = isinstance(self.failure, RateLimitError) and not isinstance(self.failure, QuotaExceededError)
        if self.attempt.gates and throttled:
            # The 429 already paused the gates (``share_rate_limit``, as the attempt ended); a longer backoff extends
            # the pause, and the next attempt waits it out at the gate, with every other caller.
            for gate in self.attempt.gates:
                await gate.pause(seconds)
            return
        await self.attempt.transport.sleep(seconds)  # a quota this call alone waits out, or any other failure

    def _log(self, state: tenacity.RetryCallState) -> None:
        request: ApiRequest[Any] = self.attempt.request
        hooks = self.attempt.transport.hooks
        if hooks.retry_scheduled:
            hooks.emit(hooks.retry_scheduled, RetryScheduled(
                self.attempt.call_id, request.operation, state.attempt_number, self.decision.wait, self.decision.reason
            ))  # fmt: skip
        logger.warning(
            "retrying %s %s in %.2f s after %s (attempt %d failed)",
            request.method,
            request.path,
            self.decision.wait,
            self.decision.reason,
            state.attempt_number,
        )
