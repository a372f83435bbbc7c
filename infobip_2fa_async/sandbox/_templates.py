"""The sandbox's message templates: SMS/voice under ``.../applications/{appId}/messages``, e-mail under
``.../applications/{appId}/email/messages``."""

from __future__ import annotations

from typing import Any

from .._management_models import MAX_TEMPLATE_PIN_LENGTH
from . import _fields as fields
from ._errors import ApiFailure, bad_request
from ._store import Answer, Store, new_id

__all__ = ["LANGUAGES", "PIN_TYPES", "Templates"]

PIN_TYPES = ("NUMERIC", "ALPHA", "HEX", "ALPHANUMERIC")
LANGUAGES = ("en", "es", "ca", "da", "nl", "fr", "de", "it", "ja", "ko", "no", "pl", "ru", "sv", "fi", "hr", "sl",
             "ro", "pt_pt", "pt_br", "zh_cn", "zh_tw")  # fmt: skip


def _pin_type(body: dict[str, Any], *, required: bool) -> str | None:
    pin_type = fields.present(body, "pinType")
    if pin_type is None and not required:
        return None
    if pin_type not in PIN_TYPES:
        raise bad_request("pinType", f"must be one of {', '.join(PIN_TYPES)}")
    return str(pin_type)


def _template_fields(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    text = fields.string(body, "messageText", required=creating)
    if text is not None:
        if "{{pin}}" not in text:
            raise bad_request("messageText", "must contain the {{pin}} placeholder")
        checked["messageText"] = text
    if (pin_type := _pin_type(body, required=creating)) is not None:
        checked["pinType"] = pin_type
    if (length := fields.whole_number(body, "pinLength", maximum=MAX_TEMPLATE_PIN_LENGTH)) is not None:
        checked["pinLength"] = length
    language = fields.present(body, "language")
    if language is not None:
        if language not in LANGUAGES:
            raise bad_request("language", "is not a supported language")
        checked["language"] = language
    rate = fields.present(body, "speechRate")
    if rate is not None:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.5 <= rate <= 2:
            raise bad_request("speechRate", "must be between 0.5 and 2")
        checked["speechRate"] = rate
    for key in ("senderId", "repeatDTMF", "voiceName"):
        if (value := fields.string(body, key)) is not None:
            checked[key] = value
    if (regional := fields.present(body, "regional")) is not None:
        dlt = regional.get("indiaDlt") if isinstance(regional, dict) else None
        if not isinstance(regional, dict) or (dlt is not None and not isinstance(dlt, dict)):
            raise bad_request("regional", "must be an object")
        if dlt is not None and not isinstance(dlt.get("principalEntityId"), str):
            raise bad_request("regional.indiaDlt.principalEntityId", "is required")
        checked["regional"] = regional
    return checked


def _email_template_fields(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    template_id = fields.whole_number(body, "emailTemplateId", maximum=fields.INT64_MAX)
    if template_id is None and creating:
        raise bad_request("emailTemplateId", "is required")
    if template_id is not None:
        checked["emailTemplateId"] = template_id
    if (pin_type := _pin_type(body, required=False)) is not None:
        checked["pinType"] = pin_type
    if (length := fields.whole_number(body, "pinLength", maximum=MAX_TEMPLATE_PIN_LENGTH)) is not None:
        checked["pinLength"] = length
    for key in ("from", "landingPageId"):
        if (value := fields.string(body, key)) is not None:
            checked[key] = value
    return checked


def _sms_or_voice_message(template: dict[str, Any]) -> dict[str, Any]:
    """A template as a create or update answers it (the spec's SmsOrVoiceMessage): voiceName is write-only there,
    so it is left out (reading the template shows it)."""
    return {key: value for key, value in template.items() if key != "voiceName"}


def is_email_template(template: dict[str, Any]) -> bool:
    """Whether a stored template is an e-mail one (it names an e-mail template to send)."""
    return "emailTemplateId" in template


class Templates:
    """List, create, read and update SMS/voice and e-mail templates."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, list(self.store.templates_of(params["appId"]).values()), {}

    def create(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        templates = self.store.templates_of(params["appId"])
        checked = _template_fields(fields.json_object(body), creating=True)
        template = {"messageId": new_id(), "applicationId": params["appId"], "pinPlaceholder": "{{pin}}",
                    "pinLength": 4, **checked}  # fmt: skip
        templates[template["messageId"]] = template
        return 200, _sms_or_voice_message(template), {}

    def get(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, self.store.template(params["appId"], params["msgId"]), {}

    def update(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        template = self.store.template(params["appId"], params["msgId"])
        if is_email_template(template):  # no SMS/voice template has this id
            raise ApiFailure(404, "NOT_FOUND", "Message not found: it is an e-mail template, under /email/messages")
        template.update(_template_fields(fields.json_object(body), creating=False))
        return 200, _sms_or_voice_message(template), {}

    def create_email(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        templates = self.store.templates_of(params["appId"])
        checked = _email_template_fields(fields.json_object(body), creating=True)
        template = {"messageId": new_id(), "applicationId": params["appId"], "pinLength": 4,
                    "pinType": "NUMERIC", **checked}  # fmt: skip
        templates[template["messageId"]] = template
        return 200, template, {}

    def update_email(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        template = self.store.template(params["appId"], params["msgId"])
        if not is_email_template(template):  # no e-mail template has this id
            raise ApiFailure(404, "NOT_FOUND", "Message not found: it is an SMS/voice template, under /messages")
        template.update(_email_template_fields(fields.json_object(body), creating=False))
        return 200, template, {}
