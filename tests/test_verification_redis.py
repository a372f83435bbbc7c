"""The verifier's store in Redis, for a fleet: one PIN for starts from several processes, a replica checking what
another started (on one Redis, a Redis Cluster and over TLS), one script call per step, keys that are keyed hashes in
one slot and expire, no PIN anywhere, and a store that cannot be reached (or fails after a send) saying so."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.redis import RedisVerificationStore
from infobip_2fa_async.sandbox import ManualClock, Sandbox
from infobip_2fa_async.verification import (
    ChallengeUsedError,
    MemoryVerificationStore,
    VerificationStoreError,
    Verifier,
)

NUMBER = "41793026727"
SECRET = "a-test-secret-of-32-characters!!"
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once

REPLICA = """
import asyncio, json, sys
from infobip_2fa_async import TwoFactorClient
from infobip_2fa_async.redis import RedisVerificationStore
from infobip_2fa_async.verification import Verifier

async def main(url, name, secret, base_url, key, app, message, action, challenge_id, pin):
    async with TwoFactorClient(key, base_url) as client, RedisVerificationStore.from_url(url, name=name) as store:
        verifier = Verifier(client, store=store, secret=secret, application_id=app, message_id=message)
        if action == "start":
            starts = [verifier.start("41793026727", purpose="login", subject="user-1") for _ in range(25)]
            print(json.dumps(sorted({challenge.id for challenge in await asyncio.gather(*starts)})))
        else:
            print(json.dumps((await verifier.check(challenge_id, pin, purpose="login", subject="user-1")).verified))

