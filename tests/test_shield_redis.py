"""The shield on Redis, for a fleet: the same answers as in one process, one round trip per decision, keys in one
hash slot, every cap held exactly by several processes at once (on one Redis, a Redis Cluster and over TLS), and a
Redis that cannot be reached."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import sys
import uuid
from typing import Any

import pytest

from infobip_2fa_async import GateUnavailableError
from infobip_2fa_async.redis import RedisShieldStore
from infobip_2fa_async.sandbox import ManualClock
from infobip_2fa_async.shield import (
    BreakerRules,
    Cap,
    MemoryShieldStore,
    Requester,
    SendRefusedError,
    Shield,
    ShieldRules,
    ShieldUnavailableError,
)

SECRET = "a-test-secret-of-32-characters!!"
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once


def _name() -> str:
    return f"test-{uuid.uuid4().hex}"


async def _a_busy_day(store: Any, seed: int) -> list[Any]:
    """Sends, resends, verified PINs from a few prefixes and requesters, with rules small enough that every rule
    (and the breakers' trips, probes and closings) comes into play; the decisions made, in order."""
    chance = random.Random(seed)
    clock = ManualClock()
    rules = ShieldRules(
        number_cooldown=30, number_caps=(Cap(3, 600), Cap(5, 3600)), ip_caps=(Cap(8, 600),), user_caps=(Cap(6, 900),),
        prefix_caps=(Cap(6, 600), Cap(12, 3600)),
        breaker=BreakerRules(window=1800, grace=60, min_sends=4, min_country_sends=12, cool_off=120,
                             max_cool_off=600, probes=2),
    )  # fmt: skip
    shield = Shield(rules, store=store, secret=SECRET, clock=clock, mode="monitor" if seed % 3 == 2 else "enforce")
    decisions: list[Any] = []
    pins: list[str] = []
    for step in range(1200):
        clock.advance(chance.choice([0, 0.5, 1, 3, 7, 20, 45, 120]))
        block = chance.choice(["4474001", "4474002", "4915123", "4474003"])  # 4474003: never verified
        number = block + f"{chance.randrange(60):05d}"
        asker = Requester(ip=f"10.0.{chance.randrange(3)}.{chance.randrange(40)}", user_id=chance.choice([None, "u1"]))
        try:
            action = chance.random()
            if action < 0.65:
                decisions.append(await shield.check(number, requester=asker))
                pins.append(f"PIN{step}")
                await shield.sent(pins[-1], number)
            elif action < 0.8 and pins:
                decisions.append(
                    await shield.check_resend(chance.choice([*pins[-20:], "PIN-UNKNOWN"]), requester=asker)
                )
            elif not block.endswith("3"):
                await shield.verified(number)
        except SendRefusedError as error:
            decisions.append(error.decision)
    return decisions


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_redis_answers_as_the_memory_store_does_decision_for_decision(fleet_url: str, seed: int) -> None:
    async with RedisShieldStore.from_url(fleet_url, name=_name()) as store:
        try:
            on_redis = await _a_busy_day(store, seed)
        finally:
            await store.reset()
    in_memory = await _a_busy_day(MemoryShieldStore(), seed)
    assert on_redis == in_memory
    reasons = {decision.reason for decision in in_memory}
    assert len(reasons) >= 6, f"the day exercised most rules: {reasons}"


async def test_each_decision_is_one_round_trip_and_every_key_sits_in_one_hash_slot(redis_url: str) -> None:
    from redis.asyncio import Redis
    from redis.crc import key_slot

    name = _name()
    async with RedisShieldStore.from_url(redis_url, name=name) as store, Redis.from_url(redis_url) as watcher:
        clock = ManualClock()
        shield = Shield(store=store, secret=SECRET, clock=clock)
        await shield.check("447400110000")  # the first call loads the script
        before, calls = await watcher.info("commandstats"), store.calls
        for n in range(1, 41):
            clock.advance(40)
            asker = Requester(ip=f"10.1.{n}.1", user_id=f"user-{n}", session_id="s", device_id=f"d-{n}")
            with contextlib.suppress(SendRefusedError):
                await shield.check(f"4474001{n % 7:01d}{n:04d}", requester=asker)
        after = await watcher.info("commandstats")
        commands = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"] for name in after}
        # the commands a script runs count too: what a client sends is the script call, and no GET, SET or EVAL
        assert commands["cmdstat_evalsha"] == 40, "one script call per decision"
        assert store.calls - calls == 40
        assert not {"cmdstat_eval", "cmdstat_script", "cmdstat_get", "cmdstat_set"} & {
            n for n, c in commands.items() if c
        }
        slots = {key_slot(key) async for key in watcher.scan_iter(match=f"shield:{{{name}}}:*".replace("{", "\\{"))}
        assert len(slots) == 1, "one hash slot: the script runs on Redis Cluster"
        await store.reset()


SENDER = """
import asyncio, json, sys
from infobip_2fa_async.redis import RedisShieldStore
from infobip_2fa_async.shield import Cap, SendRefusedError, Shield, ShieldRules

async def main(url, name, secret, now):
    rules = ShieldRules(number_cooldown=0, number_caps=(Cap(7, 3600),))
    async with RedisShieldStore.from_url(url, name=name) as store:
        shield = Shield(rules, store=store, secret=secret, clock=lambda: now)
        async def one():
            try:
                await shield.check("447400123456")
                return 1
            except SendRefusedError:
                return 0
        print(json.dumps(sum(await asyncio.gather(*(one() for _ in range(40))))))

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
"""


async def test_several_processes_sharing_one_redis_shield_hold_a_per_number_cap_exactly(fleet_url: str) -> None:
    name = _name()
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", SENDER, fleet_url, name, SECRET, "1700000000",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        )
        for _ in range(4)
    ]  # fmt: skip
    outputs = [await process.communicate() for process in processes]
    assert all(process.returncode == 0 for process in processes), [err.decode()[-2000:] for _, err in outputs]
    let_through = [json.loads(out) for out, _ in outputs]
    assert sum(let_through) == 7, f"160 sends from 4 processes to one number, a cap of 7: {let_through}"
    async with RedisShieldStore.from_url(fleet_url, name=name) as store:
        await store.reset()


