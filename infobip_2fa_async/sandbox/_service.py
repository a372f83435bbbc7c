"""The sandbox's 2FA service: applications, templates, PINs, limits and the outbox, held in memory.

Plain data in, plain data out: each handler takes the parsed request and returns (status, JSON, headers)
or raises ApiFailure. No HTTP here; ``_app`` puts it behind ASGI.
"""

from __future__ import annotations

import math
import re
import secrets
import string
from collections import deque
from collections.abc import Callable
from typing import Any

import attrs

from .._durations import parse_duration, parse_limit
from .._exceptions import InvalidRequestError

__all__ = ["UNKNOWN_SUFFIX", "UNREACHABLE_SUFFIX", "ApiFailure", "OutboxMessage", "Service"]

#: A number ending in these digits comes back NC_DESTINATION_NOT_REACHABLE: MESSAGE_NOT_SENT, nothing delivered.
UNREACHABLE_SUFFIX = "00000"
#: A number ending in these digits comes back NC_DESTINATION_UNKNOWN (the PIN is still delivered).
UNKNOWN_SUFFIX = "99999"

DEFAULT_CONFIGURATION: dict[str, Any] = {
    "pinAttempts": 10,
    "allowMultiplePinVerifications": True,
    "pinTimeToLive": "15m",
    "verifyPinLimit": "1/3s",
    "sendPinPerApplicationLimit": "10000/1d",
    "sendPinPerPhoneNumberLimit": "3/1d",
}
PIN_TYPES = ("NUMERIC", "ALPHA", "HEX", "ALPHANUMERIC")
LANGUAGES = ("en", "es", "ca", "da", "nl", "fr", "de", "it", "ja", "ko", "no", "pl", "ru", "sv", "fi", "hr", "sl",
             "ro", "pt_pt", "pt_br", "zh_cn", "zh_tw")  # fmt: skip
