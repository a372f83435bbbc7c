"""The sandbox speaks HTTP and the 2FA API as Infobip's OpenAPI file and the RFCs say: XML bodies and answers where the
spec declares them, ``Allow`` on a 405, no null configuration, auth schemes in any case, absolute-form targets."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.sandbox import Sandbox

from .conftest import openapi_spec

AUTH = {"Authorization": "App sandbox-key"}
XML = {**AUTH, "Content-Type": "application/xml", "Accept": "application/xml"}


@pytest.fixture
async def world() -> AsyncIterator[tuple[Sandbox, httpx.AsyncClient, dict[str, str]]]:
    """A sandbox with an application, an SMS template, an e-mail template and a PIN of each kind sent."""
    sandbox = Sandbox()
    async with sandbox.client() as client:
        generous = ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d", verify_pin_limit="100/1s")
        app = await client.applications.create(name="Protocol", configuration=generous)
        sms = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        email = await client.email_templates.create(app.application_id, email_template_id=1234)
        sent = await client.send_pin(application_id=app.application_id, message_id=sms.message_id, to="41793026727")
        mailed = await client.send_email_pin(
            application_id=app.application_id, message_id=email.message_id, to="john.smith@example.com"
        )
    ids = {"appId": app.application_id, "sms": sms.message_id, "email": email.message_id,
           "pinId": sent.pin_id, "emailPinId": mailed.pin_id}  # fmt: skip
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox") as raw:
        yield sandbox, raw, ids


def _examples(content: dict[str, Any]) -> list[str]:
    return [example["value"] for example in content.get("application/xml", {}).get("examples", {}).values()]


def _xml_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation; the application update last, as its example lowers the limits the PIN examples need."""
    operations = [
        (method.upper(), path, operation)
        for path, item in openapi_spec()["paths"].items()
        for method, operation in item.items()
    ]
    return sorted(operations, key=lambda item: item[:2] == ("PUT", "/2fa/2/applications/{appId}"))


def _fill(path: str, body: str, ids: dict[str, str], number: int) -> tuple[str, str]:
    """The example's path and body with the world's ids, and a number of its own (the examples set a limit of
    2 PINs a day per number)."""
    email = "email" in path
    body = body.replace("<to>41793026727</to>", f"<to>4179302{number:04d}</to>")
    pin_id = ids["emailPinId"] if email else ids["pinId"]
    path = path.replace("{appId}", ids["appId"]).replace("{pinId}", pin_id)
    path = path.replace("{msgId}", ids["email"] if email else ids["sms"])
    body = body.replace("<applicationId>1234567</applicationId>", f"<applicationId>{ids['appId']}</applicationId>")
    body = body.replace("<messageId>7654321</messageId>", f"<messageId>{ids['email' if email else 'sms']}</messageId>")
    return path, body


async def test_every_xml_example_of_the_spec_is_accepted_and_answered_in_xml(world: Any) -> None:
    _, raw, ids = world
    tried = 0
    for method, path, operation in _xml_operations():
        request = operation.get("requestBody", {}).get("content", {})
        bodies = _examples(request) or [""]
        for body in bodies:
            target, content = _fill(path, body, ids, tried)
            params = {"msisdn": "41793026727"} if path.endswith("/verifications") else {}
            answer = await raw.request(method, target, content=content.encode(), headers=XML, params=params)
            assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
            assert answer.headers["content-type"].startswith("application/xml")
            status = str(answer.status_code)
            shown = _examples(operation["responses"][status].get("content", {}))
            expected_roots = {ET.fromstring(example).tag for example in shown}  # noqa: S314
            root = ET.fromstring(answer.content)  # noqa: S314
            assert root.tag in expected_roots, f"{method} {path}: <{root.tag}>, the spec shows {expected_roots}"
            tried += 1
    assert tried >= 18


async def test_xml_fields_are_read_with_their_types(world: Any) -> None:
    _, raw, _ = world
    body = (
        "<ApplicationRequest><name>Typed</name><enabled>false</enabled><configuration><pinAttempts>5</pinAttempts>"
        "<allowMultiplePinVerifications>false</allowMultiplePinVerifications><pinTimeToLive>10m</pinTimeToLive>"
        "</configuration></ApplicationRequest>"
    )
    created = await raw.post("/2fa/2/applications", content=body, headers={**AUTH, "Content-Type": "application/xml"})
    assert created.status_code == 201
    assert created.headers["content-type"].startswith("application/json"), "JSON unless XML is asked for"
    answer = created.json()
    assert answer["enabled"] is False
    assert answer["configuration"]["pinAttempts"] == 5
    assert answer["configuration"]["allowMultiplePinVerifications"] is False
    assert answer["configuration"]["pinTimeToLive"] == "10m"
    wrong = await raw.post("/2fa/2/applications", content=body.replace(">5<", ">five<"), headers=XML)
    assert wrong.status_code == 400
    error = ET.fromstring(wrong.content)  # noqa: S314
    assert error.tag == "ApiException"
    assert error.findtext("requestError/serviceException/messageId") == "BAD_REQUEST"


