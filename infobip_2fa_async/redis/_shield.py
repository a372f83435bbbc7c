"""``RedisShieldStore``: the abuse shield's counters in Redis, shared by every process that names the same shield.

One Lua script makes each decision (one round trip): it reads every counter the send is judged by, applies the same
steps as the plain functions of ``infobip_2fa_async.shield._decide`` and records the send where every check let it
through, atomically, so a fleet holds each cap exactly. Counters are sorted sets (a log's send times, a prefix's
numbers by when last seen) and hashes (a breaker's state, sends and verified PINs per bucket).

Every key is ``shield:{<name>}:<kind>:<keyed hash>`` (a country breaker: the region code): the braces are a hash tag,
so all of a shield's keys share one slot and its scripts run on Redis Cluster (a resend's script reads the keys its
PIN's record names, in that slot). Every key expires: after its longest window, a breaker's window and cool-off, a
PIN's ``pin_memory``. The clock is the shield's, passed in (windows are minutes to days, far above the skew of
machines kept in time, and a manual clock drives tests), so expiries that decide something are kept in it too.

Redis unreachable: a decision raises ``ShieldUnavailableError`` (fail closed), or with ``fail_open=True`` lets the
send through unchecked (a warning logged once per outage). Recording a sent or verified PIN never raises: logged.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..shield._decide import PASS, Check, Verdict
from ..shield._model import ShieldUnavailableError
from ..shield._store import PinRecord, StoreAnswer, StoreRequest
from ._connect import SLIPS, UNREACHABLE, RedisStore, Script

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

__all__ = ["RedisShieldStore"]

# KEYS: [1] the PIN's record (a resend) or any key of the shield; then one per check (for a check whose key the
# record names, the key to use when there is no record, or KEYS[1]).
# ARGV: "decide" or "verified"; now (ms); monitor (1/0); token; resend (1/0); then 6 per check: kind, reference
# ("" or number / prefix / country), member, cool-down ms, caps "count:window,...", breaker
# "grace:buckets:min_sends:share:cool_off:max_cool_off:probes". "verified": one breaker per key, ARGV[2 + i].
# Returns {code, wait ms} per check, then 1/0 (the record was found) and the record's country.
SHIELD_SCRIPT = """
local now = tonumber(ARGV[2])
local function int(value) return string.format('%d', value) end

local function numbers(text)
  local found = {}
  for piece in string.gmatch(text, '[^:,]+') do found[#found + 1] = tonumber(piece) end
  return found
end

local function caps_of(text, longest)
  local caps, most, flat = {}, 1, numbers(text)
  for i = 1, #flat, 2 do
    caps[#caps + 1] = {flat[i], flat[i + 1]}
    if flat[i + 1] > longest then longest = flat[i + 1] end
    if flat[i] > most then most = flat[i] end
  end
  return caps, longest, most
end

-- when enough entries have left the window: the (inside - count)-th oldest inside it, plus the window
local function cap_wait(key, start, inside, cap)
  local entry = redis.call('ZRANGEBYSCORE', key, '(' .. int(start), '+inf', 'WITHSCORES', 'LIMIT', inside - cap[1], 1)
  return tonumber(entry[2]) + cap[2] - now
end

local function log_check(key, cooldown, caps_text)
  local caps, longest = caps_of(caps_text, cooldown)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - longest))
  local code, wait = 0, 0
  if cooldown > 0 then
    local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    if last[2] and now - tonumber(last[2]) < cooldown then code, wait = 1, tonumber(last[2]) + cooldown - now end
  end
  for _, cap in ipairs(caps) do
    local inside = redis.call('ZCOUNT', key, '(' .. int(now - cap[2]), '+inf')
    if inside >= cap[1] then
      if code == 0 then code = 2 end
      wait = math.max(wait, cap_wait(key, now - cap[2], inside, cap))
    end
  end
  return code, wait
end

local function distinct_check(key, member, caps_text)
  local caps, longest = caps_of(caps_text, 0)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', int(now - longest))
  local seen = redis.call('ZSCORE', key, member)
  local code, wait = 0, 0
  for _, cap in ipairs(caps) do
    if not (seen and tonumber(seen) > now - cap[2]) then
      local inside = redis.call('ZCOUNT', key, '(' .. int(now - cap[2]), '+inf')
      if inside >= cap[1] then
        code = 1
        wait = math.max(wait, cap_wait(key, now - cap[2], inside, cap))
      end
    end
  end
  return code, wait
end

local function sorted_record(key, member, cooldown, caps_text)
  local _, longest, most = caps_of(caps_text, cooldown)
  redis.call('ZADD', key, ARGV[2], member)
  local size = redis.call('ZCARD', key)
  if size > most then redis.call('ZREMRANGEBYRANK', key, 0, size - most - 1) end
  redis.call('PEXPIRE', key, longest)
end

-- a breaker's expiry is also kept in the shield's clock ('x'): with a manual clock Redis's own one never comes
local function breaker_expire(key, ttl)
  redis.call('HSET', key, 'x', int(now + ttl))
  redis.call('PEXPIRE', key, int(ttl))
end

