"""A bulk campaign held in Redis: its settings, its rows in chunks, one state byte per row, and its journal.

Keys, under ``infobip-2fa:campaign:<name>:``:

- ``settings``: a hash (application and template ids, channel, rate and burst, rows, whether submission is done);
- ``chunks``: a Stream of chunks of rows with the consumer group ``workers``. Chunks are handed out at least once
  (a dead worker's chunk is taken over after its lease expires), so the rows inside them need their own record:
- ``states``: one byte per row, the ``_journal`` states (NEW, TAKEN, SENT, NOT_SENT, FAILED, UNKNOWN). A row is
  claimed (NEW or FAILED -> TAKEN) by an atomic script right before its request goes out, and its outcome is written
  with its state by another: claims are at most once, so rows are sent at most once. A row a dead worker left TAKEN
  is never sent again by anyone; it is reported unknown, as a crash is in the single-process journal;
- ``journal``: a Stream of the journal's lines in the order they happened ("taken", then the outcome), which
  ``report_campaign`` writes out as the file ``infobip-2fa bulk`` writes;
- ``gate:tat``, ``gate:pause``: the campaign's ``RedisGate``, which every worker passes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .._exceptions import ConfigurationError, InvalidRequestError
from .._gate import check_rate
from .._journal import FAILED, NEW, TAKEN, Journal, Tally

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["Campaign", "report_campaign", "submit_campaign"]

GROUP = "workers"

# KEYS: states, journal. ARGV: row index, the "taken" journal line. 1 if claimed, 0 if someone had it already.
CLAIM_SCRIPT = f"""
local byte = redis.call('GETRANGE', KEYS[1], ARGV[1], ARGV[1])
local state = {NEW}
if byte ~= '' then state = string.byte(byte) end
if state ~= {NEW} and state ~= {FAILED} then return 0 end
redis.call('SETRANGE', KEYS[1], ARGV[1], string.char({TAKEN}))
redis.call('XADD', KEYS[2], '*', 'line', ARGV[2])
return 1
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


class Campaign:
    """The Redis keys of campaign ``name`` and what is stored under them (see the module's docstring).

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        name: The campaign's name, without spaces.

    Raises:
        InvalidRequestError: The name is empty or holds a space.
    """

    def __init__(self, redis: Redis, name: str) -> None:
        if not isinstance(name, str) or not name or any(ch.isspace() for ch in name):
            raise InvalidRequestError("campaign", f"must be a name without spaces, not {name!r}")
        self.redis: Any = redis  # redis-py's own annotations are looser than its answers; read them as documented
        self.name = name
        prefix = f"infobip-2fa:campaign:{name}:"
        self.settings_key, self.chunks_key = prefix + "settings", prefix + "chunks"
        self.states_key, self.journal_key = prefix + "states", prefix + "journal"
        self.gate_key = prefix + "gate"
        self._claim = redis.register_script(CLAIM_SCRIPT)
        self._outcome = redis.register_script(OUTCOME_SCRIPT)

    async def settings(self) -> dict[str, str]:
        """The campaign's settings; ConfigurationError when there is no such campaign."""
        raw = await self.redis.hgetall(self.settings_key)
        if not raw:
            raise ConfigurationError(f"there is no campaign {self.name!r} in this Redis: run bulk-submit first")
        return {key.decode(): value.decode() for key, value in raw.items()}

    async def claim(self, row: Row) -> bool:
        """NEW or FAILED -> TAKEN, with its "taken" journal line, atomically; False if the row was not free."""
        line = json.dumps({"index": row.index, "line": row.line, "to": row.to, "status": "taken"})
        return bool(await self._claim(keys=[self.states_key, self.journal_key], args=[row.index, line]))

    async def record(self, row_index: int, state: int, entry: dict[str, Any]) -> None:
        """Write a row's outcome and its state in one atomic step."""
        await self._outcome(keys=[self.states_key, self.journal_key], args=[row_index, state, json.dumps(entry)])

    async def states(self, start: int, count: int) -> bytes:
        """The state bytes of rows ``start`` .. ``start + count - 1`` (NEW where none was written)."""
        raw = await self.redis.getrange(self.states_key, start, start + count - 1)
        return bytes(raw).ljust(count, bytes([NEW]))


