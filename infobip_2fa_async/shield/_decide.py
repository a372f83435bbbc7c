"""The shield's decisions, as plain functions over counters (sans-I/O): no clock, no store, no I/O.

A send is judged by a list of ``Check`` s, each over one counter in the store:

- ``log``: the times of recent sends (for a number, an IP, a user id, a session or device id): a cool-down since
  the latest one and caps per sliding window;
- ``distinct``: the numbers seen in a prefix, each with the time it was last seen: caps on how many different
  numbers per window (a number already seen is not new);
- ``breaker``: a conversion breaker's state (closed, open until a time, half-open) and its sends and verified PINs
  per ``grace``-long bucket.

Every check is evaluated (so that the wait reported is the longest that matters, and a breaker trips even when
another rule refused first); the send is recorded in every counter only when all of them let it through, or in
monitor mode, where everything is recorded because everything goes out. The memory store runs these functions;
the Redis store's Lua script does the same, step for step (tests hold the two to the same answers). All times are
integer milliseconds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

import attrs

from ._model import ShieldReason
from ._rules import BreakerRules

__all__ = [
    "PASS",
    "BreakerParams",
    "BreakerState",
    "Check",
    "Verdict",
    "breaker_add",
    "breaker_verdict",
    "conclude",
    "distinct_verdict",
    "log_verdict",
]

Kind = Literal["log", "distinct", "breaker"]
Role = Literal["number", "ip", "user", "session", "device", "prefix", "prefix_breaker", "country_breaker"]


@attrs.frozen
class BreakerParams:
    """A breaker's rules in milliseconds, as a store applies them (``BreakerRules`` with one minimum of sends)."""

    grace: int
    buckets: int
    min_sends: int
    share: float
    cool_off: int
    max_cool_off: int
    probes: int

    @classmethod
    def of(cls, rules: BreakerRules, *, country: bool) -> BreakerParams:
        """The parameters of a prefix's (or with ``country``, a country's) breaker."""
        return cls(
            grace=round(rules.grace * 1000),
            buckets=rules.buckets,
            min_sends=rules.min_country_sends if country else rules.min_sends,
            share=float(rules.min_verified_share),
            cool_off=round(rules.cool_off * 1000),
            max_cool_off=round(rules.max_cool_off * 1000),
            probes=rules.probes,
        )


class Check(NamedTuple):
    """One counter a send is judged by (a named tuple: a decision builds several).

    Attributes:
        role: Which rule it serves (decides the refusal's reason).
        kind: ``log``, ``distinct`` or ``breaker`` (see the module's docstring).
        key: The counter's key in the store; in a resend, ``@number``, ``@prefix`` or ``@country`` for the key the
            PIN's record names.
        member: For ``distinct``: the number's hash. For ``log``, empty: the call's unique token is recorded.
        cooldown: For ``log``: milliseconds required since the latest send (0 for none).
        caps: (count, window in milliseconds) pairs.
        breaker: For ``breaker``: its parameters.
        fallback: For ``@number`` in a resend whose PIN has no record: the key to count under instead.
        longest: How long, in milliseconds, the counter must remember a send (its longest window or cool-off).
        most: How many entries the counter needs to keep (its largest cap; 1 for a cool-down alone).
    """

    role: Role
    kind: Kind
    key: str
    member: str = ""
    cooldown: int = 0
    caps: tuple[tuple[int, int], ...] = ()
    breaker: BreakerParams | None = None
    fallback: str = ""
    longest: int = 0
    most: int = 1

    @classmethod
    def of(
        cls,
        role: Role,
        kind: Kind,
        key: str,
        *,
        member: str = "",
        cooldown: int = 0,
        caps: tuple[tuple[int, int], ...] = (),
        breaker: BreakerParams | None = None,
        fallback: str = "",
    ) -> Check:
        """A check with ``longest`` and ``most`` worked out from its cool-down and caps."""
        longest = max([cooldown, *(window for _, window in caps)])
        most = max([1, *(count for count, _ in caps)])
        return cls(role, kind, key, member, cooldown, caps, breaker, fallback, longest, most)


class Verdict(NamedTuple):
    """One check's answer: ``code`` 0 lets the send go; otherwise the rule refuses it, and ``wait`` milliseconds
    would change that. For ``log``, code 1 is the cool-down and 2 a cap."""

    code: int = 0
    wait: int = 0


PASS = Verdict()


def log_verdict(times: Sequence[int], now: int, cooldown: int, caps: Sequence[tuple[int, int]]) -> Verdict:
    """A log's answer: ``times`` are its sends, oldest first."""
    code, wait = 0, 0
    if cooldown and times and now - times[-1] < cooldown:
        code, wait = 1, times[-1] + cooldown - now
    for count, window in caps:
        first = bisect_right(times, now - window)  # the oldest send inside the window
        inside = len(times) - first
        if inside >= count:
            code = code or 2
            wait = max(wait, times[first + inside - count] + window - now)  # when enough of them have left it
    return Verdict(code, wait)


def distinct_verdict(seen: Mapping[str, int], member: str, now: int, caps: Sequence[tuple[int, int]]) -> Verdict:
    """A prefix's answer for ``member``: ``seen`` maps each number's hash to when it was last sent to."""
    code, wait = 0, 0
    mine = seen.get(member)
    times: list[int] | None = None
    for count, window in caps:
        if (mine is not None and mine > now - window) or len(seen) < count:
            continue  # already one of the window's numbers, or too few numbers to reach the cap
        if times is None:
            times = sorted(seen.values())
        first = bisect_right(times, now - window)
        inside = len(times) - first
        if inside >= count:
            code = 1
            wait = max(wait, times[first + inside - count] + window - now)
    return Verdict(code, wait)


