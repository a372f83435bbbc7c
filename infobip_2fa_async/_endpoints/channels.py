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


def send_pin_request(base: str, channel: object, *, nc_needed: object = None, **fields: object) -> ApiRequest[PinSent]:
    """Describe a PIN send over ``channel`` (``fields`` as ``sms.send_pin_body`` takes them); ``nc_needed`` (number
    lookup) applies to SMS only."""
    if channel == "sms":
        return sms.send_pin(base, nc_needed=nc_needed, **fields)
    if channel == "voice":
        if nc_needed is not None:
            raise InvalidRequestError("nc_needed", "applies to SMS only; leave it None for channel='voice'")
        return voice.send_voice_pin(base, **fields)
    raise InvalidRequestError("channel", f"must be 'sms' or 'voice', not {channel!r}")
