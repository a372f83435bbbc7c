"""The request description that endpoint modules build and the transport carries out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

import attrs

__all__ = ["ApiRequest"]

T = TypeVar("T")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@attrs.frozen
class ApiRequest(Generic[T]):
    """One API call, described as data: no HTTP, no JSON.

    ``response_type`` is what the converter builds from the answer (a model class or e.g. ``list[Model]``).
    ``idempotent`` says whether sending it twice is harmless, which decides whether a failure after the
    request may have reached the server (5xx, read timeout, dropped connection) may be retried.
    """

    method: str
    path: str
    response_type: type[T]
    body: object | None = None
    query: Mapping[str, str] | None = None
    # For answers that wrap the payload in an object ({"verifications": [...]}): the key to read it from.
    unwrap: str | None = None
    idempotent: bool = attrs.field(
        default=attrs.Factory(lambda self: self.method in _IDEMPOTENT_METHODS, takes_self=True)
    )
