"""A small HTTP/1.1 server for the sandbox, on asyncio streams and h11.

A general ASGI server cannot close a connection without answering, which the sandbox's drop faults need
to do (before or after processing); owning the socket makes that a plain ``writer.close()``.

It survives misuse the way a production front end would: a request head over ``max_header_bytes`` gets 431, a body
over ``max_body_bytes`` gets 413 without being read, a request that does not arrive whole within
``request_timeout`` (a trickle, slowloris) gets 408 and the connection is closed, and a kept-alive connection
idle for ``idle_timeout`` is closed. Each connection is its own task, so well-behaved clients are answered
meanwhile. Every status line carries its reason phrase.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from http import HTTPStatus
from urllib.parse import urlsplit

import attrs
import h11

from .._backends import time_limit
from ._app import SandboxApp, response_headers
from ._faults import ConnectionDropped

__all__ = ["Listener", "ServerLimits"]

logger = logging.getLogger("infobip_2fa_async.sandbox")

_READ_SIZE = 65536


@attrs.frozen
class ServerLimits:
    """What one request may cost the server: its size, and how long it may take to arrive.

    Attributes:
        max_body_bytes: The largest request body; a larger one gets 413, unread.
        max_header_bytes: The largest request head; a larger one gets 431.
        request_timeout: Seconds a request may take to arrive whole; a trickle past it gets 408 and a close.
        idle_timeout: Seconds a kept-alive connection may sit idle before it is closed.
    """

    max_body_bytes: int = 1024 * 1024
    max_header_bytes: int = 16 * 1024
    request_timeout: float = 10.0
    idle_timeout: float = 75.0  # longer than clients keep idle connections (30 s here), as nginx's default


class _HungUp(Exception):
    """The client closed the connection in the middle of a request body: nobody is left to answer."""


class _Refused(Exception):
    """A request the server answers with an error and a close: (status, messageId, text)."""

    def __init__(self, status: int, message_id: str, text: str) -> None:
        super().__init__(text)
        self.status, self.message_id, self.text = status, message_id, text


def reason(status: int) -> bytes:
    """The reason phrase of a status line (``Too Many Requests``)."""
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b"Unknown"


async def _refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, refused: _Refused) -> None:
    """Answer with an error in the legacy envelope and close: written raw, whatever state h11 is in.

    Then a lingering close, as nginx does: stop writing, and read and drop what the client is still sending for a
    moment, so that the kernel does not reset the connection before the client has read the answer.
    """
    body = json.dumps({"requestError": {"serviceException": {"messageId": refused.message_id,
                                                             "text": refused.text}}}).encode()  # fmt: skip
    head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
        refused.status,
        reason(refused.status),
        len(body),
    )
    with contextlib.suppress(OSError, asyncio.TimeoutError):  # OSError: the client hung up (ENOTCONN, EPIPE, ...)
        writer.write(head + body)
        await writer.drain()
        writer.write_eof()
        async with time_limit(1.0):
            for _ in range(256):  # at most 16 MB dropped
                if not await reader.read(_READ_SIZE):
                    break


async def _read_request(
    connection: h11.Connection, reader: asyncio.StreamReader, limits: ServerLimits
) -> tuple[h11.Request, bytes] | None:
    """The next request and its body, or None when the client closed or went quiet."""
    if connection.their_state is h11.IDLE and not connection.trailing_data[0]:
        try:
            async with time_limit(limits.idle_timeout):
                data = await reader.read(_READ_SIZE)
        except asyncio.TimeoutError:
            return None  # a kept-alive connection nobody uses any more
        if not data:
            return None
        connection.receive_data(data)
    try:
        async with time_limit(limits.request_timeout):
            return await _rest_of_request(connection, reader, limits)
    except asyncio.TimeoutError:
        raise _Refused(408, "REQUEST_TIMEOUT", "The request did not arrive in time") from None


async def _rest_of_request(
    connection: h11.Connection, reader: asyncio.StreamReader, limits: ServerLimits
) -> tuple[h11.Request, bytes] | None:
    request = None
    body = bytearray()  # grows in place: intake stays linear in the body's size
    # h11 caps only a head still incomplete after a read: one that arrives whole in one read (up to _READ_SIZE) is
    # counted here, as the bytes fed in minus those left unparsed once the head is read.
    fed = len(connection.trailing_data[0])
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(_READ_SIZE)
            fed += len(data)
            connection.receive_data(data)
            if not data and connection.their_state is not h11.SEND_BODY:
                return None  # the client closed the connection
            if not data:
                raise _HungUp
        elif isinstance(event, h11.Request):
            request = event
            if fed - len(connection.trailing_data[0]) > limits.max_header_bytes:
                raise _Refused(431, "BAD_REQUEST", "The request head is too large")
            length = dict(event.headers).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > limits.max_body_bytes:
                raise _Refused(413, "PAYLOAD_TOO_LARGE", f"The body is over {limits.max_body_bytes} bytes")
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > limits.max_body_bytes:
                raise _Refused(413, "PAYLOAD_TOO_LARGE", f"The body is over {limits.max_body_bytes} bytes")
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None
            return request, bytes(body)
        else:  # h11.ConnectionClosed or PAUSED
            return None


def _target(raw: bytes) -> tuple[str, str]:
    """(path, query) of a request target: origin-form (``/2fa/2/pin?x=1``) or absolute-form
    (``http://host:port/2fa/2/pin``), which RFC 9112 (3.2.2) says a server MUST accept."""
    target = raw.decode("latin-1")
    if target[:7].lower() == "http://" or target[:8].lower() == "https://":
        try:
            parts = urlsplit(target)
        except ValueError:  # "http://[::1/": not a URL
            raise _Refused(400, "BAD_REQUEST", "The request target is not a valid URL") from None
        return parts.path or "/", parts.query
    path, _, query = target.partition("?")
    return path, query


async def _serve_connection(
    app: SandboxApp, limits: ServerLimits, exposed: bool, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    connection = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
    try:
        while True:
            try:
                received = await _read_request(connection, reader, limits)
            except h11.RemoteProtocolError as error:
                too_big = error.error_status_hint == 431
                problem = "The request head is too large" if too_big else "The request is not valid HTTP/1.1"
                raise _Refused(error.error_status_hint, "BAD_REQUEST", problem) from None
            if received is None:
                return
            request, body = received
            path, query = _target(request.target)
            scope = {
                "type": "http",
                "method": request.method.decode("ascii"),
                "path": path,
                "raw_path": path.encode("latin-1"),
                "query_string": query.encode("latin-1"),
                "headers": [(name.lower(), value) for name, value in request.headers],
                "sandbox.exposed": exposed,
            }
            try:
                status, headers, content = await app.handle(scope, body)
            except ConnectionDropped:
                return  # close without a word, as a crashed server or proxy would
            raw = response_headers(headers, content)
            writer.write(connection.send(h11.Response(status_code=status, headers=raw, reason=reason(status))))
            writer.write(connection.send(h11.Data(data=content)) if content else b"")
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()
            if connection.our_state is h11.MUST_CLOSE:
                return
            connection.start_next_cycle()
    except _Refused as refused:
        await _refuse(reader, writer, refused)
    except (_HungUp, h11.RemoteProtocolError, h11.LocalProtocolError, OSError):  # OSError: ECONNRESET, ENOTCONN...
        return
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


class Listener:
    """A listening sandbox server and its open connections, all closed by ``close()``."""

    def __init__(self, app: SandboxApp, limits: ServerLimits, exposed: bool) -> None:
        self.app, self.limits, self.exposed = app, limits, exposed
        self.server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await _serve_connection(self.app, self.limits, self.exposed, reader, writer)
        except asyncio.CancelledError:
            # The loop is shutting down with this connection open. Ending quietly is all that is left to do:
            # asyncio's stream callback would otherwise log the cancelled task's CancelledError as a traceback.
            writer.close()
        except Exception as error:  # a bug in the server itself: one line, not asyncio's traceback
            logger.error("sandbox server: a connection failed (%s)", type(error).__name__)
            writer.close()
        finally:
            self._writers.discard(writer)

    async def start(self, host: str, port: int) -> asyncio.Server:
        self.server = await asyncio.start_server(self._connection, host, port)
        return self.server

    async def close(self) -> None:
        """Stop listening and close every connection (Python 3.12 waits for them in ``wait_closed``)."""
        assert self.server is not None
        self.server.close()
        for writer in list(self._writers):
            writer.close()
        await self.server.wait_closed()
