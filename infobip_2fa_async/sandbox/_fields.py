"""Reading fields of a request's JSON body the way the service checks them: each raises a 400 naming the field."""

from __future__ import annotations

from typing import Any

from ._errors import ApiFailure, bad_request

__all__ = ["boolean", "json_object", "placeholders", "string", "whole_number"]


def json_object(body: Any) -> dict[str, Any]:
    """The body as an object ({} when there is none); 400 when it is another JSON value."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiFailure(400, "BAD_REQUEST", "The request body must be a JSON object")
    return body


def string(body: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    """A string field; a required one must be present and not blank."""
    value = body.get(field)
    if value is None:
        if required:
            raise bad_request(field, "must not be null")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise bad_request(field, "must be a non-empty string")
    return value


def whole_number(body: dict[str, Any], field: str, minimum: int = 1) -> int | None:
    """A whole-number field (not a bool) of at least ``minimum``."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_request(field, f"must be a whole number >= {minimum}")
    return value


def boolean(body: dict[str, Any], field: str) -> bool | None:
    """A true/false field."""
    value = body.get(field)
    if value is not None and not isinstance(value, bool):
        raise bad_request(field, "must be true or false")
    return value


def placeholders(body: dict[str, Any], field: str) -> dict[str, str]:
    """Template placeholders: an object of strings, keys without braces and not ``pin``."""
    value = body.get(field) or {}
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise bad_request(field, "must be an object of string values")
    if any("{" in key or "}" in key or key == "pin" for key in value):
        raise bad_request(field, "keys must not contain braces or be 'pin'")
    return value
