"""The sandbox as an ASGI application: routing, API-key check, JSON, fault injection around the service."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, unquote

from ._errors import ApiFailure
from ._faults import ConnectionDropped, ConnectionRefused, Fault, FaultKind, Faults
from ._service import Service
from ._store import Answer

__all__ = ["SandboxApp", "response_headers"]

Handler = Callable[[dict[str, str], dict[str, str], Any], Answer]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


def _routes(service: Service) -> list[tuple[str, re.Pattern[str], Handler]]:
    applications, templates, pins = service.applications, service.templates, service.pins
    table: list[tuple[str, str, Handler]] = [
        ("GET", "/2fa/2/applications", applications.list),
        ("POST", "/2fa/2/applications", applications.create),
        ("GET", "/2fa/2/applications/{appId}", applications.get),
        ("PUT", "/2fa/2/applications/{appId}", applications.update),
        ("GET", "/2fa/2/applications/{appId}/messages", templates.list),
        ("POST", "/2fa/2/applications/{appId}/messages", templates.create),
        ("GET", "/2fa/2/applications/{appId}/messages/{msgId}", templates.get),
        ("PUT", "/2fa/2/applications/{appId}/messages/{msgId}", templates.update),
        ("POST", "/2fa/2/applications/{appId}/email/messages", templates.create_email),
        ("PUT", "/2fa/2/applications/{appId}/email/messages/{msgId}", templates.update_email),
        ("GET", "/2fa/2/applications/{appId}/verifications", pins.verification_status),
        ("POST", "/2fa/2/pin/email", partial(pins.send, "email")),
        ("POST", "/2fa/2/pin/{pinId}/resend/email", partial(pins.resend, "email")),
    ]
    for version in ("1", "2"):  # the SMS/voice PIN operations answer under the first API version's /2fa/1 too
        table += [
            ("POST", f"/2fa/{version}/pin", partial(pins.send, "sms")),
            ("POST", f"/2fa/{version}/pin/voice", partial(pins.send, "voice")),
            ("POST", f"/2fa/{version}/pin/{{pinId}}/resend", partial(pins.resend, "sms")),
            ("POST", f"/2fa/{version}/pin/{{pinId}}/resend/voice", partial(pins.resend, "voice")),
            ("POST", f"/2fa/{version}/pin/{{pinId}}/verify", pins.verify),
        ]
    return [
        (method, re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))), handler)
        for method, path, handler in table
    ]


class SandboxApp:
    """ASGI app serving the sandbox's 2FA API under /2fa/... and its outbox under /sandbox/outbox."""

    def __init__(
        self, service: Service, faults: Faults, api_keys: Iterable[str], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        self.service = service
        self.faults = faults
        self.api_keys = frozenset(api_keys)
        self.sleep = sleep
        self._routes = _routes(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, headers, content = await self.handle(scope, bytes(body))
        await send({"type": "http.response.start", "status": status, "headers": response_headers(headers, content)})
        await send({"type": "http.response.body", "body": content})

    async def handle(self, scope: Scope, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Answer one request: (status, headers, body). Raises ConnectionDropped for drop faults."""
        method: str = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        if path.startswith("/sandbox/"):
            if scope.get("sandbox.exposed") and not self._authorized(scope):
                failure = ApiFailure(401, "UNAUTHORIZED", "Invalid login details")
                return failure.status, {}, json.dumps(failure.body).encode()
            return self._sandbox_route(method, path)
        # As the service does: a trailing slash (Infobip's own SDKs send some) and the documented .json suffix.
        path = path.removesuffix(".json")
        if len(path) > 1:
            path = path.removesuffix("/")
        fault = self.faults.pick(f"{method} {path}")
        if fault is not None:
            if fault.kind is FaultKind.SLOW:
                await self.sleep(fault.seconds)
                fault = None
            elif fault.kind is FaultKind.REFUSE:
                raise ConnectionRefused("sandbox fault: connection refused")
            elif not fault.after_processing:
                return _fault_answer(fault)
        answer = self._process(method, path, scope, body)
        if fault is not None:  # after processing: the work is done, only the answer is spoiled
            return _fault_answer(fault)
        return answer

    def _authorized(self, scope: Scope) -> bool:
        headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
        scheme, _, key = headers.get("authorization", "").partition(" ")
        return scheme == "App" and key in self.api_keys

    def _process(self, method: str, path: str, scope: Scope, body: bytes) -> tuple[int, dict[str, str], bytes]:
        try:
            if not self._authorized(scope):
                raise ApiFailure(401, "UNAUTHORIZED", "Invalid login details")
            handler, params = self._route(method, path)
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            try:
                data = json.loads(body) if body.strip() else None
            except ValueError:
                raise ApiFailure(400, "BAD_REQUEST", "The request body is not valid JSON") from None
            status, payload, extra = handler(params, query, data)
            return status, dict(extra), json.dumps(payload).encode()
        except ApiFailure as failure:
            return failure.status, dict(failure.headers), json.dumps(failure.body).encode()

    def _route(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        allowed = False
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is not None:
                if route_method == method:
                    return handler, {name: unquote(value) for name, value in match.groupdict().items()}
                allowed = True
        if allowed:
            raise ApiFailure(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}")
        raise ApiFailure(404, "NOT_FOUND", f"No such resource: {path}")

    def _sandbox_route(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/sandbox/outbox" and method == "GET":
            messages = [
                {"channel": m.channel, "to": m.to, "text": m.text, "pinId": m.pin_id, "pin": m.pin, "sentAt": m.sent_at}
                for m in self.service.store.outbox
            ]
            return 200, {}, json.dumps(messages).encode()
        if path == "/sandbox/outbox" and method == "DELETE":
            self.service.store.outbox.clear()
            return 204, {}, b""
        failure = ApiFailure(404, "NOT_FOUND", f"No such sandbox resource: {method} {path}")
        return failure.status, {}, json.dumps(failure.body).encode()


def response_headers(headers: dict[str, str], content: bytes) -> list[tuple[bytes, bytes]]:
    """The raw header list of an answer: its content type (JSON unless said otherwise), the rest, its length."""
    raw = [(b"content-type", headers.get("content-type", "application/json").encode())]
    raw += [(name.lower().encode(), value.encode()) for name, value in headers.items() if name != "content-type"]
    raw.append((b"content-length", str(len(content)).encode()))
    return raw


def _fault_answer(fault: Fault) -> tuple[int, dict[str, str], bytes]:
    if fault.kind is FaultKind.DROP:
        raise ConnectionDropped("sandbox fault: connection dropped")
    if fault.kind is FaultKind.RATE_LIMIT:
        failure = ApiFailure(429, "TOO_MANY_REQUESTS", "Too many requests")
        if fault.retry_after is not None:
            failure.headers["Retry-After"] = f"{fault.retry_after:g}"
        return 429, failure.headers, json.dumps(failure.body).encode()
    if fault.kind is FaultKind.SERVER_ERROR:
        failure = ApiFailure(fault.status, "GENERAL_ERROR", "Something went wrong")
        return fault.status, {}, json.dumps(failure.body).encode()
    if fault.kind is FaultKind.HTML:
        return fault.status, {"content-type": "text/html"}, _HTML
    return fault.status, {}, b'{"pinId": "9C8'  # MALFORMED: a truncated JSON body
