"""The core retry and error behaviour holds on every backend the library offers, over a real 127.0.0.1 socket.

- ``aiohttp``: the default (``TwoFactorClient()`` with neither ``http_client`` nor ``transport``), which writes its
  requests on aiohttp's pooled connections itself;
- ``aiohttp-session`` (the ``served`` tests): the same backend on the path it takes through a proxy or under a mock
  of aiohttp, through ``aiohttp.ClientSession.request``;
- ``httpx``: httpx's own transport (``transport=httpx.AsyncHTTPTransport()``), as with any ``http_client=``.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx
import pytest
import respx

from infobip_2fa_async import (
    DEFAULT_TIMEOUT,
    ConfigurationError,
    RateLimitError,
    RequestMaybeSentError,
    RequestNotSentError,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    TwoFactorClient,
)
from infobip_2fa_async._backends import plain_timeouts
from infobip_2fa_async._backends._aiohttp import classify_aiohttp_error, client_timeout
from infobip_2fa_async._backends._httpx import Progress, classify_httpx_error
from infobip_2fa_async._options import attempt_timeout
from infobip_2fa_async._retry import NOT_SENT_REASONS
from infobip_2fa_async.sandbox import Fault, Sandbox

from .conftest import SENT_JSON, RecordingSleep, through_aiohttps_session

PHONE = "41793026727"
SEND_PIN = r"^POST /2fa/2/pin$"
BACKENDS: dict[str, Callable[[], dict[str, Any]]] = {
    "aiohttp": dict,
    "httpx": lambda: {"transport": httpx.AsyncHTTPTransport()},
}


class Served:
    """A sandbox on a real port, a client of the backend under test, and the ids to send with."""

    def __init__(
        self, sandbox: Sandbox, client: TwoFactorClient, send: dict[str, str], sleep: RecordingSleep, backend: str
    ) -> None:
        self.sandbox, self.client, self.send, self.sleep, self.backend = sandbox, client, send, sleep, backend

    def extra(self) -> dict[str, Any]:
        """The keyword arguments of another client on the same backend."""
        return BACKENDS[self.backend.removesuffix("-session")]()


@pytest.fixture(params=[*sorted(BACKENDS), "aiohttp-session"])
async def served(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    hang = asyncio.Event()  # what slow faults wait for: never set, so a slow answer never comes
    sandbox = Sandbox(sleep=lambda _: hang.wait())
    sleep = RecordingSleep()
    seen = through_aiohttps_session(monkeypatch) if request.param == "aiohttp-session" else None
    async with sandbox.serve() as server:
        extra = BACKENDS[request.param.removesuffix("-session")]()
        async with TwoFactorClient(
            server.api_key, server.base_url, sleep=sleep, retry=RetryPolicy(jitter=False), **extra
        ) as client:
            app = await client.applications.create(name="Backends")
            template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
            send = {"application_id": app.application_id, "message_id": template.message_id, "to": PHONE}
            yield Served(sandbox, client, send, sleep, request.param)
    if seen is not None:
        assert seen, "the session path was taken"


async def test_send_and_verify(served: Served) -> None:
    sent = await served.client.send_pin(**served.send)
    result = await served.client.verify_pin(sent.pin_id, served.sandbox.last_pin(PHONE))
    assert result.verified


async def test_429_with_retry_after_then_success(served: Served) -> None:
    served.sandbox.faults.script(Fault.rate_limit(retry_after=2), match=SEND_PIN)
    await served.client.send_pin(**served.send)
    assert served.sleep.waits == [2.0]
    assert len(served.sandbox.outbox) == 1


async def test_retry_after_over_the_cap_raises_at_once(served: Served) -> None:
    served.sandbox.faults.script(Fault.rate_limit(retry_after=600), match=SEND_PIN)
    with pytest.raises(RateLimitError) as caught:
        await served.client.send_pin(**served.send)
    assert caught.value.retry_after == 600
    assert served.sleep.waits == []


async def test_a_500_after_processing_is_not_retried_by_default(served: Served) -> None:
    served.sandbox.faults.script(Fault.server_error(500, after_processing=True), match=SEND_PIN)
    with pytest.raises(ServerError):
        await served.client.send_pin(**served.send)
    assert len(served.sandbox.outbox) == 1


async def test_a_500_is_retried_with_retry_unsafe(served: Served) -> None:
    served.sandbox.faults.script(Fault.server_error(502), match=SEND_PIN)
    policy = RetryPolicy(retry_unsafe=True, jitter=False)
    extra = served.extra()
    async with TwoFactorClient(
        "sandbox-key", served.client.base_url, sleep=served.sleep, retry=policy, **extra
    ) as unsafe:
        await unsafe.send_pin(**served.send)
    assert served.sleep.waits == [0.5]
    assert len(served.sandbox.outbox) == 1


async def test_a_dropped_connection_is_maybe_sent_and_not_retried(served: Served) -> None:
    served.sandbox.faults.script(Fault.drop(after_processing=True), match=SEND_PIN)
    with pytest.raises(RequestMaybeSentError) as caught:
        await served.client.send_pin(**served.send)
    assert caught.value.reason == "connection_dropped"
    assert served.sleep.waits == []
    assert len(served.sandbox.outbox) == 1
    await served.client.send_pin(**served.send)  # and the client goes on, on a fresh connection


async def test_an_html_error_page(served: Served) -> None:
    served.sandbox.faults.script(Fault.html(502), match=SEND_PIN)
    with pytest.raises(ServerError) as caught:
        await served.client.send_pin(**served.send)
    assert "502 Bad Gateway" in caught.value.body


async def test_a_malformed_success(served: Served) -> None:
    served.sandbox.faults.script(Fault.malformed(), match=SEND_PIN)
    with pytest.raises(ResponseDecodeError):
        await served.client.send_pin(**served.send)


async def test_a_read_timeout_is_maybe_sent(served: Served) -> None:
    served.sandbox.faults.script(Fault.slow(60), match=SEND_PIN)
    with pytest.raises(RequestMaybeSentError) as caught:
        await served.client.send_pin(**served.send, timeout=0.05)
    assert caught.value.reason == "read_timeout"
    assert served.sleep.waits == []


@pytest.mark.parametrize("backend", sorted(BACKENDS))
async def test_a_refused_connection_is_not_sent_and_retried(backend: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleep = RecordingSleep()
    async with TwoFactorClient(
        "k", f"http://127.0.0.1:{port}", sleep=sleep, retry=RetryPolicy(jitter=False), **BACKENDS[backend]()
    ) as client:
        with pytest.raises(RequestNotSentError) as caught:
            await client.send_pin(application_id="A", message_id="M", to=PHONE)
    assert caught.value.reason == "connect_error"
    assert caught.value.maybe_sent is False
    assert sleep.waits == [0.5, 1.0, 2.0]
    # what was tried, in the library's words on both backends (not aiohttp's "ssl:default")
    assert f"could not connect to 127.0.0.1 port {port} over http: connection refused" in str(caught.value)
    assert "ssl:" not in str(caught.value)


@pytest.mark.parametrize("backend", sorted(BACKENDS))
async def test_https_to_a_plain_http_server_hints_at_http(backend: str) -> None:
    """The sandbox served over plain HTTP, called with https://: a TLS error that says what the server speaks."""
    async with Sandbox().serve() as server:
        url = server.base_url.replace("http://", "https://")
        async with TwoFactorClient(server.api_key, url, sleep=RecordingSleep(), **BACKENDS[backend]()) as client:
            with pytest.raises(RequestNotSentError) as caught:
                await client.send_pin(application_id="A", message_id="M", to=PHONE)
    assert caught.value.reason == "tls_error"
    message = str(caught.value)
    assert f"the TLS handshake with 127.0.0.1 port {url.rsplit(':', 1)[1]} failed" in message
    assert "the server seems to speak plain HTTP, not HTTPS: for a local server such as the sandbox, use http://" in (
        message
    )