local function breaker_load(key)
  local raw = redis.call('HGETALL', key)
  local state = {o = 0, t = 0, lp = 0, x = 0, s = {}, v = {}}
  for i = 1, #raw, 2 do
    local field, value = raw[i], tonumber(raw[i + 1])
    local head = string.sub(field, 1, 1)
    if head == 's' or head == 'v' then state[head][tonumber(string.sub(field, 2))] = value else state[field] = value end
  end
  if state.x > 0 and state.x <= now then
    redis.call('DEL', key)
    return {o = 0, t = 0, lp = 0, x = 0, s = {}, v = {}}
  end
  return state
end

local function breaker_check(key, p)
  local grace, buckets, min_sends, share, cool, max_cool, probes = p[1], p[2], p[3], p[4], p[5], p[6], p[7]
  local state = breaker_load(key)
  local current = math.floor(now / grace)
  local oldest = current - buckets + 1
  local sends, verified = 0, 0
  for bucket, count in pairs(state.s) do if bucket >= oldest then sends = sends + count end end
  for bucket, count in pairs(state.v) do if bucket >= oldest then verified = verified + count end end
  if state.o > 0 then
    if now < state.o then return 1, state.o - now end
    if verified > 0 then
      redis.call('HDEL', key, 'o', 't', 'lp')
      breaker_expire(key, buckets * grace)
      return 0, 0
    end
    if sends < probes then return 0, 0 end
    if now - state.lp < grace then return 1, state.lp + grace - now end
  else
    local judged = sends - (state.s[current] or 0) - (state.s[current - 1] or 0)
    if judged < min_sends or verified >= share * judged then return 0, 0 end
  end
  local open_until = now + math.min(cool * 2 ^ math.min(state.t, 30), max_cool)
  redis.call('DEL', key)
  redis.call('HSET', key, 'o', int(open_until), 't', state.t + 1)
  breaker_expire(key, open_until - now + buckets * grace)
  return 1, open_until - now
end

local function breaker_add(key, p, head)
  local grace, buckets = p[1], p[2]
  local current = math.floor(now / grace)
  local state = breaker_load(key)
  for _, kind in ipairs({'s', 'v'}) do
    for bucket, _ in pairs(state[kind]) do
      if bucket <= current - buckets then redis.call('HDEL', key, kind .. int(bucket)) end
    end
  end
  redis.call('HINCRBY', key, head .. int(current), 1)
  if head == 's' and state.o > 0 then redis.call('HSET', key, 'lp', ARGV[2]) end
  breaker_expire(key, buckets * grace + math.max(state.o - now, 0))
end

if ARGV[1] == 'verified' then
  for i, key in ipairs(KEYS) do breaker_add(key, numbers(ARGV[2 + i]), 'v') end
  return 1
end

