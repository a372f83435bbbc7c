"""Endpoint modules: each declares its operations as ``Endpoint`` objects, one template per operation, checks the
arguments, and describes a call as an ApiRequest (no HTTP, no JSON).

- ``sms``, ``voice``, ``email``: send and resend a PIN over that channel; ``channels`` picks one by name;
- ``pin_verification``: verify the PIN a user typed;
- ``verification_status``: what was sent to a number and whether it was verified;
- ``applications``, ``templates`` (SMS/voice), ``email_templates``: the management API.

Every argument is checked the same way: the endpoint function calls a ``check_*`` function (``_validation``) on each
one, by name, before it builds the body, so a bad value raises InvalidRequestError naming the argument and nothing is
sent. Bodies are plain data.
"""

from __future__ import annotations

import re
from typing import Generic, TypeVar

from .._exceptions import ConfigurationError
from .._request import ApiRequest
from .._validation import path_segment

__all__ = ["PATH_IDS", "SUPPORTED_API_VERSIONS", "Endpoint", "check_api_version"]

T = TypeVar("T")

SUPPORTED_API_VERSIONS = (1, 2)

#: The ids a path template may hold, as Infobip's API reference names them, and the argument each comes from.
PATH_IDS = {"appId": "application_id", "msgId": "message_id", "pinId": "pin_id"}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def check_api_version(api_version: object) -> int:
    """The API version of the SMS/voice PIN operations: 2 (``/2fa/2``, current) or 1 (the first API version)."""
    if isinstance(api_version, bool) or api_version not in SUPPORTED_API_VERSIONS:
        raise ConfigurationError(f"api_version must be 1 or 2, not {api_version!r}")
    return api_version


class Endpoint(Generic[T]):
    """One operation of the API, said once: its method, its path template as Infobip's API reference writes it
    (``/2fa/{version}/pin/{pinId}/verify``), what its answer becomes, and the name hooks report.

    The template gives both the path and the route: ``request`` fills each id, checked and escaped
    (``path_segment``), so that no id can change which path is requested; the route is the template with only
    ``{version}`` filled, which is what instrumentation sees (never an id). Everything that does not depend on the
    call (routes, the literal pieces between the ids, idempotency) is worked out here, once.

    Args:
        method: The HTTP method.
        template: The path, with ``{version}`` for the PIN operations that exist in both API versions and ids
            named as in ``PATH_IDS``.
        response_type: What the converter builds from the answer (a model class or e.g. ``list[Model]``).
        operation: The name hooks and spans report: the method as called, ``send_pin`` or ``applications.create``.
        unwrap: For answers that wrap the payload in an object (``{"verifications": [...]}``), the key to read.
    """

    __slots__ = (
        "_arguments", "_forms", "idempotent", "method", "operation", "response_type", "template", "unwrap",
    )  # fmt: skip

    def __init__(
        self, method: str, template: str, response_type: type[T], *, operation: str, unwrap: str | None = None
    ) -> None:
        names = _PLACEHOLDER.findall(template)
        unknown = [name for name in names if name != "version" and name not in PATH_IDS]
        if unknown or len(names) - ("version" in names) > 2:
            raise ValueError(f"{template}: ids must be at most two of {sorted(PATH_IDS)}, not {names}")
        self.method = method
        self.template = template
        self.response_type = response_type
        self.operation = operation
        self.unwrap = unwrap
        self.idempotent = method in _IDEMPOTENT_METHODS
        self._arguments = tuple(PATH_IDS[name] for name in names if name != "version")
        versions: tuple[int | None, ...] = SUPPORTED_API_VERSIONS if "version" in names else (None,)
        # per version: the route, then the literal pieces between the ids
        self._forms: dict[int | None, tuple[str, ...]] = {}
        for version in versions:
            route = template if version is None else template.replace("{version}", str(version))
            self._forms[version] = (route, *_PLACEHOLDER.split(route)[::2])

    def route(self, version: int | None = None) -> str:
        """The path template with ``{version}`` filled: ``/2fa/2/pin/{pinId}/verify``."""
        return self._forms[version][0]

    def path(self, version: int | None = None, **ids: object) -> str:
        """The path with each id checked and escaped: ``/2fa/2/pin/9C81.../verify``."""
        return self.request(version, **ids).path  # type: ignore[arg-type]  # ids only: no body, no query

    def request(
        self, version: int | None = None, *, body: object | None = None, query: dict[str, str] | None = None,
        **ids: object,
    ) -> ApiRequest[T]:  # fmt: skip
        """Describe a call: the path filled with ``ids`` (each checked and escaped), the route, ``body`` and
        ``query``. ``version`` is the client's API version, for the templates that hold ``{version}``."""
        form, arguments = self._forms[version], self._arguments
        # Spelled out for the one or two ids a path of this API holds: this runs on every call. (An id missing is a
        # KeyError; tests call every endpoint.)
        if not arguments:
            path = form[1]
        else:
            first = arguments[0]
            path = form[1] + path_segment(first, ids[first]) + form[2]
            if len(arguments) > 1:
                second = arguments[1]
                path += path_segment(second, ids[second]) + form[3]
        return ApiRequest(
            self.method, path, self.response_type, body, query, self.unwrap, False, self.operation, form[0],
            self.idempotent,
        )  # fmt: skip

    def __repr__(self) -> str:
        return f"Endpoint({self.method!r}, {self.template!r}, operation={self.operation!r})"
