"""The sandbox's applications: ``/2fa/2/applications`` and ``/2fa/2/applications/{appId}``."""

from __future__ import annotations

from typing import Any

from .._durations import parse_duration, parse_limit
from .._exceptions import InvalidRequestError
from . import _fields as fields
from ._errors import bad_request
from ._store import Answer, Store, new_id

__all__ = ["DEFAULT_CONFIGURATION", "Applications"]

DEFAULT_CONFIGURATION: dict[str, Any] = {
    "pinAttempts": 10,
    "allowMultiplePinVerifications": True,
    "pinTimeToLive": "15m",
    "verifyPinLimit": "1/3s",
    "sendPinPerApplicationLimit": "10000/1d",
    "sendPinPerPhoneNumberLimit": "3/1d",
}


def _configuration(given: Any, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the fields ``given`` sets, each checked as the service checks it."""
    if given is None:
        return dict(base)
    if not isinstance(given, dict):
        raise bad_request("configuration", "must be an object")
    merged = dict(base)
    for key, value in given.items():
        if key not in DEFAULT_CONFIGURATION or value is None:
            continue
        merged[key] = value
    if fields.whole_number(merged, "pinAttempts") is None:
        raise bad_request("configuration.pinAttempts", "must be a whole number >= 1")
    fields.boolean(merged, "allowMultiplePinVerifications")
    try:
        parse_duration("pinTimeToLive", merged["pinTimeToLive"])
        for key in ("verifyPinLimit", "sendPinPerApplicationLimit", "sendPinPerPhoneNumberLimit"):
            parse_limit(key, merged[key])
    except InvalidRequestError as error:
        raise bad_request(f"configuration.{error.argument}", error.problem) from None
    return merged


class Applications:
    """List, create, read and update applications."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, list(self.store.applications.values()), {}

    def create(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        body = fields.json_object(body)
        application_id = new_id()
        application = {
            "applicationId": application_id,
            "name": fields.string(body, "name", required=True),
            "configuration": _configuration(body.get("configuration"), DEFAULT_CONFIGURATION),
            "enabled": True if fields.boolean(body, "enabled") is None else body["enabled"],
        }
        self.store.applications[application_id] = application
        self.store.templates[application_id] = {}
        return 201, application, {}

    def get(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        return 200, self.store.application(params["appId"]), {}

    def update(self, params: dict[str, str], query: dict[str, str], body: Any) -> Answer:
        application = self.store.application(params["appId"])
        body = fields.json_object(body)
        updated = {
            **application,
            "name": fields.string(body, "name", required=True),
            "configuration": _configuration(body.get("configuration"), application["configuration"]),
        }
        if fields.boolean(body, "enabled") is not None:
            updated["enabled"] = body["enabled"]
        self.store.applications[application["applicationId"]] = updated
        return 200, updated, {}
