"""Redis as fleets run it: a Redis Cluster, TLS with a CA bundle, ACL users. A campaign with a worker killed runs on
one Redis, a Cluster and over TLS; every script's keys sit in one Cluster slot; ``connect`` takes each kind of URL
and never shows a password."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import traceback
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infobip_2fa_async import GateUnavailableError, InvalidRequestError
from infobip_2fa_async.redis import (
    Campaign,
    RedisGate,
    RedisShieldStore,
    RedisVerificationStore,
    Row,
    connect,
    report_campaign,
    submit_campaign,
)
from infobip_2fa_async.redis._connect import hash_tagged
from infobip_2fa_async.sandbox import Sandbox
from infobip_2fa_async.shield import Shield, ShieldUnavailableError

from .test_redis_campaign import _app

ROWS = 1500
SECRET = "a-test-secret-of-32-characters!!"

WORKER = """
import asyncio, sys
from infobip_2fa_async.redis import run_worker

tally = asyncio.run(run_worker(sys.argv[1], sys.argv[2], base_url=sys.argv[3], api_key="sandbox-key",
                               concurrency=20, lease=1))
print(tally.sent, tally.unknown)
"""


async def test_a_campaign_with_a_worker_killed_sends_no_row_twice(fleet_url: str, tmp_path: Path) -> None:
    sandbox = Sandbox()
    app, message = await _app(sandbox)
    name = f"test-{uuid.uuid4().hex[:8]}"
    numbers = [f"4176{n + 2:07d}" for n in range(ROWS)]
    rows = (Row(index, index + 2, to, {"name": "Ana"}) for index, to in enumerate(numbers))
    async with connect(fleet_url) as redis:
        assert await submit_campaign(redis, name, rows, application_id=app, message_id=message, rate=1000) == ROWS
        async with sandbox.serve() as server:
            workers = [
                await asyncio.create_subprocess_exec(
                    sys.executable, "-c", WORKER, fleet_url, name, server.base_url,
                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
                )
                for _ in range(3)
            ]  # fmt: skip
            while len(sandbox.outbox) < 300:  # noqa: ASYNC110  (real processes are sending; poll what they did)
                await asyncio.sleep(0.01)
            workers[0].kill()  # a machine dies mid-run
            await workers[0].wait()
            outputs = [await asyncio.wait_for(worker.communicate(), 120) for worker in workers[1:]]
            assert all(worker.returncode == 0 for worker in workers[1:]), [err.decode()[-2000:] for _, err in outputs]
        tally = await report_campaign(redis, name, tmp_path / "journal.jsonl")
        keys = [key async for key in redis.scan_iter(match=f"infobip-2fa:campaign:\\{{{name}\\}}:*")]
    delivered = Counter(message.to for message in sandbox.outbox)
    assert max(delivered.values()) == 1, "somebody was texted twice"
    states = {}
    for line in (tmp_path / "journal.jsonl").read_text().splitlines():
        entry = json.loads(line)
        states[entry["to"]] = entry["status"]
    unknown = {to for to, status in states.items() if status in ("taken", "unknown")}
    assert set(delivered) | unknown == set(numbers), "every row is sent or of unknown fate"
    assert len(unknown) <= 20, "only the dead worker's rows between claim and outcome"
    assert (tally.sent, tally.unknown) == (ROWS - len(unknown), len(unknown))
    assert len({_slot(key) for key in keys}) == 1, "a campaign's keys, its gate's too, sit in one slot"
    assert any(key.endswith(b":gate:tat") for key in keys)


def _slot(key: bytes) -> int:
    from redis.crc import key_slot

    return int(key_slot(key))


def test_every_script_keeps_its_keys_in_one_slot() -> None:
    """The key names each script is called with share their hash tag (a Cluster answers CROSSSLOT otherwise, which the
    tests on the cluster would show; this says why)."""
    import fakeredis
    from redis.crc import key_slot

    redis = fakeredis.FakeAsyncRedis()
    gate = RedisGate(redis, key="sms-login")
    assert gate._keys == ["{sms-login}:tat", "{sms-login}:pause"]
    campaign = Campaign(redis, "spring")
    campaign.bind("0123abcd")
    keys = [campaign.settings_key, campaign.submitter_key, campaign.chunks_key, campaign.states_key,
            campaign.journal_key, *RedisGate(redis, key=campaign.gate_key)._keys]  # fmt: skip
    assert len({key_slot(key.encode()) for key in keys}) == 1
    assert {hash_tagged(key) for key in ("a{b}c", "{x}")} == {"a{b}c", "{x}"}, "a key with a tag keeps it"
    assert [hash_tagged(key) for key in ("a{}b", "a}b{", "plain")] == ["{a{}b}", "{a}b{}", "{plain}"]
    for name in ("a}b", "a{b"):  # any campaign name: its keys share whatever tag the name leaves
        odd = Campaign(redis, name)
        odd.bind("id")
        assert len({key_slot(key.encode()) for key in (odd.settings_key, odd.states_key, odd.gate_key)}) == 1


# --- ACL users, TLS, URLs ---


async def _nodes(url: str) -> list[Any]:
    """A client per server behind ``url``: the one server, or each master of a cluster."""
    client: Any = connect(url)
    if not hasattr(client, "get_nodes"):
        return [client]
    await client.initialize()
    nodes = [connect(f"redis://{node.host}:{node.port}/0") for node in client.get_nodes()]
    await client.aclose()
    return nodes


async def test_an_acl_user_works_through_the_url_and_its_password_shows_nowhere(
    fleet_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    user, password = f"fleet-{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    nodes = await _nodes(fleet_url)
    for node in nodes:
        await node.execute_command("ACL", "SETUSER", user, "on", f">{password}", "~*", "+@all")
    scheme, rest = fleet_url.split("://", 1)
    as_user = f"{scheme}://{user}:{password}@{rest}"
    wrong = f"{scheme}://{user}:{password}-wrong@{rest}"
    caplog.set_level(logging.DEBUG)
    try:
        async with RedisGate.from_url(as_user, key=uuid.uuid4().hex, rate=100) as gate:
            await gate.enter()
            seen = [repr(gate)]
        async with RedisShieldStore.from_url(as_user, name=uuid.uuid4().hex) as shield_store:
            assert (await Shield(store=shield_store, secret=SECRET).check("447400123456")).allowed
            seen.append(repr(shield_store))
        async with RedisVerificationStore.from_url(as_user, name=uuid.uuid4().hex) as verification_store:
            seen.append(repr(verification_store))
        async with RedisGate.from_url(wrong, key="k", rate=100, timeout=1) as refused:
            with pytest.raises(GateUnavailableError) as caught:
                await refused.enter()
        async with RedisGate.from_url(wrong, key="k", rate=100, timeout=1, fail_open=True) as opened:
            await opened.enter()  # through, with the outage logged
        error: BaseException | None = caught.value
        while error is not None:
            seen += [str(error), repr(error)]
            error = error.__cause__ or error.__context__
        seen += traceback.format_exception(caught.value)
        seen.append(caplog.text)
        for bad in ("redis://u:PW@127.0.0.1:70000/0", "ftp://u:PW@h", "redis+cluster://u:PW@127.0.0.1:1/3"):
            with pytest.raises(InvalidRequestError) as invalid:
                connect(bad.replace("PW", password))
            seen += [str(invalid.value), repr(invalid.value)]
        assert not [text for text in seen if password in text]
        assert any("AuthenticationError" in text or "ResponseError" in text for text in seen), seen
    finally:
        for node in nodes:
            await node.execute_command("ACL", "DELUSER", user)
            await node.aclose()


async def test_tls_checks_the_server_against_the_ca_given(redis_tls_url: str, redis_tls_ca: str) -> None:
    plain = redis_tls_url.split("?", 1)[0]
    async with RedisGate.from_url(plain, key=uuid.uuid4().hex, rate=100, ssl_ca_certs=Path(redis_tls_ca)) as gate:
        await gate.enter()
    async with RedisVerificationStore.from_url(plain, name=uuid.uuid4().hex, ssl_ca_certs=redis_tls_ca) as store:
        assert (await store.load("record", "marker", 0)).data is None
    # Without the CA, the server's certificate chains to nothing this machine trusts: refused, never sent.
    async with RedisGate.from_url(plain, key="k", rate=100, timeout=2) as untrusted:
        with pytest.raises(GateUnavailableError) as caught:
            await untrusted.enter()
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value.__cause__)


async def test_tls_connections_share_one_ssl_context_so_a_cold_burst_is_not_spent_loading_cas(
    redis_tls_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """redis-py before 8.2 (Python 3.10's newest is 8.1) makes an SSL context per connection, loading the CA bundle
    each time (30-50 ms of CPU with OpenSSL 3.0): 40 calls on a fresh shield over TLS ran past the connect timeout and,
    failing closed, refused every send. Connections made through the library share one context per TLS settings."""
    import ssl

    made = []
    create = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(1)
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    name = f"test-{uuid.uuid4().hex}"
    async with RedisShieldStore.from_url(redis_tls_url, name=name) as store:
        shield = Shield(store=store, secret=SECRET, clock=lambda: 1_700_000_000.0)
        outcomes = await asyncio.gather(*(shield.check("447400123456") for _ in range(40)), return_exceptions=True)
        failed = {repr(outcome) for outcome in outcomes if isinstance(outcome, ShieldUnavailableError)}
        assert not failed, "decided, let through or refused, every one"
        connections = await store._redis.client_list()
        await store.reset()
    assert len(connections) >= 10, "the burst opened many connections"
    assert len(made) <= 1, f"{len(made)} SSL contexts for one client's connections"


def test_connect_takes_each_kind_of_url_and_refuses_the_rest() -> None:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster

    assert isinstance(connect("redis://127.0.0.1:1/0"), Redis)
    assert isinstance(connect("rediss://127.0.0.1:1/0", ssl_ca_certs="/nonexistent/ca.pem"), Redis)
    assert isinstance(connect("unix:///tmp/redis.sock"), Redis)
    assert isinstance(connect("redis+cluster://127.0.0.1:1"), RedisCluster)
    assert isinstance(connect("REDISS+CLUSTER://127.0.0.1:1", ssl_ca_certs="/nonexistent/ca.pem"), RedisCluster)
    for url, argument in (
        ("http://127.0.0.1:6379", "url"),
        ("127.0.0.1:6379", "url"),
        ("redis+cluster://127.0.0.1:1/3", "url"),  # a cluster has database 0 only
    ):
        with pytest.raises(InvalidRequestError) as caught:
            connect(url)
        assert caught.value.argument == argument
    with pytest.raises(InvalidRequestError) as caught:
        connect("redis://127.0.0.1:1/0", ssl_ca_certs="/etc/ssl/ca.pem")
    assert caught.value.argument == "ssl_ca_certs"
    with pytest.raises(InvalidRequestError) as caught:
        connect("redis://127.0.0.1:1/0", timeout=0)
    assert caught.value.argument == "timeout"


async def test_run_worker_refuses_a_url_it_cannot_use_before_anything_else() -> None:
    from infobip_2fa_async.redis import run_worker

    with pytest.raises(InvalidRequestError) as caught:
        await run_worker("http://127.0.0.1:1", "c", api_key="k")
    assert caught.value.argument == "url"


def test_the_stores_and_the_gate_share_one_way_to_connect() -> None:
    for made in (
        RedisGate.from_url("redis+cluster://127.0.0.1:1", key="k"),
        RedisShieldStore.from_url("redis+cluster://127.0.0.1:1", name="n"),
        RedisVerificationStore.from_url("redis+cluster://127.0.0.1:1", name="n"),
    ):
        assert type(made._redis).__name__ == "RedisCluster"


# --- a fresh cluster client under a burst; redis-py's slips ---


async def test_a_burst_on_a_fresh_cluster_client_goes_to_the_right_nodes_and_raises_only_the_store_error(
    redis_cluster_url: str,
) -> None:
    """redis-py decides where a command goes before its cluster client has learnt the slots: a burst on a fresh client
    went to random nodes, drew MOVED answers, and the re-learning they set off closed connections in use (redis-py 8.1
    raised AttributeError from inside). Every script call waits for the slots once: one call per decision, each on
    the node that holds its keys, none rejected."""
    nodes = await _nodes(redis_cluster_url)
    before = [await node.info("commandstats") for node in nodes]
    names = [f"test-{uuid.uuid4().hex}" for _ in range(6)]  # keys in several slots, on every node
    stores = [RedisShieldStore.from_url(redis_cluster_url, name=name) for name in names]
    try:
        shields = [Shield(store=store, secret=SECRET, clock=lambda: 1_700_000_000.0) for store in stores]
        outcomes = await asyncio.gather(
            *(shield.check(f"4474001{n:05d}") for shield in shields for n in range(15)), return_exceptions=True
        )
        assert all(not isinstance(outcome, BaseException) for outcome in outcomes), {repr(o) for o in outcomes}
        after = [await node.info("commandstats") for node in nodes]
        calls = rejected = 0
        for old, new in zip(before, after, strict=True):
            mine, was = new.get("cmdstat_evalsha", {}), old.get("cmdstat_evalsha", {})
            calls += mine.get("calls", 0) - was.get("calls", 0)
            rejected += mine.get("rejected_calls", 0) - was.get("rejected_calls", 0)
        assert (calls, rejected) == (len(outcomes), 0), "each call on its node at once: no MOVED, no second try"
    finally:
        for store in stores:
            await store.reset()
            await store.aclose()
        for node in nodes:
            await node.aclose()


@pytest.mark.parametrize("slip", [AttributeError("'NoneType' object has no attribute 'writelines'"),
                                  TypeError("'NoneType' object is not callable")])  # fmt: skip
async def test_redis_py_failing_inside_a_call_is_the_store_being_unreachable(
    slip: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection closed under a command can leave redis-py by a transport's AttributeError or TypeError (redis-py
    issue #4287; 8.1 on a cluster above) rather than its ConnectionError: the caller still gets the store's typed
    error, which says Redis could not be reached."""
    import fakeredis

    redis = fakeredis.FakeAsyncRedis()

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise slip

    monkeypatch.setattr(redis, "evalsha", broken)
    shield = Shield(store=RedisShieldStore(redis, name="slips"), secret=SECRET)
    with pytest.raises(GateUnavailableError, match=r"cannot reach Redis \(ConnectionError\)") as caught:
        await shield.check("447400123456")
    assert isinstance(caught.value.__cause__.__cause__, type(slip))
    gate = RedisGate(redis, key="slips", rate=10)
    with pytest.raises(GateUnavailableError, match="cannot reach Redis"):
        await gate.enter()
    # After a send, recording the PIN for its resends never fails the call, whatever redis-py lets out.
    monkeypatch.setattr(redis, "set", broken)
    await shield.sent("PIN-1", "447400123456")
