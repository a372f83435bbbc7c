"""A small HTTP/1.1 server for the sandbox, on asyncio streams and h11.

A general ASGI server cannot close a connection without answering, which the sandbox's drop faults need
to do (before or after processing); owning the socket makes that a plain ``writer.close()``.
"""

from __future__ import annotations

import asyncio
import contextlib

import h11

from ._app import SandboxApp, response_headers
from ._faults import ConnectionDropped

__all__ = ["start_server"]

_READ_SIZE = 65536


async def _serve_connection(app: SandboxApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    connection = h11.Connection(h11.SERVER)
    try:
        while True:
            request = None
            body = b""
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(_READ_SIZE)
                    connection.receive_data(data)
                    if not data and connection.their_state is not h11.SEND_BODY:
                        return  # the client closed the connection
                elif isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                    return
            assert request is not None
            target = request.target.decode("latin-1")
            path, _, query = target.partition("?")
            scope = {
                "type": "http",
                "method": request.method.decode("ascii"),
                "path": path,
                "raw_path": path.encode("latin-1"),
                "query_string": query.encode("latin-1"),
                "headers": [(name.lower(), value) for name, value in request.headers],
            }
            try:
                status, headers, content = await app.handle(scope, body)
            except ConnectionDropped:
                return  # close without a word, as a crashed server or proxy would
            raw = response_headers(headers, content)
            writer.write(connection.send(h11.Response(status_code=status, headers=raw)))
            writer.write(connection.send(h11.Data(data=content)) if content else b"")
            writer.write(connection.send(h11.EndOfMessage()))
            await writer.drain()
            if connection.our_state is h11.MUST_CLOSE:
                return
            connection.start_next_cycle()
    except (h11.RemoteProtocolError, ConnectionError):
        return
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def start_server(app: SandboxApp, host: str, port: int) -> asyncio.Server:
    """Listen on host:port and serve the sandbox app on every connection."""
    return await asyncio.start_server(lambda r, w: _serve_connection(app, r, w), host, port)
