"""E-mail message templates: ``POST /2fa/2/applications/{appId}/email/messages`` and
``PUT /2fa/2/applications/{appId}/email/messages/{msgId}``. The fields they share with SMS/voice templates are
checked by the same rules (``templates``)."""

from __future__ import annotations

from .._exceptions import InvalidRequestError
from .._management_models import EmailTemplate, EmailTemplateBody
from .._request import ApiRequest
from .._validation import check_int, check_optional_text
from . import Endpoint
from .templates import check_pin_length, check_pin_type

CREATE_EMAIL_TEMPLATE = Endpoint(
    "POST", "/2fa/2/applications/{appId}/email/messages", EmailTemplate, operation="email_templates.create"
)
UPDATE_EMAIL_TEMPLATE = Endpoint(
    "PUT", "/2fa/2/applications/{appId}/email/messages/{msgId}", EmailTemplate, operation="email_templates.update"
)


def email_template_body(
    *,
    creating: bool,
    email_template_id: object,
    from_: object,
    landing_page_id: object,
    pin_length: object,
    pin_type: object,
) -> EmailTemplateBody:
    """Check an e-mail template's fields and build its body; creating one needs ``email_template_id``. The fields
    left None are left out of the request."""
    if creating and email_template_id is None:
        raise InvalidRequestError("email_template_id", "is required: the id of the e-mail template to send")
    return EmailTemplateBody(
        email_template_id=check_int("email_template_id", email_template_id, minimum=1),
        from_=check_optional_text("from_", from_),
        landing_page_id=check_optional_text("landing_page_id", landing_page_id),
        pin_length=check_pin_length(pin_length),
        pin_type=check_pin_type(pin_type),
    )


def create_email_template(application_id: object, body: EmailTemplateBody) -> ApiRequest[EmailTemplate]:
    """Describe creating an e-mail template (``body`` from ``email_template_body(creating=True, ...)``)."""
    return CREATE_EMAIL_TEMPLATE.request(body=body, application_id=application_id)


def update_email_template(
    application_id: object, message_id: object, body: EmailTemplateBody
) -> ApiRequest[EmailTemplate]:
    """Describe updating an e-mail template (``body`` from ``email_template_body(creating=False, ...)``)."""
    return UPDATE_EMAIL_TEMPLATE.request(body=body, application_id=application_id, message_id=message_id)
