"""The default backend writes its requests on aiohttp's pooled connections itself (not through
``ClientSession.request``): what it puts on the wire, how it reuses and drops connections, and that a mock which
replaces ``ClientSession._request`` (as aioresponses does) still sees every request. Real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from infobip_2fa_async import RequestMaybeSentError, TwoFactorClient
from infobip_2fa_async._backends import NoAnswer, plain_timeouts
from infobip_2fa_async._backends._aiohttp import AiohttpBackend
from infobip_2fa_async._options import attempt_timeout

from .conftest import through_aiohttps_session

ANSWER = b'{"pinId": "P1", "to": "41793026727", "ncStatus": "NC_DESTINATION_REACHABLE", "smsStatus": "MESSAGE_SENT"}'
HEADERS = {"Accept": "application/json", "Content-Type": "application/json", "Authorization": "App k"}
TIMEOUTS = plain_timeouts(attempt_timeout(5))


class Server:
    """A keep-alive HTTP/1.1 server that records every request and answers as ``answer`` says.

    ``answer(number, connection, request)`` gives the bytes to write (None: close the connection without answering),
    where ``number`` counts requests across connections from 0 and ``connection`` numbers the connection.
    """

    def __init__(self, answer: Callable[[int, int, dict[str, Any]], Awaitable[bytes | None]] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []  # one per connection: a test may write on an idle one
        self._answer = answer or self.ok

    @staticmethod
    async def ok(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
            len(ANSWER), ANSWER)  # fmt: skip

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = self.connections
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                line, *fields = head.decode("latin-1").split("\r\n")
                headers = [tuple(field.split(": ", 1)) for field in fields if field]
                length = next((int(value) for name, value in headers if name.lower() == "content-length"), 0)
                request = {"line": line, "headers": headers, "body": await reader.readexactly(length)}
                number = len(self.requests)
                self.requests.append(request)
                answer = await self._answer(number, connection, request)
                if answer is None:
                    return
                writer.write(answer)
                await writer.drain()
        finally:
            writer.close()

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()


def backend() -> AiohttpBackend:
    return AiohttpBackend(
        headers=dict(HEADERS), timeouts=TIMEOUTS, max_connections=10, keepalive_expiry=30.0,
        max_response_bytes=100_000, ssl_context=ssl.create_default_context(), proxy=None,
    )  # fmt: skip


async def send_each_way(base_url: str) -> None:
    """A POST with a body, a GET, a DELETE without a body, and POSTs whose headers are given per call."""
    sender = backend()
    try:
        for method, path, body, headers in (
            ("POST", "/2fa/2/pin?ncNeeded=false", b'{"to": "41793026727"}', None),
            ("GET", "/2fa/2/applications", None, None),
            ("DELETE", "/2fa/2/applications/A", None, None),
            ("POST", "/auth/1/oauth2/token", b"grant_type=client_credentials",
             {"content-type": "application/x-www-form-urlencoded", "Authorization": "Bearer t"}),
            ("POST", "/2fa/2/pin", b"{}", {"Authorization": "Bearer t"}),
            ("POST", "/2fa/2/pin", b"{}", {"Authorization": "Bearer t"}),  # the same token again
            ("POST", "/2fa/2/pin", b"{}", {"Authorization": "Bearer renewed"}),
        ):  # fmt: skip
            response = await sender.send(method, base_url + path, body, TIMEOUTS, headers)
            assert response.status == 200
            assert response.content == ANSWER
    finally:
        await sender.aclose()


def as_sent(request: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    return request["line"], {name.lower(): value for name, value in request["headers"]}, request["body"]


async def test_the_direct_path_puts_on_the_wire_what_aiohttps_session_puts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same request line, headers and body as ``ClientSession.request`` sends, for each kind of request; and a
    mock that replaces ``ClientSession._request`` (as aioresponses does) sees every request."""
    direct = Server()
    async with direct as base_url:
        await send_each_way(base_url)

    seen = through_aiohttps_session(monkeypatch)
    through_session = Server()
    async with through_session as session_url:
        await send_each_way(session_url)

    assert len(seen) == 7  # the replaced method saw each request: a mock of aiohttp still works
    assert direct.connections == through_session.connections == 1  # one kept-alive connection for all
    for mine, aiohttps in zip(direct.requests, through_session.requests, strict=True):
        line, headers, body = as_sent(mine)
        assert (line, body) == as_sent(aiohttps)[::2]
        expected = as_sent(aiohttps)[1]
        expected.pop("user-agent", None)  # the client skips aiohttp's own User-Agent; TwoFactorClient sends its own
        headers["host"] = expected["host"]  # the port differs: two servers
        assert headers == expected
    tokens = [as_sent(request)[1]["authorization"] for request in direct.requests[3:]]
    assert tokens == ["Bearer t", "Bearer t", "Bearer t", "Bearer renewed"]  # per call, over the client's own
    assert as_sent(direct.requests[4])[1]["content-type"] == "application/json"  # the form's was for that call only
    assert all(as_sent(request)[1]["accept-encoding"] == "gzip, deflate" for request in direct.requests)  # decodable
    assert "content-length" not in as_sent(direct.requests[1])[1]  # a GET without a body says nothing of one
    assert as_sent(direct.requests[2])[1]["content-length"] == "0"  # a DELETE without a body says 0, as aiohttp


