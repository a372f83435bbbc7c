"""Verify the PIN a user typed: ``POST /2fa/{1,2}/pin/{pinId}/verify``."""

from __future__ import annotations

from .._models import PinVerification, VerifyPinBody
from .._request import ApiRequest
from .._validation import check_pin
from . import Endpoint

VERIFY_PIN = Endpoint("POST", "/2fa/{version}/pin/{pinId}/verify", PinVerification, operation="verify_pin")


def verify_pin(version: int, pin_id: object, pin: object) -> ApiRequest[PinVerification]:
    """Describe a verification; each one spends one of the PIN's attempts, so it is never idempotent."""
    return VERIFY_PIN.request(version, body=VerifyPinBody(pin=check_pin(pin)), pin_id=pin_id)
