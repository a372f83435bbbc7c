"""A bulk campaign held in Redis: its settings, its rows in chunks, one state byte per row, and its journal.

Keys, under ``infobip-2fa:campaign:{<name>}:`` (the braces are a hash tag: every key of a campaign sits in one Redis
Cluster slot, so its scripts run on a cluster):

- ``settings``: a hash: application and template ids, channel, rate and burst, and the submission: its random
  ``id``, the rows loaded so far (``rows``) and expected (``expected``, when the submitter knew), ``submitted`` ("1"
  once every row is loaded) and ``failed`` (why the submission stopped, when it did);
- ``submitter``: the submission ``id``, with an expiry the submitter renews with every chunk (and while it holds
  back): while it lives, more rows may come. A submission not complete whose submitter is gone (failed, killed,
  silent past its lease) is incomplete: workers finish the rows it loaded and stop, reports say so;
- under ``<id>:``, so that nothing of a withdrawn submission can leak into the next one of the same name:
  ``chunks``, a Stream of chunks of rows with the consumer group ``workers``. Chunks are handed out at least once (a
  dead worker's chunk is taken over after its lease expires), so the rows inside them need their own record:
  ``states``, one byte per row, the ``_journal`` states (NEW, TAKEN, SENT, NOT_SENT, FAILED, UNKNOWN). A row is
  claimed (NEW or FAILED -> TAKEN) by an atomic script right before its request goes out, and its outcome is
  written with its state by another: claims are at most once, so rows are sent at most once. A row a dead worker
  left TAKEN is never sent again by anyone; it is reported unknown, as a crash is in the single-process journal.
  ``journal``, a Stream of the journal's lines in the order they happened ("taken", then the outcome), which
  ``report_campaign`` writes out as the file ``infobip-2fa bulk`` writes;
- ``gate:tat``, ``gate:pause``: the campaign's ``RedisGate``, which every worker passes.

Every read or write that touches more than one key is one Lua script (atomic, one round trip, one slot).

A submission that fails before any row was claimed is withdrawn (its keys deleted), so the name can be used again at
once; one whose rows were already claimed is kept, marked failed, since some of them may have been sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .._exceptions import ConfigurationError, InvalidRequestError
from .._journal import FAILED, NEW, TAKEN, Journal, Tally
from ._connect import Script

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["Campaign", "Row", "Submission", "report_campaign"]

GROUP = "workers"
LOADING, COMPLETE, FAILED_SUBMISSION, ABANDONED = "loading", "complete", "failed", "abandoned"

# KEYS: states, journal, settings. ARGV: row index, the "taken" journal line, submission id. 1 if claimed, 0 if
# someone had it already or the submission is no longer the campaign's (withdrawn, or replaced by a new one).
CLAIM_SCRIPT = f"""
if redis.call('HGET', KEYS[3], 'id') ~= ARGV[3] then return 0 end
local byte = redis.call('GETRANGE', KEYS[1], ARGV[1], ARGV[1])
local state = {NEW}
if byte ~= '' then state = string.byte(byte) end
if state ~= {NEW} and state ~= {FAILED} then return 0 end
redis.call('SETRANGE', KEYS[1], ARGV[1], string.char({TAKEN}))
redis.call('XADD', KEYS[2], '*', 'line', ARGV[2])
return 1
"""
# KEYS: settings, submitter. Returns {the settings' field/value pairs, the submitter's id or ''}.
SUBMISSION_SCRIPT = """
return {redis.call('HGETALL', KEYS[1]), redis.call('GET', KEYS[2]) or ''}
"""
# KEYS: settings, states. ARGV: first byte, last byte, submission id. The state bytes, or nil when the submission is
# no longer the campaign's.
STATES_SCRIPT = """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[3] then return false end
return redis.call('GETRANGE', KEYS[2], ARGV[1], ARGV[2])
"""
# KEYS: states, journal. ARGV: row index, new state, the outcome's journal line.
OUTCOME_SCRIPT = """
redis.call('SETRANGE', KEYS[1], ARGV[1], string.char(tonumber(ARGV[2])))
redis.call('XADD', KEYS[2], '*', 'line', ARGV[3])
return 1
"""


@attrs.frozen
class Row:
    """One CSV row of a campaign.

    Attributes:
        index: Its index among the data rows (0 = the first).
        line: Its line in the file.
        to: The phone number.
        placeholders: Values for the template's placeholders (the row's other columns).
    """

    index: int
    line: int
    to: str
    placeholders: dict[str, str] | None


@attrs.frozen
class Submission:
    """Where a campaign's submission stands.

    Attributes:
        name: The campaign's name.
        state: ``"loading"`` (a submitter is loading rows), ``"complete"`` (every row is loaded), ``"failed"`` (the
            submission stopped with an error) or ``"abandoned"`` (its submitter stopped without a word: killed, or
            silent past its lease).
        rows: The rows loaded.
        expected: The rows the submitter meant to load, when it knew.
        id: The submission's random id (a new submission under the same name gets a new one).
        reason: Why a failed submission stopped.
    """

    name: str
    state: str
    rows: int
    expected: int | None
    id: str
    reason: str | None = None

    @property
    def complete(self) -> bool:
        """Whether every row is loaded."""
        return self.state == COMPLETE

    def describe(self) -> str:
        """One sentence, for a report or a worker that finds the submission incomplete."""
        loaded = f"{self.rows} of {self.expected}" if self.expected is not None else f"{self.rows}"
        if self.state == COMPLETE:
            return f"campaign {self.name!r} is complete: {self.rows} rows"
        if self.state == LOADING:
            return f"campaign {self.name!r} is still being submitted: {loaded} rows loaded so far"
        why = f"failed ({self.reason})" if self.state == FAILED_SUBMISSION else "stopped without finishing"
        return (
            f"campaign {self.name!r} is incomplete: its bulk-submit {why} after loading {loaded} rows; the rows "
            "after those were never loaded"
        )


class Campaign:
    """The Redis keys of campaign ``name`` and what is stored under them (see the module's docstring).

    The keys of its rows (``chunks_key``, ``states_key``, ``journal_key``) belong to one submission: ``settings()``
    binds them to the campaign's current one.

    Args:
        redis: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster`` client.
        name: The campaign's name, without spaces.

    Raises:
        InvalidRequestError: The name is empty or holds a space.
    """

    def __init__(self, redis: Redis | RedisCluster, name: str) -> None:
        if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
            raise InvalidRequestError("campaign", f"must be a name without spaces, not {name!r}")
        self.redis: Any = redis  # redis-py's own annotations are looser than its answers; read them as documented
        self.name = name
        self.prefix = f"infobip-2fa:campaign:{{{name}}}:"
        self.settings_key, self.submitter_key = self.prefix + "settings", self.prefix + "submitter"
        self.gate_key = self.prefix + "gate"
        self.bind("")
        self._claim = Script(redis, CLAIM_SCRIPT)
        self._outcome = Script(redis, OUTCOME_SCRIPT)
        self._submission = Script(redis, SUBMISSION_SCRIPT)
        self._states = Script(redis, STATES_SCRIPT)

    def bind(self, submission_id: str) -> None:
        """Point the row keys at submission ``submission_id``."""
        self.id = submission_id
        rows = f"{self.prefix}{submission_id}:"
        self.chunks_key, self.states_key, self.journal_key = rows + "chunks", rows + "states", rows + "journal"

    async def settings(self) -> dict[str, str]:
        """The campaign's settings (and the row keys bound to its submission); ConfigurationError when there is no
        such campaign."""
        raw = await self.redis.hgetall(self.settings_key)
        if not raw:
            raise ConfigurationError(f"there is no campaign {self.name!r} in this Redis: run bulk-submit first")
        settings = {key.decode(): value.decode() for key, value in raw.items()}
        self.bind(settings.get("id", ""))
        return settings

    async def submission(self) -> Submission | None:
        """Where the campaign's submission stands (None: there is no such campaign)."""
        pairs, submitter = await self._submission(keys=[self.settings_key, self.submitter_key])
        if not pairs:
            return None
        settings = {pairs[i].decode(): pairs[i + 1].decode() for i in range(0, len(pairs), 2)}
        if settings.get("submitted") == "1":
            state = COMPLETE
        elif settings.get("failed"):
            state = FAILED_SUBMISSION
        elif submitter and submitter.decode() == settings.get("id"):
            state = LOADING
        else:
            state = ABANDONED
        expected = settings.get("expected")
        return Submission(self.name, state, int(settings.get("rows") or 0), int(expected) if expected else None,
                          settings.get("id", ""), settings.get("failed") or None)  # fmt: skip

    async def loading_over(self) -> bool:
        """Whether no more chunks will come for the submission this object is bound to: it is complete, failed or
        abandoned, or no longer the campaign's (withdrawn, or replaced by a new submission)."""
        submission = await self.submission()
        return submission is None or submission.state != LOADING or submission.id != self.id

    async def claim(self, row: Row) -> bool:
        """NEW or FAILED -> TAKEN, with its "taken" journal line, atomically; False if the row was not free (or its
        submission is no longer the campaign's)."""
        line = json.dumps({"index": row.index, "line": row.line, "to": row.to, "status": "taken"})
        keys = [self.states_key, self.journal_key, self.settings_key]
        return bool(await self._claim(keys=keys, args=[row.index, line, self.id]))

    async def record(self, row_index: int, state: int, entry: dict[str, Any]) -> None:
        """Write a row's outcome and its state in one atomic step."""
        await self._outcome(keys=[self.states_key, self.journal_key], args=[row_index, state, json.dumps(entry)])

    async def states(self, start: int, count: int) -> bytes:
        """The state bytes of rows ``start`` .. ``start + count - 1`` (NEW where none was written); all TAKEN (not
        to be tried) when the bound submission is no longer the campaign's."""
        keys = [self.settings_key, self.states_key]
        raw = await self._states(keys=keys, args=[start, start + count - 1, self.id])
        if raw is None:
            return bytes([TAKEN]) * count
        return bytes(raw).ljust(count, bytes([NEW]))


async def report_campaign(redis: Redis | RedisCluster, name: str, out: Path, *, batch: int = 10_000) -> Tally:
    """Write a campaign's journal, and count its rows by state.

    Args:
        redis: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster`` client.
        name: The campaign's name.
        out: Where to write the journal (the file ``infobip-2fa bulk`` writes, so the same resume and
            ``--retry-unknown`` rules apply to it); written whole, each time.
        batch: Journal lines read from Redis per round trip.

    Returns:
        The rows by state: sent, not sent, failed, unknown (may have been sent), not tried yet (rows not loaded
        because the submission is incomplete among them, when the submitter said how many it meant to load; see
        ``Campaign.submission()`` for whether it is complete).

    Raises:
        ConfigurationError: There is no such campaign.
    """
    client: Any = redis
    campaign = Campaign(client, name)
    settings = await campaign.settings()
    # Rows the submitter meant to load but did not (yet) are not tried yet, as much as loaded rows no worker took.
    total = max(int(settings.get("rows") or 0), int(settings.get("expected") or 0))
    journal = Journal(out)
    out.unlink(missing_ok=True)  # noqa: ASYNC240  (the report is written whole, each time)
    with journal:
        start = "-"
        while True:
            entries = await client.xrange(campaign.journal_key, min=start, max="+", count=batch)
            for entry_id, fields in entries:
                journal.write(json.loads(fields[b"line"]))
                last = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            if len(entries) < batch:
                break
            start = "(" + last
    tally = Tally()
    for offset in range(0, total, 1_000_000):
        tally = _merge(tally, Tally.of(await campaign.states(offset, min(1_000_000, total - offset))))
    return tally


def _merge(one: Tally, other: Tally) -> Tally:
    return Tally(*(a + b for a, b in zip(attrs.astuple(one), attrs.astuple(other), strict=True)))