@pytest.mark.parametrize(
    "body",
    [
        b"<ApplicationRequest><name>Broken</name>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<r><name>&b;</name></r>",
        b"<r>" + b"<x>" * 10_000 + b"</x>" * 10_000 + b"</r>",
    ],
    ids=["not-well-formed", "dtd", "deep"],
)
async def test_bad_xml_gets_400(world: Any, body: bytes) -> None:
    _, raw, _ = world
    answer = await raw.post("/2fa/2/applications", content=body, headers={**AUTH, "Content-Type": "application/xml"})
    assert answer.status_code == 400
    assert answer.json()["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    ("accept", "xml"),
    [
        ("application/xml", True),
        ("text/xml", True),
        ("application/json", False),
        ("*/*", False),
        ("application/xml;q=0.5, application/json", False),
        ("application/json;q=0.5, application/xml", True),
        ("application/xml, */*", True),
        ("", False),
    ],
)
async def test_the_answer_follows_accept(world: Any, accept: str, xml: bool) -> None:
    _, raw, _ = world
    answer = await raw.get("/2fa/2/applications", headers={**AUTH, "Accept": accept})
    assert answer.headers["content-type"].startswith("application/xml" if xml else "application/json")


async def test_a_405_lists_the_allowed_methods(world: Any) -> None:
    _, raw, ids = world
    answer = await raw.delete("/2fa/2/applications", headers=AUTH)
    assert answer.status_code == 405
    assert sorted(re.split(r",\s*", answer.headers["allow"])) == ["GET", "POST"]
    answer = await raw.request("TRACE", f"/2fa/2/pin/{ids['pinId']}/verify", headers=AUTH)
    assert (answer.status_code, answer.headers["allow"]) == (405, "POST")
    answer = await raw.put("/sandbox/outbox")
    assert (answer.status_code, answer.headers["allow"]) == (405, "GET, DELETE")


async def test_a_null_configuration_is_refused(world: Any) -> None:
    _, raw, ids = world
    created = await raw.post("/2fa/2/applications", json={"name": "Null", "configuration": None}, headers=AUTH)
    updated = await raw.put(f"/2fa/2/applications/{ids['appId']}", json={"name": "Null", "configuration": None},
                            headers=AUTH)  # fmt: skip
    for answer in (created, updated):
        assert answer.status_code == 400
        assert "configuration" in answer.json()["requestError"]["serviceException"]["validationErrors"]


@pytest.mark.parametrize("scheme", ["app", "APP", "aPp"])
async def test_the_auth_scheme_is_case_insensitive(world: Any, scheme: str) -> None:
    _, raw, _ = world
    answer = await raw.get("/2fa/2/applications", headers={"Authorization": f"{scheme} sandbox-key"})
    assert answer.status_code == 200
    refused = await raw.get("/2fa/2/applications", headers={"Authorization": f"{scheme} other-key"})
    assert refused.status_code == 401


async def test_an_absolute_form_target_is_served(world: Any) -> None:
    sandbox, _, ids = world
    async with sandbox.serve() as server:
        body = f'{{"applicationId": "{ids["appId"]}", "messageId": "{ids["sms"]}", "to": "41793026728"}}'.encode()
        request = (
            f"POST http://127.0.0.1:{server.port}/2fa/2/pin?ncNeeded=false HTTP/1.1\r\nHost: 127.0.0.1:{server.port}"
            f"\r\nAuthorization: App sandbox-key\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
            "\r\nConnection: close\r\n\r\n"
        ).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(request + body)
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n"), answer[:200]
    assert b'"smsStatus": "MESSAGE_SENT"' in answer
    assert b"ncStatus" not in answer, "the query of an absolute-form target is read too"


async def test_an_absolute_form_target_that_is_not_a_url_gets_400(caplog: pytest.LogCaptureFixture) -> None:
    async with Sandbox().serve() as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET http://[::1/2fa/2/applications HTTP/1.1\r\nHost: x\r\nAuthorization: App k\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer[:200]
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
