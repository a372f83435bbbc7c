"""``client.templates`` and ``client.email_templates``: the message templates of an application."""

from __future__ import annotations

import builtins

from ._endpoints import email_templates, fields_of, templates
from ._management_models import (
    EmailTemplate,
    EmailTemplateBody,
    Language,
    MessageTemplate,
    PinType,
    RegionalOptions,
    TemplateBody,
)
from ._options import NOT_GIVEN, DeadlineArg, TimeoutArg
from ._resources import Group

__all__ = ["EmailTemplates", "Templates"]


class Templates(Group):
    """SMS and voice message templates of an application (listing and getting show e-mail ones too)."""

    async def list(
        self,
        application_id: str,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> builtins.list[MessageTemplate]:
        """Every template of an application (SMS, voice and e-mail ones).

        Args:
            application_id: The application's id.
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The templates.

        Raises:
            InvalidRequestError: An id is not a usable string (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (reads and updates are retried after 5xx and timeouts).
            DeadlineExceededError: The deadline ran out.
        """
        request = templates.list_templates(application_id)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def create(
        self,
        application_id: str,
        *,
        message_text: str,
        pin_type: PinType | str,
        pin_length: int | None = None,
        language: Language | str | None = None,
        sender_id: str | None = None,
        repeat_dtmf: str | None = None,
        speech_rate: float | None = None,
        voice_name: str | None = None,
        regional: RegionalOptions | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> MessageTemplate:
        """Create an SMS/voice template.

        Args:
            application_id: The application's id.
            message_text: The message; must contain ``{{pin}}``, where the PIN goes.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC`` (a ``PinType`` or its string).
            pin_length: How many characters the PIN has (at least 1).
            language: The language a voice message is read in (a ``Language`` or e.g. ``"en"``).
            sender_id: The sender shown on the SMS.
            repeat_dtmf: A key sequence that repeats a voice message, e.g. ``"1#"``.
            speech_rate: How fast a voice message is read, 0.5 to 2.
            voice_name: The voice reading the message, e.g. ``"Joanna"``.
            regional: Regional options (India DLT ids).
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The template, with its new ``message_id``.

        Raises:
            InvalidRequestError: A field is invalid, checked before anything is sent.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a create is not retried after it may have reached the server).
            DeadlineExceededError: The deadline ran out.
        """
        request = templates.create_template(application_id, fields_of(TemplateBody, locals()))
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def get(
        self,
        application_id: str,
        message_id: str,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> MessageTemplate:
        """One template by id.

        Args:
            application_id: The application's id.
            message_id: The template's id.
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The template.

        Raises:
            InvalidRequestError: An id is not a usable string (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (reads and updates are retried after 5xx and timeouts).
            DeadlineExceededError: The deadline ran out.
        """
        request = templates.get_template(application_id, message_id)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

    async def update(
        self,
        application_id: str,
        message_id: str,
        *,
        message_text: str | None = None,
        pin_type: PinType | str | None = None,
        pin_length: int | None = None,
        language: Language | str | None = None,
        sender_id: str | None = None,
        repeat_dtmf: str | None = None,
        speech_rate: float | None = None,
        voice_name: str | None = None,
        regional: RegionalOptions | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> MessageTemplate:
        """Change the fields given; the others are left out of the request.

        Args:
            application_id: The application's id.
            message_id: The template's id.
            message_text: The message; must contain ``{{pin}}``, where the PIN goes.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC`` (a ``PinType`` or its string).
            pin_length: How many characters the PIN has (at least 1).
            language: The language a voice message is read in (a ``Language`` or e.g. ``"en"``).
            sender_id: The sender shown on the SMS.
            repeat_dtmf: A key sequence that repeats a voice message, e.g. ``"1#"``.
            speech_rate: How fast a voice message is read, 0.5 to 2.
            voice_name: The voice reading the message, e.g. ``"Joanna"``.
            regional: Regional options (India DLT ids).
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The template as it now is.

        Raises:
            InvalidRequestError: An id is not a usable string (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (reads and updates are retried after 5xx and timeouts).
            DeadlineExceededError: The deadline ran out.
        """
        request = templates.update_template(application_id, message_id, fields_of(TemplateBody, locals()))
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)


class EmailTemplates(Group):
    """E-mail message templates of an application."""

    async def create(
        self,
        application_id: str,
        *,
        email_template_id: int,
        from_: str | None = None,
        landing_page_id: str | None = None,
        pin_length: int | None = None,
        pin_type: PinType | str | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailTemplate:
        """Create an e-mail template that sends the PIN with e-mail template ``email_template_id``.

        Args:
            application_id: The application's id.
            email_template_id: The id of the e-mail template that carries the PIN.
            from_: The sender address.
            landing_page_id: The landing page the e-mail links to.
            pin_length: How many characters the PIN has.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC``.
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The e-mail template, with its new ``message_id``.

        Raises:
            InvalidRequestError: A field is invalid, checked before anything is sent.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a create is not retried after it may have reached the server).
            DeadlineExceededError: The deadline ran out.
        """
        fields = fields_of(EmailTemplateBody, locals())
        request = email_templates.create_email_template(application_id, fields)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)

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
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailTemplate:
        """Change the fields given of an e-mail template.

        Args:
            application_id: The application's id.
            message_id: The e-mail template's id.
            email_template_id: The id of the e-mail template that carries the PIN.
            from_: The sender address.
            landing_page_id: The landing page the e-mail links to.
            pin_length: How many characters the PIN has.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC``.
            max_retries: Retries allowed for this call (default: the client's ``RetryPolicy``).
            timeout: Bound on each attempt (default: the client's).
            deadline: Bound on the whole call, in seconds; None for none (default: the client's).

        Returns:
            The e-mail template as it now is.

        Raises:
            InvalidRequestError: An id is not a usable string (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (reads and updates are retried after 5xx and timeouts).
            DeadlineExceededError: The deadline ran out.
        """
        fields = fields_of(EmailTemplateBody, locals())
        request = email_templates.update_email_template(application_id, message_id, fields)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)