@attrs.define
class BreakerState:
    """A conversion breaker's state (a store's to keep: ``breaker_add`` updates its counters in place).

    Attributes:
        open_until: Closed when 0; open (refusing) until this time; half-open from it on.
        trips: Trips in a row (each doubles the cool-off); 0 when closed by a verified PIN.
        last_probe: When the latest send in the half-open state went.
        sends: Sends per bucket (the bucket's number: time // grace); since the latest trip.
        verified: Verified PINs per bucket; since the latest trip.
        totals: The sums of ``sends`` and ``verified``, and the oldest bucket in either (kept by ``breaker_add``
            so that a decision need not add the buckets up).
    """

    open_until: int = 0
    trips: int = 0
    last_probe: int = 0
    sends: dict[int, int] = attrs.field(factory=dict)
    verified: dict[int, int] = attrs.field(factory=dict)
    totals: tuple[int, int, int] = (0, 0, 0)


def _in_window(counts: Mapping[int, int], oldest: int) -> int:
    return sum(count for bucket, count in counts.items() if bucket >= oldest)


def _tripped(state: BreakerState, now: int, params: BreakerParams) -> BreakerState:
    cool_off = min(params.cool_off * 2 ** min(state.trips, 30), params.max_cool_off)
    return BreakerState(open_until=now + cool_off, trips=state.trips + 1)


def breaker_verdict(state: BreakerState, now: int, params: BreakerParams) -> tuple[Verdict, BreakerState | None]:
    """A breaker's answer, and its new state when this decision moves it (trips it, or closes it); None if not.

    Reads ``state`` only.
    """
    current = now // params.grace
    oldest = current - params.buckets + 1
    sends, verified, first = state.totals
    if first < oldest and (state.sends or state.verified):  # buckets gone stale since the latest count
        sends, verified = _in_window(state.sends, oldest), _in_window(state.verified, oldest)
    if state.open_until:
        if now < state.open_until:
            return Verdict(1, state.open_until - now), None
        if verified:  # half-open, and a PIN was verified since it tripped: close
            return PASS, BreakerState(0, 0, 0, state.sends, state.verified, state.totals)
        if sends < params.probes:
            return PASS, None  # a probe
        if now - state.last_probe < params.grace:
            return Verdict(1, state.last_probe + params.grace - now), None  # the probes may still be verified
    else:
        # judged: the sends at least one grace period old (not in the current bucket or the one before)
        judged = sends - state.sends.get(current, 0) - state.sends.get(current - 1, 0)
        if judged < params.min_sends or verified >= params.share * judged:
            return PASS, None
    tripped = _tripped(state, now, params)
    return Verdict(1, tripped.open_until - now), tripped


def breaker_add(state: BreakerState, now: int, params: BreakerParams, *, verified: bool) -> None:
    """Count one send (or, with ``verified``, one verified PIN) in ``state``, dropping buckets gone stale."""
    current = now // params.grace
    sends, verifieds, first = state.totals
    if not state.sends and not state.verified:
        first = current
    elif first <= current - params.buckets:
        stale = current - params.buckets
        for table in (state.sends, state.verified):
            for bucket in [bucket for bucket in table if bucket <= stale]:
                del table[bucket]
        sends, verifieds = sum(state.sends.values()), sum(state.verified.values())
        first = min([current, *state.sends, *state.verified])
    counts = state.verified if verified else state.sends
    counts[current] = counts.get(current, 0) + 1
    state.totals = (
        (sends, verifieds + 1, min(first, current)) if verified else (sends + 1, verifieds, min(first, current))
    )
    if state.open_until and not verified:
        state.last_probe = now


def breaker_lifetime(state: BreakerState, now: int, params: BreakerParams) -> int:
    """How long, in milliseconds, a breaker's counters must be kept: its window, and while open, until it opens."""
    return params.buckets * params.grace + max(state.open_until - now, 0)


_REASONS: dict[str, ShieldReason] = {
    "ip": ShieldReason.IP_CAP,
    "user": ShieldReason.USER_CAP,
    "session": ShieldReason.SESSION_CAP,
    "device": ShieldReason.SESSION_CAP,
    "prefix": ShieldReason.PREFIX_CAP,
    "prefix_breaker": ShieldReason.PREFIX_BREAKER,
    "country_breaker": ShieldReason.COUNTRY_BREAKER,
}


def conclude(checks: Sequence[Check], verdicts: Sequence[Verdict]) -> tuple[ShieldReason | None, int | None]:
    """The refusal's reason (the first check, in order, that refused) and the wait until every check would let the
    send through, in milliseconds; (None, None) when none refused."""
    reason: ShieldReason | None = None
    wait = 0
    for check, verdict in zip(checks, verdicts, strict=True):
        if not verdict.code:
            continue
        if reason is None:
            if check.role == "number":
                reason = ShieldReason.NUMBER_COOLDOWN if verdict.code == 1 else ShieldReason.NUMBER_CAP
            else:
                reason = _REASONS[check.role]
        wait = max(wait, verdict.wait)
    return reason, (wait if reason is not None else None)
