"""What a verifier hands back: a ``Challenge`` (what the browser may know of a verification) and a ``Check`` (what a
typed code gave). Neither carries the number, only a masked form of it, nor the ``pinId``, nor the PIN."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal

import attrs

__all__ = ["CHANNELS", "Challenge", "ChallengeStatus", "Channel", "Check", "mask", "normalize_number"]

Channel = Literal["sms", "voice", "email"]
CHANNELS: tuple[Channel, ...] = ("sms", "voice", "email")

ChallengeStatus = Literal["sending", "sent", "not_sent", "uncertain", "verified"]

_SEPARATORS = re.compile(r"[\s\-.()/]")
_DIGITS = re.compile(r"\+?[0-9]{6,15}")


def normalize_number(to: str) -> str | None:
    """The number's digits (international form, separators and a leading ``+`` dropped); None if it is not one."""
    digits = _SEPARATORS.sub("", to)
    return digits.lstrip("+") if _DIGITS.fullmatch(digits) else None


def mask(destination: str) -> str:
    """A form of a number or e-mail address fit for a page: ``+41 *** *** *27``, ``j***@example.com``."""
    if "@" in destination:
        local, _, domain = destination.rpartition("@")
        return f"{local[:1]}***@{domain}"
    shown = destination[-2:]
    return f"+{destination[:2]} {'*' * max(len(destination) - 4, 1)}{shown}"


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


@attrs.frozen
class Challenge:
    """A verification under way, as the app and the browser may see it.

    Give the browser ``id`` (and nothing else of the verification); take it back with the typed code, and check
    both against the purpose and subject the challenge was started for.

    Attributes:
        id: The challenge's opaque id: 192 random bits, never the ``pinId``. A bearer of it may check codes, so
            treat it as a session secret (keep it out of logs and URLs).
        channel: The channel of the last send: ``"sms"``, ``"voice"`` or ``"email"``.
        masked_to: The number (or e-mail address) in a form fit for the page: ``+41 *******27``.
        status: ``"sent"``; ``"not_sent"`` (the service answered it did not send, e.g. ``MESSAGE_NOT_SENT``, and no
            fallback channel was left); ``"uncertain"`` (the last send may or may not have gone out); ``"sending"``
            (another process's send is under way); ``"verified"`` (an idempotent ``start`` of a verified one).
        resend_at: When ``resend`` may send again (UTC).
        expires_at: When the challenge (its PIN) expires (UTC).
        resend_in: Seconds from now until ``resend_at`` (0 when a resend may go now): a page's countdown.
        expires_in: Seconds from now until ``expires_at``.
        resends_left: How many more sends ``resend`` may make.
        created: Whether this call created the challenge (False when it returned an existing one: a double-click,
            a second tab, a retried request, the same idempotency key).
    """

    id: str = attrs.field(repr=lambda _: "'***'")
    channel: Channel
    masked_to: str
    status: ChallengeStatus
    resend_at: datetime
    expires_at: datetime
    resend_in: float
    expires_in: float
    resends_left: int
    created: bool = False

    @property
    def uncertain(self) -> bool:
        """Whether the last send's fate is unknown: tell the person a code may be on its way, and to ask for a new
        one after ``resend_in`` seconds if none arrives (never send again at once: that could text them twice)."""
        return self.status in ("uncertain", "sending")

    @classmethod
    def of(
        cls,
        *,
        id: str,
        channel: Channel,
        masked_to: str,
        status: ChallengeStatus,
        resend_at_ms: int,
        expires_at_ms: int,
        now_ms: int,
        resends_left: int,
        created: bool,
    ) -> Challenge:
        """A challenge from a store's record (times in milliseconds of the verifier's clock)."""
        return cls(
            id=id, channel=channel, masked_to=masked_to, status=status, resend_at=_utc(resend_at_ms / 1000),
            expires_at=_utc(expires_at_ms / 1000), resend_in=max(0, resend_at_ms - now_ms) / 1000,
            expires_in=max(0, expires_at_ms - now_ms) / 1000, resends_left=max(0, resends_left), created=created,
        )  # fmt: skip


@attrs.frozen
class Check:
    """What checking a typed code gave.

    Attributes:
        verified: Whether the code was right: the number is verified for the challenge's purpose and subject.
        attempts_left: How many more codes the challenge's PIN accepts (None when the service did not say).
        number: The verified number (digits, international form) or, for a challenge verified by e-mail, the
            address; None unless verified.
        channel: The channel of the code's last send.
        pin_error: Why it was not verified: ``"WRONG_PIN"``, ``"NO_MORE_PIN_ATTEMPTS"``, or a reason this library
            does not know yet; None when verified.
    """

    verified: bool
    attempts_left: int | None
    number: str | None = attrs.field(default=None, repr=lambda value: "None" if value is None else "'***'")
    channel: Channel = "sms"
    pin_error: str | None = None
