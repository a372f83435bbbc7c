"""Send or resend a PIN over a voice call: ``POST .../pin/voice`` and ``.../pin/{pinId}/resend/voice``."""

from __future__ import annotations

from .._models import PinSent
from .._request import ApiRequest
from .._validation import path_segment
from .pin import send_pin_body
from .resend import resend_body


def send_voice_pin(
    base: str,
    *,
    application_id: object,
    message_id: object,
    to: object,
    from_: object = None,
    placeholders: object = None,
    track_delivery: object = None,
) -> ApiRequest[PinSent]:
    """Describe a PIN send over voice; the body is the SMS send's."""
    body = send_pin_body(
        application_id=application_id,
        message_id=message_id,
        to=to,
        from_=from_,
        placeholders=placeholders,
        track_delivery=track_delivery,
    )
    return ApiRequest("POST", f"{base}/pin/voice", PinSent, body=body)


def resend_voice_pin(
    base: str, pin_id: object, *, placeholders: object = None, track_delivery: object = None
) -> ApiRequest[PinSent]:
    """Describe a resend of the same PIN over voice."""
    path = f"{base}/pin/{path_segment('pin_id', pin_id)}/resend/voice"
    return ApiRequest("POST", path, PinSent, body=resend_body(placeholders, track_delivery))
