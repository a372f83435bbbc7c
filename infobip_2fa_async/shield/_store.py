"""Where the shield keeps its counters: the interface a store offers, and the store for one process.

A store keeps counters and nothing else: every key it is handed is already a keyed hash (or a country code), and
it applies the plain functions of ``_decide`` to them. ``MemoryShieldStore`` keeps them in this process;
``infobip_2fa_async.redis.RedisShieldStore`` keeps them in Redis for a fleet, with the same answers.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from typing import Any, NamedTuple, Protocol, runtime_checkable

import attrs

from ._decide import (
    PASS,
    BreakerState,
    Check,
    Verdict,
    breaker_add,
    breaker_lifetime,
    breaker_verdict,
    distinct_verdict,
    log_verdict,
)

__all__ = ["MemoryShieldStore", "PinRecord", "ShieldStore", "StoreAnswer", "StoreRequest"]


class StoreRequest(NamedTuple):
    """One decision for a store to make.

    Attributes:
        checks: What the send is judged by, in the order refusals are reported.
        now: The shield's clock, in milliseconds.
        monitor: Record the send whatever the verdicts (it goes out anyway).
        token: Unique to this decision: what a log records for it.
        pin_key: For a resend: the key of the PIN's record, which names the ``@`` keys of the checks.
    """

    checks: tuple[Check, ...]
    now: int
    monitor: bool
    token: str
    pin_key: str | None = None


class StoreAnswer(NamedTuple):
    """A store's answer: one verdict per check, and for a resend what the PIN's record said.

    Attributes:
        verdicts: In the order of the checks.
        found: For a resend, whether the PIN's record was there.
        country: For a resend, the country the record names ("" when none).
        available: False when the store could not be asked and let the send through (``fail_open``).
    """

    verdicts: tuple[Verdict, ...]
    found: bool = False
    country: str = ""
    available: bool = True


@attrs.frozen
class PinRecord:
    """What a store remembers of a sent PIN, for its resends: the keys of its number's counters, and its country.

    Attributes:
        number: The key of the number's log.
        prefix: The key of the prefix's breaker ("" for none).
        country_breaker: The key of the country's breaker ("" for none).
        country: The region code ("" for none).
    """

    number: str
    prefix: str = ""
    country_breaker: str = ""
    country: str = ""

    def key_for(self, reference: str) -> str:
        """The key an ``@`` reference names ("" when the record has none)."""
        return {"@number": self.number, "@prefix": self.prefix, "@country": self.country_breaker}[reference]


@runtime_checkable
class ShieldStore(Protocol):
    """Where a ``Shield`` keeps its counters. Every method is one round trip to a remote store.

    Attributes:
        shared: True when several processes share the store: their shields need one ``secret``.
    """

    shared: bool

    async def decide(self, request: StoreRequest) -> StoreAnswer:
        """Judge a send by its checks, and record it where they all let it through (or in monitor mode)."""
        ...

    async def remember(self, pin_key: str, record: PinRecord, now: int, lifetime: int) -> None:
        """Keep ``record`` under ``pin_key`` for ``lifetime`` milliseconds (for the PIN's resends)."""
        ...

    async def count_verified(self, checks: tuple[Check, ...], now: int) -> None:
        """Count a verified PIN in each breaker of ``checks``."""
        ...

    async def aclose(self) -> None:
        """Release what the store holds (connections)."""
        ...


class MemoryShieldStore:
    """The shield's counters in this process: for one process, tests and benchmarks.

    Every entry expires (a log after its longest window, a breaker after its window and cool-off, a PIN's record
    after ``Shield(pin_memory=...)``), and expired entries are swept as the store is used, so its memory follows
    the traffic of the last day (a few hundred bytes per number, IP, id and prefix seen), not its whole history.
    """

    shared = False

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, Any]] = {}  # key -> (expires at, value)
        self._operations = 0

    def __len__(self) -> int:
        """How many entries it holds (expired ones not yet swept included)."""
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemoryShieldStore(entries={len(self._entries)})"

    def _get(self, key: str, now: int) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= now:
            del self._entries[key]
            return None
        return entry[1]

    def _sweep(self, now: int) -> None:
        """Every so many operations (half the entries, at least 1,024), drop every expired entry: amortized O(1)."""
        self._operations += 1
        if self._operations < max(1024, len(self._entries) // 2):
            return
        self._operations = 0
        self._entries = {key: entry for key, entry in self._entries.items() if entry[0] > now}

    async def decide(self, request: StoreRequest) -> StoreAnswer:
        """Judge a send by its checks, and record it where they all let it through (or in monitor mode)."""
        now = request.now
        self._sweep(now)
        record: PinRecord | None = None
        if request.pin_key is not None:
            record = self._get(request.pin_key, now)
        keys: list[str] = []
        verdicts: list[Verdict] = []
        states: list[Any] = []
        for check in request.checks:
            key = check.key
            if key.startswith("@"):
                key = record.key_for(key) if record is not None else check.fallback
            keys.append(key)
            if not key:
                verdicts.append(PASS)
                states.append(None)
                continue
            value = self._get(key, now)
            # entries older than every window change no verdict: they are dropped when the send is recorded
            if check.kind == "log":
                value = [] if value is None else value
                verdicts.append(log_verdict(value, now, check.cooldown, check.caps))
            elif check.kind == "distinct":
                value = {} if value is None else value
                verdicts.append(distinct_verdict(value, check.member, now, check.caps))
            else:
                assert check.breaker is not None
                state = value or BreakerState()
                verdict, moved = breaker_verdict(state, now, check.breaker)
                if moved is not None:
                    state = moved
                    self._entries[key] = (now + breaker_lifetime(state, now, check.breaker), state)
                verdicts.append(verdict)
                value = state
            states.append(value)
        if request.monitor or not any(verdict.code for verdict in verdicts):
            for check, key, state in zip(request.checks, keys, states, strict=True):
                if key:
                    self._record(check, key, state, request)
        found = record is not None
        return StoreAnswer(tuple(verdicts), found=found, country=record.country if record is not None else "")

    def _record(self, check: Check, key: str, state: Any, request: StoreRequest) -> None:
        now = request.now
        start = now - check.longest  # entries this old or older count in no window any more
        if check.kind == "log":
            times: list[int] = state
            del times[: bisect_right(times, start)]
            insort(times, now)
            del times[: max(len(times) - check.most, 0)]  # the newest ``most`` are all any cap needs
            self._entries[key] = (now + check.longest, times)
        elif check.kind == "distinct":
            seen: dict[str, int] = state  # kept in the order numbers were last seen: the stale ones come first
            while seen and next(iter(seen.values())) <= start:
                del seen[next(iter(seen))]
            seen.pop(check.member, None)
            seen[check.member] = now
            if len(seen) > check.most:  # as Redis trims a sorted set: oldest first, ties by member
                for member, _ in sorted(seen.items(), key=lambda item: (item[1], item[0]))[: len(seen) - check.most]:
                    del seen[member]
            self._entries[key] = (now + check.longest, seen)
        else:
            assert check.breaker is not None
            breaker_add(state, now, check.breaker, verified=False)
            self._entries[key] = (now + breaker_lifetime(state, now, check.breaker), state)

    async def remember(self, pin_key: str, record: PinRecord, now: int, lifetime: int) -> None:
        """Keep ``record`` under ``pin_key`` for ``lifetime`` milliseconds (for the PIN's resends)."""
        self._sweep(now)
        self._entries[pin_key] = (now + lifetime, record)

    async def count_verified(self, checks: tuple[Check, ...], now: int) -> None:
        """Count a verified PIN in each breaker of ``checks``."""
        self._sweep(now)
        for check in checks:
            assert check.breaker is not None
            state = self._get(check.key, now) or BreakerState()
            breaker_add(state, now, check.breaker, verified=True)
            self._entries[check.key] = (now + breaker_lifetime(state, now, check.breaker), state)

    async def aclose(self) -> None:
        """Nothing to release."""
