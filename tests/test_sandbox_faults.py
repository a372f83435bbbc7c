"""Fault injection: each kind, as the client sees it, and proof that retries are safe by default."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infobip_2fa_async import (
    RateLimitError,
    RequestMaybeSentError,
    RequestNotSentError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    TwoFactorClient,
)
from infobip_2fa_async.sandbox import Fault, ManualClock, Sandbox

PHONE = "41793026727"
SEND_PIN = r"^POST /2fa/2/pin$"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def setup(clock: ManualClock) -> tuple[Sandbox, TwoFactorClient, dict[str, str]]:
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    client = sandbox.client(sleep=clock.sleep, retry=RetryPolicy(jitter=False))
    app = await client.applications.create(name="Login")
    template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return sandbox, client, {"application_id": app.application_id, "message_id": template.message_id, "to": PHONE}


async def test_scripted_429s_with_and_without_retry_after_are_ridden_out(setup: Any, clock: ManualClock) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.rate_limit(retry_after=2), Fault.rate_limit(), match=SEND_PIN)
    started = clock.now
    await client.send_pin(**send)
    assert clock.now - started == 2 + 1.0  # Retry-After 2 s, then the second backoff step (0.5 s * 2)
    assert len(sandbox.outbox) == 1
    assert [fault.kind for _, fault in sandbox.faults.injected] == ["rate_limit", "rate_limit"]


async def test_a_5xx_before_processing_sends_nothing(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.server_error(503), match=SEND_PIN)
    with pytest.raises(ServerError) as caught:
        await client.send_pin(**send)
    assert caught.value.status_code == 503
    assert caught.value.message_id == "GENERAL_ERROR"
    assert sandbox.outbox == []


async def test_after_processing_faults_deliver_once_by_default_and_twice_with_retry_unsafe(
    setup: Any, clock: ManualClock
) -> None:
    """The proof that the default retry rules never text a person twice."""
    sandbox, client, send = setup
    sandbox.faults.script(Fault.server_error(500, after_processing=True), match=SEND_PIN)
    with pytest.raises(ServerError):
        await client.send_pin(**send)
    assert len(sandbox.outbox) == 1  # the PIN went out, and the client did not send another

    unsafe = sandbox.client(sleep=clock.sleep, retry=RetryPolicy(retry_unsafe=True))
    sandbox.faults.script(Fault.server_error(500, after_processing=True), match=SEND_PIN)
    await unsafe.send_pin(**{**send, "to": "41793026728"})
    assert [m.to for m in sandbox.outbox[1:]] == ["41793026728", "41793026728"]  # texted twice


async def test_a_connection_dropped_after_processing_is_not_retried(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.drop(after_processing=True), match=SEND_PIN)
    with pytest.raises(RequestMaybeSentError) as caught:
        await client.send_pin(**send)
    assert caught.value.reason == "connection_dropped"
    assert len(sandbox.outbox) == 1


async def test_a_connection_dropped_before_processing_still_looks_maybe_sent(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.drop(), match=SEND_PIN)
    with pytest.raises(RequestMaybeSentError):
        await client.send_pin(**send)
    assert sandbox.outbox == []


async def test_a_refused_connection_is_retried_and_delivers_once(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.refuse(), Fault.refuse(), match=SEND_PIN)
    await client.send_pin(**send)
    assert len(sandbox.outbox) == 1
    sandbox.faults.script(Fault.refuse(), match=SEND_PIN)
    with pytest.raises(RequestNotSentError):
        await client.send_pin(**send, max_retries=0)


async def test_an_html_page_from_a_proxy(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.html(502), match=SEND_PIN)
    with pytest.raises(ServerError) as caught:
        await client.send_pin(**send)
    assert caught.value.status_code == 502
    assert "<h1>502 Bad Gateway</h1>" in caught.value.body


async def test_a_malformed_200_after_processing(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.malformed(), match=SEND_PIN)
    with pytest.raises(ResponseDecodeError):
        await client.send_pin(**send)
    assert len(sandbox.outbox) == 1


async def test_a_slow_answer_waits_on_the_sandbox_sleep(setup: Any, clock: ManualClock) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(Fault.slow(4.5), match=SEND_PIN)
    started = clock.now
    await client.send_pin(**send)
    assert clock.now - started == 4.5
    assert len(sandbox.outbox) == 1


async def test_faults_only_hit_matching_requests_and_none_lets_one_through(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.script(None, Fault.server_error(), match=r"/verify$")
    sent = await client.send_pin(**send)  # not a verify: untouched
    first = await client.verify_pin(sent.pin_id, "0000")  # the None: untouched
    assert first.pin_error == "WRONG_PIN"
    with pytest.raises(ServerError):
        await client.verify_pin(sent.pin_id, "0000")


async def test_fault_rates_are_repeatable_with_a_seed(clock: ManualClock) -> None:
    def run(seed: int) -> list[bool]:
        sandbox = Sandbox(seed=seed)
        sandbox.faults.rate(Fault.rate_limit(), 0.3)
        return [sandbox.faults.pick("POST /2fa/2/pin") is not None for _ in range(200)]

    first = run(7)
    assert first == run(7)
    assert 30 < sum(first) < 90
    with pytest.raises(ValueError, match="probability"):
        Sandbox().faults.rate(Fault.rate_limit(), 1.5)


async def test_a_storm_of_429s_ends_in_rate_limit_error_after_max_retries(setup: Any) -> None:
    sandbox, client, send = setup
    sandbox.faults.rate(Fault.rate_limit(retry_after=1), 1.0, match=SEND_PIN)
    with pytest.raises(RateLimitError):
        await client.send_pin(**send)
    assert len(sandbox.faults.injected) == 4
    sandbox.faults.clear()
    await client.send_pin(**send)
    assert len(sandbox.outbox) == 1


@pytest.mark.parametrize("fault", [Fault.drop(after_processing=True), Fault.drop()], ids=["after", "before"])
async def test_drops_over_a_real_socket(fault: Fault) -> None:
    """Served over HTTP on 127.0.0.1, a drop closes the connection without an answer."""
    sandbox = Sandbox()
    async with sandbox.serve() as server, TwoFactorClient(server.api_key, server.base_url) as client:
        app = await client.applications.create(name="Login")
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        sandbox.faults.script(fault, match=SEND_PIN)
        with pytest.raises(RequestMaybeSentError):
            await client.send_pin(application_id=app.application_id, message_id=template.message_id, to=PHONE)
        # the client recovers on a new connection
        await client.send_pin(application_id=app.application_id, message_id=template.message_id, to=PHONE)
    assert len(sandbox.outbox) == (2 if fault.after_processing else 1)


async def test_in_process_drops_are_httpx_errors() -> None:
    sandbox = Sandbox()
    sandbox.faults.script(Fault.refuse(), Fault.drop())
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="https://sandbox") as raw:
        with pytest.raises(httpx.ConnectError):
            await raw.get("/2fa/2/applications")
        with pytest.raises(httpx.RemoteProtocolError):
            await raw.get("/2fa/2/applications")
