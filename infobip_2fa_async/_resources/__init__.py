"""The facade, one module per resource: what ``TwoFactorClient`` offers.

- ``pins``: send, resend and verify PINs over SMS, voice and e-mail, and verification status. ``TwoFactorClient``
  is a ``Pins``, so these are ``client.send_pin(...)``;
- ``applications``: ``client.applications``;
- ``templates``: ``client.templates`` (SMS and voice);
- ``email_templates``: ``client.email_templates``.

Each method checks its arguments and describes its call through an endpoint module (``_endpoints``), then sends it
through the client's transport with the per-call options ``max_retries``, ``timeout`` and ``deadline``, which every
method takes and docs/client-options.md describes once.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from .._options import NOT_GIVEN, DeadlineArg, RetriesArg, TimeoutArg, per_call_retries
from .._request import ApiRequest, Call

__all__ = ["Resource"]

T = TypeVar("T")


class Resource:
    """A group of operations: it holds the transport's ``call``, through which its methods send."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def _send(
        self, request: ApiRequest[T], max_retries: RetriesArg, timeout: TimeoutArg, deadline: DeadlineArg
    ) -> Awaitable[T]:
        """Send ``request`` with a call's options; one left out (``NOT_GIVEN``) is the client's."""
        retries = None if max_retries is NOT_GIVEN else per_call_retries(max_retries)
        return self._call(request, max_retries=retries, timeout=timeout, deadline=deadline)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of a TwoFactorClient>"
