"""Resend an existing PIN over SMS: ``POST /2fa/{1,2}/pin/{pinId}/resend``."""

from __future__ import annotations

from .._models import PinSent, ResendPinBody
from .._request import ApiRequest
from .._validation import check_bool, check_placeholders, path_segment


def resend_body(placeholders: object, track_delivery: object) -> ResendPinBody | None:
    """The optional resend body: none at all when there is nothing to say, as in the seed's example."""
    checked = check_placeholders("placeholders", placeholders)
    track = check_bool("track_delivery", track_delivery)
    return None if checked is None and track is None else ResendPinBody(checked, track)


def resend_pin(
    base: str, pin_id: object, *, placeholders: object = None, track_delivery: object = None
) -> ApiRequest[PinSent]:
    """Describe a resend of the same PIN, under the same pinId, over SMS."""
    path = f"{base}/pin/{path_segment('pin_id', pin_id)}/resend"
    return ApiRequest("POST", path, PinSent, body=resend_body(placeholders, track_delivery))