local record = nil
if ARGV[5] == '1' then
  local raw = redis.call('GET', KEYS[1])
  if raw then
    record = {}
    for piece in string.gmatch(raw .. '\\n', '([^\\n]*)\\n') do record[#record + 1] = piece end
    if tonumber(record[5]) <= now then record = nil end  -- kept past its time in the shield's clock
  end
end
local slots = {number = 1, prefix = 2, country = 3}
local count = (#ARGV - 5) / 6
local keys, results, passed = {}, {}, true
for i = 1, count do
  local at = 5 + (i - 1) * 6
  local kind, reference = ARGV[at + 1], ARGV[at + 2]
  local key = KEYS[i + 1]
  if reference ~= '' then
    if record then key = record[slots[reference]] or '' elseif reference ~= 'number' then key = '' end
  end
  local code, wait = 0, 0
  if key ~= '' then
    if kind == 'log' then code, wait = log_check(key, tonumber(ARGV[at + 4]), ARGV[at + 5])
    elseif kind == 'distinct' then code, wait = distinct_check(key, ARGV[at + 3], ARGV[at + 5])
    else code, wait = breaker_check(key, numbers(ARGV[at + 6])) end
  end
  keys[i] = key
  results[#results + 1] = code
  results[#results + 1] = wait
  if code ~= 0 then passed = false end
end
if passed or ARGV[3] == '1' then
  for i = 1, count do
    local at = 5 + (i - 1) * 6
    local kind, key = ARGV[at + 1], keys[i]
    if key ~= '' then
      if kind == 'log' then sorted_record(key, ARGV[4], tonumber(ARGV[at + 4]), ARGV[at + 5])
      elseif kind == 'distinct' then sorted_record(key, ARGV[at + 3], 0, ARGV[at + 5])
      else breaker_add(key, numbers(ARGV[at + 6]), 's') end
    end
  end
end
results[#results + 1] = record and 1 or 0
results[#results + 1] = record and record[4] or ''
return results
"""


def _caps(check: Check) -> str:
    return ",".join(f"{count}:{window}" for count, window in check.caps)


def _breaker(check: Check) -> str:
    p = check.breaker
    return (
        "" if p is None else f"{p.grace}:{p.buckets}:{p.min_sends}:{p.share!r}:{p.cool_off}:{p.max_cool_off}:{p.probes}"
    )


class RedisShieldStore(RedisStore):
    """The shield's counters in Redis, shared by every process whose shield names the same ``name`` (and
    ``secret``): pass it as ``Shield(store=..., secret=...)``.

    Args:
        redis: A ``redis.asyncio.Redis`` or ``redis.asyncio.cluster.RedisCluster`` client.
        name: The shield's name: every process naming it shares its counters (keys ``shield:{name}:...``).
        fail_open: When Redis cannot be reached, let sends through unchecked (a warning is logged once per outage)
            instead of raising ``ShieldUnavailableError`` (the default: fail closed).

    Attributes:
        calls: How many times this store asked Redis (one per decision, sent PIN and verified PIN).

    Raises:
        InvalidRequestError: An empty name, or one with braces (it is the keys' hash tag).
    """

    _space, _what = "shield", "shield"

    def __init__(self, redis: Redis | RedisCluster, *, name: str, fail_open: bool = False) -> None:
        super().__init__(redis, name)
        self.fail_open = bool(fail_open)
        self._script = Script(redis, SHIELD_SCRIPT)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        name: str,
        fail_open: bool = False,
        timeout: float = 2.0,
        ssl_ca_certs: str | os.PathLike[str] | None = None,
    ) -> RedisShieldStore:
        """A store on the Redis at ``url``, with its own connections (closed by ``aclose``).

        Args:
            url: ``redis://[user:password@]host:6379/0``, ``rediss://`` for TLS, ``redis+cluster://host:7000`` or
                ``rediss+cluster://`` for a Redis Cluster (see ``infobip_2fa_async.redis.connect``).
            name: The shield's name.
            fail_open: Let sends through unchecked when Redis cannot be reached (default: fail closed).
            timeout: Bound on each Redis call, in seconds (0.001 to 3,600).
            ssl_ca_certs: A CA bundle the server's certificate must chain to (TLS URLs only).

        Returns:
            The store.

        Raises:
            InvalidRequestError: An invalid argument.
        """
        return cls._connected(url, timeout, ssl_ca_certs, name=name, fail_open=fail_open)

    def __repr__(self) -> str:
        return f"RedisShieldStore(name={self.name!r}, fail_open={self.fail_open})"

    async def _run(self, keys: list[str], arguments: list[Any]) -> Any:
        return await self._call(self._script, keys, arguments, ShieldUnavailableError,
                                "; nothing was sent (RedisShieldStore(fail_open=True) would let sends through "
                                "unchecked)")  # fmt: skip

    async def decide(self, request: StoreRequest) -> StoreAnswer:
        """Judge a send by its checks, and record it where they all let it through (or in monitor mode): one
        script call.

        Raises:
            ShieldUnavailableError: Redis cannot be reached and the store fails closed.
        """
        space = self._namespace
        first = space + (request.pin_key or "none")
        keys = [first]
        arguments: list[Any] = [
            "decide",
            request.now,
            int(request.monitor),
            request.token,
            int(request.pin_key is not None),
        ]
        for check in request.checks:
            reference = check.key[1:] if check.key.startswith("@") else ""
            if reference:
                keys.append(space + check.fallback if check.fallback else first)
            else:
                keys.append(space + check.key)
            arguments += [check.kind, reference, check.member, check.cooldown, _caps(check), _breaker(check)]
        try:
            answer = await self._run(keys, arguments)
        except ShieldUnavailableError as error:
            if not self.fail_open:
                raise
            self._outage.failed(error, "fail_open: sending without the shield")
            return StoreAnswer(tuple(PASS for _ in request.checks), available=False)
        verdicts = tuple(Verdict(int(answer[i]), int(answer[i + 1])) for i in range(0, 2 * len(request.checks), 2))
        country = answer[-1].decode() if isinstance(answer[-1], bytes) else str(answer[-1])
        return StoreAnswer(verdicts, found=bool(answer[-2]), country=country)

    async def remember(self, pin_key: str, record: PinRecord, now: int, lifetime: int) -> None:
        """Keep ``record`` under ``pin_key`` for ``lifetime`` milliseconds: one SET with an expiry (never raises)."""
        space = self._namespace
        value = "\n".join([
            space + record.number,
            space + record.prefix if record.prefix else "",
            space + record.country_breaker if record.country_breaker else "",
            record.country,
            str(now + lifetime),  # its end in the shield's clock (a manual clock's, in tests)
        ])  # fmt: skip
        self.calls += 1
        try:
            await self._redis.set(space + pin_key, value, px=lifetime)
        except (*UNREACHABLE, *SLIPS) as error:  # after a send: never raise, whatever redis-py lets out
            unavailable = ShieldUnavailableError(
                f"the shield {self.name!r} cannot reach Redis ({type(error).__name__})"
            )
            self._outage.failed(unavailable, "a sent PIN was not recorded: its resends count on their own")

    async def count_verified(self, checks: tuple[Check, ...], now: int) -> None:
        """Count a verified PIN in each breaker of ``checks``: one script call (never raises)."""
        try:
            await self._run(
                [self._namespace + check.key for check in checks], ["verified", now, *map(_breaker, checks)]
            )
        except ShieldUnavailableError as error:
            self._outage.failed(error, "a verified PIN was not counted")
