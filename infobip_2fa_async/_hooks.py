"""Instrumentation hooks, kept apart from the core (in the style of stamina's): a client calls them as a call
starts, as each attempt goes out and comes back, when a retry is scheduled and when the call ends.

A hook is an object of a ``Hook`` subclass that overrides the methods it cares about; each receives one frozen
event of plain data: the operation's name, the HTTP method, the path template (``/2fa/2/pin/{pinId}/verify``:
never an id), the status, the attempt, durations, ``maybe_sent``. Never the API key, a PIN or a phone number.
The abuse shield's refusals are told too (``on_send_refused``: the rule and the country, never the number, an IP
or an id), by the PIN operations of a client made with ``shield=``.

A client built without hooks does no hook work at all (a check of an empty tuple at each point where an event could
be told); only the methods a hook overrides are called, and an event is built only when some hook watches it. Hook
methods are synchronous: an ``async def`` one is refused when the client is built (it would never run). A hook that
raises is logged (once per hook and event) and otherwise ignored: watching a call must not break it. Every call that
started also finishes for the hooks, a cancelled one included (outcome ``"cancelled"``); ``on_call_finished`` runs
through the hooks in reverse order, as nested ``with`` blocks unwind, so hooks that make something current as a call
starts (a span) restore it in order.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from ._exceptions import ConfigurationError

if TYPE_CHECKING:
    from ._shield_decision import ShieldDecision

__all__ = [
    "CallFinished",
    "CallStarted",
    "Hook",
    "Hooks",
    "RequestSent",
    "ResponseReceived",
    "RetryScheduled",
    "SendRefused",
]

logger = logging.getLogger("infobip_2fa_async")

_call_ids = itertools.count(1)


@attrs.frozen
class CallStarted:
    """A call began (before any gate or attempt).

    Attributes:
        call_id: A number unique to this call in this process, the same in each of its events.
        operation: The client method called, e.g. ``"send_pin"`` or ``"applications.create"``.
        method: The HTTP method, e.g. ``"POST"``.
        route: The path with placeholders instead of ids, e.g. ``"/2fa/2/pin/{pinId}/verify"``.
        server_address: The API's host name.
        server_port: The API's port.
    """

    call_id: int
    operation: str
    method: str
    route: str
    server_address: str
    server_port: int


@attrs.frozen
class RequestSent:
    """An attempt is about to go out (after the gates).

    Attributes:
        call_id: The call this attempt belongs to.
        operation: The client method called.
        attempt: 1 for the first attempt, 2 for the first retry, ...
    """

    call_id: int
    operation: str
    attempt: int


@attrs.frozen
class ResponseReceived:
    """An attempt ended: with an HTTP status, or with ``status`` None when no answer came.

    Attributes:
        call_id: The call this attempt belongs to.
        operation: The client method called.
        attempt: Which attempt this was (1 = the first).
        status: The HTTP status, or None when the connection failed or timed out.
        error_type: The error's class name when the attempt failed (``"RateLimitError"``), else None.
        duration: Seconds from the attempt going out to its end.
    """

    call_id: int
    operation: str
    attempt: int
    status: int | None
    error_type: str | None
    duration: float


@attrs.frozen
class RetryScheduled:
    """A failed attempt will be tried again after ``wait`` seconds.

    Attributes:
        call_id: The call being retried.
        operation: The client method called.
        attempt: The attempt that failed (1 = the first).
        wait: Seconds until the next attempt (or the shared gate's pause, after a 429).
        reason: Why, in words: ``"429 with Retry-After 2 s"``, ``"connect_error (request never sent)"``.
    """

    call_id: int
    operation: str
    attempt: int
    wait: float
    reason: str


@attrs.frozen
class CallFinished:
    """A call ended.

    Attributes:
        call_id: The call.
        operation: The client method called.
        outcome: ``"ok"``, ``"error"``, or ``"cancelled"`` (the task running the call was cancelled, e.g. by a
            timeout around it).
        error_type: The class name of the error raised (``"CancelledError"`` when cancelled), else None.
        status: The last HTTP status answered, if any.
        attempts: How many attempts went out.
        duration: Seconds from the start of the call to its end, waits included.
        maybe_sent: False only when the server provably did not act (see ``InfobipError.maybe_sent``); True for a
            success, and for a call cancelled after an attempt went out.
    """

    call_id: int
    operation: str
    outcome: str
    error_type: str | None
    status: int | None
    attempts: int
    duration: float
    maybe_sent: bool

    @classmethod
    def failed(
        cls, call_id: int, operation: str, error: BaseException, status: int | None, attempts: int, duration: float
    ) -> CallFinished:
        """The end of a call that raised ``error``: an InfobipError (outcome ``"error"``) or a cancellation
        (``"cancelled"``), which may have been acted on once an attempt went out."""
        outcome = "cancelled" if isinstance(error, asyncio.CancelledError) else "error"
        maybe_sent = getattr(error, "maybe_sent", attempts > 0)
        return cls(call_id, operation, outcome, type(error).__name__, status, attempts, duration, bool(maybe_sent))


@attrs.frozen
class SendRefused:
    """The abuse shield refused a PIN send or resend before it went out (nothing was sent, ``SendRefusedError`` is
    raised), or in monitor mode would have (it was sent all the same). Told before any call starts, so it has no
    ``call_id``; never the number, an IP, a user, session or device id, or a ``pinId``.

    Attributes:
        operation: The client method called: ``"send_pin"``, ``"resend_voice_pin"``, ``"send_email_pin"``, ...
        reason: Which rule: a ``ShieldReason`` value (``"number_cooldown"``, ``"ip_cap"``, ``"prefix_breaker"``,
            ``"country"``, ...).
        channel: ``"sms"``, ``"voice"`` or ``"email"``.
        country: The number's region code (``"GB"``; ``"001"`` for non-geographic numbers), or None when unknown
            (an e-mail address, a resend of a PIN the shield does not remember).
        monitor: True when the shield only monitors: the send was not stopped.
        retry_after: Seconds until the send would be let through, where waiting helps; else None.
        resend: Whether it was a resend of an earlier PIN.
    """

    operation: str
    reason: str
    channel: str
    country: str | None
    monitor: bool
    retry_after: float | None
    resend: bool

    @classmethod
    def of(cls, operation: str, decision: ShieldDecision) -> SendRefused:
        """The event of a decision that refused (``decision.reason`` set)."""
        reason = "" if decision.reason is None else decision.reason.value
        return cls(operation, reason, decision.channel, decision.country, decision.mode == "monitor",
                   decision.retry_after, decision.resend)  # fmt: skip


class Hook:
    """Base class of instrumentation hooks: override the methods you need; the others cost nothing."""

    def on_call_started(self, event: CallStarted) -> None:
        """A call began."""

    def on_request_sent(self, event: RequestSent) -> None:
        """An attempt is about to go out."""

    def on_response_received(self, event: ResponseReceived) -> None:
        """An attempt ended, with or without an answer."""

    def on_retry_scheduled(self, event: RetryScheduled) -> None:
        """A retry was scheduled."""

    def on_call_finished(self, event: CallFinished) -> None:
        """A call ended."""

    def on_send_refused(self, event: SendRefused) -> None:
        """The abuse shield refused a send (or, in monitor mode, would have)."""


#: A hook's method for one event, bound to the hook.
Watcher = Callable[[Any], None]


class Hooks:
    """The hooks of one client, sorted by event: per event, the tuple of methods that watch it (only overridden
    methods are kept), or None when nobody does, so that the transport asks ``if hooks.call_started:`` and an event
    nobody watches costs that one check, as httpx's event hooks do."""

    __slots__ = ("_failed", "call_finished", "call_started", "hooks", "request_sent", "response_received",
                 "retry_scheduled", "send_refused", "watched")  # fmt: skip

    def __init__(self, hooks: Iterable[object]) -> None:
        checked: list[Hook] = []
        for hook in hooks:
            if not isinstance(hook, Hook):
                raise ConfigurationError(f"hooks must be Hook instances (subclass Hook), not {type(hook).__name__}")
            checked.append(hook)
        self.hooks = tuple(checked)
        self.call_started = self._watchers("on_call_started")
        self.request_sent = self._watchers("on_request_sent")
        self.response_received = self._watchers("on_response_received")
        self.retry_scheduled = self._watchers("on_retry_scheduled")
        # The call ends in reverse order, as nested with-blocks unwind: a context attached by each hook as the call
        # started (an OpenTelemetry span made current) is then detached last-in, first-out.
        finished = self._watchers("on_call_finished")
        self.call_finished = None if finished is None else finished[::-1]
        # Whether any hook watches a call's events: when none does, the transport does no hook work at all.
        self.watched = any((self.call_started, self.request_sent, self.response_received, self.retry_scheduled,
                            self.call_finished))  # fmt: skip
        # Told by the PIN operations, before a call starts, only by a client with a shield.
        self.send_refused = self._watchers("on_send_refused")
        self._failed: set[tuple[int, str]] = set()

    def _watchers(self, name: str) -> tuple[Watcher, ...] | None:
        return tuple(getattr(hook, name) for hook in self.hooks if _overrides(hook, name)) or None

    def __bool__(self) -> bool:
        """Whether any hook watches any event."""
        return self.watched or self.send_refused is not None

    def refused(self, operation: str, decision: ShieldDecision) -> None:
        """Tell the hooks watching refusals that the shield refused a send of ``operation`` (or would have)."""
        if self.send_refused:
            self.emit(self.send_refused, SendRefused.of(operation, decision))

    @staticmethod
    def new_call_id() -> int:
        """A number for a new call, unique in this process."""
        return next(_call_ids)

    def emit(self, watchers: tuple[Watcher, ...], event: object) -> None:
        """Call each of ``watchers`` (one of this object's tuples, when not None) with ``event``; a hook's failure is
        logged once per hook and event, and ignored."""
        for method in watchers:
            try:
                method(event)
            except Exception:
                owner = getattr(method, "__self__", method)
                name = getattr(method, "__name__", "?")
                if (id(owner), name) not in self._failed:
                    self._failed.add((id(owner), name))
                    logger.warning("instrumentation hook %r failed in %s (ignored)", owner, name, exc_info=True)


def _overrides(hook: Hook, name: str) -> bool:
    if getattr(type(hook), name) is getattr(Hook, name):
        return False
    method = getattr(hook, name)
    if inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method):
        raise ConfigurationError(
            f"{type(hook).__name__}.{name} is async: hook methods are synchronous (they run inline in the call and "
            "nothing awaits them), so write it with plain def and hand any slow work to a queue or a task"
        )
    return True
