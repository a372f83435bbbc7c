"""``client.templates``: the SMS and voice message templates of an application."""

from __future__ import annotations

import builtins

from .._endpoints import templates
from .._management_models import Language, MessageTemplate, PinType, RegionalOptions
from .._options import NOT_GIVEN, DeadlineArg, RetriesArg, TimeoutArg
from . import Resource

__all__ = ["Templates"]


class Templates(Resource):
    """SMS and voice message templates of an application (listing and getting show e-mail ones too)."""

    async def list(
        self,
        application_id: str,
        *,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> builtins.list[MessageTemplate]:
        """Every template of an application (SMS, voice and e-mail ones).

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.

        Returns:
            The templates.

        Raises:
            InvalidRequestError: The id is not a usable string, or an option is invalid (nothing was sent).
            NotFoundError: No such application.
            ApiError: Another error status.
            TransportError: No answer came (a GET is retried after 5xx and timeouts: it changes nothing).
        """
        return await self._send(templates.list_templates(application_id), max_retries, timeout, deadline)

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
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> MessageTemplate:
        """Create an SMS/voice template.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.
            message_text: The message; must contain ``{{pin}}``, where the PIN goes.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC`` (a ``PinType`` or its string).
            pin_length: How many characters the PIN has, 1 to 8.
            language: The language a voice message is read in (a ``Language`` or e.g. ``"en"``).
            sender_id: The sender shown on the SMS.
            repeat_dtmf: A key sequence that repeats a voice message, e.g. ``"1#"``.
            speech_rate: How fast a voice message is read, 0.5 to 2.
            voice_name: The voice reading the message, e.g. ``"Joanna"``.
            regional: Regional options (India DLT ids).

        Returns:
            The template, with its new ``message_id``.

        Raises:
            InvalidRequestError: The id, a field or an option is invalid (nothing was sent).
            NotFoundError: No such application.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a create is not retried after it may have reached the server).
        """
        body = templates.template_body(
            creating=True, message_text=message_text, pin_type=pin_type, pin_length=pin_length, language=language,
            sender_id=sender_id, repeat_dtmf=repeat_dtmf, speech_rate=speech_rate, voice_name=voice_name,
            regional=regional,
        )  # fmt: skip
        return await self._send(templates.create_template(application_id, body), max_retries, timeout, deadline)

    async def get(
        self,
        application_id: str,
        message_id: str,
        *,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> MessageTemplate:
        """One template by id.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.
            message_id: The template's id.

        Returns:
            The template.

        Raises:
            InvalidRequestError: An id is not a usable string, or an option is invalid (nothing was sent).
            NotFoundError: No such application or template.
            ApiError: Another error status.
            TransportError: No answer came (a GET is retried after 5xx and timeouts: it changes nothing).
        """
        request = templates.get_template(application_id, message_id)
        return await self._send(request, max_retries, timeout, deadline)

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
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> MessageTemplate:
        """Change the fields given; the others are left out of the request.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The application's id.
            message_id: The template's id.
            message_text: The message; must contain ``{{pin}}``, where the PIN goes.
            pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC`` (a ``PinType`` or its string).
            pin_length: How many characters the PIN has, 1 to 8.
            language: The language a voice message is read in (a ``Language`` or e.g. ``"en"``).
            sender_id: The sender shown on the SMS.
            repeat_dtmf: A key sequence that repeats a voice message, e.g. ``"1#"``.
            speech_rate: How fast a voice message is read, 0.5 to 2.
            voice_name: The voice reading the message, e.g. ``"Joanna"``.
            regional: Regional options (India DLT ids).

        Returns:
            The template as it now is.

        Raises:
            InvalidRequestError: An id, a field or an option is invalid (nothing was sent).
            NotFoundError: No such application or template.
            BadRequestError: The service refused a field.
            ApiError: Another error status.
            TransportError: No answer came (a PUT is retried after 5xx and timeouts: it says the same again).
        """
        body = templates.template_body(
            creating=False, message_text=message_text, pin_type=pin_type, pin_length=pin_length, language=language,
            sender_id=sender_id, repeat_dtmf=repeat_dtmf, speech_rate=speech_rate, voice_name=voice_name,
            regional=regional,
        )  # fmt: skip
        request = templates.update_template(application_id, message_id, body)
        return await self._send(request, max_retries, timeout, deadline)
