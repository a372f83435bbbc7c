"""SMS/voice message templates: ``GET/POST /2fa/2/applications/{appId}/messages`` and
``GET/PUT /2fa/2/applications/{appId}/messages/{msgId}``.

The fields and their checks are ``TemplateBody``'s own; these functions add what depends on the operation (which
fields creating needs) and the paths.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._exceptions import InvalidRequestError
from .._management_models import MessageTemplate, TemplateBody
from .._request import ApiRequest
from .._validation import path_segment
from .applications import application_path

ROUTE = "/2fa/2/applications/{applicationId}/messages"


def template_body(*, creating: bool, fields: Mapping[str, object]) -> TemplateBody:
    """Validate an SMS/voice template; creating one needs ``message_text`` (with {{pin}}) and ``pin_type``."""
    if creating and fields.get("message_text") is None:
        raise InvalidRequestError("message_text", "is required, e.g. 'Your code is {{pin}}'")
    if creating and fields.get("pin_type") is None:
        raise InvalidRequestError("pin_type", "is required: one of NUMERIC, ALPHA, HEX, ALPHANUMERIC")
    return TemplateBody(**fields)  # each field's converter checks its value


def templates_path(application_id: object) -> str:
    """``/2fa/2/applications/{appId}/messages``."""
    return f"{application_path(application_id)}/messages"


def list_templates(application_id: object) -> ApiRequest[list[MessageTemplate]]:
    """Describe listing an application's templates (SMS, voice and e-mail)."""
    path = templates_path(application_id)
    return ApiRequest("GET", path, list[MessageTemplate], operation="list_templates", route=ROUTE)


def create_template(application_id: object, fields: Mapping[str, object]) -> ApiRequest[MessageTemplate]:
    """Describe creating an SMS/voice template."""
    body = template_body(creating=True, fields=fields)
    path = templates_path(application_id)
    return ApiRequest("POST", path, MessageTemplate, body=body, operation="create_template", route=ROUTE)


def get_template(application_id: object, message_id: object) -> ApiRequest[MessageTemplate]:
    """Describe reading one template."""
    path = f"{templates_path(application_id)}/{path_segment('message_id', message_id)}"
    return ApiRequest("GET", path, MessageTemplate, operation="get_template", route=f"{ROUTE}/{{messageId}}")


def update_template(
    application_id: object, message_id: object, fields: Mapping[str, object]
) -> ApiRequest[MessageTemplate]:
    """Describe updating an SMS/voice template (the fields left None are left out)."""
    body = template_body(creating=False, fields=fields)
    path = f"{templates_path(application_id)}/{path_segment('message_id', message_id)}"
    route = f"{ROUTE}/{{messageId}}"
    return ApiRequest("PUT", path, MessageTemplate, body=body, operation="update_template", route=route)
