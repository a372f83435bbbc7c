"""``submit_campaign``: load a campaign's rows into Redis, in chunks, under a submission that is either completed,
withdrawn (when it fails before any row was claimed: the name is free again) or marked failed (when rows were
claimed already: some may have been sent). See ``_campaign`` for the keys.

Every write of the submitter is one script that first checks the submission still holds the campaign's
``submitter`` key, and renews that key's expiry: a submitter that was given up on (silent past its lease) cannot
add rows to a campaign that moved on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .._exceptions import ConfigurationError, InvalidRequestError
from ._campaign import GROUP, Campaign, Row
from ._connect import UNREACHABLE, Script
from ._ranges import check_shared_rate, in_range

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["submit_campaign"]

KEEP_WITHDRAWN_CHUNKS_MS = 3_600_000  # a withdrawn submission's chunks stay an hour, for workers still reading them

# KEYS: settings, submitter, new chunks, old chunks, old states, old journal. ARGV: the old submission's id ('' for
# none), the new id, lease ms, keep ms, then the settings' field/value pairs.
CREATE_SCRIPT = f"""
if redis.call('EXISTS', KEYS[1]) == 1 then
  if (redis.call('HGET', KEYS[1], 'id') or '') ~= ARGV[1] then return 'moved' end
  if redis.call('HGET', KEYS[1], 'submitted') == '1' then return 'exists' end
  if redis.call('EXISTS', KEYS[2]) == 1 then return 'loading' end
  if redis.call('XLEN', KEYS[6]) > 0 then return 'claimed' end
  redis.call('DEL', KEYS[1], KEYS[5], KEYS[6])
  redis.call('PEXPIRE', KEYS[4], ARGV[4])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('XGROUP', 'CREATE', KEYS[3], '{GROUP}', '0', 'MKSTREAM')
