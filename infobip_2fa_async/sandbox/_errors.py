"""The sandbox's error answers, in the legacy envelope the 2FA API uses:
``{"requestError": {"serviceException": {"messageId": ..., "text": ..., "validationErrors": {...}}}}``."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ApiFailure", "bad_request", "not_found", "rate_limited"]


class ApiFailure(Exception):
    """An error answer: raised by a handler, turned into the HTTP answer by the app."""

    def __init__(
        self,
        status: int,
        message_id: str,
        text: str,
        validation_errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(text)
        self.status = status
        self.headers = headers or {}
        exception: dict[str, Any] = {"messageId": message_id, "text": text}
        if validation_errors:
            exception["validationErrors"] = validation_errors
        self.body = {"requestError": {"serviceException": exception}}


def bad_request(field: str, message: str) -> ApiFailure:
    """400 BAD_REQUEST naming the field."""
    return ApiFailure(400, "BAD_REQUEST", "Bad request", {field: [message]})


def not_found(what: str) -> ApiFailure:
    """404 NOT_FOUND."""
    return ApiFailure(404, "NOT_FOUND", f"{what} not found")


def rate_limited(wait: float, what: str) -> ApiFailure:
    """429 TOO_MANY_REQUESTS with ``Retry-After``: the whole seconds until ``wait`` has passed (at least 1)."""
    retry_after = max(1, math.ceil(wait))
    return ApiFailure(429, "TOO_MANY_REQUESTS", f"Too many requests: {what}", headers={"Retry-After": str(retry_after)})
