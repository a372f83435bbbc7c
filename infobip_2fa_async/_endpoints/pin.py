"""Send a PIN over SMS: ``POST /2fa/{1,2}/pin``."""

from __future__ import annotations

from .._models import PinSent, SendPinBody
from .._request import ApiRequest
from .._validation import check_bool, check_phone_number, check_placeholders, check_text


def send_pin_body(
    *,
    application_id: object,
    message_id: object,
    to: object,
    from_: object = None,
    placeholders: object = None,
    track_delivery: object = None,
) -> SendPinBody:
    """Validate the fields shared by the SMS and voice sends and build their body."""
    return SendPinBody(
        application_id=check_text("application_id", application_id),
        message_id=check_text("message_id", message_id),
        to=check_phone_number("to", to),
        from_=None if from_ is None else check_text("from_", from_),
        placeholders=check_placeholders("placeholders", placeholders),
        track_delivery=check_bool("track_delivery", track_delivery),
    )


def send_pin(
    base: str,
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
        application_id=application_id,
        message_id=message_id,
        to=to,
        from_=from_,
        placeholders=placeholders,
        track_delivery=track_delivery,
    )
    nc = check_bool("nc_needed", nc_needed)
    query = None if nc is None else {"ncNeeded": "true" if nc else "false"}
    return ApiRequest("POST", f"{base}/pin", PinSent, body=body, query=query)
