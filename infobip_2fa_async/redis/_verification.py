"""``RedisVerificationStore``: a verifier's challenges in Redis, so that any replica checks what another started.

One Lua script makes each step atomic (one round trip): a claim (the live challenge an idempotency key or a
number, purpose and subject already have, else the new one, with its claim), a load, a swap of a record for its
next state at a version (compare and set), and a delete. The verifier decides every next state; the scripts only
keep the records.

Every key is ``verify:{<name>}:<kind>:<keyed hash>``: the braces are a hash tag, so all of a verifier's keys share
one slot and its scripts run on Redis Cluster (a claim's value names its record's key, in that slot). No key holds a
number, an e-mail address, a user id or a challenge id: the verifier hands the store HMACs of them. A record holds
the number (a new PIN goes to it when the last send's fate is unknown), never a PIN. Every key expires with the
challenge's PIN, in the verifier's clock (kept in the record too, so a manual clock drives tests); a challenge's
marker (its binding hash and expiry, nothing personal) stays ``expired_memory`` longer, to answer "expired".

Redis unreachable: every step raises ``VerificationStoreError`` (never a silent pass).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..verification._errors import VerificationStoreError
from ..verification._store import ClaimAnswer, ClaimRequest, ReplaceRequest, Stored
from ._connect import RedisStore, Script

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["RedisVerificationStore"]

_TTL = """
local now = tonumber(ARGV[1])
local function ttl(at) return string.format('%d', math.max(1, tonumber(at) - now)) end
"""

# KEYS: claim, idempotency key (the claim again when none), record, marker.
# ARGV: now, has idempotency key (1/0), record, marker, expires, marker expires.
# Returns {created, record, version, found by the idempotency key}.
CLAIM_SCRIPT = (
    _TTL
    + """
local function live(key)
  if not key then return nil end
  local got = redis.call('HMGET', key, 'x', 'd', 'v')
  if got[1] and tonumber(got[1]) > now then return got end
  return nil
end
if ARGV[2] == '1' then
  local got = live(redis.call('GET', KEYS[2]))
  if got then return {0, got[2], tonumber(got[3]), 1} end
end
local named = redis.call('GET', KEYS[1])
local got = live(named)
if got then
  if ARGV[2] == '1' then redis.call('SET', KEYS[2], named, 'PX', ttl(got[1])) end
  return {0, got[2], tonumber(got[3]), 0}
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'v', 1, 'd', ARGV[3], 'x', ARGV[5])
redis.call('PEXPIRE', KEYS[3], ttl(ARGV[5]))
redis.call('SET', KEYS[4], ARGV[4], 'PX', ttl(ARGV[6]))
redis.call('SET', KEYS[1], KEYS[3], 'PX', ttl(ARGV[5]))
if ARGV[2] == '1' then redis.call('SET', KEYS[2], KEYS[3], 'PX', ttl(ARGV[5])) end
return {1, ARGV[3], 1, 0}
"""
)

# KEYS: record, marker. Returns {record or '', version, marker or ''}.
LOAD_SCRIPT = """
local got = redis.call('HMGET', KEYS[1], 'd', 'v')
return {got[1] or '', tonumber(got[2] or '0'), redis.call('GET', KEYS[2]) or ''}
"""

# KEYS: record, marker, claim, idempotency key (the record again when none).
# ARGV: now, version, record, marker, expires, marker expires, release the claim (1/0), has idempotency key (1/0).
# Returns 1 when swapped, 0 when the record is gone or at another version.
REPLACE_SCRIPT = (
    _TTL
    + """
local version = redis.call('HGET', KEYS[1], 'v')
if not version or tonumber(version) ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'v', tonumber(version) + 1, 'd', ARGV[3], 'x', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ttl(ARGV[5]))
redis.call('SET', KEYS[2], ARGV[4], 'PX', ttl(ARGV[6]))
if redis.call('GET', KEYS[3]) == KEYS[1] then
  if ARGV[7] == '1' then redis.call('DEL', KEYS[3]) else redis.call('PEXPIRE', KEYS[3], ttl(ARGV[5])) end
