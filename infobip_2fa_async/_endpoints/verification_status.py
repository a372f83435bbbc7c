"""Verification status: ``GET /2fa/2/applications/{appId}/verifications``."""

from __future__ import annotations

from .._models import Verification
from .._request import ApiRequest
from .._validation import check_bool, check_phone_number
from . import Endpoint

VERIFICATION_STATUS = Endpoint(
    "GET", "/2fa/2/applications/{appId}/verifications", list[Verification], operation="verification_status",
    unwrap="verifications",
)  # fmt: skip


def verification_status(
    application_id: object, *, msisdn: object, verified: object = None, sent: object = None
) -> ApiRequest[list[Verification]]:
    """Describe the status query; reads both ``{"verifications": [...]}`` and the v1 bare array."""
    query = {"msisdn": check_phone_number("msisdn", msisdn)}
    for name, value in (("verified", verified), ("sent", sent)):
        flag = check_bool(name, value)
        if flag is not None:
            query[name] = "true" if flag else "false"
    return VERIFICATION_STATUS.request(query=query, application_id=application_id)
