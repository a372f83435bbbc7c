"""``run_worker``: send a campaign's rows, alongside any number of other workers on any number of machines.

A worker takes one chunk at a time from the campaign's Stream (``XREADGROUP``), or takes over a chunk whose worker
went silent for longer than ``lease`` (``XAUTOCLAIM``), and keeps its own chunk's lease alive while it works on it.
Inside a chunk, rows already TAKEN, SENT or NOT_SENT are skipped; each other row is claimed in Redis right before
its request goes out (after the campaign's shared ``RedisGate``), and its outcome is written with its state. When
the chunk is done it is acknowledged and deleted. The worker returns when submission is over and no chunk is left
waiting or in anyone's hands.

A worker stops (``_journal.Brake``) at the first refused key (401/403) and when the application's quota is spent:
no further row is sent, its chunk is not acknowledged but handed back at once (its rows not tried stay free, and
the rows refused are FAILED, which the next worker on the chunk tries again), and ``run_worker`` raises the error
that stopped it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
from collections.abc import AsyncIterator
from typing import Any

import attrs

from .._bulk import SendPinRequest
from .._client import TwoFactorClient
from .._exceptions import InfobipError, InvalidRequestError
from .._journal import FAILED, NEW, STATES, Brake, HeldBack, Tally, outcome
from ._campaign import GROUP, Campaign, Row
from ._connect import connect
from ._gate import RedisGate
from ._ranges import in_range

__all__ = ["run_worker"]


class _AlreadyClaimed(InfobipError):
    """Another worker claimed the row first (its chunk was handed out twice): this worker leaves it alone."""

    maybe_sent = False


@attrs.define
class _Chunk:
    entry_id: bytes
    rows: list[Row]


async def run_worker(
    redis_url: str,
    campaign: str,
    *,
    concurrency: int = 50,
    lease: float = 30.0,
    api_key: str | None = None,
    base_url: str | None = None,
    client: TwoFactorClient | None = None,
    allow_insecure_http: bool = False,
    consumer: str | None = None,
) -> Tally:
    """Work on a campaign until no row is left, alongside any number of other workers.

    Args:
        redis_url: The Redis holding the campaign, ``redis://host:6379/0`` (any URL ``connect`` takes: TLS, a
            cluster, an ACL user; a CA bundle as ``?ssl_ca_certs=/path/ca.pem``).
        campaign: The campaign's name.
        concurrency: Sends in flight at once in this worker.
        lease: Seconds this worker's chunk stays its own without a sign of life; a dead worker's chunk is taken
            over by another after it.
        api_key: The API key (default ``$INFOBIP_API_KEY``), unless ``client`` is given.
        base_url: The base URL (default ``$INFOBIP_BASE_URL``), unless ``client`` is given.
        allow_insecure_http: Allow an ``http://`` base URL off loopback (as ``TwoFactorClient``'s), unless ``client``
            is given.
        client: A client to send with (it is not closed here).
        consumer: This worker's name in the consumer group (default: host, process id and a random tag).

    Returns:
        What this worker did: sent, not sent, failed, unknown.

    Raises:
        InvalidRequestError: ``concurrency`` is not 1 to 10,000, ``lease`` not 1 to 86,400 seconds, or
            ``redis_url`` is not a URL ``connect`` takes.
        ConfigurationError: There is no such campaign.
        AuthenticationError: The API refused the key: the worker stopped at the first such answer; the rows it did
            not try are left for a worker with the right key.
        PermissionDeniedError: The key may not send: likewise.
        QuotaExceededError: The application's quota is spent (quota 429s for several numbers in a row): the worker
            stopped, and the rows it did not try are left for a worker started after ``resets_at``.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or not 1 <= concurrency <= 10_000:
        raise InvalidRequestError("concurrency", f"must be a whole number from 1 to 10,000, not {concurrency!r}")
    lease = in_range("lease", lease, (1.0, 86_400.0), "seconds")  # the same ranges as bulk-worker's options
    redis = connect(redis_url, timeout=max(lease, 5.0), connect_timeout=5.0)
    name = consumer or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    own_client = client is None
    try:
        state = Campaign(redis, campaign)
        settings = await state.settings()
        rate = float(settings["rate"]) if settings.get("rate") else None
        burst = float(settings["burst"]) if settings.get("burst") else None
        gate = RedisGate(redis, key=state.gate_key, rate=rate, burst=burst)
        client = client or TwoFactorClient(api_key, base_url, allow_insecure_http=allow_insecure_http)
        worker = _Worker(state, settings, client, gate, name, concurrency, lease)
        async for chunk in worker.chunks():
            await worker.send(chunk)
            if worker.brake.reason is not None:
                raise worker.brake.reason
        return worker.tally
    finally:
        if own_client and client is not None:
            await client.aclose()
        await redis.aclose()