asyncio.run(main(*sys.argv[1:]))
"""


async def _replicas(*argument_lists: list[str]) -> list[Any]:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", REPLICA, *arguments,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        )
        for arguments in argument_lists
    ]  # fmt: skip
    outputs = [await process.communicate() for process in processes]
    assert all(process.returncode == 0 for process in processes), [err.decode()[-2000:] for _, err in outputs]
    return [json.loads(out) for out, _ in outputs]


async def test_replicas_on_one_redis_send_one_pin_and_any_of_them_checks_it(fleet_url: str) -> None:
    sandbox = Sandbox()
    name = uuid.uuid4().hex
    async with sandbox.serve() as server, sandbox.client() as client:
        app = await client.applications.create(name="Fleet")
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        common = [fleet_url, name, SECRET, server.base_url, server.api_key, app.application_id, template.message_id]
        started = await _replicas(*([*common, "start", "", ""] for _ in range(4)))
        ids = {challenge_id for found in started for challenge_id in found}
        assert len(ids) == 1, "four processes, 25 starts each, one challenge"
        assert len(sandbox.outbox) == 1, "and one PIN"
        [challenge_id] = ids
        [verified] = await _replicas([*common, "check", challenge_id, sandbox.last_pin(NUMBER)])
        assert verified is True, "another process checked what the first ones started"
        async with RedisVerificationStore.from_url(fleet_url, name=name) as store:
            here = Verifier(client, store=store, secret=SECRET, application_id=app.application_id,
                            message_id=template.message_id)  # fmt: skip
            with pytest.raises(ChallengeUsedError):
                await here.check(challenge_id, sandbox.last_pin(NUMBER), purpose="login", subject="user-1")
            await store.reset()


async def test_each_step_is_one_script_call_and_keys_are_hashed_in_one_slot_and_expire(redis_url: str) -> None:
    from redis.asyncio import Redis
    from redis.crc import key_slot

    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    name = uuid.uuid4().hex
    async with (
        sandbox.client() as client,
        RedisVerificationStore.from_url(redis_url, name=name) as store,
        Redis.from_url(redis_url) as watcher,
    ):
        configuration = ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d")
        app = await client.applications.create(name="Keys", configuration=configuration)
        # 8 digits: a 4-digit PIN can turn up by chance inside a stored hash or time, and fail the check below
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC",
                                                 pin_length=8)  # fmt: skip
        verifier = Verifier(client, store=store, secret=SECRET, clock=clock, application_id=app.application_id,
                            message_id=template.message_id)  # fmt: skip
        await verifier.start("41793026728", purpose="warm-up")  # the first calls load the scripts
        calls = store.calls
        challenge = await verifier.start(NUMBER, purpose="login", subject="user-42", idempotency_key="request-7")
        assert store.calls - calls == 2, "a start: the claim, then the send's outcome"
        pin = sandbox.last_pin(NUMBER)
        keys = [key.decode() async for key in watcher.scan_iter(match=f"verify:{{{name}}}:*".replace("{", "\\{"))]
        assert len(keys) == 7, "per challenge: a record, a marker, a claim (3 + 3); and this one's idempotency key"
        assert len({key_slot(key.encode()) for key in keys}) == 1, "one hash slot: the scripts run on Redis Cluster"
        values = []
        for key in keys:
            assert 0 < await watcher.pttl(key) <= (15 * 60 + 600) * 1000, f"{key} expires with its PIN"
            for secret in (NUMBER, "user-42", "request-7", challenge.id, "login"):
                assert secret not in key
            kind = (await watcher.type(key)).decode()
            values.append(json.dumps({k.decode(): v.decode() for k, v in (await watcher.hgetall(key)).items()})
                          if kind == "hash" else (await watcher.get(key)).decode())  # fmt: skip
        assert not [value for value in values if pin in value], "the store never holds a PIN"
        calls = store.calls
        assert (await verifier.check(challenge.id, pin, purpose="login", subject="user-42")).verified
        assert store.calls - calls == 2, "a check: a load, then the verified state"
        await store.reset()


async def test_an_unreachable_redis_is_a_typed_error_and_nothing_is_sent() -> None:
    sandbox = Sandbox()
    async with (
        sandbox.client() as client,
        RedisVerificationStore.from_url(UNREACHABLE, name="down", timeout=1) as store,
    ):
        app = await client.applications.create(name="Down")
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        verifier = Verifier(client, store=store, secret=SECRET, application_id=app.application_id,
                            message_id=template.message_id)  # fmt: skip
        with pytest.raises(VerificationStoreError) as caught:
            await verifier.start(NUMBER, purpose="login")
        assert caught.value.maybe_sent is False
        assert not sandbox.outbox
        assert NUMBER not in str(caught.value)
        with pytest.raises(VerificationStoreError):
            await verifier.check("A" * 32, "1234", purpose="login")
        with pytest.raises(VerificationStoreError):
            await verifier.resend("A" * 32)


class _FailsOnce(MemoryVerificationStore):
    """A store that goes away for one write: the one that records the first send's outcome."""

    failed = False

    async def replace(self, request: Any) -> bool:
        if not self.failed:
            self.failed = True
            raise VerificationStoreError("the store went away")
        return await super().replace(request)


async def test_a_store_that_fails_after_the_send_says_a_pin_may_have_gone_and_the_challenge_is_uncertain() -> None:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    async with sandbox.client() as client:
        configuration = ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d")
        app = await client.applications.create(name="Half", configuration=configuration)
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        verifier = Verifier(client, store=_FailsOnce(), clock=clock, application_id=app.application_id,
                            message_id=template.message_id, cooldown=30)  # fmt: skip
        with pytest.raises(VerificationStoreError) as caught:
            await verifier.start(NUMBER, purpose="login")
        assert caught.value.maybe_sent is True
        assert len(sandbox.outbox) == 1
        again = await verifier.start(NUMBER, purpose="login")  # the record still says "a send is under way"
        assert again.uncertain
        assert len(sandbox.outbox) == 1
        clock.advance(30)  # nobody came back to record the send: it counts as uncertain, and a new PIN may go
        fresh = await verifier.start(NUMBER, purpose="login")
        assert fresh.id == again.id
        assert fresh.status == "sent"
        assert len(sandbox.outbox) == 2
        assert (await verifier.check(fresh.id, sandbox.last_pin(NUMBER), purpose="login")).verified


def test_a_redis_store_needs_a_name_that_can_be_a_hash_tag() -> None:
    from infobip_2fa_async import InvalidRequestError

    for name in ("", "a{b}", None):
        with pytest.raises(InvalidRequestError):
            RedisVerificationStore.from_url(UNREACHABLE, name=name)  # type: ignore[arg-type]
