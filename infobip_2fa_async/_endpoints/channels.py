"""Send a PIN over a channel named at run time (``"sms"`` or ``"voice"``), as bulk dispatch and the CLI do."""

from __future__ import annotations

from typing import Literal

from .._exceptions import InvalidRequestError
from .._models import PinSent
from .._request import ApiRequest
from . import sms, voice

__all__ = ["CHANNELS", "Channel", "send_pin_request"]

Channel = Literal["sms", "voice"]
CHANNELS: tuple[Channel, ...] = ("sms", "voice")


def send_pin_request(
    version: int,
    channel: object,
    *,
    application_id: object,
    message_id: object,
    to: object,
    from_: object = None,
    placeholders: object = None,
    track_delivery: object = None,
    nc_needed: object = None,
) -> ApiRequest[PinSent]:
    """Describe a PIN send over ``channel``; ``nc_needed`` (number lookup) applies to SMS only."""
    if channel == "sms":
        return sms.send_pin(
            version, application_id=application_id, message_id=message_id, to=to, from_=from_,
            placeholders=placeholders, track_delivery=track_delivery, nc_needed=nc_needed,
        )  # fmt: skip
    if channel == "voice":
        if nc_needed is not None:
            raise InvalidRequestError("nc_needed", "applies to SMS only; leave it None for channel='voice'")
        return voice.send_voice_pin(
            version, application_id=application_id, message_id=message_id, to=to, from_=from_,
            placeholders=placeholders, track_delivery=track_delivery,
        )  # fmt: skip
    raise InvalidRequestError("channel", f"must be 'sms' or 'voice', not {channel!r}")
