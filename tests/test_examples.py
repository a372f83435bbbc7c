"""The programs in examples/ work as their docstrings say, tested with the pytest plugin's fixtures as a user's
own tests would be: ``tfa_sandbox`` (the service), ``tfa_client`` (a client bound to it), ``tfa_clock``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from asgi_lifespan import LifespanManager

from examples import aiohttp_app, bulk_send, fastapi_app
from infobip_2fa_async import ApplicationConfiguration, TwoFactorClient
from infobip_2fa_async.sandbox import Fault, Sandbox

PHONE = "41793026727"
SEND_PIN = r"^POST /2fa/2/pin$"


@pytest.fixture
async def ids(tfa_client: TwoFactorClient) -> dict[str, str]:
    app = await tfa_client.applications.create(
        name="Login", configuration=ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d")
    )
    template = await tfa_client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return {"application_id": app.application_id, "message_id": template.message_id}


@pytest.fixture(params=["fastapi", "aiohttp"])
async def http(request: pytest.FixtureRequest, tfa_client: TwoFactorClient, ids: dict[str, str]) -> AsyncIterator[Any]:
    """Each app, started with its own start-up code, its client made by the factory the app is given."""

    def factory(**kwargs: Any) -> TwoFactorClient:
        assert kwargs == {"deadline": 10}
        return tfa_client

    if request.param == "fastapi":
        app = fastapi_app.create_app(factory, **ids)
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://app") as client,
        ):
            yield client
    else:
        server = TestServer(aiohttp_app.make_app(None, factory, **ids))
        async with TestClient(server) as client:
            yield client


async def _json(response: Any) -> Any:
    return response.json() if isinstance(response, httpx.Response) else await response.json()


def _status(response: Any) -> int:
    return response.status_code if isinstance(response, httpx.Response) else response.status


async def test_send_me_a_code_then_check_it(http: Any, tfa_sandbox: Sandbox) -> None:
    sent = await http.post("/login/code", json={"phone": "+41 79 302 67 27"})
    assert _status(sent) == 200
    pin_id = (await _json(sent))["pin_id"]
    assert tfa_sandbox.outbox[-1].to == PHONE

    wrong = await http.post("/login/verify", json={"pin_id": pin_id, "pin": "0000"})
    assert (await _json(wrong))["verified"] is False
    assert (await _json(wrong))["reason"] == "WRONG_PIN"
    right = await http.post("/login/verify", json={"pin_id": pin_id, "pin": tfa_sandbox.last_pin(PHONE)})
    assert (await _json(right))["verified"] is True


async def test_a_bad_number_is_422_naming_the_field(http: Any, tfa_sandbox: Sandbox) -> None:
    answer = await http.post("/login/code", json={"phone": "12"})
    assert _status(answer) == 422
    assert (await _json(answer))["field"] == "to"
    assert tfa_sandbox.outbox == []


async def test_a_rate_limit_is_429_with_retry_after(http: Any, tfa_sandbox: Sandbox) -> None:
    tfa_sandbox.faults.script(Fault.rate_limit(retry_after=120), match=SEND_PIN)  # past max_retry_after: not slept
    answer = await http.post("/login/code", json={"phone": PHONE})
    assert _status(answer) == 429
    assert answer.headers["Retry-After"] == "120"


async def test_a_code_that_may_be_on_its_way_is_not_an_invitation_to_resend(http: Any, tfa_sandbox: Sandbox) -> None:
    tfa_sandbox.faults.script(Fault.server_error(500, after_processing=True), match=SEND_PIN)
    answer = await http.post("/login/code", json={"phone": PHONE})
    assert _status(answer) == 202
    body = await _json(answer)
    assert body["status"] == "unknown"
    assert "check your phone" in body["detail"]
    assert "try again" not in body["detail"]
    assert len(tfa_sandbox.outbox) == 1, "the code did go out"


async def test_an_unreachable_number_is_said_plainly(http: Any) -> None:
    answer = await http.post("/login/code", json={"phone": "41790000000"})
    assert _status(answer) == 422
    assert "cannot send" in (await _json(answer))["detail"]


async def test_the_bulk_script_resumes_without_texting_twice(
    tfa_client: TwoFactorClient, tfa_sandbox: Sandbox, ids: dict[str, str], tmp_path: Path
) -> None:
    csv = tmp_path / "numbers.csv"
    csv.write_text("to\n" + "".join(f"4175{n:07d}\n" for n in range(1, 41)) + "12\n")
    journal = tmp_path / "journal.jsonl"
    tfa_sandbox.faults.script(Fault.drop(after_processing=True), match=SEND_PIN)  # one send of unknown fate
    counts = await bulk_send.send_all(tfa_client, csv, journal, ids["application_id"], ids["message_id"])
    assert counts == {"sent": 39, "failed": 1, "unknown": 1}
    assert len(tfa_sandbox.outbox) == 40, "the dropped send was delivered all the same"

    counts = await bulk_send.send_all(tfa_client, csv, journal, ids["application_id"], ids["message_id"])
    assert counts == {"sent": 0, "failed": 1, "unknown": 0}, "only the failed row is tried again"
    assert len(tfa_sandbox.outbox) == 40
    assert len({message.to for message in tfa_sandbox.outbox}) == 40
