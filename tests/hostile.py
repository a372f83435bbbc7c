"""Servers that misbehave, on a real 127.0.0.1 socket: each connection reads one request and then runs a
behaviour (answer, trickle, hang, lie about a length, redirect, close). Used by the hostile-network tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import httpx

from .conftest import SENT_JSON

SEND = {"application_id": "A", "message_id": "M", "to": "41793026727"}
"""send_pin's arguments in these tests."""
SENT = json.dumps(SENT_JSON).encode()
"""The body of a 200 answer to a send."""

BACKENDS: dict[str, Callable[[], dict[str, Any]]] = {
    "aiohttp": dict,
    "httpx": lambda: {"transport": httpx.AsyncHTTPTransport()},
}


@attrs.frozen
class Request:
    """What the server read: the request line's parts, the headers (lower-cased names) and the body."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, Request], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """One HTTP/1.1 request, or None when the client closed first."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method, target, headers, body)


def response_head(status: int, headers: dict[str, str] | None = None, *, reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(status: int, body: bytes, headers: dict[str, str] | None = None) -> Behaviour:
    """A well-formed answer, then the connection stays open for the next request."""

    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
        writer.write(response_head(status, {"Content-Type": "application/json", "Content-Length": str(len(body)),
                                            **(headers or {})}) + body)  # fmt: skip
        await writer.drain()

    return behaviour


async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request) -> None:
    """Read the request and never answer."""
    await asyncio.Event().wait()


class Hostile:
    """A server whose connections each read a request and run the next behaviour of ``behaviours`` (the last one
    repeats). ``requests`` is every request it read; ``connections`` how many were opened."""

    def __init__(self, *behaviours: Behaviour, tls: ssl.SSLContext | None = None) -> None:
        self.behaviours = list(behaviours)
        self.tls = tls
        self.requests: list[Request] = []
        self.connections = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{'localhost' if self.tls else '127.0.0.1'}:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while (request := await read_request(reader)) is not None:
                self.requests.append(request)
                behaviour = self.behaviours[min(len(self.requests), len(self.behaviours)) - 1]
                await behaviour(reader, writer, request)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:  # the test is over: end quietly (asyncio logs a handler that ends cancelled)
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def __aenter__(self) -> Hostile:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 5)
