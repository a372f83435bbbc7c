"""SMS/voice message templates: ``GET/POST /2fa/2/applications/{appId}/messages`` and
``GET/PUT /2fa/2/applications/{appId}/messages/{msgId}``.

Each field of a template is checked here, by its own rule, when the body is built; e-mail templates
(``email_templates``) share the rules of the fields they have too.
"""

from __future__ import annotations

from .._exceptions import InvalidRequestError
from .._management_models import (
    MAX_TEMPLATE_PIN_LENGTH,
    PIN_PLACEHOLDER,
    IndiaDltOptions,
    Language,
    MessageTemplate,
    PinType,
    RegionalOptions,
    TemplateBody,
)
from .._request import ApiRequest
from .._validation import check_choice, check_int, check_max_length, check_number, check_optional_text, check_text
from . import Endpoint

_TEMPLATES = "/2fa/2/applications/{appId}/messages"
_TEMPLATE = "/2fa/2/applications/{appId}/messages/{msgId}"
LIST_TEMPLATES = Endpoint("GET", _TEMPLATES, list[MessageTemplate], operation="templates.list")
CREATE_TEMPLATE = Endpoint("POST", _TEMPLATES, MessageTemplate, operation="templates.create")
GET_TEMPLATE = Endpoint("GET", _TEMPLATE, MessageTemplate, operation="templates.get")
UPDATE_TEMPLATE = Endpoint("PUT", _TEMPLATE, MessageTemplate, operation="templates.update")


def check_pin_type(value: object) -> PinType | None:
    """None, a ``PinType`` or its string (``"NUMERIC"``)."""
    return check_choice("pin_type", value, PinType)


def check_pin_length(value: object) -> int | None:
    """None, or 1 to ``MAX_TEMPLATE_PIN_LENGTH`` characters."""
    return check_int("pin_length", value, minimum=1, maximum=MAX_TEMPLATE_PIN_LENGTH)


def check_message_text(value: object) -> str | None:
    """None, or text that holds ``{{pin}}``, where the PIN goes."""
    text = check_optional_text("message_text", value)
    if text is not None and PIN_PLACEHOLDER not in text:
        raise InvalidRequestError("message_text", f"must contain {PIN_PLACEHOLDER}, where the PIN goes")
    return text


def check_regional(regional: object) -> RegionalOptions | None:
    """Regional options, with India DLT ids within the API's lengths."""
    if regional is None:
        return None
    if not isinstance(regional, RegionalOptions):
        raise InvalidRequestError("regional", f"must be a RegionalOptions, not {type(regional).__name__}")
    dlt = regional.india_dlt
    if dlt is not None:
        if not isinstance(dlt, IndiaDltOptions):
            raise InvalidRequestError("regional.india_dlt", f"must be an IndiaDltOptions, not {type(dlt).__name__}")
        check_text("regional.india_dlt.principal_entity_id", dlt.principal_entity_id)
        check_max_length("regional.india_dlt.principal_entity_id", dlt.principal_entity_id, 30)
        check_max_length("regional.india_dlt.content_template_id", dlt.content_template_id, 30)
        check_max_length("regional.india_dlt.tele_marketer_id", dlt.tele_marketer_id, 255)
    return regional


def template_body(
    *,
    creating: bool,
    message_text: object,
    pin_type: object,
    pin_length: object,
    language: object,
    sender_id: object,
    repeat_dtmf: object,
    speech_rate: object,
    voice_name: object,
    regional: object,
) -> TemplateBody:
    """Check an SMS/voice template's fields and build its body; creating one needs ``message_text`` (with
    ``{{pin}}``) and ``pin_type``. The fields left None are left out of the request."""
    if creating and message_text is None:
        raise InvalidRequestError("message_text", "is required, e.g. 'Your code is {{pin}}'")
    if creating and pin_type is None:
        raise InvalidRequestError("pin_type", "is required: one of NUMERIC, ALPHA, HEX, ALPHANUMERIC")
    return TemplateBody(
        message_text=check_message_text(message_text),
        pin_type=check_pin_type(pin_type),
        pin_length=check_pin_length(pin_length),
        language=check_choice("language", language, Language),
        sender_id=check_optional_text("sender_id", sender_id),
        repeat_dtmf=check_optional_text("repeat_dtmf", repeat_dtmf),
        speech_rate=check_number("speech_rate", speech_rate, minimum=0.5, maximum=2.0),
        voice_name=check_optional_text("voice_name", voice_name),
        regional=check_regional(regional),
    )


def list_templates(application_id: object) -> ApiRequest[list[MessageTemplate]]:
    """Describe listing an application's templates (SMS, voice and e-mail)."""
    return LIST_TEMPLATES.request(application_id=application_id)


def create_template(application_id: object, body: TemplateBody) -> ApiRequest[MessageTemplate]:
    """Describe creating an SMS/voice template (``body`` from ``template_body(creating=True, ...)``)."""
    return CREATE_TEMPLATE.request(body=body, application_id=application_id)


def get_template(application_id: object, message_id: object) -> ApiRequest[MessageTemplate]:
    """Describe reading one template."""
    return GET_TEMPLATE.request(application_id=application_id, message_id=message_id)


def update_template(application_id: object, message_id: object, body: TemplateBody) -> ApiRequest[MessageTemplate]:
    """Describe updating an SMS/voice template (``body`` from ``template_body(creating=False, ...)``)."""
    return UPDATE_TEMPLATE.request(body=body, application_id=application_id, message_id=message_id)
