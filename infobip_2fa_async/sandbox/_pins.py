"""The sandbox's PINs: send and resend over SMS, voice and e-mail, verify, and verification status.

Number lookup is decided by the number's last digits: ``UNREACHABLE_SUFFIX`` is not reachable (MESSAGE_NOT_SENT,
nothing delivered), ``UNKNOWN_SUFFIX`` cannot be told (delivered), any other number is reachable.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

import attrs

from .._durations import parse_duration
from . import _fields as fields
from ._errors import ApiFailure, bad_request
from ._store import Answer, OutboxMessage, PinRecord, Store, new_id
from ._templates import is_email_template

__all__ = ["UNKNOWN_SUFFIX", "UNREACHABLE_SUFFIX", "Pins"]

#: A number ending in these digits comes back NC_DESTINATION_NOT_REACHABLE: MESSAGE_NOT_SENT, nothing delivered.
UNREACHABLE_SUFFIX = "00000"
#: A number ending in these digits comes back NC_DESTINATION_UNKNOWN (the PIN is still delivered).
UNKNOWN_SUFFIX = "99999"

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


def number_lookup(to: str) -> str:
    """The ncStatus the sandbox's number lookup gives ``to``."""
    if to.endswith(UNREACHABLE_SUFFIX):
        return "NC_DESTINATION_NOT_REACHABLE"
    if to.endswith(UNKNOWN_SUFFIX):
        return "NC_DESTINATION_UNKNOWN"
    return "NC_DESTINATION_REACHABLE"


def _delivery_options(channel: str, body: dict[str, Any]) -> None:
    """The optional fields of a send or resend, checked by type: ``from``, ``trackDelivery`` (SMS and voice),
    ``landingPagePlaceholders`` (e-mail)."""
    fields.string(body, "from")
    if channel == "email":
        fields.placeholders(body, "landingPagePlaceholders")
    else:
        fields.boolean(body, "trackDelivery")


