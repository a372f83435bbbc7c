"""One request must not stall or crash the sandbox for everyone: bounded PIN lengths, hostile JSON and durations
answered 400, every request answered (never a dropped connection with a traceback in the log), the head cap
counted however the head arrives, hang-ups handled quietly, and faults that cannot be served refused up front."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any

import httpx
import pytest

from infobip_2fa_async import InvalidRequestError
from infobip_2fa_async.sandbox import Fault, Sandbox
from infobip_2fa_async.sandbox._store import Store

from .conftest import make_client

AUTH = {"Authorization": "App sandbox-key"}


@pytest.fixture
async def app_id() -> tuple[Sandbox, str]:
    sandbox = Sandbox()
    async with sandbox.client() as client:
        app = await client.applications.create(name="Hardening")
    return sandbox, app.application_id


def _raw(sandbox: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=sandbox.transport(), base_url="http://sandbox", headers=AUTH)


async def _exchange(port: int, raw: bytes) -> bytes:
    """Send raw bytes at once, read until the server closes (or 5 s pass)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def _connections_settled() -> None:
    """Wait (at most 5 s) until the server has finished with every connection it took."""
    for _ in range(500):
        if not any(task.get_coro().__qualname__ == "Listener._connection" for task in asyncio.all_tasks()):  # type: ignore[union-attr]
            return
        await asyncio.sleep(0.01)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


# pinLength: Infobip documents 1 to 8; a template with a 4,000,000-character PIN blocked the loop for seconds.


@pytest.mark.parametrize("length", [0, 9, 4_000_000, 10**23])
async def test_the_client_refuses_a_pin_length_outside_1_to_8_before_sending(length: int) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"messageId": "M1"})

    async with make_client(handler) as client:
        calls = [
            lambda: client.templates.create("APP1", message_text="{{pin}}", pin_type="NUMERIC", pin_length=length),
            lambda: client.templates.update("APP1", "MSG1", pin_length=length),
            lambda: client.email_templates.create("APP1", email_template_id=1, pin_length=length),
            lambda: client.email_templates.update("APP1", "MSG1", pin_length=length),
        ]
        for call in calls:
            with pytest.raises(InvalidRequestError) as raised:
                await call()
            assert raised.value.argument == "pin_length"
        assert sent == [], "nothing is sent"
        await client.templates.create("APP1", message_text="{{pin}}", pin_type="NUMERIC", pin_length=8)
        assert json.loads(sent[-1].content)["pinLength"] == 8


@pytest.mark.parametrize("length", [0, 9, 4_000_000, 10**23])
async def test_the_sandbox_refuses_a_pin_length_outside_1_to_8(app_id: tuple[Sandbox, str], length: int) -> None:
    sandbox, application_id = app_id
    messages = f"/2fa/2/applications/{application_id}/messages"
    sms = {"messageText": "{{pin}}", "pinType": "NUMERIC"}
    async with _raw(sandbox) as raw:
        created = await raw.post(messages, json={**sms, "pinLength": length})
        email = await raw.post(f"/2fa/2/applications/{application_id}/email/messages",
                               json={"emailTemplateId": 1, "pinLength": length})  # fmt: skip
        template = await raw.post(messages, json=sms)
        updated = await raw.put(f"{messages}/{template.json()['messageId']}", json={"pinLength": length})
    for answer in (created, email, updated):
        assert answer.status_code == 400
        exception = answer.json()["requestError"]["serviceException"]
        assert exception["messageId"] == "BAD_REQUEST"
        assert "pinLength" in exception["validationErrors"]


# Bodies the JSON parser or the duration arithmetic choke on: answered 400, in-process and over HTTP.

DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 KB: well under the 1 MiB body cap