class Wire:
    """A server on a real socket that records each request's head and answers 200 with ``body``."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.heads: list[list[str]] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        length = next((int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length")), 0)
        await reader.readexactly(length)
        self.heads.append([line for line in lines if line])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(self.body), self.body))  # fmt: skip
        await writer.drain()
        writer.close()

    def headers(self, index: int = 0) -> dict[str, str]:
        return {name.lower(): value for name, value in (line.split(": ", 1) for line in self.heads[index][1:])}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
async def test_headers_on_the_wire(backend: str) -> None:
    wire = Wire(b'{"pinId": "P"}')
    server = await asyncio.start_server(wire.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, TwoFactorClient("wire-key", f"http://127.0.0.1:{port}", **BACKENDS[backend]()) as client:
        await client.send_pin(application_id="A", message_id="M", to=PHONE, nc_needed=False)
    assert wire.heads[0][0] == "POST /2fa/2/pin?ncNeeded=false HTTP/1.1"
    headers = wire.headers()
    assert headers["authorization"] == "App wire-key"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"].startswith("infobip-2fa-async/")


async def test_both_backends_send_the_same_query_and_headers() -> None:
    """The query is encoded once, above the backends: each puts the very same request line on the wire."""
    wire = Wire(b'{"verifications": []}')
    server = await asyncio.start_server(wire.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        for backend in sorted(BACKENDS):
            async with TwoFactorClient("wire-key", f"http://127.0.0.1:{port}", **BACKENDS[backend]()) as client:
                await client.verification_status("APP1", msisdn="+41 79 302 67 27", verified=True, sent=False)
    expected = "GET /2fa/2/applications/APP1/verifications?msisdn=41793026727&verified=true&sent=false HTTP/1.1"
    assert [head[0] for head in wire.heads] == [expected, expected]
    shared = {"authorization", "accept", "content-type", "user-agent", "accept-encoding"}
    assert {name: wire.headers(0)[name] for name in shared} == {name: wire.headers(1)[name] for name in shared}


async def test_a_default_client_is_mockable_with_respx_and_real_again_after() -> None:
    """respx sees a default client's requests while it mocks, even one built before the mock started."""
    sandbox = Sandbox()
    async with sandbox.serve() as server, TwoFactorClient(server.api_key, server.base_url) as client:
        with respx.mock(base_url=server.base_url) as router:
            router.post("/2fa/2/pin").respond(json=SENT_JSON)
            sent = await client.send_pin(application_id="A", message_id="M", to=PHONE)
        assert sent.pin_id == SENT_JSON["pinId"]
        assert sandbox.outbox == []  # the mock answered, not the server
        # respx is off: the same client reaches the real (sandbox) server through aiohttp
        app = await client.applications.create(name="After respx")
        assert app.name == "After respx"