class _Worker:
    def __init__(self, campaign: Campaign, settings: dict[str, str], client: TwoFactorClient, gate: RedisGate,
                 name: str, concurrency: int, lease: float) -> None:  # fmt: skip
        self.campaign, self.settings, self.client, self.gate = campaign, settings, client, gate
        self.name, self.concurrency, self.lease = name, concurrency, lease
        self.redis: Any = campaign.redis
        self.tally = Tally()
        self.brake = Brake()

    async def chunks(self) -> AsyncIterator[_Chunk]:
        """The next chunk to work on, until the campaign has none left."""
        key, lease_ms = self.campaign.chunks_key, int(self.lease * 1000)
        while True:
            # A chunk whose worker has been silent past the lease first, then a new one.
            _, claimed, _ = await self.redis.xautoclaim(key, GROUP, self.name, min_idle_time=lease_ms, count=1)
            entries = claimed
            if not entries:
                read = await self.redis.xreadgroup(GROUP, self.name, {key: ">"}, count=1, block=500)
                entries = read[0][1] if read else []
            if entries:
                entry_id, fields = entries[0]
                if fields is None or b"rows" not in fields:  # deleted meanwhile: done by its first worker
                    await self.redis.xack(key, GROUP, entry_id)
                    continue
                rows = [Row(*fields_of_row) for fields_of_row in json.loads(fields[b"rows"])]
                yield _Chunk(entry_id, rows)
                continue
            submitted = await self.campaign.loading_over()  # complete, failed or abandoned: no chunk will come
            pending = (await self.redis.xpending(key, GROUP))["pending"]
            if submitted and not pending and not await self._unread():
                return

    async def _unread(self) -> bool:
        groups = await self.redis.xinfo_groups(self.campaign.chunks_key)
        group = next((g for g in groups if g["name"] in (GROUP, GROUP.encode())), None)
        return bool(group and group.get("lag"))

    async def _keep_lease(self, chunk: _Chunk) -> None:
        """Reset the chunk's idle time every third of a lease, so nobody takes it over while this worker lives."""
        while True:
            await asyncio.sleep(self.lease / 3)
            await self.redis.xclaim(self.campaign.chunks_key, GROUP, self.name, 0, [chunk.entry_id], justid=True)

    async def send(self, chunk: _Chunk) -> None:
        first = chunk.rows[0].index
        states = await self.campaign.states(first, chunk.rows[-1].index - first + 1)
        free = [row for row in chunk.rows if states[row.index - first] in (NEW, FAILED)]
        keeper = asyncio.ensure_future(self._keep_lease(chunk))
        try:
            await self._send_rows(free)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        if self.brake.reason is not None:
            # Stopped: hand the chunk back as if its lease had run out, so that the next worker takes it at once.
            await self.redis.xclaim(self.campaign.chunks_key, GROUP, self.name, 0, [chunk.entry_id],
                                    idle=int(self.lease * 1000) + 1, justid=True)  # fmt: skip
            return
        await self.redis.xack(self.campaign.chunks_key, GROUP, chunk.entry_id)
        await self.redis.xdel(self.campaign.chunks_key, chunk.entry_id)

    async def _send_rows(self, rows: list[Row]) -> None:
        settings = self.settings
        claimed: set[int] = set()
        # A row is of unknown fate from its claim until its outcome is written, not only while its request is out:
        # at most `concurrency` rows are between the two, so a worker that dies leaves at most that many unknown.
        unwritten = asyncio.Semaphore(self.concurrency)

        async def claim(run_index: int, request: SendPinRequest) -> None:
            if run_index in claimed:  # a retry (after a 429) of a row already out: it finishes as a send in flight
                return
            await unwritten.acquire()
            try:
                # One turn of the loop lets the outcomes already in hand reach the brake; once it has stopped the
                # worker, a row past the gate is held back: not claimed, not sent.
                await asyncio.sleep(0)
                self.brake.check()
                if not await self.campaign.claim(rows[run_index]):
                    raise _AlreadyClaimed(f"row {rows[run_index].index} was claimed by another worker")
            except BaseException:
                unwritten.release()
                raise
            claimed.add(run_index)

        requests = [
            SendPinRequest(settings["application_id"], settings["message_id"], row.to,
                           placeholders=row.placeholders, channel=settings["channel"])  # type: ignore[arg-type]
            for row in rows
        ]  # fmt: skip
        results = self.client.send_many(requests, concurrency=self.concurrency, gate=self.gate, before_send=claim)
        async for result in results:
            if isinstance(result.error, (_AlreadyClaimed, HeldBack)):
                continue
            row = rows[result.index]
            self.brake.observe(row.to, result.error)  # before any await: the next row's claim sees it
            entry = outcome(row.index, row.line, row.to, result=result.result, error=result.error)
            await self.campaign.record(row.index, STATES[entry["status"]], entry)
            if result.index in claimed:
                unwritten.release()
            self.tally.count(str(entry["status"]))