async def test_an_unreachable_redis_fails_closed_by_default(caplog: pytest.LogCaptureFixture) -> None:
    async with RedisShieldStore.from_url(UNREACHABLE, name="down", timeout=1) as store:
        shield = Shield(store=store, secret=SECRET)
        with pytest.raises(ShieldUnavailableError) as caught:
            await shield.check("447400123456")
        assert isinstance(caught.value, GateUnavailableError)
        assert caught.value.maybe_sent is False
        assert "447400123456" not in str(caught.value)
        with pytest.raises(ShieldUnavailableError):
            await shield.check_resend("PIN-1")
        # after the send (or the verification), recording never fails the call: it is logged
        await shield.sent("PIN-1", "447400123456")
        await shield.verified("447400123456")
        assert "cannot reach Redis" in caplog.text


async def test_fail_open_lets_sends_through_unchecked_and_warns_once_per_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    async with RedisShieldStore.from_url(UNREACHABLE, name="down", fail_open=True, timeout=1) as store:
        shield = Shield(store=store, secret=SECRET)
        for _ in range(3):
            assert (await shield.check("447400123456")).allowed
        warnings = [record for record in caplog.records if "fail_open" in record.getMessage()]
        assert len(warnings) == 1
        assert "447400123456" not in caplog.text
        assert (await refused_static(shield)).reason == "number_type", "rules that need no counter still hold"


async def refused_static(shield: Shield) -> SendRefusedError:
    with pytest.raises(SendRefusedError) as caught:
        await shield.check("449012345678")
    return caught.value


def test_a_redis_store_needs_a_name_that_can_be_a_hash_tag() -> None:
    from infobip_2fa_async import InvalidRequestError

    for name in ("", "a{b}", None):
        with pytest.raises(InvalidRequestError):
            RedisShieldStore.from_url(UNREACHABLE, name=name)  # type: ignore[arg-type]
