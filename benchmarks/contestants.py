"""The clients the benchmark compares, each doing ``requests`` send-PIN POSTs with ``concurrency`` in flight.

Every contestant sends the same request (``POST /2fa/2/pin`` with the same JSON and ``Authorization``) and
parses the JSON answer, so the comparison is of clients, not of work.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

API_KEY = "bench-key"
SEND = {
    "applicationId": "HJ675435E3A6EA43432G5F37A635KJ8B",
    "messageId": "0130269F44AFD07AEBC2FEFEB30398A0",
    "to": "41793026727",
}
SEND_BYTES = json.dumps(SEND).encode()
PIN_ID = "9C817C6F8AF3D48F9FE553282AFA2B67"
VERIFY_PATH = f"/2fa/2/pin/{PIN_ID}/verify"
VERIFY_BYTES = json.dumps({"pin": "1234"}).encode()
HEADERS = {"Authorization": f"App {API_KEY}", "Content-Type": "application/json", "Accept": "application/json"}


async def _closed_loop(requests: int, concurrency: int, one: Callable[[], Awaitable[Any]]) -> None:
    """``concurrency`` workers, each sending its share back to back."""

    async def worker(count: int) -> None:
        for _ in range(count):
            await one()

    share, extra = divmod(requests, concurrency)
    await asyncio.gather(*(worker(share + (i < extra)) for i in range(concurrency)))


async def library(base_url: str, requests: int, concurrency: int, backend: str = "default") -> None:
    """infobip_2fa_async.TwoFactorClient, with its default backend (aiohttp), or on httpx's own transport
    (``"httpcore"``)."""
    from infobip_2fa_async import TwoFactorClient

    kwargs: dict[str, Any] = {}
    if backend == "httpcore":
        import httpx

        from infobip_2fa_async import DEFAULT_LIMITS

        kwargs["transport"] = httpx.AsyncHTTPTransport(limits=DEFAULT_LIMITS)
    async with TwoFactorClient(API_KEY, base_url, **kwargs) as client:

        async def one() -> Any:
            sent = await client.send_pin(
                application_id=SEND["applicationId"], message_id=SEND["messageId"], to=SEND["to"]
            )
            assert sent.pin_id

        await _closed_loop(requests, concurrency, one)


async def raw_httpx(base_url: str, requests: int, concurrency: int, package: str = "httpx") -> None:
    """httpx.AsyncClient (or the API-compatible ``httpx2`` fork) with a pool large enough for the concurrency."""
    import importlib

    httpx = importlib.import_module(package)
    limits = httpx.Limits(max_connections=max(100, concurrency), max_keepalive_connections=max(20, concurrency))
    async with httpx.AsyncClient(base_url=base_url, headers=HEADERS, limits=limits) as client:

        async def one() -> Any:
            response = await client.post("/2fa/2/pin", content=SEND_BYTES)
            response.raise_for_status()
            assert json.loads(response.content)["pinId"]

        await _closed_loop(requests, concurrency, one)


async def httpx_on_aiohttp(base_url: str, requests: int, concurrency: int) -> None:
    """Candidate: httpx.AsyncClient on httpx-aiohttp's transport (openai-python's fast option)."""
    import aiohttp
    import httpx
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(100, concurrency)))

    async with httpx.AsyncClient(
        base_url=base_url, headers=HEADERS, transport=AiohttpTransport(client=session)
    ) as client:

        async def one() -> Any:
            response = await client.post("/2fa/2/pin", content=SEND_BYTES)
            response.raise_for_status()
            assert json.loads(response.content)["pinId"]

        await _closed_loop(requests, concurrency, one)


async def raw_aiohttp(
    base_url: str, requests: int, concurrency: int, path: str = "/2fa/2/pin", body: bytes = SEND_BYTES
) -> None:
    """aiohttp.ClientSession with a connector as large as the concurrency (``path`` and ``body``: a verify instead)."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=max(100, concurrency))
    async with aiohttp.ClientSession(base_url=base_url, headers=HEADERS, connector=connector) as session:

        async def one() -> Any:
            async with session.post(path, data=body) as response:
                response.raise_for_status()
                assert json.loads(await response.read())["pinId"]

        await _closed_loop(requests, concurrency, one)


def official_sdk(base_url: str, requests: int, concurrency: int, threads: int) -> None:
    """Infobip's official SDK (synchronous, urllib3) in a pool of ``threads`` threads."""
    from infobip_api_client import ApiClient, Configuration, TfaApi, TfaStartAuthenticationRequest

    configuration = Configuration(
        host=base_url, api_key={"APIKeyHeader": API_KEY}, api_key_prefix={"APIKeyHeader": "App"}
    )
    configuration.connection_pool_maxsize = max(threads, 1)
    api = TfaApi(ApiClient(configuration))
    body = TfaStartAuthenticationRequest(
        application_id=SEND["applicationId"], message_id=SEND["messageId"], to=SEND["to"]
    )

    def one(_: int) -> None:
        assert api.send_tfa_pin_code_over_sms(tfa_start_authentication_request=body).pin_id

    workers = min(threads, concurrency)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(one, range(requests)):
            pass
