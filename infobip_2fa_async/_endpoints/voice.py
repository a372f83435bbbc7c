"""Send or resend a PIN over a voice call: ``POST /2fa/{1,2}/pin/voice`` and ``.../pin/{pinId}/resend/voice``."""

from __future__ import annotations

from .._models import PinSent
from .._request import ApiRequest
from . import Endpoint
from .sms import resend_body, send_pin_body

SEND_VOICE_PIN = Endpoint("POST", "/2fa/{version}/pin/voice", PinSent, operation="send_voice_pin")
RESEND_VOICE_PIN = Endpoint("POST", "/2fa/{version}/pin/{pinId}/resend/voice", PinSent, operation="resend_voice_pin")


def send_voice_pin(
    version: int,
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
        application_id=application_id, message_id=message_id, to=to, from_=from_, placeholders=placeholders,
        track_delivery=track_delivery,
    )  # fmt: skip
    return SEND_VOICE_PIN.request(version, body=body)


def resend_voice_pin(
    version: int, pin_id: object, *, placeholders: object = None, track_delivery: object = None
) -> ApiRequest[PinSent]:
    """Describe a resend of the same PIN over voice."""
    return RESEND_VOICE_PIN.request(version, body=resend_body(placeholders, track_delivery), pin_id=pin_id)