async def test_respx_in_its_httpx_mode_sees_a_default_clients_requests_too() -> None:
    """``respx.mock(using="httpx")`` patches httpx's client rather than httpcore: the client notices that as well."""
    async with TwoFactorClient("k") as client:
        with respx.mock(using="httpx", base_url="https://api.infobip.com") as router:
            route = router.post("/2fa/2/pin").respond(json=SENT_JSON)
            sent = await client.send_pin(application_id="A", message_id="M", to=PHONE)
    assert route.called
    assert sent.pin_id == SENT_JSON["pinId"]


async def test_without_respx_installed_a_default_client_checks_nothing_per_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether to look for respx is decided once per client: where it cannot be imported, the client sends through
    aiohttp with nothing around it."""
    from infobip_2fa_async._backends import _choose
    from infobip_2fa_async._backends._aiohttp import AiohttpBackend
    from infobip_2fa_async._backends._respx import WhileRespxMocks

    async with TwoFactorClient("k") as watching:
        assert isinstance(watching._transport.backend, WhileRespxMocks)  # respx is installed here
    monkeypatch.setattr(_choose, "respx_installed", lambda: False)
    async with TwoFactorClient("k") as plain:
        assert type(plain._transport.backend) is AiohttpBackend


async def test_a_closed_default_client_refuses_calls() -> None:
    client = TwoFactorClient("k", "http://127.0.0.1:9")
    await client.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        await client.send_pin(application_id="A", message_id="M", to=PHONE)


def test_httpx_timeouts_map_onto_aiohttp_phases() -> None:
    """The largest phase bounds the attempt as a whole (``total``); aiohttp's connect covers the pool wait too."""

    def aiohttp_terms(timeout: object) -> aiohttp.ClientTimeout:
        return client_timeout(plain_timeouts(attempt_timeout(timeout)))

    default = aiohttp_terms(DEFAULT_TIMEOUT)
    assert (default.total, default.connect, default.sock_connect, default.sock_read) == (30.0, 15.0, 5.0, None)
    flat = aiohttp_terms(2.5)
    assert (flat.total, flat.connect, flat.sock_connect, flat.sock_read) == (2.5, 5.0, 2.5, None)
    short_read = aiohttp_terms(httpx.Timeout(10.0, read=1.0))
    assert (short_read.total, short_read.sock_read) == (10.0, 1.0)
    assert aiohttp_terms(None).total is None