async def submit_campaign(
    redis: Redis,
    name: str,
    rows: Iterable[Row],
    *,
    application_id: str,
    message_id: str,
    channel: str = "sms",
    rate: float | None = None,
    burst: float | None = None,
    chunk_size: int = 500,
    max_waiting_chunks: int = 200,
    poll: float = 0.2,
) -> int:
    """Load ``rows`` into a new campaign, in chunks.

    Back-pressure: at most ``max_waiting_chunks`` chunks wait in Redis at once (a worker deletes a chunk once it is
    done), so a campaign of tens of millions of rows costs bounded memory here and in Redis while it is loaded;
    workers can start before the submission ends.

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        name: The campaign's name, the same on every machine.
        rows: The rows, read lazily.
        application_id: The 2FA application.
        message_id: The message template.
        channel: ``"sms"`` or ``"voice"``.
        rate: Requests per second for the whole campaign (every worker shares it); None for no limit.
        burst: How many requests may go at once after a quiet spell.
        chunk_size: Rows per chunk handed to a worker.
        max_waiting_chunks: Chunks that may wait in Redis at once.
        poll: Seconds between looks at the waiting chunks while holding back.

    Returns:
        How many rows the campaign holds.

    Raises:
        ConfigurationError: A campaign of that name exists already.
        InvalidRequestError: An invalid channel, rate or burst.
    """
    rate, burst = check_rate(rate, burst)
    client: Any = redis
    if channel not in ("sms", "voice"):
        raise InvalidRequestError("channel", f"must be 'sms' or 'voice', not {channel!r}")
    campaign = Campaign(client, name)
    settings = {"application_id": application_id, "message_id": message_id, "channel": channel, "submitted": "0",
                "rate": "" if rate is None else repr(rate), "burst": "" if burst is None else repr(burst)}  # fmt: skip
    if not await client.hsetnx(campaign.settings_key, "application_id", application_id):
        raise ConfigurationError(f"campaign {name!r} already exists in this Redis: choose another name")
    await client.hset(campaign.settings_key, mapping=settings)
    await client.xgroup_create(campaign.chunks_key, GROUP, id="0", mkstream=True)
    total = 0
    for chunk in _chunks(rows, chunk_size):
        # Back-pressure, polled: the workers are other processes, nothing here could be awaited instead.
        while await client.xlen(campaign.chunks_key) >= max_waiting_chunks:  # noqa: ASYNC110
            await asyncio.sleep(poll)
        payload = json.dumps([[row.index, row.line, row.to, row.placeholders] for row in chunk])
        await client.xadd(campaign.chunks_key, {"rows": payload})
        total += len(chunk)
        await client.hset(campaign.settings_key, "rows", str(total))
    await client.hset(campaign.settings_key, mapping={"rows": str(total), "submitted": "1"})
    return total


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def report_campaign(redis: Redis, name: str, out: Path, *, batch: int = 10_000) -> Tally:
    """Write a campaign's journal, and count its rows by state.

    Args:
        redis: A ``redis.asyncio.Redis`` client.
        name: The campaign's name.
        out: Where to write the journal (the file ``infobip-2fa bulk`` writes, so the same resume and
            ``--retry-unknown`` rules apply to it); written whole, each time.
        batch: Journal lines read from Redis per round trip.

    Returns:
        The rows by state: sent, not sent, failed, unknown (may have been sent), not tried yet.

    Raises:
        ConfigurationError: There is no such campaign.
    """
    client: Any = redis
    campaign = Campaign(client, name)
    settings = await campaign.settings()
    total = int(settings.get("rows", "0"))
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
