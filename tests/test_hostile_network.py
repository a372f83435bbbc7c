"""The network users really have: proxies from the environment or given, TLS with private CAs and client
certificates, and redirects that are never followed; both backends alike, over real 127.0.0.1 sockets."""

from __future__ import annotations

import contextlib
import gc
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from infobip_2fa_async import (
    ApiError,
    ConfigurationError,
    RequestNotSentError,
    RetryPolicy,
    TransportError,
    TwoFactorClient,
)
from infobip_2fa_async._connection import environment_proxy

from .conftest import SENT_JSON, RecordingSleep
from .hostile import BACKENDS, SEND, SENT, Hostile, answer

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                   "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR")  # fmt: skip


@contextlib.asynccontextmanager
async def proxied_client(backend: str, base_url: str, **kwargs: Any) -> AsyncIterator[TwoFactorClient]:
    """A client on ``backend``; the httpx one as a user behind a proxy has it: their own httpx client, which reads
    the environment itself (and which the test closes, as its owner)."""
    if backend == "aiohttp":
        async with TwoFactorClient("k", base_url, **kwargs) as client:
            yield client
        return
    async with httpx.AsyncClient() as mine, TwoFactorClient("k", base_url, http_client=mine, **kwargs) as client:
        yield client


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["aiohttp", "httpx"])
def proxy_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_http_proxy_from_the_environment_is_used(proxy_backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with Hostile(answer(200, SENT)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with proxied_client(proxy_backend, "http://infobip.test", allow_insecure_http=True) as client:
            assert (await client.send_pin(**SEND)).pin_id == SENT_JSON["pinId"]
    assert [request.target for request in proxy.requests] == ["http://infobip.test/2fa/2/pin"]


async def test_no_proxy_and_trust_env_false_go_direct(proxy_backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with Hostile(answer(200, SENT)) as proxy, Hostile(answer(200, SENT)) as direct:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with proxied_client(proxy_backend, direct.url) as client:
            await client.send_pin(**SEND)
        monkeypatch.delenv("NO_PROXY")
        if proxy_backend == "aiohttp":  # (a caller's httpx client has its own trust_env)
            async with TwoFactorClient("k", direct.url, trust_env=False) as client:
                await client.send_pin(**SEND)
    assert proxy.requests == []
    assert len(direct.requests) == (2 if proxy_backend == "aiohttp" else 1)


async def test_an_explicit_proxy_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Hostile(answer(200, SENT)) as mine, Hostile(answer(200, SENT)) as environment:
        monkeypatch.setenv("HTTP_PROXY", environment.url)
        async with TwoFactorClient("k", "http://infobip.test", allow_insecure_http=True, proxy=mine.url) as client:
            await client.send_pin(**SEND)
    assert [request.target for request in mine.requests] == ["http://infobip.test/2fa/2/pin"]
    assert environment.requests == []


async def test_a_proxy_password_is_never_repeated(proxy_backend: str) -> None:
    unreachable = "http://agent:s3cret-pw@127.0.0.1:9"
    extra = (
        {"proxy": unreachable} if proxy_backend == "aiohttp" else {"http_client": httpx.AsyncClient(proxy=unreachable)}
    )
    async with TwoFactorClient("k", "http://infobip.test", allow_insecure_http=True, retry=RetryPolicy(max_retries=0),
                               **extra) as client:  # fmt: skip
        with pytest.raises(RequestNotSentError) as caught:
            await client.send_pin(**SEND)
    assert "s3cret-pw" not in str(caught.value)
    with pytest.raises(ConfigurationError) as refused:
        TwoFactorClient("k", proxy="socks5://agent:s3cret-pw@127.0.0.1:1080")
    assert "s3cret-pw" not in str(refused.value)


@pytest.mark.parametrize(
    ("no_proxy", "url"),
    [("", "https://api.infobip.com"), ("infobip.com", "https://api.infobip.com"), ("infobip.com", "https://infobip.com"),
     (".infobip.com", "https://infobip.com"), (".infobip.com", "https://x.api.infobip.com"),
     ("api.infobip.com", "https://xapi.infobip.com"), ("*", "https://api.infobip.com"),
     ("127.0.0.1", "http://127.0.0.1:8080"), ("localhost", "http://localhost:80"), ("::1", "http://[::1]:81"),
     ("api.infobip.com:443", "https://api.infobip.com"), ("http://api.infobip.com", "https://api.infobip.com")],
)  # fmt: skip
def test_proxy_choice_matches_httpx(no_proxy: str, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://secure-proxy:3128")
    monkeypatch.setenv("HTTP_PROXY", "plain-proxy:3128")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    with httpx.Client() as reference:
        httpx_transport = reference._transport_for_url(httpx.URL(url))
    httpx_choice = getattr(getattr(httpx_transport, "_pool", None), "_proxy_url", None)
    httpx_proxy = None if httpx_choice is None else str(httpx.URL(scheme=httpx_choice.scheme.decode(),
                                                                  host=httpx_choice.host.decode(),
                                                                  port=httpx_choice.port))  # fmt: skip
    ours = environment_proxy(url)
    assert (None if ours is None else str(httpx.URL(ours))) == httpx_proxy


# --- TLS ---


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def server_tls(ca: trustme.CA, *, client_certificate: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    if client_certificate:
        context.verify_mode = ssl.CERT_REQUIRED
        ca.configure_trust(context)
    return context


def tls_backends(verify: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The same trust given to each backend the way it takes it."""
    yield "aiohttp", {"verify": verify}
    context = verify if isinstance(verify, ssl.SSLContext) else None
    yield "httpx", {"transport": httpx.AsyncHTTPTransport(verify=context if context is not None else verify)}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
async def test_an_untrusted_certificate_is_a_tls_error_not_retried(ca: trustme.CA, backend: str) -> None:
    """Same rule on both backends: a certificate that fails is not transient, and the request never left."""
    sleep = RecordingSleep()
    async with (
        Hostile(answer(200, SENT), tls=server_tls(ca)) as server,
        TwoFactorClient("k", server.url, sleep=sleep, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(RequestNotSentError) as caught:
            await client.send_pin(**SEND)
        port = server.port
    assert caught.value.reason == "tls_error"
    assert sleep.waits == []
    assert server.requests == []
    message = str(caught.value)
    assert f"the TLS handshake with localhost port {port} failed: " in message
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert "plain HTTP" not in message
    assert "ssl:" not in message


async def test_an_unreachable_proxy_is_named_as_what_was_tried(proxy_backend: str) -> None:
    """aiohttp knows the proxy it connected to; an httpx client's proxy is its own, so the message says one was in
    the way."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proxy = f"http://127.0.0.1:{port}"
    if proxy_backend == "aiohttp":
        made = TwoFactorClient("k", "http://infobip.test", allow_insecure_http=True, proxy=proxy,
                               sleep=RecordingSleep())  # fmt: skip
        want = f"could not connect to the proxy 127.0.0.1 port {port}: connection refused"
    else:
        mine = httpx.AsyncClient(proxy=proxy)
        made = TwoFactorClient("k", "http://infobip.test", allow_insecure_http=True, http_client=mine,
                               sleep=RecordingSleep())  # fmt: skip
        want = "could not connect to infobip.test port 80 over http through a proxy: connection refused"
    async with made as client:
        with pytest.raises(RequestNotSentError) as caught:
            await client.send_pin(**SEND)
    if proxy_backend == "httpx":
        await mine.aclose()
    assert caught.value.reason == "connect_error"
    assert want in str(caught.value)


async def test_a_private_ca_bundle_is_trusted_when_given(ca: trustme.CA, ca_file: str) -> None:
    async with Hostile(answer(200, SENT), tls=server_tls(ca)) as server:
        for _name, extra in tls_backends(ssl.create_default_context(cafile=ca_file)):
            async with TwoFactorClient("k", server.url, **extra) as client:
                assert (await client.send_pin(**SEND)).pin_id == SENT_JSON["pinId"]
        async with TwoFactorClient("k", server.url, verify=ca_file) as client:  # a path works as well
            assert (await client.send_pin(**SEND)).pin_id == SENT_JSON["pinId"]
    assert len(server.requests) == 3


async def test_ssl_cert_file_keeps_working(ca: trustme.CA, ca_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    async with Hostile(answer(200, SENT), tls=server_tls(ca)) as server:
        async with TwoFactorClient("k", server.url) as client:
            await client.send_pin(**SEND)
        async with TwoFactorClient("k", server.url, trust_env=False) as client:
            with pytest.raises(RequestNotSentError):
                await client.send_pin(**SEND)
    assert len(server.requests) == 1


# Without a client certificate the server resets the connection after a TLS 1.3 handshake the client saw succeed.
# Python 3.10's asyncio.sslproto (rewritten in 3.11) then never marks the SSL transport closed, although its socket
# is: its __del__ warns "unclosed transport". Not a leak of this library: plain aiohttp.ClientSession does the same on
# 3.10, and the process's file descriptors do not grow over repeated resets; 3.11 sets the flag in connection_lost.
@pytest.mark.filterwarnings(  # on 3.11 and newer, "error" is pyproject.toml's own filter: nothing changes
    "ignore:unclosed transport <asyncio.sslproto._SSLProtocolTransport:ResourceWarning"
    if sys.version_info < (3, 11)
    else "error"
)
async def test_a_client_certificate_goes_in_the_context(ca: trustme.CA, ca_file: str) -> None:
    context = ssl.create_default_context(cafile=ca_file)
    ca.issue_cert("client@example.com").configure_cert(context)
    async with Hostile(answer(200, SENT), tls=server_tls(ca, client_certificate=True)) as server:
        for _name, extra in tls_backends(context):
            async with TwoFactorClient("k", server.url, **extra) as client:
                assert (await client.send_pin(**SEND)).pin_id == SENT_JSON["pinId"]
        async with TwoFactorClient("k", server.url, verify=ca_file, retry=RetryPolicy(max_retries=0)) as client:
            with pytest.raises(TransportError):  # no certificate: the server hangs up
                await client.send_pin(**SEND)
    assert len(server.requests) == 2
    # The failed attempt's frames (and so, on 3.10, that transport) are freed by the cycle collector: here, while
    # this test's filter holds, not in whichever test runs next.
    del client
    gc.collect()


async def test_verify_false_checks_nothing_and_bad_verify_values_are_refused(ca: trustme.CA) -> None:
    async with (
        Hostile(answer(200, SENT), tls=server_tls(ca)) as server,
        TwoFactorClient("k", server.url, verify=False) as client,
    ):
        await client.send_pin(**SEND)
    with pytest.raises(ConfigurationError, match="CA bundle"):
        TwoFactorClient("k", verify="/no/such/ca.pem")
    with pytest.raises(ConfigurationError, match="verify must be"):
        TwoFactorClient("k", verify=1)  # type: ignore[arg-type]
    async with httpx.AsyncClient() as mine:
        with pytest.raises(ConfigurationError, match="http_client"):
            TwoFactorClient("k", verify=False, http_client=mine)


# --- redirects ---


async def test_no_request_follows_a_redirect_whatever_the_callers_client_says() -> None:
    async with Hostile(answer(200, SENT)) as elsewhere:
        moved = answer(307, b"", {"Location": f"{elsewhere.url}/2fa/2/pin"})
        async with Hostile(moved) as server, httpx.AsyncClient(follow_redirects=True) as following:
            for extra in ({}, {"http_client": following}, {"transport": httpx.AsyncHTTPTransport()}):
                async with TwoFactorClient("k", server.url, **extra) as client:
                    with pytest.raises(ApiError) as caught:
                        await client.send_pin(**SEND)
                assert caught.value.status_code == 307
                assert caught.value.maybe_sent is False
    assert elsewhere.requests == [], "the phone number went to another host"
