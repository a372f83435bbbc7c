"""The request description that endpoint modules build and the transport carries out, and the ``Call`` that
carries it out, as the facade's resources and bulk dispatch receive it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import attrs

from ._options import NOT_GIVEN, DeadlineArg, TimeoutArg

if TYPE_CHECKING:
    from ._gate import Gate

__all__ = ["ApiRequest", "BeforeSendHook", "Call"]

T = TypeVar("T")

#: Called right before an attempt goes out, after the gates; may be a coroutine function (a claim in Redis).
BeforeSendHook = Callable[[], "Awaitable[None] | None"]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@attrs.frozen
class ApiRequest(Generic[T]):
    """One API call, described as data: no HTTP, no JSON.

    ``response_type`` is what the converter builds from the answer (a model class or e.g. ``list[Model]``).
    ``empty_answer`` says the operation answers with no body (204), so the call returns None whatever the body.
    ``idempotent`` says whether sending it twice is harmless, which decides whether a failure after the
    request may have reached the server (5xx, read timeout, dropped connection) may be retried.
    ``operation`` (the method as called: ``send_pin``, ``applications.create``) and ``route`` (the path template of
    Infobip's API reference, ``{pinId}``-style placeholders instead of ids) are what instrumentation sees: never an
    id, a number or a PIN. Endpoint modules build it from their ``Endpoint`` (``_endpoints``), which says each of
    these once.
    """

    method: str
    path: str
    response_type: type[T]
    body: object | None = None
    query: Mapping[str, str] | None = None
    # For answers that wrap the payload in an object ({"verifications": [...]}): the key to read it from.
    unwrap: str | None = None
    empty_answer: bool = False
    operation: str = ""
    route: str = ""
    idempotent: bool = attrs.field(
        default=attrs.Factory(lambda self: self.method in _IDEMPOTENT_METHODS, takes_self=True)
    )


class Call(Protocol):
    """Sends an ApiRequest with the client's retry policy and returns its parsed answer (the transport's ``call``)."""

    def __call__(
        self,
        request: ApiRequest[T],
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
        gate: Gate | None = None,
        before_send: BeforeSendHook | None = None,
    ) -> Awaitable[T]: ...
