"""A fast server with canned 2FA answers, for the benchmarks: a bare ASGI app, served by granian.

Run alone: ``granian --interface asginl --workers 1 --port 8099 benchmarks.server:app``.
"""

from __future__ import annotations

import json
from typing import Any

SENT = json.dumps(
    {
        "pinId": "9C817C6F8AF3D48F9FE553282AFA2B67",
        "to": "41793026727",
        "ncStatus": "NC_DESTINATION_REACHABLE",
        "smsStatus": "MESSAGE_SENT",
    }
).encode()
VERIFIED = json.dumps(
    {"pinId": "9C817C6F8AF3D48F9FE553282AFA2B67", "msisdn": "41793026727", "verified": True, "attemptsRemaining": 0}
).encode()
NOT_FOUND = json.dumps({"requestError": {"serviceException": {"messageId": "NOT_FOUND", "text": "Not found"}}}).encode()
HEADERS_OK = [(b"content-type", b"application/json")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer a send or verify with the API's example JSON, whatever the body (it is read, not parsed)."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    path: str = scope["path"]
    if path.endswith("/verify"):
        status, body = 200, VERIFIED
    elif path.startswith("/2fa/") and "/pin" in path:
        status, body = 200, SENT
    else:
        status, body = 404, NOT_FOUND
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*HEADERS_OK, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
