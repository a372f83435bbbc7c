"""The programs in examples/ work as their docstrings say, tested with the pytest plugin's fixtures as a user's
own tests would be: ``tfa_sandbox`` (the service), ``tfa_client`` (a client bound to it), ``tfa_clock`` (the
time both the sandbox and the apps' verifiers read: cool-downs pass without sleeping)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from asgi_lifespan import LifespanManager

from examples import aiohttp_app, bulk_send, fastapi_app
from infobip_2fa_async import ApplicationConfiguration, TwoFactorClient
from infobip_2fa_async.sandbox import UNREACHABLE_NUMBER, Fault, ManualClock, Sandbox

PHONE = "41793026727"
SEND_PIN = r"^POST /2fa/2/pin$"


@pytest.fixture
async def ids(tfa_client: TwoFactorClient) -> dict[str, str]:
    app = await tfa_client.applications.create(
        name="Login", configuration=ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d")
    )
    template = await tfa_client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    voice = await tfa_client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return {
        "application_id": app.application_id,
        "message_id": template.message_id,
        "voice_message_id": voice.message_id,
    }


@asynccontextmanager
async def _serve(kind: str, tfa_client: TwoFactorClient, clock: ManualClock, **ids: Any) -> AsyncIterator[Any]:
    """One app, started with its own start-up code, its client made by the factory the app is given, its verifier
    on the test's clock; the browser has opened the login page (it holds a session cookie)."""

    def factory(**kwargs: Any) -> TwoFactorClient:
        assert kwargs == {"deadline": 10}
        return tfa_client

    if kind == "fastapi":
        app = fastapi_app.create_app(factory, clock=clock, **ids)
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://app") as client,
        ):
            assert _status(await client.get("/login")) == 200
            yield client
    else:
        server = TestServer(aiohttp_app.make_app(None, factory, clock=clock, **ids))
        async with TestClient(server) as client:
            assert _status(await client.get("/login")) == 200
            yield client


@pytest.fixture(params=["fastapi", "aiohttp"])
async def http(
    request: pytest.FixtureRequest, tfa_client: TwoFactorClient, tfa_clock: ManualClock, ids: dict[str, str]
) -> AsyncIterator[Any]:
    """Each app, with an SMS and a voice template."""
    async with _serve(request.param, tfa_client, tfa_clock, **ids) as client:
        yield client


async def _json(response: Any) -> Any:
    return response.json() if isinstance(response, httpx.Response) else await response.json()


async def _text(response: Any) -> str:
    return response.text if isinstance(response, httpx.Response) else await response.text()


def _status(response: Any) -> int:
    return response.status_code if isinstance(response, httpx.Response) else response.status


async def test_send_me_a_code_then_check_it(http: Any, tfa_sandbox: Sandbox) -> None:
    sent = await http.post("/login/code", json={"phone": "+41 79 302 67 27"})
    assert _status(sent) == 200
    body = await _json(sent)
    assert set(body) == {"challenge_id", "to", "channel", "resend_in", "expires_in"}
    assert body["to"].endswith("27")
    assert PHONE not in body["to"]
    assert (body["channel"], body["resend_in"], body["expires_in"]) == ("sms", 30, 900)
    assert [message.to for message in tfa_sandbox.outbox] == [PHONE]
    assert tfa_sandbox.outbox[-1].pin_id not in await _text(sent)

    wrong = await http.post("/login/verify", json={"challenge_id": body["challenge_id"], "pin": "0000"})
    assert await _json(wrong) == {"verified": False, "attempts_left": 9, "reason": "WRONG_PIN"}
    right = await http.post("/login/verify", json={"challenge_id": body["challenge_id"],
                                                   "pin": tfa_sandbox.last_pin(PHONE)})  # fmt: skip
    assert (await _json(right))["verified"] is True
    again = await http.post("/login/verify", json={"challenge_id": body["challenge_id"],
                                                   "pin": tfa_sandbox.last_pin(PHONE)})  # fmt: skip
    assert _status(again) == 409, "a code is good for one login"


async def test_a_double_click_sends_one_text_and_no_pin_id(http: Any, tfa_sandbox: Sandbox) -> None:
    first, second = await asyncio.gather(
        http.post("/login/code", json={"phone": PHONE}), http.post("/login/code", json={"phone": PHONE})
    )
    assert (_status(first), _status(second)) == (200, 200)
    assert (await _json(first))["challenge_id"] == (await _json(second))["challenge_id"]
    assert len(tfa_sandbox.outbox) == 1
    for response in (first, second):
        text = await _text(response)
        assert "pinId" not in text
        assert "pin_id" not in text
        assert tfa_sandbox.outbox[0].pin_id not in text


