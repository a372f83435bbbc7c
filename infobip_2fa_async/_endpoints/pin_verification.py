"""Verify the PIN a user typed: ``POST /2fa/{1,2}/pin/{pinId}/verify``."""

from __future__ import annotations

from .._models import PinVerification, VerifyPinBody
from .._request import ApiRequest
from .._validation import check_pin, path_segment


def verify_pin(base: str, pin_id: object, pin: object) -> ApiRequest[PinVerification]:
    """Describe a verification; each one spends one of the PIN's attempts, so it is never idempotent."""
    path = f"{base}/pin/{path_segment('pin_id', pin_id)}/verify"
    body = VerifyPinBody(pin=check_pin(pin))
    return ApiRequest(
        "POST", path, PinVerification, body=body, operation="verify_pin", route=f"{base}/pin/{{pinId}}/verify"
    )
