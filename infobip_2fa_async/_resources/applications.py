"""``client.applications``: the 2FA applications of the account."""

from __future__ import annotations

import builtins

from .._endpoints import applications
from .._management_models import Application, ApplicationConfiguration
from .._options import NOT_GIVEN, DeadlineArg, RetriesArg, TimeoutArg
from . import Resource

__all__ = ["Applications"]


class Applications(Resource):
    """2FA applications: each holds the PIN rules (attempts, time to live, limits) for one use."""

    async def list(
        self,
        *,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> builtins.list[Application]:
        """Every application of the account.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Returns:
            The applications, each with its ``configuration``.

        Raises:
            InvalidRequestError: An option is invalid (nothing was sent).
            ApiError: An error status (``AuthenticationError`` for a refused key, ...).
            TransportError: No answer came (a GET is retried after 5xx and timeouts: it changes nothing).
        """
        return await self._send(applications.list_applications(), max_retries, timeout, deadline)

    async def create(
        self,
        *,
        name: str,
        configuration: ApplicationConfiguration | None = None,
        enabled: bool | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> Application:
        """Create an application (the API answers 201).

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            name: The application's name.
            configuration: Its PIN rules (attempts, time to live, limits), each checked before anything is sent;
                left out, the server's defaults.
            enabled: Whether it may send PINs.

        Returns:
            The application, with its new ``application_id``.

        Raises:
            InvalidRequestError: A field or option is invalid (nothing was sent).
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a create is not retried after it may have reached the server).
        """
        request = applications.create_application(name=name, configuration=configuration, enabled=enabled)
        return await self._send(request, max_retries, timeout, deadline)

    async def get(
        self,
        application_id: str,
        *,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> Application:
        """One application by id.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.

        Returns:
            The application.

        Raises:
            InvalidRequestError: The id is not a usable string, or an option is invalid (nothing was sent).
            NotFoundError: No such application.
            ApiError: Another error status.
            TransportError: No answer came (a GET is retried after 5xx and timeouts: it changes nothing).
        """
        return await self._send(applications.get_application(application_id), max_retries, timeout, deadline)

    async def update(
        self,
        application_id: str,
        *,
        name: str,
        configuration: ApplicationConfiguration | None = None,
        enabled: bool | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> Application:
        """Replace an application's name, configuration and enabled flag.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.
            name: The application's name.
            configuration: Its PIN rules, each checked before anything is sent; left out, its current values.
            enabled: Whether it may send PINs.

        Returns:
            The application as it now is.

        Raises:
            InvalidRequestError: The id, a field or an option is invalid (nothing was sent).
            NotFoundError: No such application.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a PUT is retried after 5xx and timeouts: it says the same again).
        """
        request = applications.update_application(
            application_id, name=name, configuration=configuration, enabled=enabled
        )
        return await self._send(request, max_retries, timeout, deadline)
