"""The sandbox's state, held in memory: applications, templates, PINs, the limits' windows and the outbox."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import attrs

from ._errors import not_found
from ._limits import Limits

__all__ = ["OutboxMessage", "PinRecord", "Store", "new_id"]

Answer = tuple[int, Any, dict[str, str]]
"""What a handler returns: (HTTP status, JSON payload, extra headers)."""


def new_id() -> str:
    """An id like the service's: 32 upper-case hex characters."""
    return secrets.token_hex(16).upper()


@attrs.frozen(repr=False)
class OutboxMessage:
    """One delivery the sandbox made: what a phone or mailbox would have received.

    Its repr masks the PIN, in ``pin`` and inside ``text``, so a failing test's output does not show it.

    Attributes:
        channel: ``"sms"``, ``"voice"`` or ``"email"``.
        to: The number (digits) or address.
        text: The message, placeholders and PIN filled in.
        pin_id: The PIN's id.
        pin: The PIN.
        sent_at: When, on the sandbox's clock.
    """

    channel: str
    to: str
    text: str
    pin_id: str
    pin: str
    sent_at: float

    def __repr__(self) -> str:
        text = self.text.replace(self.pin, "***") if self.pin else self.text
        return (
            f"OutboxMessage(channel={self.channel!r}, to={self.to!r}, text={text!r}, pin_id={self.pin_id!r}, "
            f"pin='***', sent_at={self.sent_at!r})"
        )


@attrs.define
class PinRecord:
    """A PIN the service generated, and what became of it."""

    pin_id: str
    application_id: str
    message_id: str
    channel: str
    to: str
    pin: str
    text: str
    created_at: float
    expires_at: float
    attempts_remaining: int
    delivered: bool
    verified: bool = False
    verified_at: float | None = None


class Store:
    """Everything the service knows. ``clock`` returns seconds (time.time by default in the Sandbox)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.applications: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, dict[str, Any]]] = {}  # application id -> message id -> template
        self.pins: dict[str, PinRecord] = {}
        self.outbox: list[OutboxMessage] = []
        self.limits = Limits(clock)

    def application(self, application_id: str) -> dict[str, Any]:
        """An application by id, or 404."""
        application = self.applications.get(application_id)
        if application is None:
            raise not_found("Application")
        return application

    def templates_of(self, application_id: str) -> dict[str, dict[str, Any]]:
        """An application's templates by message id (404 for an unknown application)."""
        self.application(application_id)
        return self.templates[application_id]

    def template(self, application_id: str, message_id: str) -> dict[str, Any]:
        """One template, or 404."""
        template = self.templates_of(application_id).get(message_id)
        if template is None:
            raise not_found("Message")
        return template

    def pin(self, pin_id: str) -> PinRecord:
        """A PIN by id, or 404."""
        pin = self.pins.get(pin_id)
        if pin is None:
            raise not_found("PIN")
        return pin
