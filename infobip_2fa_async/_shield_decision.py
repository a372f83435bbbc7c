"""What the abuse shield decides, as plain data: which rule (``ShieldReason``) and the decision (``ShieldDecision``).

They live in the core, apart from ``infobip_2fa_async.shield`` (which needs phonenumberslite), because
``SendRefusedError`` (``_exceptions``) and the hooks' ``SendRefused`` event (``_hooks``) carry them, and those load
with every client. Nothing here holds a number, an IP or an id: a rule's name, a mode, a channel and a country.
"""

from __future__ import annotations

import enum
from typing import Literal

import attrs

__all__ = ["Channel", "Mode", "ShieldDecision", "ShieldReason"]

Mode = Literal["enforce", "monitor"]
Channel = Literal["sms", "voice", "email"]


class ShieldReason(str, enum.Enum):
    """Which rule refused a send (a stable string: safe to count, alert and branch on)."""

    INVALID_NUMBER = "invalid_number"
    """The number is not valid for its region (or has no country code)."""
    COUNTRY = "country"
    """The number's region is denied, or not in the allow-list."""
    NUMBER_TYPE = "number_type"
    """The number is of a refused type (premium rate, shared cost, toll-free, UAN, pager)."""
    NUMBER_COOLDOWN = "number_cooldown"
    """The previous send to this number was too recent."""
    NUMBER_CAP = "number_cap"
    """This number had its sends for the window."""
    IP_CAP = "ip_cap"
    """This client IP (or IPv6 /64) asked for its sends for the window."""
    USER_CAP = "user_cap"
    """This user id asked for its sends for the window."""
    SESSION_CAP = "session_cap"
    """This session id or device id asked for its sends for the window."""
    PREFIX_CAP = "prefix_cap"
    """This prefix had its distinct numbers for the window: a sequential-number attack looks like this."""
    PREFIX_BREAKER = "prefix_breaker"
    """Sends to this prefix stopped being verified: its conversion breaker is open."""
    COUNTRY_BREAKER = "country_breaker"
    """Sends to this country stopped being verified: its conversion breaker is open."""

    def __str__(self) -> str:
        return self.value

    @property
    def description(self) -> str:
        """What the rule found, in words (never the number): ``"the previous send to this number was too recent"``."""
        return _DESCRIPTIONS[self.value]


_DESCRIPTIONS = {
    "invalid_number": "the number is not valid for its region",
    "country": "sends to this country are not allowed",
    "number_type": "sends to this type of number (premium rate, toll-free, ...) are not allowed",
    "number_cooldown": "the previous send to this number was too recent",
    "number_cap": "this number had as many sends as the window allows",
    "ip_cap": "this client IP asked for as many sends as the window allows",
    "user_cap": "this user asked for as many sends as the window allows",
    "session_cap": "this session or device asked for as many sends as the window allows",
    "prefix_cap": "this number's prefix had as many distinct numbers as the window allows",
    "prefix_breaker": "sends to this number's prefix are not being verified (breaker open)",
    "country_breaker": "sends to this country are not being verified (breaker open)",
}


@attrs.frozen
class ShieldDecision:
    """What the shield decided about one send: plain data for hooks, logs and metrics (never the number).

    Attributes:
        reason: The rule that refused the send (or would have, in monitor mode); None when every rule let it go.
        mode: ``"enforce"`` (a refusal stops the send) or ``"monitor"`` (nothing is stopped, refusals are reported).
        channel: ``"sms"``, ``"voice"`` or ``"email"``.
        country: The number's region code (``"GB"``, ``"001"`` for non-geographic), when known; None for e-mail.
        retry_after: Seconds until the send would be let through, where waiting helps (cool-downs, caps, an open
            breaker); None otherwise.
        resend: Whether this was a resend of an earlier PIN.
    """

    reason: ShieldReason | None
    mode: Mode
    channel: Channel
    country: str | None = None
    retry_after: float | None = None
    resend: bool = False

    @property
    def allowed(self) -> bool:
        """Whether the send may go out: no rule refused it, or the shield only monitors."""
        return self.reason is None or self.mode == "monitor"

    @property
    def enforced(self) -> bool:
        """Whether the shield stopped this send (a rule refused it in enforce mode)."""
        return self.reason is not None and self.mode == "enforce"
