"""Message templates: SMS/voice under ``.../applications/{appId}/messages``, e-mail under ``.../email/messages``."""

from __future__ import annotations

from .._admin_models import (
    EmailTemplate,
    EmailTemplateBody,
    IndiaDltOptions,
    Language,
    MessageTemplate,
    PinType,
    RegionalOptions,
    TemplateBody,
)
from .._exceptions import InvalidRequestError
from .._request import ApiRequest
from .._validation import check_choice, check_int, check_max_length, check_number, check_text, path_segment
from .applications import application_path

PIN_PLACEHOLDER = "{{pin}}"


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


def _optional_text(argument: str, value: object) -> str | None:
    return None if value is None else check_text(argument, value)


def template_body(
    *,
    creating: bool,
    message_text: object = None,
    pin_type: object = None,
    pin_length: object = None,
    language: object = None,
    sender_id: object = None,
    repeat_dtmf: object = None,
    speech_rate: object = None,
    voice_name: object = None,
    regional: object = None,
) -> TemplateBody:
    """Validate an SMS/voice template; creating one needs ``message_text`` (with {{pin}}) and ``pin_type``."""
    if creating and message_text is None:
        raise InvalidRequestError("message_text", "is required, e.g. 'Your code is {{pin}}'")
    if creating and pin_type is None:
        raise InvalidRequestError("pin_type", "is required: one of NUMERIC, ALPHA, HEX, ALPHANUMERIC")
    text = _optional_text("message_text", message_text)
    if text is not None and PIN_PLACEHOLDER not in text:
        raise InvalidRequestError("message_text", f"must contain {PIN_PLACEHOLDER}, where the PIN goes")
    return TemplateBody(
        message_text=text,
        pin_type=check_choice("pin_type", pin_type, PinType),
        pin_length=check_int("pin_length", pin_length, minimum=1),
        language=check_choice("language", language, Language),
        sender_id=_optional_text("sender_id", sender_id),
        repeat_dtmf=_optional_text("repeat_dtmf", repeat_dtmf),
        speech_rate=check_number("speech_rate", speech_rate, minimum=0.5, maximum=2.0),
        voice_name=_optional_text("voice_name", voice_name),
        regional=check_regional(regional),
    )


def templates_path(application_id: object) -> str:
    """``/2fa/2/applications/{appId}/messages``."""
    return f"{application_path(application_id)}/messages"


def list_templates(application_id: object) -> ApiRequest[list[MessageTemplate]]:
    """Describe listing an application's templates (SMS, voice and e-mail)."""
    return ApiRequest("GET", templates_path(application_id), list[MessageTemplate])


def create_template(application_id: object, body: TemplateBody) -> ApiRequest[MessageTemplate]:
    """Describe creating an SMS/voice template."""
    return ApiRequest("POST", templates_path(application_id), MessageTemplate, body=body)


def get_template(application_id: object, message_id: object) -> ApiRequest[MessageTemplate]:
    """Describe reading one template."""
    path = f"{templates_path(application_id)}/{path_segment('message_id', message_id)}"
    return ApiRequest("GET", path, MessageTemplate)


def update_template(application_id: object, message_id: object, body: TemplateBody) -> ApiRequest[MessageTemplate]:
    """Describe updating an SMS/voice template."""
    path = f"{templates_path(application_id)}/{path_segment('message_id', message_id)}"
    return ApiRequest("PUT", path, MessageTemplate, body=body)


def email_template_body(
    *,
    creating: bool,
    email_template_id: object = None,
    from_: object = None,
    landing_page_id: object = None,
    pin_length: object = None,
    pin_type: object = None,
) -> EmailTemplateBody:
    """Validate an e-mail template; creating one needs ``email_template_id``."""
    if creating and email_template_id is None:
        raise InvalidRequestError("email_template_id", "is required: the id of the e-mail template to send")
    return EmailTemplateBody(
        email_template_id=check_int("email_template_id", email_template_id, minimum=1),
        from_=_optional_text("from_", from_),
        landing_page_id=_optional_text("landing_page_id", landing_page_id),
        pin_length=check_int("pin_length", pin_length, minimum=1),
        pin_type=check_choice("pin_type", pin_type, PinType),
    )


def create_email_template(application_id: object, body: EmailTemplateBody) -> ApiRequest[EmailTemplate]:
    """Describe creating an e-mail template."""
    return ApiRequest("POST", f"{application_path(application_id)}/email/messages", EmailTemplate, body=body)


def update_email_template(
    application_id: object, message_id: object, body: EmailTemplateBody
) -> ApiRequest[EmailTemplate]:
    """Describe updating an e-mail template."""
    path = f"{application_path(application_id)}/email/messages/{path_segment('message_id', message_id)}"
    return ApiRequest("PUT", path, EmailTemplate, body=body)