async def test_a_retried_request_with_its_request_id_answers_the_same(
    http: Any, tfa_sandbox: Sandbox, tfa_clock: ManualClock
) -> None:
    first = await http.post("/login/code", json={"phone": PHONE}, headers={"X-Request-Id": "req-1"})
    tfa_clock.advance(60)  # past the cool-down: a new request would send again, the retried one does not
    retried = await http.post("/login/code", json={"phone": PHONE}, headers={"X-Request-Id": "req-1"})
    assert (await _json(first))["challenge_id"] == (await _json(retried))["challenge_id"]
    assert len(tfa_sandbox.outbox) == 1


async def test_a_code_for_another_purpose_does_not_log_in(http: Any, tfa_sandbox: Sandbox) -> None:
    change = await http.post("/phone/change/code", json={"phone": PHONE})
    assert _status(change) == 200
    challenge_id, pin = (await _json(change))["challenge_id"], tfa_sandbox.last_pin(PHONE)

    login = await http.post("/login/verify", json={"challenge_id": challenge_id, "pin": pin})
    assert _status(login) == 404
    assert await _json(login) == {"detail": "invalid code"}
    right = await http.post("/phone/change/verify", json={"challenge_id": challenge_id, "pin": pin})
    assert (await _json(right))["verified"] is True, "the PIN was right: only its purpose was wrong"


async def test_a_code_from_another_session_is_invalid(http: Any, tfa_sandbox: Sandbox) -> None:
    sent = await http.post("/login/code", json={"phone": PHONE})
    challenge_id = (await _json(sent))["challenge_id"]
    if isinstance(http, httpx.AsyncClient):  # the session cookie lost
        http.cookies.clear()
    else:
        http.session.cookie_jar.clear()
    assert _status(await http.post("/login/verify", json={"challenge_id": challenge_id, "pin": "1234"})) == 401
    await http.get("/login")  # another browser's session
    other = await http.post("/login/verify", json={"challenge_id": challenge_id, "pin": tfa_sandbox.last_pin(PHONE)})
    assert _status(other) == 404


async def test_a_resend_waits_for_the_cool_down(http: Any, tfa_sandbox: Sandbox, tfa_clock: ManualClock) -> None:
    challenge_id = (await _json(await http.post("/login/code", json={"phone": PHONE})))["challenge_id"]
    too_soon = await http.post("/login/resend", json={"challenge_id": challenge_id})
    assert _status(too_soon) == 429
    assert too_soon.headers["Retry-After"] == "30"
    assert len(tfa_sandbox.outbox) == 1

    tfa_clock.advance(30)
    by_voice = await http.post("/login/resend", json={"challenge_id": challenge_id, "channel": "voice"})
    assert _status(by_voice) == 200
    assert (await _json(by_voice))["challenge_id"] == challenge_id
    assert (await _json(by_voice))["channel"] == "voice"
    assert [message.channel for message in tfa_sandbox.outbox] == ["sms", "voice"]
    right = await http.post("/login/verify", json={"challenge_id": challenge_id, "pin": tfa_sandbox.last_pin(PHONE)})
    assert (await _json(right))["verified"] is True, "the voice call read out the same PIN"


async def test_a_bad_number_is_422_naming_the_field(http: Any, tfa_sandbox: Sandbox) -> None:
    answer = await http.post("/login/code", json={"phone": "12"})
    assert _status(answer) == 422
    assert (await _json(answer))["field"] == "to"
    assert tfa_sandbox.outbox == []


async def test_an_unknown_challenge_is_an_invalid_code(http: Any) -> None:
    answer = await http.post("/login/verify", json={"challenge_id": "no-such-challenge", "pin": "1234"})
    assert _status(answer) == 404
    assert await _json(answer) == {"detail": "invalid code"}


async def test_an_expired_code_is_410(http: Any, tfa_sandbox: Sandbox, tfa_clock: ManualClock) -> None:
    challenge_id = (await _json(await http.post("/login/code", json={"phone": PHONE})))["challenge_id"]
    tfa_clock.advance(901)
    answer = await http.post("/login/verify", json={"challenge_id": challenge_id, "pin": tfa_sandbox.last_pin(PHONE)})
    assert _status(answer) == 410