end
if ARGV[8] == '1' and redis.call('GET', KEYS[4]) == KEYS[1] then redis.call('PEXPIRE', KEYS[4], ttl(ARGV[5])) end
return 1
"""
)

# KEYS: record, marker, claim, idempotency key (the record again when none). ARGV: has idempotency key (1/0).
# Returns 1 when the record was there.
DELETE_SCRIPT = """
local known = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2])
if redis.call('GET', KEYS[3]) == KEYS[1] then redis.call('DEL', KEYS[3]) end
if ARGV[1] == '1' and redis.call('GET', KEYS[4]) == KEYS[1] then redis.call('DEL', KEYS[4]) end
return known
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisVerificationStore(RedisStore):
    """A verifier's challenges in Redis, shared by every process whose verifier names the same ``name`` (and
    ``secret``): pass it as ``Verifier(client, store=..., secret=...)``.

    Args:
        redis: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster`` client.
        name: The verifier's name: every process naming it shares its challenges (keys ``verify:{name}:...``).

    Attributes:
        calls: How many times this store asked Redis (one script call per step).

    Raises:
        InvalidRequestError: An empty name, or one with braces (it is the keys' hash tag).
    """

    _space, _what = "verify", "verifier"

    def __init__(self, redis: Redis | RedisCluster, *, name: str) -> None:
        super().__init__(redis, name)
        self._claim = Script(redis, CLAIM_SCRIPT)
        self._load = Script(redis, LOAD_SCRIPT)
        self._replace = Script(redis, REPLACE_SCRIPT)
        self._delete = Script(redis, DELETE_SCRIPT)

    @classmethod
    def from_url(
        cls, url: str, *, name: str, timeout: float = 2.0, ssl_ca_certs: str | os.PathLike[str] | None = None
    ) -> RedisVerificationStore:
        """A store on the Redis at ``url``, with its own connections (closed by ``aclose``).

        Args:
            url: ``redis://[user:password@]host:6379/0``, ``rediss://`` for TLS, ``redis+cluster://host:7000`` or
                ``rediss+cluster://`` for a Redis Cluster (see ``infobip_2fa_async.redis.connect``).
            name: The verifier's name.
            timeout: Bound on each Redis call, in seconds (0.001 to 3,600).
            ssl_ca_certs: A CA bundle the server's certificate must chain to (TLS URLs only).

        Returns:
            The store.

        Raises:
            InvalidRequestError: An invalid argument.
        """
        return cls._connected(url, timeout, ssl_ca_certs, name=name)

    def __repr__(self) -> str:
        return f"RedisVerificationStore(name={self.name!r})"

    async def _run(self, script: Any, keys: list[str], arguments: list[Any]) -> Any:
        return await self._call(script, [self._namespace + key for key in keys], arguments, VerificationStoreError,
                                ": nothing was done")  # fmt: skip

    async def claim(self, request: ClaimRequest) -> ClaimAnswer:
        """Return the live challenge the idempotency key (first) or the claim names; else store the new one.

        Raises:
            VerificationStoreError: Redis cannot be reached.
        """
        r = request
        keys = [r.claim_key, r.idem_key or r.claim_key, r.record_key, r.marker_key]
        arguments = [r.now, int(bool(r.idem_key)), r.data, r.marker, r.expires, r.marker_expires]
        created, data, version, replayed = await self._run(self._claim, keys, arguments)
        return ClaimAnswer(bool(created), _text(data), int(version), bool(replayed))

    async def load(self, record_key: str, marker_key: str, now: int) -> Stored:
        """A challenge's record and marker.

        Raises:
            VerificationStoreError: Redis cannot be reached.
        """
        data, version, marker = await self._run(self._load, [record_key, marker_key], [])
        data, marker = _text(data), _text(marker)
        return Stored(data or None, int(version), marker or None)

    async def replace(self, request: ReplaceRequest) -> bool:
        """Swap a record for its next state if it is still at ``request.version``; False when it is not.

        Raises:
            VerificationStoreError: Redis cannot be reached.
        """
        r = request
        keys = [r.record_key, r.marker_key, r.claim_key, r.idem_key or r.record_key]
        arguments = [r.now, r.version, r.data, r.marker, r.expires, r.marker_expires, int(r.release),
                     int(bool(r.idem_key))]  # fmt: skip
        return bool(await self._run(self._replace, keys, arguments))

    async def delete(self, record_key: str, marker_key: str, claim_key: str, idem_key: str, now: int) -> bool:
        """Forget a challenge (its claim and idempotency key too, where they still name it); False if unknown.

        Raises:
            VerificationStoreError: Redis cannot be reached.
        """
        keys = [record_key, marker_key, claim_key, idem_key or record_key]
        return bool(await self._run(self._delete, keys, [int(bool(idem_key))]))
