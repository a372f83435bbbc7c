"""Building, configuring and closing the client."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx

from infobip_2fa_async import (
    DEFAULT_LIMITS,
    DEFAULT_TIMEOUT,
    ConfigurationError,
    TwoFactorClient,
)

from .conftest import API_KEY, SENT_JSON, make_client


def test_missing_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFOBIP_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="INFOBIP_API_KEY"):
        TwoFactorClient()
    with pytest.raises(ConfigurationError, match="INFOBIP_API_KEY"):
        TwoFactorClient("  ")


async def test_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOBIP_API_KEY", "env-key")
    monkeypatch.setenv("INFOBIP_BASE_URL", "xyz12.api.infobip.com")
    with respx.mock() as router:
        route = router.post("https://xyz12.api.infobip.com/2fa/2/pin").respond(json=SENT_JSON)
        async with TwoFactorClient() as client:
            assert client.base_url == "https://xyz12.api.infobip.com"
            await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert route.calls.last.request.headers["Authorization"] == "App env-key"


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOBIP_BASE_URL", "https://env.example.com")
    assert TwoFactorClient("k", "https://arg.example.com/").base_url == "https://arg.example.com"


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFOBIP_BASE_URL", raising=False)
    assert TwoFactorClient("k").base_url == "https://api.infobip.com"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:9000", "http://[::1]:8080", "http://127.3.4.5"]
)
def test_plain_http_is_allowed_on_loopback(url: str) -> None:
    assert TwoFactorClient("k", url).base_url == url


@pytest.mark.parametrize("url", ["http://api.infobip.com", "http://10.0.0.5:8080", "http://localhost.evil.com"])
def test_plain_http_elsewhere_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http=True"):
        TwoFactorClient("k", url)
    assert TwoFactorClient("k", url, allow_insecure_http=True).base_url == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.infobip.com",
        "https://",
        "https://user:pw@api.infobip.com",
        "https://a.com?x=1",
        "https://a.com:99999",
    ],
)
def test_nonsense_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        TwoFactorClient("k", url)


def test_unknown_api_version_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="api_version"):
        TwoFactorClient("k", api_version=3)


def test_http_client_and_transport_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        TwoFactorClient(
            "k", http_client=httpx.AsyncClient(), transport=httpx.MockTransport(lambda r: httpx.Response(200))
        )


async def test_the_client_closes_the_http_client_it_made() -> None:
    client = make_client(lambda request: httpx.Response(200, json=SENT_JSON))
    async with client:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
    with pytest.raises(ConfigurationError, match="closed"):
        await client.send_pin(application_id="A", message_id="M", to="41793026727")


async def test_a_callers_http_client_is_used_and_never_closed() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=SENT_JSON)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), headers={"X-Team": "auth"}) as mine:
        async with TwoFactorClient(API_KEY, http_client=mine) as client:
            await client.send_pin(application_id="A", message_id="M", to="41793026727")
        assert not mine.is_closed
        assert seen[0].headers["Authorization"] == f"App {API_KEY}"
        assert seen[0].headers["X-Team"] == "auth"
        assert seen[0].url == "https://api.infobip.com/2fa/2/pin"


async def test_timeouts_default_and_per_call_override() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=SENT_JSON)

    async with make_client(handler) as client:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
        await client.send_pin(application_id="A", message_id="M", to="41793026727", timeout=2.5)
    async with make_client(handler, timeout=httpx.Timeout(3.0)) as client:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert seen[0] == DEFAULT_TIMEOUT.as_dict() == {"connect": 5.0, "read": 30.0, "write": 10.0, "pool": 10.0}
    assert seen[1] == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert seen[2] == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}


async def test_a_callers_http_client_keeps_its_own_timeouts_unless_one_is_given() -> None:
    seen: list[dict[str, float | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=SENT_JSON)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), timeout=7.0) as mine:
        await TwoFactorClient(API_KEY, http_client=mine).send_pin(application_id="A", message_id="M", to="41793026727")
        await TwoFactorClient(API_KEY, http_client=mine, timeout=1.0).send_pin(
            application_id="A", message_id="M", to="41793026727"
        )
    assert seen[0]["read"] == 7.0
    assert seen[1]["read"] == 1.0


async def test_a_hundred_concurrent_calls_each_get_a_connection_at_once() -> None:
    """A real 127.0.0.1 server answers only once 100 requests are in flight together: a smaller pool would
    leave some waiting for a connection and the gather would end in pool timeouts."""
    wanted = 100
    arrived = 0
    all_in = asyncio.Event()
    body = json.dumps(SENT_JSON).encode()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal arrived
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:  # the client closed its keep-alive connection
                    break
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                await reader.readexactly(length)
                arrived += 1
                if arrived == wanted:
                    all_in.set()
                await all_in.wait()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body)
                )
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with TwoFactorClient("k", f"http://127.0.0.1:{port}", timeout=httpx.Timeout(5.0)) as client:
            results = await asyncio.wait_for(
                asyncio.gather(
                    *(client.send_pin(application_id="A", message_id="M", to="41793026727") for _ in range(wanted))
                ),
                timeout=20,
            )
    finally:
        server.close()
        await server.wait_closed()
    assert len(results) == wanted
    assert DEFAULT_LIMITS.max_connections is not None
    assert DEFAULT_LIMITS.max_connections >= wanted
