"""Shared test helpers: the reference folder beside the checkout, a recording sleep, client factories."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import respx

from infobip_2fa_async import RetryPolicy, TwoFactorClient

API_KEY = "test-key-3f9a1c"
BASE_URL = "https://api.infobip.com"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def shared_file(*parts: str) -> Path:
    """A file of ../shared/; skipped on a user's clone without it, an error in CI (CI=true) where it must exist."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{path} is missing: CI must have the shared/ folder beside the checkout")
        pytest.skip(
            f"{path} not found: this test reads the project's shared reference folder, kept beside the checkout"
        )
    return path


def seed_examples() -> list[dict[str, Any]]:
    """Every request/response example of the seed page, in page order.

    Each: method, target (path and query), headers, body (dict or None), response (dict).
    """
    text = shared_file("seed", "000_fad9ede2930ec3b1.txt").read_text()
    decoder = json.JSONDecoder()
    examples = []
    for chunk in text.split("Request example\n")[1:]:
        lines = chunk.splitlines()
        method, target, _ = lines[0].split(" ")
        headers: dict[str, str] = {}
        body = None
        for number, line in enumerate(lines[1:], start=1):
            if line.startswith("{"):
                body, _ = decoder.raw_decode("\n".join(lines[number:]))
                break
            if line.startswith("<?php"):
                break
            name, _, value = line.partition(": ")
            headers[name] = value
        response_at = chunk.index("Response:")
        response, _ = decoder.raw_decode(chunk, chunk.index("{", response_at))
        examples.append({"method": method, "target": target, "headers": headers, "body": body, "response": response})
    return examples


def openapi_spec() -> dict[str, Any]:
    """Infobip's OpenAPI description of the 2FA API, from ../shared/reference/."""
    return json.loads(shared_file("reference", "infobip-2fa-openapi.json").read_text())  # type: ignore[no-any-return]


class RecordingSleep:
    """An asyncio.sleep stand-in that records each wait and returns at once: no test sleeps for real."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def mock_api() -> respx.MockRouter:
    """respx routes for https://api.infobip.com; every request not routed fails the test."""
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def client(sleep: RecordingSleep) -> AsyncIterator[TwoFactorClient]:
    """A client on the real default httpx transport (respx intercepts it), jitter off for exact waits."""
    async with TwoFactorClient(API_KEY, BASE_URL, retry=RetryPolicy(jitter=False), sleep=sleep) as made:
        yield made


def make_client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> TwoFactorClient:
    """A client whose requests go to ``handler`` (an httpx.MockTransport), never to a network."""
    kwargs.setdefault("retry", RetryPolicy(jitter=False))
    return TwoFactorClient(API_KEY, BASE_URL, transport=httpx.MockTransport(handler), **kwargs)


PIN_ID = "9C817C6F8AF3D48F9FE553282AFA2B67"
SENT_JSON = {"pinId": PIN_ID, "to": "41793026727", "ncStatus": "NC_DESTINATION_REACHABLE", "smsStatus": "MESSAGE_SENT"}
VERIFIED_JSON = {"pinId": PIN_ID, "msisdn": "41793026727", "verified": True, "attemptsRemaining": 0}


def legacy_error(message_id: str, text: str, validation_errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Infobip's legacy error envelope, as 2FA answers it."""
    exception: dict[str, Any] = {"messageId": message_id, "text": text}
    if validation_errors is not None:
        exception["validationErrors"] = validation_errors
    return {"requestError": {"serviceException": exception}}


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: ``$INFOBIP_TEST_REDIS_URL`` (``.ci/run`` starts one), else a redis-server this session starts
    on a free loopback port; skipped with the reason when there is neither (an error under CI=true)."""
    url = os.environ.get("INFOBIP_TEST_REDIS_URL")
    if url:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("no Redis in CI: .ci/run installs redis-server and sets INFOBIP_TEST_REDIS_URL")
        pytest.skip("no Redis: set INFOBIP_TEST_REDIS_URL, or install redis-server and the tests start one")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.02)  # waiting for a server process to listen, not for the code under test
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.kill()
        server.wait()


def _deployment(variable: str, what: str) -> str:
    """``$variable``: skipped with the reason when it is not set, an error under CI=true (``.ci/run`` sets it)."""
    value = os.environ.get(variable)
    if value:
        return value
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"no {what} in CI: .ci/run starts one and sets {variable}")
    pytest.skip(f"no {what}: set {variable} (.ci/run starts one and sets it)")


@pytest.fixture(scope="session")
def redis_cluster_url() -> str:
    """A real Redis Cluster of three masters, ``$INFOBIP_TEST_REDIS_CLUSTER_URL`` (``redis+cluster://host:port``)."""
    return _deployment("INFOBIP_TEST_REDIS_CLUSTER_URL", "Redis Cluster")


@pytest.fixture(scope="session")
def redis_tls_ca() -> str:
    """The CA bundle the TLS Redis's certificate chains to, ``$INFOBIP_TEST_REDIS_TLS_CA``."""
    return _deployment("INFOBIP_TEST_REDIS_TLS_CA", "CA of the TLS Redis")


@pytest.fixture(scope="session")
def redis_tls_url(redis_tls_ca: str) -> str:
    """A real TLS-only Redis, ``$INFOBIP_TEST_REDIS_TLS_URL`` (``rediss://host:port/0``), with its CA in the URL
    (``?ssl_ca_certs=``) so that any process connects with the URL alone."""
    from urllib.parse import quote

    return _deployment("INFOBIP_TEST_REDIS_TLS_URL", "TLS Redis") + f"?ssl_ca_certs={quote(redis_tls_ca)}"


@pytest.fixture(params=["one", "cluster", "tls"])
def fleet_url(request: pytest.FixtureRequest) -> str:
    """Each deployment the scale-out promises hold on: one Redis, a Redis Cluster, a Redis over TLS."""
    return str(request.getfixturevalue({"one": "redis_url", "cluster": "redis_cluster_url",
                                        "tls": "redis_tls_url"}[request.param]))  # fmt: skip


def through_aiohttps_session(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace ``ClientSession._request`` with a wrapper, as a mock of aiohttp does: the default backend then sends
    through the session. Returns the requests the wrapper saw."""
    seen: list[str] = []
    original = aiohttp.ClientSession._request

    async def watching(self: aiohttp.ClientSession, method: str, url: Any, **kwargs: Any) -> Any:
        seen.append(method)
        return await original(self, method, url, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "_request", watching)
    return seen
