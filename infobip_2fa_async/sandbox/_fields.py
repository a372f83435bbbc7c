"""Reading fields of a request's JSON body the way the service checks them: each raises a 400 naming the field."""

from __future__ import annotations

from typing import Any

from ._errors import ApiFailure, bad_request

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "boolean",
    "json_object",
    "placeholders",
    "present",
    "query_flag",
    "string",
    "whole_number",
]


def json_object(body: Any) -> dict[str, Any]:
    """The body as an object ({} when there is none); 400 when it is another JSON value, or when a field is null
    (no field of the spec is nullable: a null is refused, not taken for an absent field)."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiFailure(400, "BAD_REQUEST", "The request body must be a JSON object")
    return body


def present(body: dict[str, Any], field: str, prefix: str = "") -> Any:
    """A declared field's value, None when absent; 400 when it is there but null (no field of the spec is
    nullable: a null is refused, not taken for an absent field). Unknown fields are never looked at."""
    value = body.get(field)
    if value is None and field in body:
        raise bad_request(f"{prefix}{field}", "must not be null")
    return value


def string(body: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    """A string field; a required one must be present and not blank."""
    value = present(body, field)
    if value is None:
        if required:
            raise bad_request(field, "must not be null")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad_request(field, "must be a non-empty string")
    return value


#: The largest value of an ``int32`` field of the spec (pinAttempts, pinLength); ``int64`` for emailTemplateId.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def whole_number(body: dict[str, Any], field: str, minimum: int = 1, maximum: int = INT32_MAX) -> int | None:
    """A whole-number field (not a bool) from ``minimum`` to ``maximum``."""
    value = present(body, field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise bad_request(field, f"must be a whole number from {minimum} to {maximum}")
    return value


def boolean(body: dict[str, Any], field: str) -> bool | None:
    """A true/false field."""
    value = present(body, field)
    if value is not None and not isinstance(value, bool):
        raise bad_request(field, "must be true or false")
    return value


def query_flag(query: dict[str, str], name: str, default: bool | None = None) -> bool | None:
    """A boolean query parameter: ``true`` or ``false`` (any case); 400 naming it otherwise."""
    value = query.get(name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise bad_request(name, "must be true or false")
    return value.lower() == "true"


def placeholders(body: dict[str, Any], field: str) -> dict[str, str]:
    """Template placeholders: an object of strings, keys without braces and not ``pin``."""
    value = present(body, field) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise bad_request(field, "must be an object of string values")
    if any("{" in key or "}" in key or key == "pin" for key in value):
        raise bad_request(field, "keys must not contain braces or be 'pin'")
    return value
