"""The management groups of TwoFactorClient: ``client.applications``, ``client.templates``,
``client.email_templates``. Each method validates through an endpoint module and sends through the client."""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable
from typing import Any

from ._admin_models import (
    Application,
    ApplicationConfiguration,
    EmailTemplate,
    Language,
    MessageTemplate,
    PinType,
    RegionalOptions,
)
from ._endpoints import applications, templates
from ._options import NOT_GIVEN, TimeoutArg
from ._request import ApiRequest

__all__ = ["Applications", "EmailTemplates", "Templates"]

Call = Callable[[ApiRequest[Any], "int | None", TimeoutArg], Awaitable[Any]]


class _Group:
    def __init__(self, call: Call) -> None:
        self._call = call

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of a TwoFactorClient>"


class Applications(_Group):
    """2FA applications: each holds the PIN rules (attempts, time to live, limits) for one use."""

    async def list(
        self, *, max_retries: int | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[Application]:
        """Every application of the account."""
        result: builtins.list[Application] = await self._call(applications.list_applications(), max_retries, timeout)
        return result

    async def create(
        self,
        *,
        name: str,
        configuration: ApplicationConfiguration | None = None,
        enabled: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Application:
        """Create an application; its configuration is checked locally first."""
        request = applications.create_application(name=name, configuration=configuration, enabled=enabled)
        result: Application = await self._call(request, max_retries, timeout)
        return result

    async def get(
        self, application_id: str, *, max_retries: int | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> Application:
        """One application by id."""
        result: Application = await self._call(applications.get_application(application_id), max_retries, timeout)
        return result

    async def update(
        self,
        application_id: str,
        *,
        name: str,
        configuration: ApplicationConfiguration | None = None,
        enabled: bool | None = None,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> Application:
        """Change an application's name, configuration or enabled flag."""
        request = applications.update_application(
            application_id, name=name, configuration=configuration, enabled=enabled
        )
        result: Application = await self._call(request, max_retries, timeout)
        return result


class Templates(_Group):
    """SMS and voice message templates of an application (listing and getting show e-mail ones too)."""

    async def list(
        self, application_id: str, *, max_retries: int | None = None, timeout: TimeoutArg = NOT_GIVEN
    ) -> builtins.list[MessageTemplate]:
        """Every template of the application."""
        request = templates.list_templates(application_id)
        result: builtins.list[MessageTemplate] = await self._call(request, max_retries, timeout)
        return result

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
    ) -> MessageTemplate:
        """Create an SMS/voice template; ``message_text`` must contain ``{{pin}}``."""
        body = templates.template_body(
            creating=True,
            message_text=message_text,
            pin_type=pin_type,
            pin_length=pin_length,
            language=language,
            sender_id=sender_id,
            repeat_dtmf=repeat_dtmf,
            speech_rate=speech_rate,
            voice_name=voice_name,
            regional=regional,
        )
        result: MessageTemplate = await self._call(
            templates.create_template(application_id, body), max_retries, timeout
        )
        return result

    async def get(
        self,
        application_id: str,
        message_id: str,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
    ) -> MessageTemplate:
        """One template by id."""
        request = templates.get_template(application_id, message_id)
        result: MessageTemplate = await self._call(request, max_retries, timeout)
        return result

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
    ) -> MessageTemplate:
        """Change the fields given; the others are left out of the request."""
        body = templates.template_body(
            creating=False,
            message_text=message_text,
            pin_type=pin_type,
            pin_length=pin_length,
            language=language,
            sender_id=sender_id,
            repeat_dtmf=repeat_dtmf,
            speech_rate=speech_rate,
            voice_name=voice_name,
            regional=regional,
        )
        request = templates.update_template(application_id, message_id, body)
        result: MessageTemplate = await self._call(request, max_retries, timeout)
        return result


class EmailTemplates(_Group):
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
    ) -> EmailTemplate:
        """Create an e-mail template that sends the PIN with e-mail template ``email_template_id``."""
        body = templates.email_template_body(
            creating=True,
            email_template_id=email_template_id,
            from_=from_,
            landing_page_id=landing_page_id,
            pin_length=pin_length,
            pin_type=pin_type,
        )
        request = templates.create_email_template(application_id, body)
        result: EmailTemplate = await self._call(request, max_retries, timeout)
        return result

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
    ) -> EmailTemplate:
        """Change the fields given of an e-mail template."""
        body = templates.email_template_body(
            creating=False,
            email_template_id=email_template_id,
            from_=from_,
            landing_page_id=landing_page_id,
            pin_length=pin_length,
            pin_type=pin_type,
        )
        request = templates.update_email_template(application_id, message_id, body)
        result: EmailTemplate = await self._call(request, max_retries, timeout)
        return result
