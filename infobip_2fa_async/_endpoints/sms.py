"""PINs over SMS: send ``POST /2fa/{1,2}/pin`` and resend ``POST /2fa/{1,2}/pin/{pinId}/resend``.

The send body and the resend body are shared with the voice operations (``voice``).
"""

from __future__ import annotations

from .._models import PinSent, ResendPinBody, SendPinBody
from .._request import ApiRequest
from .._validation import check_bool, check_phone_number, check_placeholders, check_text
from . import Endpoint

SEND_PIN = Endpoint("POST", "/2fa/{version}/pin", PinSent, operation="send_pin")
RESEND_PIN = Endpoint("POST", "/2fa/{version}/pin/{pinId}/resend", PinSent, operation="resend_pin")


def send_pin_body(
    *,
    application_id: object,
    message_id: object,
    to: object,
    from_: object,
    placeholders: object,
    track_delivery: object,
) -> SendPinBody:
    """Check the fields shared by the SMS and voice sends and build their body."""
    return SendPinBody(
        application_id=check_text("application_id", application_id),
        message_id=check_text("message_id", message_id),
        to=check_phone_number("to", to),
        from_=None if from_ is None else check_text("from_", from_),
        placeholders=check_placeholders("placeholders", placeholders),
        track_delivery=check_bool("track_delivery", track_delivery),
    )


def resend_body(placeholders: object, track_delivery: object) -> ResendPinBody | None:
    """The optional resend body (SMS and voice): none at all when there is nothing to say."""
    checked = check_placeholders("placeholders", placeholders)
    track = check_bool("track_delivery", track_delivery)
    return None if checked is None and track is None else ResendPinBody(checked, track)


def send_pin(
    version: int,
    *,
    application_id: object,
    message_id: object,
    to: object,
    from_: object = None,
    placeholders: object = None,
    track_delivery: object = None,
    nc_needed: object = None,
) -> ApiRequest[PinSent]:
    """Describe a PIN send over SMS; ``ncNeeded`` goes in the query only when given."""
    body = send_pin_body(
        application_id=application_id, message_id=message_id, to=to, from_=from_, placeholders=placeholders,
        track_delivery=track_delivery,
    )  # fmt: skip
    nc = check_bool("nc_needed", nc_needed)
    query = None if nc is None else {"ncNeeded": "true" if nc else "false"}
    return SEND_PIN.request(version, body=body, query=query)


def resend_pin(
    version: int, pin_id: object, *, placeholders: object = None, track_delivery: object = None
) -> ApiRequest[PinSent]:
    """Describe a resend of the same PIN, under the same pinId, over SMS."""
    return RESEND_PIN.request(version, body=resend_body(placeholders, track_delivery), pin_id=pin_id)
