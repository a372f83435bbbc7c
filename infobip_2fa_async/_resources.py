"""The management groups of TwoFactorClient: ``client.applications``, ``client.templates``,
``client.email_templates``. Each method validates through an endpoint module and sends through the transport's
``call``."""

from __future__ import annotations

import builtins

from ._endpoints import applications, email_templates, fields_of, templates
from ._management_models import (
    Application,
    ApplicationConfiguration,
    EmailTemplate,
    EmailTemplateBody,
    Language,
    MessageTemplate,
    PinType,
    RegionalOptions,
    TemplateBody,
)
from ._options import NOT_GIVEN, DeadlineArg, TimeoutArg
from ._request import Call

__all__ = ["Applications", "EmailTemplates", "Templates"]


class _Group:
    def __init__(self, call: Call) -> None:
        self._call = call

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of a TwoFactorClient>"


class Applications(_Group):
    """2FA applications: each holds the PIN rules (attempts, time to live, limits) for one use."""

    async def list(
        self,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> builtins.list[Application]:
        """Every application of the account."""
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
        """Create an application; its configuration is checked locally first."""
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
        """One application by id."""
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
        """Change an application's name, configuration or enabled flag."""
        request = applications.update_application(
            application_id, name=name, configuration=configuration, enabled=enabled
        )
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)


class Templates(_Group):
    """SMS and voice message templates of an application (listing and getting show e-mail ones too)."""

    async def list(
        self,
        application_id: str,
        *,
        max_retries: int | None = None,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> builtins.list[MessageTemplate]:
        """Every template of the application."""
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
        """Create an SMS/voice template; ``message_text`` must contain ``{{pin}}``."""
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
        """One template by id."""
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
        """Change the fields given; the others are left out of the request."""
        request = templates.update_template(application_id, message_id, fields_of(TemplateBody, locals()))
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)


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
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailTemplate:
        """Create an e-mail template that sends the PIN with e-mail template ``email_template_id``."""
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
        """Change the fields given of an e-mail template."""
        fields = fields_of(EmailTemplateBody, locals())
        request = email_templates.update_email_template(application_id, message_id, fields)
        return await self._call(request, max_retries=max_retries, timeout=timeout, deadline=deadline)
