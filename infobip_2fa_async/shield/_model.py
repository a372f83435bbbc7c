"""What goes into the shield (who is asking) and what comes out (a decision, or a refusal), all free of personal
data: a ``Requester``'s repr says which identifiers it has, never their values; a decision and an error carry the
rule and the country, never the number, the IP or a secret."""

from __future__ import annotations

import enum
import ipaddress
from typing import Literal

import attrs

from .._exceptions import GateUnavailableError, InfobipError, InvalidRequestError

__all__ = [
    "Channel",
    "Mode",
    "Requester",
    "SendRefusedError",
    "ShieldDecision",
    "ShieldReason",
    "ShieldUnavailableError",
    "requester_keys",
]

Mode = Literal["enforce", "monitor"]
Channel = Literal["sms", "voice", "email"]
RequesterRole = Literal["ip", "user", "session", "device"]


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


_IDENTIFIERS = ("ip", "user_id", "session_id", "device_id")


def _identifier(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidRequestError("requester", f"identifiers must be strings, not {type(value).__name__}")
    return value


def ip_group(ip: str) -> str:
    """What an IP counts as: an IPv4 address itself, an IPv6 address its /64 network.

    Raises:
        InvalidRequestError: ``ip`` is not an IP address (the message does not repeat it).
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        raise InvalidRequestError("requester.ip", "is not an IPv4 or IPv6 address") from None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@attrs.frozen(repr=False)
class Requester:
    """Who asks for a send: any of the caller's identifiers, each optional (None or ``""`` when unknown).

    Each identifier has its own caps (``ShieldRules.ip_caps``, ``user_caps``, ``session_caps``). The values are
    hashed with the shield's secret before anything is counted; the repr shows which are set, never their values.

    Args:
        ip: The client's IP address (behind a proxy, the one your trusted proxy reports). An IPv6 address counts by
            its /64, which is what one subscriber gets; an IPv4-mapped IPv6 address counts as the IPv4 address.
        user_id: Your id of the signed-in user, when there is one.
        session_id: Your session id.
        device_id: A device id (an app install's, a browser fingerprint's).

    Raises:
        InvalidRequestError: ``ip`` is not an IP address, or an identifier is not a string.
    """

    ip: str | None = attrs.field(default=None, converter=_identifier)
    user_id: str | None = attrs.field(default=None, converter=_identifier)
    session_id: str | None = attrs.field(default=None, converter=_identifier)
    device_id: str | None = attrs.field(default=None, converter=_identifier)

    _ip_group: str | None = attrs.field(init=False, eq=False, default=None)

    def __attrs_post_init__(self) -> None:
        if self.ip is not None:  # parsed once here: a decision only hashes it
            object.__setattr__(self, "_ip_group", ip_group(self.ip))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={'<set>' if getattr(self, name) else None}" for name in _IDENTIFIERS)
        return f"Requester({shown})"


def requester_keys(requester: Requester | None) -> list[tuple[RequesterRole, str]]:
    """(role, value to hash) for each identifier the requester has: ``ip``, ``user``, ``session``, ``device``."""
    if requester is None:
        return []
    found: list[tuple[RequesterRole, str]] = []
    if requester._ip_group:
        found.append(("ip", requester._ip_group))
    if requester.user_id:
        found.append(("user", requester.user_id))
    if requester.session_id:
        found.append(("session", requester.session_id))
    if requester.device_id:
        found.append(("device", requester.device_id))
    return found


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


_WHY = {
    ShieldReason.INVALID_NUMBER: "the number is not valid for its region",
    ShieldReason.COUNTRY: "sends to this country are not allowed",
    ShieldReason.NUMBER_TYPE: "sends to this type of number (premium rate, toll-free, ...) are not allowed",
    ShieldReason.NUMBER_COOLDOWN: "the previous send to this number was too recent",
    ShieldReason.NUMBER_CAP: "this number had as many sends as the window allows",
    ShieldReason.IP_CAP: "this client IP asked for as many sends as the window allows",
    ShieldReason.USER_CAP: "this user asked for as many sends as the window allows",
    ShieldReason.SESSION_CAP: "this session or device asked for as many sends as the window allows",
    ShieldReason.PREFIX_CAP: "this number's prefix had as many distinct numbers as the window allows",
    ShieldReason.PREFIX_BREAKER: "sends to this number's prefix are not being verified (breaker open)",
    ShieldReason.COUNTRY_BREAKER: "sends to this country are not being verified (breaker open)",
}


class SendRefusedError(InfobipError):
    """The shield refused to send a PIN (nothing was sent: ``maybe_sent`` is False).

    The message names the rule, never the number, the requester or any secret.

    Attributes:
        reason: Which rule refused it (``ShieldReason``, a stable string).
        retry_after: Seconds until the send would be let through, where waiting helps; None where it does not
            (the number's country or type, for instance).
        country: The number's region code, when known.
        decision: The whole decision, as hooks receive it.
    """

    maybe_sent = False

    def __init__(self, decision: ShieldDecision) -> None:
        if decision.reason is None:
            raise InvalidRequestError("decision", "a SendRefusedError needs a decision that refused")
        self.decision = decision
        self.reason: ShieldReason = decision.reason
        self.retry_after = decision.retry_after
        self.country = decision.country
        wait = "" if decision.retry_after is None else f"; it may be let through in {decision.retry_after:g} s"
        super().__init__(f"the shield refused this send ({decision.reason.value}): {_WHY[decision.reason]}{wait}")


class ShieldUnavailableError(GateUnavailableError):
    """The shield's store (Redis) could not be asked and the shield fails closed, so nothing was sent
    (``maybe_sent`` is False). A store built with ``fail_open=True`` lets sends through instead."""
