"""The shield's rules and their defaults: what a legitimate login flow never reaches, and an attack soon does.

Each default is argued in docs/shield.md. The values are checked when a rule set is built, so a store never holds
a window it cannot expire or a cap it cannot count.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import attrs

from .._exceptions import InvalidRequestError

__all__ = ["DAY", "HOUR", "MINUTE", "REFUSED_TYPES", "BreakerRules", "Cap", "ShieldRules"]

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
_LONGEST = 30 * DAY  # no window, cool-off or memory longer than a month: what a store keeps must expire

# The number types refused by default, as phonenumbers names them: ranges whose calls and texts pay their owner
# (premium rate, shared cost, UAN) or that cannot take an SMS (toll-free, pager).
REFUSED_TYPES = frozenset({"PREMIUM_RATE", "SHARED_COST", "TOLL_FREE", "UAN", "PAGER"})
_TYPES = frozenset({
    "FIXED_LINE", "MOBILE", "FIXED_LINE_OR_MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "VOIP",
    "PERSONAL_NUMBER", "PAGER", "UAN", "VOICEMAIL",
})  # fmt: skip


def _number(argument: str, value: object, low: float, high: float, *, whole: bool = False) -> float:
    """``value`` as a float if it is a number (an int when ``whole``) within [low, high], else InvalidRequestError."""
    kind = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind) or not (low <= value <= high):
        what = "a whole number" if whole else "a number"
        raise InvalidRequestError(argument, f"must be {what} from {low:g} to {high:g}, not {value!r}")
    return float(value)


@attrs.frozen
class Cap:
    """At most ``count`` sends (or distinct numbers) in any ``seconds``-long window.

    Args:
        count: How many (1 to 1,000,000).
        seconds: The sliding window, in seconds (1 s to 30 days).

    Raises:
        InvalidRequestError: A value outside those ranges.
    """

    count: int
    seconds: float

    def __attrs_post_init__(self) -> None:
        _number("count", self.count, 1, 1_000_000, whole=True)
        _number("seconds", self.seconds, 1, _LONGEST)


@attrs.frozen(kw_only=True)
class BreakerRules:
    """The conversion breaker: where sends stop turning into verified PINs, new sends stop for a while.

    For each country and each prefix, sends and verified PINs are counted over a sliding ``window``. Sends younger
    than ``grace`` are not judged yet (their PINs may still be typed in). Once at least ``min_sends`` judged sends
    are there and fewer than ``min_verified_share`` of them were verified, the breaker trips (opens): sends there
    are refused for ``cool_off``, doubled on each trip in a row up to ``max_cool_off``. Then it half-opens:
    ``probes`` sends may go; a PIN verified there closes it, and when none is verified within ``grace`` of the
    last probe, it trips again.

    Args:
        window: The sliding window, in seconds.
        grace: How long a PIN has to be verified before its send is judged, in seconds.
        min_sends: Judged sends a prefix needs before its breaker may trip.
        min_country_sends: Judged sends a country needs before its breaker may trip.
        min_verified_share: The share of judged sends that must be verified (0 turns the breaker off).
        cool_off: How long the first trip refuses sends, in seconds.
        max_cool_off: The longest cool-off, however many trips in a row.
        probes: Sends let through when it half-opens.

    Raises:
        InvalidRequestError: A value out of range (``window`` must hold at least 3 ``grace`` periods).
    """

    window: float = 6 * HOUR
    grace: float = 5 * MINUTE
    min_sends: int = 10
    min_country_sends: int = 50
    min_verified_share: float = 0.2
    cool_off: float = 30 * MINUTE
    max_cool_off: float = 12 * HOUR
    probes: int = 2

    def __attrs_post_init__(self) -> None:
        _number("breaker.grace", self.grace, 1, DAY)
        _number("breaker.window", self.window, 3 * self.grace, _LONGEST)
        if self.window / self.grace > 1000:
            raise InvalidRequestError("breaker.window", "may hold at most 1,000 grace periods (a counter each)")
        _number("breaker.min_sends", self.min_sends, 1, 1_000_000, whole=True)
        _number("breaker.min_country_sends", self.min_country_sends, 1, 1_000_000, whole=True)
        _number("breaker.min_verified_share", self.min_verified_share, 0, 1)
        _number("breaker.cool_off", self.cool_off, 1, _LONGEST)
        _number("breaker.max_cool_off", self.max_cool_off, self.cool_off, _LONGEST)
        _number("breaker.probes", self.probes, 1, 1000, whole=True)

    @property
    def buckets(self) -> int:
        """How many ``grace``-long counters the window holds."""
        return math.ceil(self.window / self.grace)


def _caps(argument: str, value: object) -> tuple[Cap, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(cap, Cap) for cap in value) or len(value) > 8:
        raise InvalidRequestError(argument, "must be a tuple of at most 8 Cap(count, seconds)")
    return tuple(value)


def _regions(argument: str, value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(region, str) for region in value):  # type: ignore[attr-defined]
        raise InvalidRequestError(argument, "must be a collection of region codes such as {'GB', 'DE'}")
    return frozenset(region.upper() for region in value)  # type: ignore[attr-defined]


def _types(value: object) -> frozenset[str]:
    if isinstance(value, str) or not all(isinstance(kind, str) for kind in value):  # type: ignore[attr-defined]
        raise InvalidRequestError("refused_types", "must be a collection of phonenumbers type names")
    kinds = frozenset(kind.upper() for kind in value)  # type: ignore[attr-defined]
    if kinds - _TYPES:
        raise InvalidRequestError("refused_types", f"unknown types {sorted(kinds - _TYPES)}; known: {sorted(_TYPES)}")
    return kinds


@attrs.frozen(kw_only=True)
class ShieldRules:
    """Every rule of a ``Shield``, each with a default that a legitimate login flow never reaches.

    Args:
        number_cooldown: Seconds between two sends to one number (or e-mail address); 0 for none.
        number_caps: Sends to one number per window (``Cap(count, seconds)`` each).
        ip_caps: Sends asked for by one client IP (an IPv6 address counts by its /64) per window.
        user_caps: Sends asked for by one user id per window.
        session_caps: Sends asked for by one session id, and by one device id, per window.
        prefix_tail: A number's prefix is the number without its last ``prefix_tail`` digits (4: a block of
            10,000 numbers, the unit carriers are allotted), never shorter than its country code and one digit.
        prefix_caps: Distinct numbers per prefix per window: what sequential-number attacks trip.
        allowed_regions: Region codes (``"GB"``, ``"001"`` for non-geographic numbers) sends may go to; None for all.
        denied_regions: Region codes sends never go to.
        refused_types: Number types refused (phonenumbers names, e.g. ``"PREMIUM_RATE"``).
        refuse_invalid: Refuse numbers that are not valid for their region.
        breaker: The conversion breaker's rules, or None for no breaker.

    Raises:
        InvalidRequestError: A value out of range.
    """

    number_cooldown: float = 30.0
    number_caps: Sequence[Cap] = (Cap(5, HOUR), Cap(10, DAY))
    ip_caps: Sequence[Cap] = (Cap(20, HOUR), Cap(100, DAY))
    user_caps: Sequence[Cap] = (Cap(10, HOUR), Cap(30, DAY))
    session_caps: Sequence[Cap] = (Cap(5, HOUR), Cap(20, DAY))
    prefix_tail: int = 4
    prefix_caps: Sequence[Cap] = (Cap(20, HOUR), Cap(100, DAY))
    allowed_regions: Collection[str] | None = None
    denied_regions: Collection[str] = frozenset()
    refused_types: Collection[str] = REFUSED_TYPES
    refuse_invalid: bool = True
    breaker: BreakerRules | None = BreakerRules()

    def __attrs_post_init__(self) -> None:
        # frozen: the checked values (tuples and frozensets, so that rules can be shared and hashed) are set here
        for name in ("number_caps", "ip_caps", "user_caps", "session_caps", "prefix_caps"):
            object.__setattr__(self, name, _caps(name, getattr(self, name)))
        object.__setattr__(self, "allowed_regions", _regions("allowed_regions", self.allowed_regions))
        object.__setattr__(self, "denied_regions", _regions("denied_regions", self.denied_regions) or frozenset())
        object.__setattr__(self, "refused_types", _types(self.refused_types))
        _number("number_cooldown", self.number_cooldown, 0, DAY)
        _number("prefix_tail", self.prefix_tail, 1, 8, whole=True)
        if self.breaker is not None and not isinstance(self.breaker, BreakerRules):
            raise InvalidRequestError("breaker", "must be BreakerRules(...) or None")