return 'created'
"""
# KEYS: submitter, chunks, settings. ARGV: id, lease ms, max waiting chunks, the chunk, its row count.
# 1: added; 0: too many chunks wait (nothing done, the lease renewed); -1: this submission lost the campaign.
ADD_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('XADD', KEYS[2], '*', 'rows', ARGV[4])
redis.call('HINCRBY', KEYS[3], 'rows', ARGV[5])
return 1
"""
# KEYS: submitter, settings. ARGV: id. 1 if completed, 0 if this submission lost the campaign.
FINISH_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'submitted', '1')
redis.call('DEL', KEYS[1])
return 1
"""
# KEYS: settings, submitter, chunks, states, journal. ARGV: id, reason, keep ms.
WITHDRAW_SCRIPT = """
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 'gone' end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
if redis.call('XLEN', KEYS[5]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[4], KEYS[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  return 'withdrawn'
end
redis.call('HSET', KEYS[1], 'failed', ARGV[2])
return 'failed'
"""


async def submit_campaign(
    redis: Redis | RedisCluster,
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
    expected: int | None = None,
    lease: float = 60.0,
) -> int:
    """Load ``rows`` into a new campaign, in chunks.

    Back-pressure: at most ``max_waiting_chunks`` chunks wait in Redis at once (a worker deletes a chunk once it is
    done), so a campaign of tens of millions of rows costs bounded memory here and in Redis while it is loaded;
    workers can start before the submission ends.

    If loading fails (``rows`` raises, Redis fails, the task is cancelled), the submission is withdrawn when no row
    of it was claimed yet, so the name can be used again at once; otherwise it is kept, marked failed, and workers
    and reports say it is incomplete. A submitter killed outright is found out the same way once its lease ends.

    Args:
        redis: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster`` client (``connect(url)``).
        name: The campaign's name, the same on every machine.
        rows: The rows, read lazily. Check them first where you can (``bulk-submit`` reads the whole file before
            anything is written to Redis).
        application_id: The 2FA application.
        message_id: The message template.
        channel: ``"sms"`` or ``"voice"``.
        rate: Requests per second for the whole campaign (every worker shares it, 0.001 to 1,000,000); None for no
            limit.
        burst: How many requests may go at once after a quiet spell (1 to 1,000,000).
        chunk_size: Rows per chunk handed to a worker.
        max_waiting_chunks: Chunks that may wait in Redis at once.
        poll: Seconds between looks at the waiting chunks while holding back.
        expected: How many rows ``rows`` holds, when known: a report of an incomplete submission counts the
            missing ones as not tried.
        lease: Seconds without a sign of life (one comes with each chunk and each look while holding back) after
            which workers and new submissions take this one for gone.

    Returns:
        How many rows the campaign holds.

    Raises:
        ConfigurationError: A campaign of that name exists already (or is being submitted, or is an incomplete
            submission some of whose rows were claimed), or this submission was taken for gone while it loaded.
        InvalidRequestError: An invalid argument; raised before anything is written to Redis.
    """
    rate, burst = check_shared_rate(rate, burst)
    _check(channel, application_id, message_id, expected, chunk_size=chunk_size,
           max_waiting_chunks=max_waiting_chunks, poll=poll, lease=lease)  # fmt: skip
    client: Any = redis
    campaign = Campaign(client, name)
    submission_id = secrets.token_hex(8)
    lease_ms = max(1, round(lease * 1000))
    settings = {"application_id": application_id, "message_id": message_id, "channel": channel, "submitted": "0",
                "rate": "" if rate is None else repr(rate), "burst": "" if burst is None else repr(burst),
                "rows": "0", "expected": "" if expected is None else str(expected), "id": submission_id}  # fmt: skip
    await _create(campaign, submission_id, settings, lease_ms)
    campaign.bind(submission_id)
    add = Script(client, ADD_SCRIPT)
    total, stage = 0, "reading the rows"
    try:
        for chunk in _chunks(rows, chunk_size):
            stage = "loading them into Redis"
            payload = json.dumps([[row.index, row.line, row.to, row.placeholders] for row in chunk])
            keys = [campaign.submitter_key, campaign.chunks_key, campaign.settings_key]
            while True:
                added = int(await add(keys=keys, args=[submission_id, lease_ms, max_waiting_chunks, payload,
                                                       len(chunk)]))  # fmt: skip
                if added < 0:
                    raise _lost(name)
                if added:
                    break
                # Back-pressure, polled: the workers are other processes, nothing here could be awaited instead.
                await asyncio.sleep(poll)
            total += len(chunk)
            stage = "reading the rows"
        stage = "completing the submission"
        finish = Script(client, FINISH_SCRIPT)
        if not await finish(keys=[campaign.submitter_key, campaign.settings_key], args=[submission_id]):
            raise _lost(name)
    except BaseException as error:
        interrupted = isinstance(error, (asyncio.CancelledError, KeyboardInterrupt))
        reason = f"interrupted while {stage}" if interrupted else f"{stage} failed: {type(error).__name__}"
        await _withdraw(campaign, submission_id, reason)
        raise
    return total


def _check(channel: object, application_id: object, message_id: object, expected: object, **numbers: object) -> None:
    if channel not in ("sms", "voice"):
        raise InvalidRequestError("channel", f"must be 'sms' or 'voice', not {channel!r}")
    for argument, value in (("application_id", application_id), ("message_id", message_id)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidRequestError(argument, f"must be a non-empty string, not {value!r}")
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 0):
        raise InvalidRequestError("expected", f"must be a whole number >= 0, or None, not {expected!r}")
    for argument in ("chunk_size", "max_waiting_chunks"):
        value = numbers[argument]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
            raise InvalidRequestError(argument, f"must be a whole number from 1 to 1000000, not {value!r}")
    poll = in_range("poll", numbers["poll"], (0.001, 60.0), "seconds")
    lease = in_range("lease", numbers["lease"], (1.0, 86_400.0), "seconds")
    if lease <= 5 * poll:
        raise InvalidRequestError("lease", f"must be more than 5 polls ({5 * poll:g} s), not {lease!r}")


async def _create(campaign: Campaign, submission_id: str, settings: dict[str, str], lease_ms: int) -> None:
    """Take the name for this submission, replacing an incomplete one nobody is loading and nothing was claimed of."""
    create = Script(campaign.redis, CREATE_SCRIPT)
    fields = [item for pair in settings.items() for item in pair]
    for _ in range(5):  # another submission may take or give up the name between the read and the script
        old = await campaign.redis.hget(campaign.settings_key, "id")
        previous = Campaign(campaign.redis, campaign.name)
        previous.bind(old.decode() if old is not None else "")
        new_chunks = f"{campaign.prefix}{submission_id}:chunks"
        keys = [campaign.settings_key, campaign.submitter_key, new_chunks, previous.chunks_key, previous.states_key,
                previous.journal_key]  # fmt: skip
        answer = await create(keys=keys, args=[previous.id, submission_id, lease_ms, KEEP_WITHDRAWN_CHUNKS_MS, *fields])
        answer = answer.decode() if isinstance(answer, bytes) else str(answer)
        if answer == "created":
            return
        if answer == "exists":
            raise ConfigurationError(f"campaign {campaign.name!r} already exists in this Redis: choose another name")
        if answer == "loading":
            raise ConfigurationError(
                f"campaign {campaign.name!r} is being submitted by another bulk-submit right now: wait for it to end, "
                "or choose another name"
            )
        if answer == "claimed":
            submission = await previous.submission()
            described = submission.describe() if submission is not None else f"campaign {campaign.name!r}"
            raise ConfigurationError(
                f"{described}, and workers have already taken some of its rows (they may have been sent), so it "
                "cannot be replaced: run bulk-report to see them, then send the rest with `infobip-2fa bulk` from "
                "that journal, or submit them under another name"
            )
    raise ConfigurationError(f"campaign {campaign.name!r} keeps changing hands: try again")


def _lost(name: str) -> ConfigurationError:
    return ConfigurationError(
        f"the submission of campaign {name!r} was taken for gone (it was silent past its lease) while it loaded rows: "
        "submit again"
    )


async def _withdraw(campaign: Campaign, submission_id: str, reason: str) -> None:
    """After a failure: withdraw the submission if none of its rows was claimed, else mark it failed. Best effort:
    if Redis cannot be told, the submitter's lease runs out and the submission is taken for abandoned."""
    withdraw = Script(campaign.redis, WITHDRAW_SCRIPT)
    keys = [campaign.settings_key, campaign.submitter_key, campaign.chunks_key, campaign.states_key,
            campaign.journal_key]  # fmt: skip
    with contextlib.suppress(*UNREACHABLE, asyncio.CancelledError):
        await asyncio.shield(withdraw(keys=keys, args=[submission_id, reason, KEEP_WITHDRAWN_CHUNKS_MS]))


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
