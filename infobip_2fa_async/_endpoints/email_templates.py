"""E-mail message templates: ``POST /2fa/2/applications/{appId}/email/messages`` and
``PUT /2fa/2/applications/{appId}/email/messages/{msgId}``. Fields and checks are ``EmailTemplateBody``'s own."""

from __future__ import annotations

from collections.abc import Mapping

from .._exceptions import InvalidRequestError
from .._management_models import EmailTemplate, EmailTemplateBody
from .._request import ApiRequest
from .._validation import path_segment
from .applications import application_path

ROUTE = "/2fa/2/applications/{applicationId}/email/messages"


def email_template_body(*, creating: bool, fields: Mapping[str, object]) -> EmailTemplateBody:
    """Validate an e-mail template; creating one needs ``email_template_id``."""
    if creating and fields.get("email_template_id") is None:
        raise InvalidRequestError("email_template_id", "is required: the id of the e-mail template to send")
    return EmailTemplateBody(**fields)  # each field's converter checks its value


def email_templates_path(application_id: object) -> str:
    """``/2fa/2/applications/{appId}/email/messages``."""
    return f"{application_path(application_id)}/email/messages"


def create_email_template(application_id: object, fields: Mapping[str, object]) -> ApiRequest[EmailTemplate]:
    """Describe creating an e-mail template."""
    body = email_template_body(creating=True, fields=fields)
    path = email_templates_path(application_id)
    return ApiRequest("POST", path, EmailTemplate, body=body, operation="create_email_template", route=ROUTE)


def update_email_template(
    application_id: object, message_id: object, fields: Mapping[str, object]
) -> ApiRequest[EmailTemplate]:
    """Describe updating an e-mail template (the fields left None are left out)."""
    body = email_template_body(creating=False, fields=fields)
    path = f"{email_templates_path(application_id)}/{path_segment('message_id', message_id)}"
    route = f"{ROUTE}/{{messageId}}"
    return ApiRequest("PUT", path, EmailTemplate, body=body, operation="update_email_template", route=route)