async def test_answers_are_never_crossed_after_a_cancelled_request() -> None:
    """A request cancelled while its answer is still coming closes its connection: the late answer cannot be read as
    the next request's (a pinId handed to the wrong person)."""
    first_answer_may_go = asyncio.Event()
    got_first = asyncio.Event()

    async def answer(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        if number == 0:
            got_first.set()
            await first_answer_may_go.wait()
            late = b'{"pinId": "LATE"}'
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(late), late)
        return await Server.ok(number, connection, request)

    server = Server(answer)
    async with server as base_url, TwoFactorClient("k", base_url) as client:
        cancelled = asyncio.create_task(client.send_pin(application_id="A", message_id="M", to="41793026727"))
        await got_first.wait()
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        first_answer_may_go.set()
        sent = await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert sent.pin_id == "P1"
    assert server.connections == 2  # the cancelled request's connection was not put back


async def test_a_kept_alive_connection_is_reused_and_one_the_server_closes_is_not() -> None:
    said_close = []

    async def answer(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        if number == 2:  # the third answer asks to close: the fourth request opens a new connection
            said_close.append(connection)
            return b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
        return await Server.ok(number, connection, request)

    server = Server(answer)
    async with server as base_url, TwoFactorClient("k", base_url) as client:
        for _ in range(5):
            assert (await client.send_pin(application_id="A", message_id="M", to="41793026727")).pin_id == "P1"
    assert said_close == [0]
    assert server.connections == 2


async def test_a_kept_alive_connection_dropped_under_a_request_resends_a_get_once_but_never_a_post() -> None:
    """As aiohttp's session does: a GET on a pooled connection that the server drops is sent again on a new one; a
    POST (a PIN that may have gone out) is not, and says it may have been sent."""

    async def answer(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        if number > 0 and connection == 0:  # the first connection's second request: dropped, unanswered
            return None
        return await Server.ok(number, connection, request)

    for method, resent in (("GET", True), ("POST", False)):
        server = Server(answer)
        async with server as base_url:
            sender = backend()
            try:
                await sender.send(method, base_url + "/x", None, TIMEOUTS)
                if resent:
                    assert (await sender.send(method, base_url + "/x", None, TIMEOUTS)).status == 200
                else:
                    with pytest.raises(NoAnswer) as dropped:
                        await sender.send(method, base_url + "/x", None, TIMEOUTS)
                    assert (dropped.value.not_sent, dropped.value.reason) == (False, "connection_dropped")
            finally:
                await sender.aclose()
        assert len(server.requests) == (3 if resent else 2)


async def test_a_dropped_send_pin_is_maybe_sent_and_sent_once() -> None:
    async def answer(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        return None if number == 1 else await Server.ok(number, connection, request)

    server = Server(answer)
    async with server as base_url, TwoFactorClient("k", base_url) as client:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
        with pytest.raises(RequestMaybeSentError) as dropped:
            await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert dropped.value.maybe_sent
    assert len(server.requests) == 2  # the dropped send went out once: never again on a new connection


async def test_an_interim_100_continue_is_skipped() -> None:
    async def answer(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        return b"HTTP/1.1 100 Continue\r\n\r\n" + (await Server.ok(number, connection, request) or b"")

    async with Server(answer) as base_url, TwoFactorClient("k", base_url) as client:
        assert (await client.send_pin(application_id="A", message_id="M", to="41793026727")).pin_id == "P1"


async def test_cookies_an_answer_sets_are_not_sent_back() -> None:
    async def answer(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        return b"HTTP/1.1 200 OK\r\nSet-Cookie: lb=node-7; Path=/\r\nContent-Length: %d\r\n\r\n%s" % (
            len(ANSWER), ANSWER)  # fmt: skip

    server = Server(answer)
    async with server as base_url, TwoFactorClient("k", base_url) as client:
        for _ in range(2):
            await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert all(name.lower() != "cookie" for request in server.requests for name, _ in request["headers"])


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/x\r\nX-Injected: 1", None), ("/x", {"Authorization": "Bearer t\r\nX-Injected: 1"})],
    ids=["target", "header"],
)
async def test_a_line_break_in_the_target_or_a_header_is_refused_before_anything_is_written(
    path: str, headers: dict[str, str] | None
) -> None:
    server = Server()
    async with server as base_url:
        sender = backend()
        try:
            with pytest.raises(NoAnswer) as refused:
                await sender.send("POST", base_url + path, b"{}", TIMEOUTS, headers)
        finally:
            await sender.aclose()
    assert (refused.value.not_sent, refused.value.reason) == (True, "protocol_error")
    message = str(refused.value.detail)  # what the caller's TransportError says
    assert "line break" in message
    assert "Bearer" not in message  # what is wrong is named; a token is not quoted
    assert "Injected" not in message
    assert server.requests == []


MOCKED_BEFORE_IMPORT = """
import asyncio, json, sys
from unittest import mock

import aiohttp

seen = []


async def answer(session, method, url, **kwargs):  # what a mock of aiohttp (aioresponses) puts in _request's place
    seen.append((method, str(url)))
    raise aiohttp.ClientConnectionError("answered by the mock")


with mock.patch("aiohttp.client.ClientSession._request", autospec=True, side_effect=answer):
    from infobip_2fa_async import InfobipError, TwoFactorClient  # imported while the mock is on

    async def main():
        async with TwoFactorClient("k") as client:
            try:
                await client.applications.list(max_retries=0)
            except InfobipError:
                pass

    asyncio.run(main())
print(json.dumps(seen))
"""


def test_a_mock_of_aiohttp_on_before_the_library_is_imported_still_sees_its_requests() -> None:
    """aioresponses (and ``mock.patch`` of ``ClientSession._request``) replaces the method on aiohttp's class; the
    library tells aiohttp's own method from a mock's by its name, so even a mock that was on first is used."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "-c", MOCKED_BEFORE_IMPORT]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)  # noqa: S603
    assert json.loads(done.stdout.splitlines()[-1]) == [["GET", "https://api.infobip.com/2fa/2/applications"]]


async def test_a_stray_answer_on_an_idle_connection_is_never_read_as_the_next_requests() -> None:
    """A server may write on an idle kept-alive connection (a 408 before it closes it): the next send must not take
    that for its answer (a send that went out, read as refused, could be sent again). The connection is dropped
    before a byte is written, and the send goes out once, on a new one."""
    server = Server()
    async with server as base_url, TwoFactorClient("k", base_url) as client:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
        (idle,) = server.writers
        idle.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")  # unasked, on the idle connection
        await idle.drain()
        for _ in range(50):  # the event loop reads the stray bytes into the idle connection
            await asyncio.sleep(0)
        sent = await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert sent.pin_id == "P1"
    assert len(server.requests) == 2
    assert server.connections == 2


async def test_a_head_answer_has_no_body_whatever_its_content_length() -> None:
    async def answer(number: int, connection: int, request: dict[str, Any]) -> bytes | None:
        if request["line"].startswith("HEAD"):
            return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"  # the length a GET would have; no body follows
        return await Server.ok(number, connection, request)

    server = Server(answer)
    async with server as base_url:
        sender = backend()
        try:
            head = await sender.send("HEAD", base_url + "/x", None, TIMEOUTS)
            after = await sender.send("POST", base_url + "/2fa/2/pin", b"{}", TIMEOUTS)
        finally:
            await sender.aclose()
    assert (head.status, head.content) == (200, b"")
    assert after.content == ANSWER
    assert server.connections == 1  # the HEAD's connection went back to the pool whole


async def test_a_header_value_http_cannot_carry_is_refused_without_quoting_it() -> None:
    server = Server()
    async with server as base_url:
        sender = backend()
        try:
            with pytest.raises(NoAnswer) as refused:
                await sender.send("POST", base_url + "/x", b"{}", TIMEOUTS, {"Authorization": "Bearer s3cr€t"})
        finally:
            await sender.aclose()
    assert (refused.value.not_sent, refused.value.reason) == (True, "protocol_error")
    detail = refused.value.detail
    assert isinstance(detail, Exception)
    assert "Latin-1" in str(detail)
    assert "s3cr" not in str(detail)
    assert detail.__context__ is None  # the encoding error, which holds the header text, is not kept either
    assert server.requests == []