async def test_a_rate_limit_is_429_with_retry_after(http: Any, tfa_sandbox: Sandbox) -> None:
    tfa_sandbox.faults.script(Fault.rate_limit(retry_after=120), match=SEND_PIN)  # past max_retry_after: not slept
    answer = await http.post("/login/code", json={"phone": PHONE})
    assert _status(answer) == 429
    assert answer.headers["Retry-After"] == "120"
    assert tfa_sandbox.outbox == []


async def test_a_code_that_may_be_on_its_way_is_not_an_invitation_to_resend(
    http: Any, tfa_sandbox: Sandbox, tfa_clock: ManualClock
) -> None:
    tfa_sandbox.faults.script(Fault.server_error(500, after_processing=True), match=SEND_PIN)
    answer = await http.post("/login/code", json={"phone": PHONE})
    assert _status(answer) == 202
    body = await _json(answer)
    assert body["status"] == "uncertain"
    assert "may be on its way" in body["detail"]
    assert "ask again in 30 s" in body["detail"]
    assert "try again" not in body["detail"]
    assert len(tfa_sandbox.outbox) == 1, "the code did go out"

    # its pinId is unknown, so the code that did arrive cannot be checked: said honestly, with the wait
    check = await http.post("/login/verify", json={"challenge_id": body["challenge_id"],
                                                   "pin": tfa_sandbox.last_pin(PHONE)})  # fmt: skip
    assert _status(check) == 429
    assert check.headers["Retry-After"] == "30"
    click = await http.post("/login/code", json={"phone": PHONE})  # asked again at once: nothing is sent
    assert (await _json(click))["challenge_id"] == body["challenge_id"]
    assert len(tfa_sandbox.outbox) == 1

    tfa_clock.advance(30)  # after the visible wait: a new code, which verifies
    fresh = await http.post("/login/code", json={"phone": PHONE})
    assert _status(fresh) == 200
    assert len(tfa_sandbox.outbox) == 2
    right = await http.post("/login/verify", json={"challenge_id": body["challenge_id"],
                                                   "pin": tfa_sandbox.last_pin(PHONE)})  # fmt: skip
    assert (await _json(right))["verified"] is True


async def test_an_unreachable_number_is_called_instead(http: Any, tfa_sandbox: Sandbox) -> None:
    answer = await http.post("/login/code", json={"phone": UNREACHABLE_NUMBER})
    assert _status(answer) == 200
    assert (await _json(answer))["channel"] == "voice"
    assert [message.channel for message in tfa_sandbox.outbox] == ["voice"]


@pytest.mark.parametrize("kind", ["fastapi", "aiohttp"])
async def test_an_unreachable_number_without_voice_is_said_plainly(
    kind: str, tfa_client: TwoFactorClient, tfa_clock: ManualClock, ids: dict[str, str]
) -> None:
    sms_only = {"application_id": ids["application_id"], "message_id": ids["message_id"]}
    async with _serve(kind, tfa_client, tfa_clock, **sms_only) as http:
        answer = await http.post("/login/code", json={"phone": UNREACHABLE_NUMBER})
        assert _status(answer) == 422
        assert await _json(answer) == {"detail": "We could not text this number."}


async def test_the_bulk_script_resumes_without_texting_twice(
    tfa_client: TwoFactorClient, tfa_sandbox: Sandbox, ids: dict[str, str], tmp_path: Path
) -> None:
    csv = tmp_path / "numbers.csv"
    csv.write_text("to\n" + "".join(f"4175{n:07d}\n" for n in range(1, 41)) + "12\n" + UNREACHABLE_NUMBER + "\n")
    journal = tmp_path / "journal.jsonl"
    tfa_sandbox.faults.script(Fault.drop(after_processing=True), match=SEND_PIN)  # one send of unknown fate
    counts = await bulk_send.send_all(tfa_client, csv, journal, ids["application_id"], ids["message_id"])
    assert counts == {"sent": 39, "not_sent": 1, "failed": 1, "unknown": 1}, "MESSAGE_NOT_SENT is not counted sent"
    assert len(tfa_sandbox.outbox) == 40, "the dropped send was delivered all the same"

    counts = await bulk_send.send_all(tfa_client, csv, journal, ids["application_id"], ids["message_id"])
    assert counts == {"sent": 0, "not_sent": 0, "failed": 1, "unknown": 0}, "only the failed row is tried again"
    assert len(tfa_sandbox.outbox) == 40
    assert len({message.to for message in tfa_sandbox.outbox}) == 40


def test_the_bulk_script_run_without_arguments_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert asyncio.run(bulk_send.main([])) == 2
    assert capsys.readouterr().err.startswith("usage: python examples/bulk_send.py numbers.csv")
