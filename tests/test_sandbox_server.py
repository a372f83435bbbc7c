"""The HTTP sandbox under misuse, over real sockets: oversized heads and bodies, trickling and idle connections,
exposure off loopback, reason phrases, and the paths other languages' SDKs send."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from infobip_2fa_async import TwoFactorClient
from infobip_2fa_async.sandbox import Sandbox, ServerLimits

LIMITS = ServerLimits(max_body_bytes=64 * 1024, max_header_bytes=8 * 1024, request_timeout=0.5, idle_timeout=0.5)


@pytest.fixture
async def served() -> AsyncIterator[tuple[Sandbox, str, int]]:
    sandbox = Sandbox()
    async with sandbox.serve(limits=LIMITS) as server:
        yield sandbox, server.base_url, server.port


async def _exchange(port: int, raw: bytes) -> bytes:
    """Send raw bytes, read until the server closes (or 5 s pass)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


async def test_a_body_over_the_cap_is_refused_with_413_unread(served: tuple[Sandbox, str, int]) -> None:
    _, _, port = served
    head = b"POST /2fa/2/pin HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\nContent-Type: application/json\r\n\r\n"
    answer = await _exchange(port, head + b"{")  # 50 MB announced, one byte sent: nothing waits for the rest
    assert answer.startswith(b"HTTP/1.1 413 ")  # the phrase is "Content Too Large" since Python 3.13 (RFC 9110)
    assert b"PAYLOAD_TOO_LARGE" in answer


async def test_a_chunked_body_over_the_cap_is_refused_too(served: tuple[Sandbox, str, int]) -> None:
    _, _, port = served
    chunk = b"a" * 16384
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8))
    answer = await _exchange(port, b"POST /2fa/2/pin HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    assert answer.startswith(b"HTTP/1.1 413 ")


async def test_a_head_over_the_cap_gets_431(served: tuple[Sandbox, str, int]) -> None:
    _, _, port = served
    answer = await _exchange(
        port, b"GET /2fa/2/applications HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 65536 + b"\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


async def test_slowloris_connections_are_closed_while_others_are_answered(served: tuple[Sandbox, str, int]) -> None:
    _, base_url, port = served

    async def trickle() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answer = asyncio.ensure_future(reader.read())  # until the server closes
        writer.write(b"POST /2fa/2/applications HTTP/1.1\r\nHost: x\r\n")
        for _ in range(40):  # a header byte every 50 ms: 2 s in all, far past the 0.5 s request timeout
            if answer.done():
                break
            writer.write(b"X")
            await asyncio.sleep(0.05)
        writer.close()
        return await asyncio.wait_for(answer, 5)

    slow = [asyncio.create_task(trickle()) for _ in range(100)]
    await asyncio.sleep(0.1)
    async with TwoFactorClient("sandbox-key", base_url) as client:  # a well-behaved client, meanwhile
        app = await client.applications.create(name="Meanwhile")
    assert app.name == "Meanwhile"
    answers = await asyncio.gather(*slow)
    assert all(answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n") for answer in answers)


async def test_an_idle_kept_alive_connection_is_closed(served: tuple[Sandbox, str, int]) -> None:
    _, _, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /sandbox/outbox HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")).split(b":")[1]
    )
    await reader.readexactly(length)
    assert await asyncio.wait_for(reader.read(), 5) == b"", "closed after the idle timeout"
    writer.close()


async def test_every_status_line_has_its_reason_phrase(served: tuple[Sandbox, str, int]) -> None:
    _, _, port = served
    answer = await _exchange(port, b"GET /2fa/2/applications HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    answer = await _exchange(
        port, b"GET /2fa/2/nothing HTTP/1.1\r\nHost: x\r\nAuthorization: App sandbox-key\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 404 Not Found\r\n")


async def test_trailing_slashes_and_the_json_suffix_are_accepted(served: tuple[Sandbox, str, int]) -> None:
    """Infobip's SDKs in other languages send POST /2fa/2/pin/?ncNeeded=true and GET .../verifications/?msisdn=."""
    sandbox, base_url, _ = served
    headers = {"Authorization": "App sandbox-key"}
    async with sandbox.client() as client:
        app = await client.applications.create(name="Paths")
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as raw:
        sent = await raw.post("/2fa/2/pin/?ncNeeded=true", json={
            "applicationId": app.application_id, "messageId": template.message_id, "to": "41793026727"})  # fmt: skip
        assert sent.status_code == 200, sent.text
        resent = await raw.post(f"/2fa/2/pin/{sent.json()['pinId']}/resend/")
        assert resent.json()["ncStatus"] == "NC_DESTINATION_REACHABLE", "the resend answer carries ncStatus"
        status = await raw.get(f"/2fa/2/applications/{app.application_id}/verifications/?msisdn=41793026727")
        assert status.status_code == 200
        assert len(status.json()["verifications"]) == 1
        listed = await raw.get("/2fa/2/applications.json")
        assert [entry["name"] for entry in listed.json()] == ["Paths"]


async def test_off_loopback_the_well_known_key_is_refused_and_the_outbox_needs_a_key() -> None:
    with pytest.raises(ValueError, match="well-known key"):
        async with Sandbox().serve("0.0.0.0"):  # noqa: S104
            pass
    sandbox = Sandbox(api_keys=("my-own-key",))
    async with sandbox.serve("0.0.0.0") as server:  # noqa: S104
        assert server.base_url.startswith("http://127.0.0.1:"), "a base URL that works from this machine"
        async with httpx.AsyncClient(base_url=server.base_url) as raw:
            assert (await raw.get("/sandbox/outbox")).status_code == 401
            mine = await raw.get("/sandbox/outbox", headers={"Authorization": "App my-own-key"})
            assert mine.status_code == 200
            assert json.loads(mine.content) == []
    async with sandbox.serve() as local, httpx.AsyncClient(base_url=local.base_url) as raw:
        assert (await raw.get("/sandbox/outbox")).status_code == 200, "on loopback the outbox stays open"