_ALPHABETS = {
    "NUMERIC": string.digits,
    "ALPHA": string.ascii_uppercase,
    "HEX": string.digits + "ABCDEF",
    "ALPHANUMERIC": string.digits + string.ascii_uppercase,
}
_PHONE = re.compile(r"[0-9]{6,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
EMAIL_STATUS = {"name": "PENDING_ACCEPTED", "description": "Message accepted, pending for delivery."}

Answer = tuple[int, Any, dict[str, str]]


class ApiFailure(Exception):
    """An error answer, in the legacy envelope the 2FA API uses."""

    def __init__(
        self,
        status: int,
        message_id: str,
        text: str,
        validation_errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(text)
        self.status = status
        self.headers = headers or {}
        exception: dict[str, Any] = {"messageId": message_id, "text": text}
        if validation_errors:
            exception["validationErrors"] = validation_errors
        self.body = {"requestError": {"serviceException": exception}}


def bad_request(field: str, message: str) -> ApiFailure:
    """400 BAD_REQUEST naming the field."""
    return ApiFailure(400, "BAD_REQUEST", "Bad request", {field: [message]})


def not_found(what: str) -> ApiFailure:
    """404 NOT_FOUND."""
    return ApiFailure(404, "NOT_FOUND", f"{what} not found")


@attrs.frozen(repr=False)
class OutboxMessage:
    """One delivery the sandbox made: what a phone or mailbox would have received.

    Its repr masks the PIN, in ``pin`` and inside ``text``, so a failing test's output does not show it.
    """

    channel: str
    to: str
    text: str
    pin_id: str
    pin: str
    sent_at: float

    def __repr__(self) -> str:
        text = self.text.replace(self.pin, "***") if self.pin else self.text
        return (
            f"OutboxMessage(channel={self.channel!r}, to={self.to!r}, text={text!r}, pin_id={self.pin_id!r}, "
            f"pin='***', sent_at={self.sent_at!r})"
        )


@attrs.define
class _Pin:
    pin_id: str
    application_id: str
    message_id: str
    channel: str
    to: str
    pin: str
    text: str
    created_at: float
    expires_at: float
    attempts_remaining: int
    delivered: bool
    verified: bool = False
    verified_at: float | None = None


class _Window:
    """A sliding-window counter: at most ``limit`` events per ``window`` seconds."""

    def __init__(self) -> None:
        self.events: deque[float] = deque()

    def wait_needed(self, now: float, limit: int, window: float) -> float:
        """0 if one more event fits now; else the seconds until the oldest one leaves the window."""
        while self.events and self.events[0] <= now - window:
            self.events.popleft()
        if len(self.events) < limit:
            return 0.0
        return self.events[0] + window - now


def _rate_limited(wait: float, what: str) -> ApiFailure:
    retry_after = max(1, math.ceil(wait))
    return ApiFailure(429, "TOO_MANY_REQUESTS", f"Too many requests: {what}", headers={"Retry-After": str(retry_after)})


def _new_id() -> str:
    return secrets.token_hex(16).upper()


def _string(body: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise bad_request(field, "must not be null")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad_request(field, "must be a non-empty string")
    return value


def _int(body: dict[str, Any], field: str, minimum: int = 1) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_request(field, f"must be a whole number >= {minimum}")
    return value


def _bool(body: dict[str, Any], field: str) -> bool | None:
    value = body.get(field)
    if value is not None and not isinstance(value, bool):
        raise bad_request(field, "must be true or false")
    return value


def _placeholders(body: dict[str, Any], field: str) -> dict[str, str]:
    value = body.get(field) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise bad_request(field, "must be an object of string values")
    if any("{" in key or "}" in key or key == "pin" for key in value):
        raise bad_request(field, "keys must not contain braces or be 'pin'")
    return value


class Service:
    """The 2FA API's behaviour over in-memory state. ``clock`` returns seconds (time.time by default)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.applications: dict[str, dict[str, Any]] = {}
        self.templates: dict[str, dict[str, dict[str, Any]]] = {}
        self.pins: dict[str, _Pin] = {}
        self.outbox: list[OutboxMessage] = []
        self._windows: dict[tuple[str, ...], _Window] = {}

    # --- applications ---

    def _configuration(self, given: Any, base: dict[str, Any]) -> dict[str, Any]:
        if given is None:
            return dict(base)
        if not isinstance(given, dict):
            raise bad_request("configuration", "must be an object")
        merged = dict(base)
        for key, value in given.items():
            if key not in DEFAULT_CONFIGURATION or value is None:
                continue
            merged[key] = value
        if _int(merged, "pinAttempts") is None:
            raise bad_request("configuration.pinAttempts", "must be a whole number >= 1")
        _bool(merged, "allowMultiplePinVerifications")
        try:
            parse_duration("pinTimeToLive", merged["pinTimeToLive"])
            for key in ("verifyPinLimit", "sendPinPerApplicationLimit", "sendPinPerPhoneNumberLimit"):
                parse_limit(key, merged[key])
        except InvalidRequestError as error:
            raise bad_request(f"configuration.{error.argument}", str(error).split(": ", 1)[1]) from None
        return merged

    def _application(self, application_id: str) -> dict[str, Any]:
        application = self.applications.get(application_id)
        if application is None:
            raise not_found("Application")
        return application

    def list_applications(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, list(self.applications.values()), {}

    def create_application(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        body = _object(body)
        application_id = _new_id()
        application = {
            "applicationId": application_id,
            "name": _string(body, "name", required=True),
            "configuration": self._configuration(body.get("configuration"), DEFAULT_CONFIGURATION),
            "enabled": True if _bool(body, "enabled") is None else body["enabled"],
        }
        self.applications[application_id] = application
        self.templates[application_id] = {}
        return 201, application, {}

    def get_application(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, self._application(params["appId"]), {}

    def update_application(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        application = self._application(params["appId"])
        body = _object(body)
        updated = {
            **application,
            "name": _string(body, "name", required=True),
            "configuration": self._configuration(body.get("configuration"), application["configuration"]),
        }
        if _bool(body, "enabled") is not None:
            updated["enabled"] = body["enabled"]
        self.applications[application["applicationId"]] = updated
        return 200, updated, {}

    # --- templates ---

    def _template_fields(self, body: dict[str, Any], creating: bool) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        text = _string(body, "messageText", required=creating)
        if text is not None:
            if "{{pin}}" not in text:
                raise bad_request("messageText", "must contain the {{pin}} placeholder")
            fields["messageText"] = text
        pin_type = body.get("pinType")
        if pin_type is not None or creating:
            if pin_type not in PIN_TYPES:
                raise bad_request("pinType", f"must be one of {', '.join(PIN_TYPES)}")
            fields["pinType"] = pin_type
        if (length := _int(body, "pinLength")) is not None:
            fields["pinLength"] = length
        language = body.get("language")
        if language is not None:
            if language not in LANGUAGES:
                raise bad_request("language", "is not a supported language")
            fields["language"] = language
        rate = body.get("speechRate")
        if rate is not None:
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.5 <= rate <= 2:
                raise bad_request("speechRate", "must be between 0.5 and 2")
            fields["speechRate"] = rate
        for key in ("senderId", "repeatDTMF", "voiceName"):
            if (value := _string(body, key)) is not None:
                fields[key] = value
        if body.get("regional") is not None:
            regional = body["regional"]
            dlt = regional.get("indiaDlt") if isinstance(regional, dict) else None
            if not isinstance(regional, dict) or (dlt is not None and not isinstance(dlt, dict)):
                raise bad_request("regional", "must be an object")
            if dlt is not None and not isinstance(dlt.get("principalEntityId"), str):
                raise bad_request("regional.indiaDlt.principalEntityId", "is required")
            fields["regional"] = regional
        return fields

    def _email_template_fields(self, body: dict[str, Any], creating: bool) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        template_id = _int(body, "emailTemplateId")
        if template_id is None and creating:
            raise bad_request("emailTemplateId", "is required")
        if template_id is not None:
            fields["emailTemplateId"] = template_id
        pin_type = body.get("pinType")
        if pin_type is not None:
            if pin_type not in PIN_TYPES:
                raise bad_request("pinType", f"must be one of {', '.join(PIN_TYPES)}")
            fields["pinType"] = pin_type
        if (length := _int(body, "pinLength")) is not None:
            fields["pinLength"] = length
        for key in ("from", "landingPageId"):
            if (value := _string(body, key)) is not None:
                fields[key] = value
        return fields

    def _templates_of(self, application_id: str) -> dict[str, dict[str, Any]]:
        self._application(application_id)
        return self.templates[application_id]

    def _template(self, application_id: str, message_id: str) -> dict[str, Any]:
        template = self._templates_of(application_id).get(message_id)
        if template is None:
            raise not_found("Message")
        return template

    def list_templates(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, list(self._templates_of(params["appId"]).values()), {}

    def create_template(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        templates = self._templates_of(params["appId"])
        fields = self._template_fields(_object(body), creating=True)
        template = {"messageId": _new_id(), "applicationId": params["appId"], "pinPlaceholder": "{{pin}}",
                    "pinLength": 4, **fields}  # fmt: skip
        templates[template["messageId"]] = template
        return 200, template, {}

    def get_template(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, self._template(params["appId"], params["msgId"]), {}

    def update_template(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        template = self._template(params["appId"], params["msgId"])
        if "emailTemplateId" in template:
            raise bad_request("msgId", "is an e-mail template: update it under /email/messages")
        template.update(self._template_fields(_object(body), creating=False))
        return 200, template, {}

    def create_email_template(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        templates = self._templates_of(params["appId"])
        fields = self._email_template_fields(_object(body), creating=True)
        template = {"messageId": _new_id(), "applicationId": params["appId"], "pinLength": 4,
                    "pinType": "NUMERIC", **fields}  # fmt: skip
        templates[template["messageId"]] = template
        return 200, template, {}

    def update_email_template(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        template = self._template(params["appId"], params["msgId"])
        if "emailTemplateId" not in template:
            raise bad_request("msgId", "is an SMS/voice template: update it under /messages")
        template.update(self._email_template_fields(_object(body), creating=False))
        return 200, template, {}

    # --- PINs ---

    def _check_limit(self, key: tuple[str, ...], limit: str, what: str) -> None:
        attempts, window = parse_limit(what, limit)
        wait = self._windows.setdefault(key, _Window()).wait_needed(self.clock(), attempts, window.total_seconds())
        if wait > 0:
            raise _rate_limited(wait, what)

    def _count(self, *keys: tuple[str, ...]) -> None:
        now = self.clock()
        for key in keys:
            self._windows.setdefault(key, _Window()).events.append(now)

    def _deliver(self, pin: _Pin, placeholders: dict[str, str]) -> None:
        text = pin.text
        if placeholders:
            text = _PLACEHOLDER.sub(lambda m: placeholders.get(m.group(1), m.group(0)), text)
        self.outbox.append(OutboxMessage(pin.channel, pin.to, text, pin.pin_id, pin.pin, self.clock()))

    def _send_limits(self, application: dict[str, Any], to: str) -> None:
        configuration = application["configuration"]
        app_id = application["applicationId"]
        self._check_limit(("app", app_id), configuration["sendPinPerApplicationLimit"], "sendPinPerApplicationLimit")
        self._check_limit(("to", app_id, to), configuration["sendPinPerPhoneNumberLimit"], "sendPinPerPhoneNumberLimit")

    def send_pin(self, channel: str, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        body = _object(body)
        app_id = _string(body, "applicationId", required=True) or ""
        message_id = _string(body, "messageId", required=True) or ""
        to = _string(body, "to", required=True) or ""
        placeholders = _placeholders(body, "placeholders")
        if channel == "email":
            if not _EMAIL.fullmatch(to):
                raise bad_request("to", "must be a valid e-mail address")
        elif not _PHONE.fullmatch(to):
            raise bad_request("to", "must be a phone number of 6 to 15 digits")
        application = self._application(app_id)
        if not application["enabled"]:
            raise ApiFailure(400, "BAD_REQUEST", "Application is disabled")
        template = self._template(app_id, message_id)
        if (channel == "email") != ("emailTemplateId" in template):
            raise bad_request("messageId", f"is not a template for {channel}")
        self._send_limits(application, to)

        pin_type = template.get("pinType", "NUMERIC")
        length = template.get("pinLength", 4)
        code = "".join(secrets.choice(_ALPHABETS.get(pin_type, string.digits)) for _ in range(length))
        text = (
            template.get("messageText")
            or f"Your verification code is {{{{pin}}}} (template {template.get('emailTemplateId')})"
        )
        now = self.clock()
        ttl = parse_duration("pinTimeToLive", application["configuration"]["pinTimeToLive"]).total_seconds()
        answer: dict[str, Any] = {"pinId": _new_id(), "to": to}
        delivered = True
        if channel == "sms":
            if query.get("ncNeeded", "true").lower() != "false":
                status = _number_lookup(to)
                answer["ncStatus"] = status
                delivered = status != "NC_DESTINATION_NOT_REACHABLE"
            answer["smsStatus"] = "MESSAGE_SENT" if delivered else "MESSAGE_NOT_SENT"
        elif channel == "voice":
            answer["callStatus"] = "PENDING_ACCEPTED"
        else:
            answer["emailStatus"] = dict(EMAIL_STATUS)
        pin = _Pin(
            pin_id=answer["pinId"], application_id=app_id, message_id=message_id, channel=channel, to=to,
            pin=code, text=text.replace("{{pin}}", code), created_at=now, expires_at=now + ttl,
            attempts_remaining=application["configuration"]["pinAttempts"], delivered=delivered,
        )  # fmt: skip
        self.pins[pin.pin_id] = pin
        self._count(("app", app_id), ("to", app_id, to))
        if delivered:
            self._deliver(pin, placeholders)
        return 200, answer, {}

    def resend_pin(self, channel: str, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        pin = self.pins.get(params["pinId"])
        if pin is None:
            raise not_found("PIN")
        body = _object(body) if body is not None else {}
        placeholders = _placeholders(body, "placeholders")
        application = self._application(pin.application_id)
        self._send_limits(application, pin.to)
        self._count(("app", pin.application_id), ("to", pin.application_id, pin.to))
        answer: dict[str, Any] = {"pinId": pin.pin_id, "to": pin.to}
        delivered = True
        if channel == "sms":
            delivered = _number_lookup(pin.to) != "NC_DESTINATION_NOT_REACHABLE"
            answer["smsStatus"] = "MESSAGE_SENT" if delivered else "MESSAGE_NOT_SENT"
        elif channel == "voice":
            answer["callStatus"] = "PENDING_ACCEPTED"
        else:
            answer["emailStatus"] = dict(EMAIL_STATUS)
        if delivered:
            pin.delivered = True
            self._deliver(attrs.evolve(pin, channel=channel), placeholders)
        return 200, answer, {}

    def verify_pin(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        pin = self.pins.get(params["pinId"])
        if pin is None:
            raise not_found("PIN")
        typed = _string(_object(body), "pin", required=True) or ""
        configuration = self._application(pin.application_id)["configuration"]
        self._check_limit(("verify", pin.pin_id), configuration["verifyPinLimit"], "verifyPinLimit")
        self._count(("verify", pin.pin_id))
        answer: dict[str, Any] = {"pinId": pin.pin_id, "msisdn": pin.to}
        now = self.clock()
        error = None
        if pin.verified and not configuration["allowMultiplePinVerifications"]:
            error = "NO_MORE_PIN_ATTEMPTS"  # a verified PIN is used up when multiple verifications are off
        elif now >= pin.expires_at:
            error = "TTL_EXPIRED"
        elif pin.attempts_remaining <= 0:
            error = "NO_MORE_PIN_ATTEMPTS"
        else:
            pin.attempts_remaining -= 1
            if secrets.compare_digest(typed.encode(), pin.pin.encode()):
                pin.verified = True
                pin.verified_at = pin.verified_at or now
            else:
                error = "WRONG_PIN"
        answer["verified"] = error is None
        answer["attemptsRemaining"] = pin.attempts_remaining
        if error is not None:
            answer["pinError"] = error
        return 200, answer, {}

    def verification_status(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        self._application(params["appId"])
        msisdn = query.get("msisdn")
        if not msisdn:
            raise bad_request("msisdn", "is required")
        entries = []
        for pin in self.pins.values():
            if pin.application_id != params["appId"] or pin.to != msisdn:
                continue
            if "verified" in query and (query["verified"].lower() == "true") != pin.verified:
                continue
            if "sent" in query and (query["sent"].lower() == "true") != pin.delivered:
                continue
            entry: dict[str, Any] = {"msisdn": pin.to, "verified": pin.verified, "sentAt": int(pin.created_at * 1000)}
            if pin.verified_at is not None:
                entry["verifiedAt"] = int(pin.verified_at * 1000)
            entries.append(entry)
        return 200, {"verifications": entries}, {}


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiFailure(400, "BAD_REQUEST", "The request body must be a JSON object")
    return body


def _number_lookup(to: str) -> str:
    if to.endswith(UNREACHABLE_SUFFIX):
        return "NC_DESTINATION_NOT_REACHABLE"
    if to.endswith(UNKNOWN_SUFFIX):
        return "NC_DESTINATION_UNKNOWN"
    return "NC_DESTINATION_REACHABLE"