@pytest.mark.parametrize(
    ("error", "maybe_sent", "reason"),
    [
        (aiohttp.ConnectionTimeoutError("slow connect"), False, "connect_timeout"),
        (
            aiohttp.ClientConnectorError(
                aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None), OSError(111, "refused")
            ),
            False,
            "connect_error",
        ),
        (aiohttp.SocketTimeoutError("slow read"), True, "read_timeout"),
        (asyncio.TimeoutError(), True, "read_timeout"),
        (aiohttp.ServerDisconnectedError(), True, "connection_dropped"),
        (aiohttp.ClientOSError(104, "reset"), True, "connection_dropped"),
        (aiohttp.ClientPayloadError("cut"), True, "connection_dropped"),
        (
            aiohttp.ClientResponseError(None, (), status=400, message="Bad status line"),
            True,  # type: ignore[arg-type]
            "connection_dropped",
        ),
        (aiohttp.ClientError("other"), True, "transport_error"),
    ],
)
def test_aiohttp_failures_are_classified(error: BaseException, maybe_sent: bool, reason: str) -> None:
    classified = classify_aiohttp_error(error)
    assert (not classified.not_sent, classified.reason) == (maybe_sent, reason)
    assert classified.reason in NOT_SENT_REASONS or maybe_sent


def _progress(*events: str) -> Progress:
    progress = Progress()
    for event in events:
        asyncio.run(progress(event, {}))
    return progress


@pytest.mark.parametrize(
    ("error", "progress", "maybe_sent", "reason"),
    [
        (httpx.ConnectTimeout("slow connect"), _progress(), False, "connect_timeout"),
        (httpx.PoolTimeout("no free connection"), _progress(), False, "pool_timeout"),
        (httpx.ProxyError("407 Proxy Authentication Required"), _progress(), False, "proxy_error"),
        (httpx.ConnectError("refused"), _progress(), False, "connect_error"),
        (httpx.UnsupportedProtocol("ftp://"), _progress(), False, "protocol_error"),
        (httpx.LocalProtocolError("bad header"), _progress("http11.send_request_headers.started"), False,
         "protocol_error"),
        (httpx.LocalProtocolError("too much body"), _progress("http11.send_request_headers.started",
                                                              "http11.send_request_headers.complete"), True,
         "protocol_error"),
        (httpx.ReadTimeout("slow read"), _progress(), True, "read_timeout"),
        (httpx.WriteTimeout("slow write"), _progress(), True, "write_timeout"),
        (httpx.RemoteProtocolError("garbage"), _progress(), True, "connection_dropped"),
        (httpx.ReadError("reset"), _progress(), True, "connection_dropped"),
        (httpx.DecodingError("?"), _progress(), True, "transport_error"),
    ],
)  # fmt: skip
def test_httpx_failures_are_classified(error: Exception, progress: Progress, maybe_sent: bool, reason: str) -> None:
    """A request httpx refused to write never left, unless its head was out already: then it may have been read."""
    classified = classify_httpx_error(error, progress)
    assert (not classified.not_sent, classified.reason) == (maybe_sent, reason)
    assert classified.reason in NOT_SENT_REASONS or maybe_sent


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_a_client_used_from_a_second_event_loop_says_so(backend: str) -> None:
    """Either backend's pool belongs to one loop: a clear ConfigurationError instead of aiohttp's RuntimeError or a
    hang in httpx's pool, and nothing sent."""
    sandbox = Sandbox()

    async def serve_and_send(client: TwoFactorClient) -> None:
        async with sandbox.serve(port=port) as server:
            assert server.port == port
            await client.applications.list()

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = TwoFactorClient("sandbox-key", f"http://127.0.0.1:{port}", **BACKENDS[backend]())
    asyncio.run(serve_and_send(client))
    with pytest.raises(ConfigurationError, match="one client per event loop") as refused:
        asyncio.run(serve_and_send(client))
    assert refused.value.maybe_sent is False
    # The abandoned client's pool died with the first loop, unclosed; Python says so when it is collected.
    del client, refused  # (the error's traceback holds the client too)
    with pytest.warns(ResourceWarning):
        gc.collect()