class Pins:
    """Send, resend and verify PINs; each send counts against the application's limits."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _deliver(self, pin: PinRecord, placeholders: dict[str, str]) -> None:
        text = pin.text
        if placeholders:
            text = _PLACEHOLDER.sub(lambda m: placeholders.get(m.group(1), m.group(0)), text)
        self.store.outbox.append(OutboxMessage(pin.channel, pin.to, text, pin.pin_id, pin.pin, self.store.clock()))

    def _send_limits(self, application: dict[str, Any], to: str) -> None:
        configuration = application["configuration"]
        app_id = application["applicationId"]
        limits = self.store.limits
        limits.check(("app", app_id), configuration["sendPinPerApplicationLimit"], "sendPinPerApplicationLimit")
        limits.check(("to", app_id, to), configuration["sendPinPerPhoneNumberLimit"], "sendPinPerPhoneNumberLimit")

    def send(self, channel: str, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        body = fields.json_object(body)
        app_id = fields.string(body, "applicationId", required=True) or ""
        message_id = fields.string(body, "messageId", required=True) or ""
        to = fields.string(body, "to", required=True) or ""
        placeholders = fields.placeholders(body, "placeholders")
        _delivery_options(channel, body)
        if channel == "email":
            if not _EMAIL.fullmatch(to):
                raise bad_request("to", "must be a valid e-mail address")
        elif not _PHONE.fullmatch(to):
            raise bad_request("to", "must be a phone number of 6 to 15 digits")
        application = self.store.application(app_id)
        if not application["enabled"]:
            raise ApiFailure(400, "BAD_REQUEST", "Application is disabled")
        template = self.store.template(app_id, message_id)
        if (channel == "email") != is_email_template(template):
            raise bad_request("messageId", f"is not a template for {channel}")
        self._send_limits(application, to)

        pin_type = template.get("pinType", "NUMERIC")
        length = template.get("pinLength", 4)
        code = "".join(secrets.choice(_ALPHABETS.get(pin_type, string.digits)) for _ in range(length))
        text = (
            template.get("messageText")
            or f"Your verification code is {{{{pin}}}} (template {template.get('emailTemplateId')})"
        )
        now = self.store.clock()
        ttl = parse_duration("pinTimeToLive", application["configuration"]["pinTimeToLive"]).total_seconds()
        answer: dict[str, Any] = {"pinId": new_id(), "to": to}
        delivered = True
        if channel == "sms":
            if fields.query_flag(query, "ncNeeded", default=True):
                status = number_lookup(to)
                answer["ncStatus"] = status
                delivered = status != "NC_DESTINATION_NOT_REACHABLE"
            answer["smsStatus"] = "MESSAGE_SENT" if delivered else "MESSAGE_NOT_SENT"
        elif channel == "voice":
            answer["callStatus"] = "PENDING_ACCEPTED"
        else:
            answer["emailStatus"] = dict(EMAIL_STATUS)
        pin = PinRecord(
            pin_id=answer["pinId"], application_id=app_id, message_id=message_id, channel=channel, to=to,
            pin=code, text=text.replace("{{pin}}", code), created_at=now, expires_at=now + ttl,
            attempts_remaining=application["configuration"]["pinAttempts"], delivered=delivered,
        )  # fmt: skip
        self.store.pins[pin.pin_id] = pin
        self.store.limits.count(("app", app_id), ("to", app_id, to))
        if delivered:
            self._deliver(pin, placeholders)
        return 200, answer, {}

    def resend(self, channel: str, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        pin = self.store.pin(params["pinId"])
        body = fields.json_object(body)
        placeholders = fields.placeholders(body, "placeholders")
        _delivery_options(channel, body)
        application = self.store.application(pin.application_id)
        self._send_limits(application, pin.to)
        self.store.limits.count(("app", pin.application_id), ("to", pin.application_id, pin.to))
        answer: dict[str, Any] = {"pinId": pin.pin_id, "to": pin.to}
        delivered = True
        if channel == "sms":
            answer["ncStatus"] = number_lookup(pin.to)
            delivered = answer["ncStatus"] != "NC_DESTINATION_NOT_REACHABLE"
            answer["smsStatus"] = "MESSAGE_SENT" if delivered else "MESSAGE_NOT_SENT"
        elif channel == "voice":
            answer["callStatus"] = "PENDING_ACCEPTED"
        else:
            answer["emailStatus"] = dict(EMAIL_STATUS)
        if delivered:
            pin.delivered = True
            self._deliver(attrs.evolve(pin, channel=channel), placeholders)
        return 200, answer, {}

    def verify(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        pin = self.store.pin(params["pinId"])
        typed = fields.string(fields.json_object(body), "pin", required=True) or ""
        configuration = self.store.application(pin.application_id)["configuration"]
        self.store.limits.check(("verify", pin.pin_id), configuration["verifyPinLimit"], "verifyPinLimit")
        self.store.limits.count(("verify", pin.pin_id))
        answer: dict[str, Any] = {"pinId": pin.pin_id, "msisdn": pin.to}
        now = self.store.clock()
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
        self.store.application(params["appId"])
        msisdn = query.get("msisdn")
        if not msisdn:
            raise bad_request("msisdn", "is required")
        verified, sent = fields.query_flag(query, "verified"), fields.query_flag(query, "sent")
        entries = []
        for pin in self.store.pins.values():
            if pin.application_id != params["appId"] or pin.to != msisdn:
                continue
            if verified is not None and verified != pin.verified:
                continue
            if sent is not None and sent != pin.delivered:
                continue
            entry: dict[str, Any] = {"msisdn": pin.to, "verified": pin.verified, "sentAt": int(pin.created_at * 1000)}
            if pin.verified_at is not None:
                entry["verifiedAt"] = int(pin.verified_at * 1000)
            entries.append(entry)
        return 200, {"verifications": entries}, {}
