"""The sandbox's applications: ``/2fa/2/applications`` and ``/2fa/2/applications/{appId}``."""

from __future__ import annotations

from datetime import timedelta
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


#: The longest time to live and limit windows, as the spec words them: "Must not exceed one year" (pinTimeToLive,
#: the two send limits), "Must not exceed one day" (verifyPinLimit). A year is taken as 365 days.
_LONGEST = {
    "pinTimeToLive": timedelta(days=365),
    "sendPinPerApplicationLimit": timedelta(days=365),
    "sendPinPerPhoneNumberLimit": timedelta(days=365),
    "verifyPinLimit": timedelta(days=1),
}
_LONGEST_WORDS = {timedelta(days=365): "one year (365d)", timedelta(days=1): "one day (1d)"}


def _window(key: str, value: Any) -> timedelta:
    """The duration a configuration field sets (a limit's window); 400 naming the field when it is not one, or is
    longer than the spec allows (durations too long for Python's timedelta included)."""
    try:
        window = parse_duration(key, value) if key == "pinTimeToLive" else parse_limit(key, value).window
    except InvalidRequestError as error:
        raise bad_request(f"configuration.{key}", error.problem) from None
    except OverflowError:  # "99999999999999d": past any timedelta, so past the longest allowed too
        window = timedelta.max
    if window > _LONGEST[key]:
        raise bad_request(f"configuration.{key}", f"must not exceed {_LONGEST_WORDS[_LONGEST[key]]}")
    return window


def _configuration(body: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """``base`` with the fields the body's configuration sets, each checked as the service checks it."""
    given = fields.present(body, "configuration")
    if given is None:
        return dict(base)
    if not isinstance(given, dict):  # null too: the spec's configuration is an object, never nullable
        raise bad_request("configuration", "must be an object")
    for key in DEFAULT_CONFIGURATION:
        fields.present(given, key, "configuration.")
    merged = dict(base)
    merged.update((key, value) for key, value in given.items() if key in DEFAULT_CONFIGURATION)
    attempts = merged["pinAttempts"]
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= fields.INT32_MAX:
        raise bad_request("configuration.pinAttempts", f"must be a whole number from 1 to {fields.INT32_MAX}")
    if not isinstance(merged["allowMultiplePinVerifications"], bool):
        raise bad_request("configuration.allowMultiplePinVerifications", "must be true or false")
    for key in _LONGEST:
        _window(key, merged[key])
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
            "configuration": _configuration(body, DEFAULT_CONFIGURATION),
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
            "configuration": _configuration(body, application["configuration"]),
        }
        if fields.boolean(body, "enabled") is not None:
            updated["enabled"] = body["enabled"]
        self.store.applications[application["applicationId"]] = updated
        return 200, updated, {}
