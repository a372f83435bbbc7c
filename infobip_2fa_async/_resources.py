"""``client.applications``, the first of the management groups of TwoFactorClient (the templates' are in
``_template_resources``). Each method validates through an endpoint module and sends through the transport's
``call``."""

from __future__ import annotations

import builtins

from ._endpoints import applications
from ._management_models import (
    Application,
    ApplicationConfiguration,
)
from ._options import NOT_GIVEN, DeadlineArg, TimeoutArg
from ._request import Call

__all__ = ["Applications", "Group"]


class Group:
    def __init__(self, call: Call) -> None:
        self._call = call

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of a TwoFactorClient>"


class Applications(Group):
    """2FA applications: each holds the PIN rules (attempts, time to live, limits) for one use."""

    async def list(
        self,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> builtins.list[Application]:
        """Every application of the account.

        Args:
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The applications, each with its ``configuration``.

        Raises:
            InvalidRequestError: An id is not a usable string (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (reads and updates are retried after 5xx and timeouts).
            DeadlineExceededError: The deadline ran out.
        """
        return await self._call(
            applications.list_applications(), max_retries=max_retries, timeout=timeout, deadline=deadline
        )

    async def create(
        self,
        *,
        name: str,
        configuration: ApplicationConfiguration | None = None,
        enabled: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> Application:
        """Create an application (the API answers 201).

        Args:
            name: The application's name.
            configuration: Its PIN rules (attempts, time to live, limits), checked locally first; left out, the
                server's defaults (or, on update, its current values).
            enabled: Whether it may send PINs.
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The application, with its new ``application_id``.

        Raises:
            InvalidRequestError: A field is invalid, checked before anything is sent.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a create is not retried after it may have reached the server).
            DeadlineExceededError: The deadline ran out.
        """
        request = applications.create_application(name=name, configuration=configuration, enabled=enabled)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def get(
        self,
        application_id: str,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> Application:
        """One application by id.

        Args:
            application_id: The application's id.
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The application.

        Raises:
            InvalidRequestError: An id is not a usable string (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (reads and updates are retried after 5xx and timeouts).
            DeadlineExceededError: The deadline ran out.
        """
        return await self._call(
            applications.get_application(application_id), max_retries=max_retries, timeout=timeout, deadline=deadline
        )

    async def update(
        self,
        application_id: str,
        *,
        name: str,
        configuration: ApplicationConfiguration | None = None,
        enabled: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> Application:
        """Replace an application's name, configuration and enabled flag.

        Args:
            application_id: The application's id.
            name: The application's name.
            configuration: Its PIN rules (attempts, time to live, limits), checked locally first; left out, the
                server's defaults (or, on update, its current values).
            enabled: Whether it may send PINs.
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The application as it now is.

        Raises:
            InvalidRequestError: An id is not a usable string (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (reads and updates are retried after 5xx and timeouts).
            DeadlineExceededError: The deadline ran out.
        """
        request = applications.update_application(
            application_id, name=name, configuration=configuration, enabled=enabled
        )
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)
