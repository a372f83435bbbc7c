"""``client.email_templates``: the e-mail message templates of an application."""

from __future__ import annotations

from .._endpoints import email_templates
from .._management_models import EmailTemplate, PinType
from .._options import NOT_GIVEN, DeadlineArg, RetriesArg, TimeoutArg
from . import Resource

__all__ = ["EmailTemplates"]


class EmailTemplates(Resource):
    """E-mail message templates of an application (``client.templates`` lists and gets them)."""

    async def create(
        self,
        application_id: str,
        *,
        email_template_id: int,
        from_: str | None = None,
        landing_page_id: str | None = None,
        pin_length: int | None = None,
        pin_type: PinType | str | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailTemplate:
        """Create an e-mail template that sends the PIN with e-mail template ``email_template_id``.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.
            email_template_id: The id of the e-mail template that carries the PIN.
            from_: The sender address.
            landing_page_id: The landing page the e-mail links to.
            pin_length: How many characters the PIN has, 1 to 8.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC``.

        Returns:
            The e-mail template, with its new ``message_id``.

        Raises:
            InvalidRequestError: The id, a field or an option is invalid (nothing was sent).
            NotFoundError: No such application.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a create is not retried after it may have reached the server).
        """
        body = email_templates.email_template_body(
            creating=True, email_template_id=email_template_id, from_=from_, landing_page_id=landing_page_id,
            pin_length=pin_length, pin_type=pin_type,
        )  # fmt: skip
        request = email_templates.create_email_template(application_id, body)
        return await self._send(request, max_retries, timeout, deadline)

    async def update(
        self,
        application_id: str,
        message_id: str,
        *,
        email_template_id: int | None = None,
        from_: str | None = None,
        landing_page_id: str | None = None,
        pin_length: int | None = None,
        pin_type: PinType | str | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailTemplate:
        """Change the fields given of an e-mail template; the others are left out of the request.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.
            message_id: The e-mail template's id.
            email_template_id: The id of the e-mail template that carries the PIN.
            from_: The sender address.
            landing_page_id: The landing page the e-mail links to.
            pin_length: How many characters the PIN has, 1 to 8.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC``.

        Returns:
            The e-mail template as it now is.

        Raises:
            InvalidRequestError: An id, a field or an option is invalid (nothing was sent).
            NotFoundError: No such application or template.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a PUT is retried after 5xx and timeouts: it says the same again).
        """
        body = email_templates.email_template_body(
            creating=False, email_template_id=email_template_id, from_=from_, landing_page_id=landing_page_id,
            pin_length=pin_length, pin_type=pin_type,
        )  # fmt: skip
        request = email_templates.update_email_template(application_id, message_id, body)
        return await self._send(request, max_retries, timeout, deadline)
