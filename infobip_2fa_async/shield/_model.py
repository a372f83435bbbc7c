"""What goes into the shield (who is asking) and what comes out (a decision, or a refusal), all free of personal
data: a ``Requester``'s repr says which identifiers it has, never their values; a decision and an error carry the
rule and the country, never the number, the IP or a secret. The decision, the reasons and the errors live in the
core (``_shield_decision``, ``_exceptions``), which loads without phonenumberslite; they are named here too."""

from __future__ import annotations

import ipaddress
from typing import Literal

import attrs

from .._exceptions import InvalidRequestError, SendRefusedError, ShieldUnavailableError
from .._shield_decision import Channel, Mode, ShieldDecision, ShieldReason

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

RequesterRole = Literal["ip", "user", "session", "device"]

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
