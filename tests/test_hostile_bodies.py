"""An answer cannot exhaust the process, and every body, however hostile, gives a typed error: on both backends,
against real 127.0.0.1 servers that send too much, compress too well, nest too deep or lie about lengths."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib
from typing import Any

import httpx
import pytest

from infobip_2fa_async import (
    InfobipError,
    RateLimitError,
    RequestMaybeSentError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ServerError,
    TwoFactorClient,
)

from .conftest import SENT_JSON, make_client
from .hostile import BACKENDS, SEND, SENT, Hostile, Request, answer, response_head

CAP = 64 * 1024


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def endless(status: int = 200, *, announce: int | None = None) -> Any:
    """A body that never ends (chunked), or one that announces ``announce`` bytes; counts what it wrote."""

    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        framing = {"Content-Length": str(announce)} if announce is not None else {"Transfer-Encoding": "chunked"}
        writer.write(response_head(status, {"Content-Type": "application/json", **framing}))
        chunk = b"[" * 16384
        for _ in range(100_000):  # 1.6 GB, far more than anyone should read
            writer.write(chunk if announce is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            behaviour.written += len(chunk)  # type: ignore[attr-defined]

    behaviour.written = 0  # type: ignore[attr-defined]
    return behaviour


def gzip_bomb(megabytes: int) -> bytes:
    """``megabytes`` MB of zeros, gzip-compressed to a few tens of kilobytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


async def test_a_body_announced_past_the_cap_is_refused_unread(backend: str) -> None:
    behaviour = endless(announce=200 * 1024 * 1024)
    async with (
        Hostile(behaviour) as server,
        TwoFactorClient("k", server.url, max_response_bytes=CAP, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.send_pin(**SEND)
    assert caught.value.limit == CAP
    assert f"max_response_bytes ({CAP:,} bytes)" in str(caught.value)
    assert caught.value.maybe_sent is True


async def test_an_endless_body_stops_at_the_cap_without_reading_the_rest(backend: str) -> None:
    behaviour = endless()
    tracemalloc.start()
    try:
        async with (
            Hostile(behaviour) as server,
            TwoFactorClient("k", server.url, max_response_bytes=CAP, **BACKENDS[backend]()) as client,
        ):
            with pytest.raises(ResponseTooLargeError):
                await client.send_pin(**SEND)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert behaviour.written < 50 * 1024 * 1024, "the client went on reading after the cap"
    assert peak < 20 * 1024 * 1024


async def test_a_gzip_bomb_inflates_no_further_than_the_cap(backend: str) -> None:
    bomb = gzip_bomb(64)
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        async with (
            Hostile(answer(200, bomb, {"Content-Encoding": "gzip"})) as server,
            TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client,
        ):
            with pytest.raises(ResponseTooLargeError) as caught:
                await client.send_pin(**SEND)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.limit == 4 * 1024 * 1024  # the default cap
    assert peak < 32 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB while reading a bomb"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "deflate-raw"])
async def test_compressed_answers_within_the_cap_are_read(backend: str, encoding: str) -> None:
    if encoding == "gzip":
        packed = gzip.compress(SENT)  # not zlib.compress(..., wbits=): Python 3.10 has no wbits there
    elif encoding == "deflate":
        packed = zlib.compress(SENT)
    else:  # some servers send raw deflate under "deflate"
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        packed, encoding = packer.compress(SENT) + packer.flush(), "deflate"
    async with (
        Hostile(answer(200, packed, {"Content-Encoding": encoding})) as server,
        TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client,
    ):
        assert (await client.send_pin(**SEND)).pin_id == SENT_JSON["pinId"]
        assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize(("encoding", "body"), [("br", b"\x1b\x00"), ("gzip", b"not gzip at all")])
async def test_bodies_that_cannot_be_decoded_are_decode_errors(backend: str, encoding: str, body: bytes) -> None:
    async with (
        Hostile(answer(200, body, {"Content-Encoding": encoding})) as server,
        TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(ResponseDecodeError) as caught:
            await client.send_pin(**SEND)
    assert not isinstance(caught.value, ResponseTooLargeError)


async def test_a_huge_error_body_keeps_the_class_of_its_status(backend: str) -> None:
    """A 503 (or 429) with a flood for a body is still a ServerError (a RateLimitError), so the retry rules hold."""
    async with (
        Hostile(endless(503), endless(429)) as server,
        TwoFactorClient("k", server.url, max_response_bytes=CAP, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(ServerError) as server_error:
            await client.send_pin(**SEND, max_retries=0)
        with pytest.raises(RateLimitError) as rate_limit:
            await client.send_pin(**SEND, max_retries=0)
    assert "max_response_bytes" in str(server_error.value)
    assert len(server_error.value.body) <= 2000
    assert rate_limit.value.status_code == 429


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("status", "expected"), [(200, ResponseDecodeError), (500, ServerError), (429, RateLimitError), (404, Exception)]
)
async def test_absurdly_nested_json_is_a_typed_error(backend: str, status: int, expected: type[Exception]) -> None:
    async with (
        Hostile(answer(status, DEEP)) as server,
        TwoFactorClient("k", server.url, max_response_bytes=1024 * 1024, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(expected) as caught:
            await client.send_pin(**SEND, max_retries=0)
    assert not isinstance(caught.value, RecursionError)
    assert type(caught.value).__module__.startswith("infobip_2fa_async")


async def test_a_body_shorter_than_announced_is_a_dropped_connection(backend: str) -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        writer.write(response_head(200, {"Content-Length": "500"}) + b'{"pinId": "P"')
        await writer.drain()
        writer.close()

    async with Hostile(short) as server, TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client:
        with pytest.raises(RequestMaybeSentError) as caught:
            await client.send_pin(**SEND)
    assert caught.value.reason == "connection_dropped"


async def test_a_body_longer_than_announced_is_read_as_announced(backend: str) -> None:
    async def long(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        writer.write(response_head(200, {"Content-Length": "5"}) + b'{"pinId": "P"}' * 100)
        await writer.drain()

    async with Hostile(long) as server, TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client:
        # the 5 announced bytes are not JSON (httpx), or the extra bytes break the connection (aiohttp): either way
        # a typed error that says the request was answered
        with pytest.raises(InfobipError) as caught:
            await client.send_pin(**SEND)
    assert isinstance(caught.value, (ResponseDecodeError, RequestMaybeSentError))
    assert caught.value.maybe_sent is True


async def test_garbage_instead_of_an_http_answer_is_typed(backend: str) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        writer.close()

    async with Hostile(garbage) as server, TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client:
        with pytest.raises(RequestMaybeSentError) as caught:
            await client.send_pin(**SEND)
    assert caught.value.reason == "connection_dropped", "the same reason on both backends"


async def test_a_bug_of_ours_while_decoding_a_2xx_says_the_request_was_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infobip_2fa_async import _protocol

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("pinId")

    monkeypatch.setattr(_protocol, "decode_response", broken)
    async with make_client(lambda request: httpx.Response(200, json=SENT_JSON)) as client:
        with pytest.raises(ResponseDecodeError) as caught:
            await client.send_pin(**SEND)
    assert caught.value.maybe_sent is True
    assert "carried out" in str(caught.value)
    assert "KeyError" in str(caught.value)
