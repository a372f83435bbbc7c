"""The sandbox as an ASGI application: routing, API-key check, JSON, fault injection around the service."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import _xml as xml
from ._auth import SESSION_PATH, TOKEN_PATH, Credentials
from ._errors import ApiFailure
from ._faults import ConnectionDropped, ConnectionRefused, Fault, FaultKind, Faults
from ._service import Service
from ._store import Answer

__all__ = ["SandboxApp", "response_headers"]

Handler = Callable[[dict[str, str], dict[str, str], Any], Answer]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

logger = logging.getLogger("infobip_2fa_async.sandbox")
_ERROR_ROOT = "ApiException"  # the spec's error schema
_HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


def _routes(service: Service) -> list[tuple[str, re.Pattern[str], Handler, str]]:
    applications, templates, pins = service.applications, service.templates, service.pins
    table: list[tuple[str, str, Handler, str]] = [  # the last column: the answer's XML root, as the spec shows
        ("GET", "/2fa/2/applications", applications.list, "ApplicationResponses"),
        ("POST", "/2fa/2/applications", applications.create, "ApplicationResponse"),
        ("GET", "/2fa/2/applications/{appId}", applications.get, "ApplicationResponse"),
        ("PUT", "/2fa/2/applications/{appId}", applications.update, "ApplicationResponse"),
        ("GET", "/2fa/2/applications/{appId}/messages", templates.list, "Messages"),
        ("POST", "/2fa/2/applications/{appId}/messages", templates.create, "SmsOrVoiceMessage"),
        ("GET", "/2fa/2/applications/{appId}/messages/{msgId}", templates.get, "Message"),
        ("PUT", "/2fa/2/applications/{appId}/messages/{msgId}", templates.update, "SmsOrVoiceMessage"),
        ("POST", "/2fa/2/applications/{appId}/email/messages", templates.create_email, "EmailMessage"),
        ("PUT", "/2fa/2/applications/{appId}/email/messages/{msgId}", templates.update_email, "EmailMessage"),
        ("GET", "/2fa/2/applications/{appId}/verifications", pins.verification_status, "VerificationResponse"),
        ("POST", "/2fa/2/pin/email", partial(pins.send, "email"), "StartEmailAuthenticationResponse"),
        ("POST", "/2fa/2/pin/{pinId}/resend/email", partial(pins.resend, "email"), "StartEmailAuthenticationResponse"),
    ]
    started = "StartAuthenticationResponse"
    for version in ("1", "2"):  # the SMS/voice PIN operations answer under the first API version's /2fa/1 too
        table += [
            ("POST", f"/2fa/{version}/pin", partial(pins.send, "sms"), started),
            ("POST", f"/2fa/{version}/pin/voice", partial(pins.send, "voice"), started),
            ("POST", f"/2fa/{version}/pin/{{pinId}}/resend", partial(pins.resend, "sms"), started),
            ("POST", f"/2fa/{version}/pin/{{pinId}}/resend/voice", partial(pins.resend, "voice"), started),
            ("POST", f"/2fa/{version}/pin/{{pinId}}/verify", pins.verify, "VerifyPinResponse"),
        ]
    return [
        (method, re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))), handler, root)
        for method, path, handler, root in table
    ]


class SandboxApp:
    """ASGI app serving the sandbox's 2FA API under /2fa/... and its outbox under /sandbox/outbox."""

    def __init__(
        self, service: Service, faults: Faults, credentials: Credentials, sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        self.service = service
        self.faults = faults
        self.credentials = credentials
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
        """Answer one request: (status, headers, body). Raises ConnectionDropped for drop faults.

        Whatever goes wrong inside is answered (500 GENERAL_ERROR, one log line without a traceback): a request
        never ends without an answer because of the sandbox.
        """
        try:
            return await self._handle(scope, body)
        except ConnectionDropped:
            raise
        except Exception as error:
            method, path = scope.get("method", "?"), scope.get("path", "?")
            logger.error("sandbox: %s %s failed (%s); answered 500", method, path, type(error).__name__)
            failure = ApiFailure(500, "GENERAL_ERROR", "Something went wrong")
            return self._render(failure.status, failure.body, {}, _ERROR_ROOT, _headers(scope))

    async def _handle(self, scope: Scope, body: bytes) -> tuple[int, dict[str, str], bytes]:
        method: str = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        headers = _headers(scope)
        if path.startswith("/sandbox/"):
            if scope.get("sandbox.exposed") and not self._authorized(headers):
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
        if path in (TOKEN_PATH, SESSION_PATH):  # faults reach these too: a client must cope with a failed token call
            answer = self._issue(method, path, headers, body)
        else:
            answer = self._process(method, path, scope, headers, body)
        if fault is not None:  # after processing: the work is done, only the answer is spoiled
            return _fault_answer(fault)
        return answer

    def _authorized(self, headers: dict[str, str]) -> bool:
        return self.credentials.authorized(headers.get("authorization", ""))

    def _issue(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """The two calls that issue tokens, which need no ``Authorization`` of their own."""
        try:
            if method != "POST":
                allow = {"Allow": "POST"}
                raise ApiFailure(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}", headers=allow)
            if path == TOKEN_PATH:
                status, payload = self.credentials.issue_token(headers.get("content-type", ""), body)
            else:
                status, payload = self.credentials.create_session(_read_body(headers.get("content-type", ""), body))
            return status, {}, json.dumps(payload).encode()
        except ApiFailure as failure:
            return self._render(failure.status, failure.body, dict(failure.headers), _ERROR_ROOT, headers)

    def _process(
        self, method: str, path: str, scope: Scope, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            if not self._authorized(headers):
                raise ApiFailure(401, "UNAUTHORIZED", "Invalid login details")
            handler, params, root = self._route(method, path)
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            data = _read_body(headers.get("content-type", ""), body)
            status, payload, extra = handler(params, query, data)
            return self._render(status, payload, dict(extra), root, headers)
        except ApiFailure as failure:
            return self._render(failure.status, failure.body, dict(failure.headers), _ERROR_ROOT, headers)

    @staticmethod
    def _render(
        status: int, payload: Any, extra: dict[str, str], root: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """The answer in JSON, or in XML when the client asks for it (``Accept: application/xml``)."""
        if xml.accepts_xml(headers.get("accept", "")):
            return status, {**extra, "content-type": "application/xml"}, xml.dump(root, payload)
        return status, extra, json.dumps(payload).encode()

    def _route(self, method: str, path: str) -> tuple[Handler, dict[str, str], str]:
        allowed: list[str] = []
        for route_method, pattern, handler, root in self._routes:
            match = pattern.fullmatch(path)
            if match is not None:
                if route_method == method:
                    return handler, {name: unquote(value) for name, value in match.groupdict().items()}, root
                allowed.append(route_method)
        if allowed:  # RFC 9110, 15.5.6: a 405 MUST list the methods the resource supports
            raise ApiFailure(
                405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}", headers={"Allow": ", ".join(allowed)}
            )
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
        if path == "/sandbox/outbox":
            failure = ApiFailure(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}")
            return failure.status, {"Allow": "GET, DELETE"}, json.dumps(failure.body).encode()
        failure = ApiFailure(404, "NOT_FOUND", f"No such sandbox resource: {method} {path}")
        return failure.status, {}, json.dumps(failure.body).encode()


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", ())}


def _read_body(content_type: str, body: bytes) -> Any:
    """The request body as plain data (None when empty): XML when the Content-Type says so, else JSON."""
    if not body.strip():
        return None
    if xml.is_xml(content_type):
        return xml.parse(body)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes ([[[[...]]]])
        raise ApiFailure(400, "BAD_REQUEST", "The request body is not valid JSON") from None
    if data is None:  # a body that says null is not an absent one: every body of the spec is an object
        raise ApiFailure(400, "BAD_REQUEST", "The request body must be a JSON object")
    try:  # "\ud800" is valid JSON but no text: stored, it could never be answered in UTF-8
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        raise ApiFailure(400, "BAD_REQUEST", "The request body holds a lone surrogate, which is not text") from None
    return data


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
