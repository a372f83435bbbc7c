"""Send or resend a PIN over a voice call: ``POST .../pin/voice`` and ``.../pin/{pinId}/resend/voice``."""

from __future__ import annotations

from .._models import PinSent
from .._request import ApiRequest
from .._validation import path_segment
from .sms import resend_body, send_pin_body


def send_voice_pin(base: str, **fields: object) -> ApiRequest[PinSent]:
    """Describe a PIN send over voice; the body (``fields`` as ``send_pin_body`` takes them) is the SMS send's."""
    body = send_pin_body(**fields)
    return ApiRequest(
        "POST", f"{base}/pin/voice", PinSent, body=body, operation="send_voice_pin", route=f"{base}/pin/voice"
    )


def resend_voice_pin(
    base: str, pin_id: object, *, placeholders: object = None, track_delivery: object = None
) -> ApiRequest[PinSent]:
    """Describe a resend of the same PIN over voice."""
    path = f"{base}/pin/{path_segment('pin_id', pin_id)}/resend/voice"
    body = resend_body(placeholders, track_delivery)
    route = f"{base}/pin/{{pinId}}/resend/voice"
    return ApiRequest("POST", path, PinSent, body=body, operation="resend_voice_pin", route=route)
