"""Verification status: ``GET /2fa/2/applications/{appId}/verifications``."""

from __future__ import annotations

from .._models import Verification
from .._request import ApiRequest
from .._validation import check_bool, check_phone_number
from .applications import application_path


def _flag(argument: str, value: object) -> str | None:
    checked = check_bool(argument, value)
    return None if checked is None else ("true" if checked else "false")


def verification_status(
    application_id: object, *, msisdn: object, verified: object = None, sent: object = None
) -> ApiRequest[list[Verification]]:
    """Describe the status query; reads both ``{"verifications": [...]}`` and the v1 bare array."""
    query = {"msisdn": check_phone_number("msisdn", msisdn)}
    for name, value in (("verified", verified), ("sent", sent)):
        flag = _flag(name, value)
        if flag is not None:
            query[name] = flag
    path = f"{application_path(application_id)}/verifications"
    route = "/2fa/2/applications/{applicationId}/verifications"
    return ApiRequest(
        "GET", path, list[Verification], query=query, unwrap="verifications", operation="verification_status",
        route=route,
    )  # fmt: skip