async def test_json_nested_100000_deep_gets_400(app_id: tuple[Sandbox, str], caplog: pytest.LogCaptureFixture) -> None:
    sandbox, _ = app_id
    async with _raw(sandbox) as raw:
        answer = await raw.post("/2fa/2/applications", content=DEEP, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["requestError"]["serviceException"]["messageId"] == "BAD_REQUEST"
    async with sandbox.serve() as server:
        head = b"POST /2fa/2/applications HTTP/1.1\r\nHost: x\r\nAuthorization: App sandbox-key\r\n"
        head += b"Content-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(DEEP)
        over_http = await _exchange(server.port, head + DEEP)
        await _connections_settled()
    assert over_http.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b'"BAD_REQUEST"' in over_http
    assert _errors(caplog) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pinTimeToLive", "99999999999999d"),
        ("verifyPinLimit", "1/1000000000d"),
        ("sendPinPerApplicationLimit", "1/99999999999999999d"),
        ("sendPinPerPhoneNumberLimit", "3/999999999999h"),
        ("pinTimeToLive", "366d"),  # the spec: "must not exceed one year"
        ("verifyPinLimit", "1/2d"),  # the spec: "must not exceed one day"
    ],
)
async def test_durations_past_what_infobip_allows_get_400(
    app_id: tuple[Sandbox, str], field: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox, application_id = app_id
    body = {"name": "Long", "configuration": {field: value}}
    async with _raw(sandbox) as raw:
        created = await raw.post("/2fa/2/applications", json=body)
        updated = await raw.put(f"/2fa/2/applications/{application_id}", json=body)
    for answer in (created, updated):
        assert answer.status_code == 400
        assert f"configuration.{field}" in answer.json()["requestError"]["serviceException"]["validationErrors"]
    async with sandbox.serve() as server, httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as http:
        assert (await http.post("/2fa/2/applications", json=body)).status_code == 400
    assert _errors(caplog) == []


async def test_durations_within_the_bounds_are_kept(app_id: tuple[Sandbox, str]) -> None:
    sandbox, _ = app_id
    configuration = {"pinTimeToLive": "365d", "verifyPinLimit": "1/1d", "sendPinPerApplicationLimit": "5/365d"}
    async with _raw(sandbox) as raw:
        created = await raw.post("/2fa/2/applications", json={"name": "Year", "configuration": configuration})
    assert created.status_code == 201
    assert created.json()["configuration"].items() >= configuration.items()


async def test_an_unexpected_failure_is_answered_500_never_a_dropped_connection(
    app_id: tuple[Sandbox, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox, application_id = app_id

    def broken(self: Store, application_id: str) -> dict[str, Any]:
        raise RuntimeError("a bug in the sandbox")

    monkeypatch.setattr(Store, "application", broken)
    async with _raw(sandbox) as raw:
        in_process = await raw.get(f"/2fa/2/applications/{application_id}")
    async with sandbox.serve() as server:
        async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as http:
            over_http = await http.get(f"/2fa/2/applications/{application_id}")
        await _connections_settled()
    for answer in (in_process, over_http):
        assert answer.status_code == 500
        assert answer.json()["requestError"]["serviceException"]["messageId"] == "GENERAL_ERROR"
    assert not any("Traceback" in (record.exc_text or "") or record.exc_info for record in caplog.records)
    assert not any("Unhandled exception" in message for message in _errors(caplog))


# The request head cap (16 KiB by default) holds whether the head comes in one read or several.


@pytest.mark.parametrize("size", [17_000, 60_000])
async def test_a_head_over_16_kib_sent_at_once_gets_431(size: int) -> None:
    async with Sandbox().serve() as server:
        head = b"GET /2fa/2/applications HTTP/1.1\r\nHost: x\r\nAuthorization: App sandbox-key\r\nX-Big: "
        answer = await _exchange(server.port, head + b"b" * size + b"\r\nConnection: close\r\n\r\n")
        small = await _exchange(server.port, head + b"b" * 15_000 + b"\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert small.startswith(b"HTTP/1.1 200 OK\r\n"), "a head under the cap is served"


async def test_a_client_hanging_up_mid_body_is_handled_quietly(caplog: pytest.LogCaptureFixture) -> None:
    sandbox = Sandbox()
    async with sandbox.serve() as server:
        for _ in range(3):
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"POST /2fa/2/applications HTTP/1.1\r\nHost: x\r\nAuthorization: App sandbox-key\r\n"
                         b"Content-Length: 1000\r\n\r\n{\"name\"")  # fmt: skip
            await writer.drain()
            writer.close()
            await writer.wait_closed()
        await _connections_settled()
        async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as http:
            assert (await http.get("/2fa/2/applications")).status_code == 200, "still serving"
    assert _errors(caplog) == []


# Faults the sandbox could not serve honestly (Retry-After: nan) are refused when built.


@pytest.mark.parametrize("seconds", [math.nan, math.inf, -math.inf, -5, -0.5])
def test_faults_refuse_retry_after_and_slow_seconds_that_are_not_finite_and_positive(seconds: float) -> None:
    with pytest.raises(ValueError, match="retry_after"):
        Fault.rate_limit(retry_after=seconds)
    with pytest.raises(ValueError, match="seconds"):
        Fault.slow(seconds)


@pytest.mark.parametrize("value", ["2", True, None])
def test_faults_refuse_seconds_that_are_not_numbers(value: Any) -> None:
    with pytest.raises(TypeError, match="seconds"):
        Fault.slow(value)
    if value is not None:  # None is "no Retry-After"
        with pytest.raises(TypeError, match="retry_after"):
            Fault.rate_limit(retry_after=value)


@pytest.mark.parametrize("status", [200, 499, 600, 0])
def test_server_error_faults_take_only_5xx_statuses(status: int) -> None:
    with pytest.raises(ValueError, match="status"):
        Fault.server_error(status)


def test_sound_faults_are_still_built() -> None:
    assert Fault.rate_limit(retry_after=0).retry_after == 0
    assert Fault.rate_limit().retry_after is None
    assert Fault.slow(0.25).seconds == 0.25
    assert Fault.server_error(503).status == 503


@pytest.mark.parametrize(
    "body", [b'{"name": "\\ud800"}', b'{"name": "A", "configuration": {"pinTimeToLive": "\\udfff"}}']
)
async def test_a_lone_surrogate_in_a_json_body_is_refused_not_stored(body: bytes) -> None:
    """Valid JSON, but no text: stored, it could never be answered in UTF-8 (nor listed by the CLI)."""
    sandbox = Sandbox()
    async with _raw(sandbox) as raw:
        answer = await raw.post("/2fa/2/applications", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400
        assert "surrogate" in answer.json()["requestError"]["serviceException"]["text"]
        assert (await raw.get("/2fa/2/applications")).json() == []


def test_a_sandbox_with_an_open_connection_shuts_down_without_a_traceback() -> None:
    """The loop ends while a client still holds a kept-alive connection: no 'Exception in callback' in the log."""
    import subprocess
    import sys

    script = (
        "import asyncio, httpx\n"
        "from infobip_2fa_async.sandbox import Sandbox\n"
        "async def main():\n"
        "    sandbox = Sandbox()\n"
        "    async with sandbox.serve() as server:\n"
        "        client = httpx.AsyncClient(base_url=server.base_url, headers={'Authorization': 'App sandbox-key'})\n"
        "        await client.get('/2fa/2/applications')\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run(  # noqa: S603  (our own script, run by this interpreter)
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
