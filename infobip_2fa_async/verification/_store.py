"""Where a verifier keeps its challenges: the interface a store offers, and the store for one process.

A store keeps records and nothing else, under keys it is handed already hashed (``c:`` a claim on a purpose,
subject and number; ``i:`` an idempotency key; ``r:`` a challenge's record; ``x:`` its marker, which outlives the
record a little to say "expired" instead of "not found"). It decides nothing about a challenge: the verifier
computes every next state (``_state``), and a store only makes each step atomic. Every entry expires with the
challenge's PIN (the marker a little later), in the verifier's clock.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

__all__ = ["ClaimAnswer", "ClaimRequest", "MemoryVerificationStore", "ReplaceRequest", "Stored", "VerificationStore"]


class ClaimRequest(NamedTuple):
    """A start: return the live challenge the idempotency key or the claim names, else create this one.

    Attributes:
        claim_key: The claim on (purpose, subject, number).
        idem_key: The idempotency key's ("" for none).
        record_key: The new challenge's record.
        marker_key: The new challenge's marker.
        data: The new record.
        marker: The new marker.
        now: The verifier's clock, in milliseconds.
        expires: When the record (and the claim) expires.
        marker_expires: When the marker expires.
    """

    claim_key: str
    idem_key: str
    record_key: str
    marker_key: str
    data: str
    marker: str
    now: int
    expires: int
    marker_expires: int


class ClaimAnswer(NamedTuple):
    """What a claim found or made: ``created`` True when the request's record was stored (its version is 1);
    ``replayed`` True when the idempotency key named the record (the start was made before with that key)."""

    created: bool
    data: str
    version: int
    replayed: bool = False


class ReplaceRequest(NamedTuple):
    """Swap a record for its next state, only if it is still at ``version``.

    Attributes:
        record_key: The record.
        marker_key: Its marker.
        claim_key: Its claim: kept (its expiry moved with the record's) or, with ``release``, freed.
        idem_key: Its idempotency key ("" for none): its expiry moves with the record's.
        version: The version the next state was computed from.
        data: The next state.
        marker: The next marker.
        now: The verifier's clock.
        expires: When the record expires.
        marker_expires: When the marker expires.
        release: Free the claim (a verified challenge: the next start makes a new one).
    """

    record_key: str
    marker_key: str
    claim_key: str
    idem_key: str
    version: int
    data: str
    marker: str
    now: int
    expires: int
    marker_expires: int
    release: bool = False


class Stored(NamedTuple):
    """A record as loaded (``data`` None when there is none) and its marker (None when there is none)."""

    data: str | None
    version: int
    marker: str | None


@runtime_checkable
class VerificationStore(Protocol):
    """Where a ``Verifier`` keeps its challenges. Every method is one atomic step and one round trip.

    Attributes:
        shared: True when several processes share the store: their verifiers need one ``secret``.
    """

    shared: bool

    async def claim(self, request: ClaimRequest) -> ClaimAnswer:
        """Return the live challenge the idempotency key (first) or the claim names; else store the new one."""
        ...

    async def load(self, record_key: str, marker_key: str, now: int) -> Stored:
        """A challenge's record and marker."""
        ...

    async def replace(self, request: ReplaceRequest) -> bool:
        """Swap a record for its next state if it is still at ``request.version``; False when it is not."""
        ...

    async def delete(self, record_key: str, marker_key: str, claim_key: str, idem_key: str, now: int) -> bool:
        """Forget a challenge (its claim and idempotency key too, where they still name it); False if unknown."""
        ...

    async def aclose(self) -> None:
        """Release what the store holds (connections)."""
        ...


class _Record(NamedTuple):
    version: int
    data: str
    expires: int


class MemoryVerificationStore:
    """Challenges in this process: for one process, tests and development.

    Entries expire with their challenge in the verifier's clock and are swept as the store is used, so its memory
    follows the challenges of the last PIN lifetime (a few hundred bytes each).
    """

    shared = False

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, Any]] = {}  # key -> (expires at, value)
        self._operations = 0

    def __len__(self) -> int:
        """How many entries it holds (expired ones not yet swept included)."""
        return len(self._entries)

    def __repr__(self) -> str:
        return f"MemoryVerificationStore(entries={len(self._entries)})"

    def _get(self, key: str, now: int) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= now:
            del self._entries[key]
            return None
        return entry[1]

    def _sweep(self, now: int) -> None:
        """Every so many operations (half the entries, at least 1,024), drop every expired entry."""
        self._operations += 1
        if self._operations < max(1024, len(self._entries) // 2):
            return
        self._operations = 0
        self._entries = {key: entry for key, entry in self._entries.items() if entry[0] > now}

    def _live(self, record_key: Any, now: int) -> _Record | None:
        record = self._get(record_key, now) if isinstance(record_key, str) else None
        return record if isinstance(record, _Record) and record.expires > now else None

    async def claim(self, request: ClaimRequest) -> ClaimAnswer:
        """Return the live challenge the idempotency key (first) or the claim names; else store the new one."""
        now = request.now
        self._sweep(now)
        if request.idem_key:
            found = self._live(self._get(request.idem_key, now), now)
            if found is not None:
                return ClaimAnswer(False, found.data, found.version, replayed=True)
        named = self._get(request.claim_key, now)
        found = self._live(named, now)
        if found is not None:
            if request.idem_key:
                self._entries[request.idem_key] = (found.expires, named)
            return ClaimAnswer(False, found.data, found.version)
        self._entries[request.record_key] = (request.expires, _Record(1, request.data, request.expires))
        self._entries[request.marker_key] = (request.marker_expires, request.marker)
        self._entries[request.claim_key] = (request.expires, request.record_key)
        if request.idem_key:
            self._entries[request.idem_key] = (request.expires, request.record_key)
        return ClaimAnswer(True, request.data, 1)

    async def load(self, record_key: str, marker_key: str, now: int) -> Stored:
        """A challenge's record and marker."""
        self._sweep(now)
        record = self._get(record_key, now)
        marker = self._get(marker_key, now)
        if not isinstance(record, _Record):
            return Stored(None, 0, marker)
        return Stored(record.data, record.version, marker)

    async def replace(self, request: ReplaceRequest) -> bool:
        """Swap a record for its next state if it is still at ``request.version``; False when it is not."""
        now = request.now
        record = self._get(request.record_key, now)
        if not isinstance(record, _Record) or record.version != request.version:
            return False
        self._entries[request.record_key] = (request.expires, _Record(record.version + 1, request.data,
                                                                        request.expires))  # fmt: skip
        self._entries[request.marker_key] = (request.marker_expires, request.marker)
        if self._get(request.claim_key, now) == request.record_key:
            if request.release:
                del self._entries[request.claim_key]
            else:
                self._entries[request.claim_key] = (request.expires, request.record_key)
        if request.idem_key and self._get(request.idem_key, now) == request.record_key:
            self._entries[request.idem_key] = (request.expires, request.record_key)
        return True

    async def delete(self, record_key: str, marker_key: str, claim_key: str, idem_key: str, now: int) -> bool:
        """Forget a challenge (its claim and idempotency key too, where they still name it); False if unknown."""
        known = self._entries.pop(record_key, None) is not None
        self._entries.pop(marker_key, None)
        for key in (claim_key, idem_key):
            if key and self._get(key, now) == record_key:
                del self._entries[key]
        return known

    async def aclose(self) -> None:
        """Nothing to release."""
