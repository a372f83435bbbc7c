"""Models of the management side of the 2FA API: applications and message templates (SMS, voice, e-mail), and
their request bodies.

Kept apart from the PIN models so that ``import infobip_2fa_async`` does not pay for them until they are used.
The request bodies are plain data: the endpoint modules check each field when they build one (``_endpoints``).
``ApplicationConfiguration`` is also what answers are read into, so it accepts any value when built; it only turns
typed values (a timedelta, a (count, timedelta) pair) into the API's strings.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from ._durations import RateLimit, duration_to_wire, limit_to_wire, parse_duration, parse_limit
from ._models import WireEnum

__all__ = [
    "Application",
    "ApplicationBody",
    "ApplicationConfiguration",
    "EmailTemplate",
    "EmailTemplateBody",
    "IndiaDltOptions",
    "Language",
    "MessageTemplate",
    "PinType",
    "RateLimit",
    "RegionalOptions",
    "TemplateBody",
]


class PinType(WireEnum):
    """Which characters a PIN is made of."""

    NUMERIC = "NUMERIC"
    ALPHA = "ALPHA"
    HEX = "HEX"
    ALPHANUMERIC = "ALPHANUMERIC"


class Language(WireEnum):
    """Language of a voice PIN message."""

    EN = "en"
    ES = "es"
    CA = "ca"
    DA = "da"
    NL = "nl"
    FR = "fr"
    DE = "de"
    IT = "it"
    JA = "ja"
    KO = "ko"
    NO = "no"
    PL = "pl"
    RU = "ru"
    SV = "sv"
    FI = "fi"
    HR = "hr"
    SL = "sl"
    RO = "ro"
    PT_PT = "pt_pt"
    PT_BR = "pt_br"
    ZH_CN = "zh_cn"
    ZH_TW = "zh_tw"


@attrs.frozen
class ApplicationConfiguration:
    """An application's PIN rules. Durations and limits keep their wire form ("15m", "3/1d").

    Each of them may also be given typed: ``pin_time_to_live=timedelta(minutes=15)``,
    ``send_pin_per_phone_number_limit=(3, timedelta(days=1))``. Typed views: ``pin_time_to_live_delta``
    and the ``*_rate`` properties. A field left as None keeps the server's value (or its default).

    Attributes:
        pin_attempts: Verifications one PIN allows (server default 10).
        allow_multiple_pin_verifications: Whether a verified PIN may be verified again (default True).
        pin_time_to_live: How long a PIN lives, ``{length}{unit}`` with unit ms, s, m, h or d (default ``"15m"``).
        verify_pin_limit: Verifications allowed per phone number, ``{attempts}/{duration}`` (default ``"1/3s"``).
        send_pin_per_application_limit: Sends allowed per application (default ``"10000/1d"``).
        send_pin_per_phone_number_limit: Sends allowed per phone number (default ``"3/1d"``).
    """

    pin_attempts: int | None = None
    allow_multiple_pin_verifications: bool | None = None
    pin_time_to_live: str | None = attrs.field(default=None, converter=duration_to_wire)
    verify_pin_limit: str | None = attrs.field(default=None, converter=limit_to_wire)
    send_pin_per_application_limit: str | None = attrs.field(default=None, converter=limit_to_wire)
    send_pin_per_phone_number_limit: str | None = attrs.field(default=None, converter=limit_to_wire)

    @property
    def pin_time_to_live_delta(self) -> timedelta | None:
        """``pin_time_to_live`` as a timedelta."""
        return None if self.pin_time_to_live is None else parse_duration("pin_time_to_live", self.pin_time_to_live)

    @property
    def verify_pin_rate(self) -> RateLimit | None:
        """``verify_pin_limit`` as (count, window)."""
        return None if self.verify_pin_limit is None else parse_limit("verify_pin_limit", self.verify_pin_limit)

    @property
    def send_pin_per_application_rate(self) -> RateLimit | None:
        """``send_pin_per_application_limit`` as (count, window)."""
        value = self.send_pin_per_application_limit
        return None if value is None else parse_limit("send_pin_per_application_limit", value)

    @property
    def send_pin_per_phone_number_rate(self) -> RateLimit | None:
        """``send_pin_per_phone_number_limit`` as (count, window)."""
        value = self.send_pin_per_phone_number_limit
        return None if value is None else parse_limit("send_pin_per_phone_number_limit", value)


@attrs.frozen
class Application:
    """A 2FA application: the PIN rules for one use (login, password reset, ...).

    Attributes:
        application_id: Its id.
        name: Its name.
        configuration: Its PIN rules.
        enabled: Whether it may send PINs.
    """

    application_id: str
    name: str | None = None
    configuration: ApplicationConfiguration | None = None
    enabled: bool | None = None


@attrs.frozen
class IndiaDltOptions:
    """India DLT registration details for SMS templates sent to Indian numbers.

    Attributes:
        principal_entity_id: The registered entity's id (at most 30 characters).
        content_template_id: The registered template's id (at most 30 characters).
        tele_marketer_id: The telemarketer's id (at most 255 characters).
    """

    principal_entity_id: str
    content_template_id: str | None = None
    tele_marketer_id: str | None = None


@attrs.frozen
class RegionalOptions:
    """Region-specific template options.

    Attributes:
        india_dlt: India DLT registration details.
    """

    india_dlt: IndiaDltOptions | None = None


@attrs.frozen
class MessageTemplate:
    """A message template of an application. SMS and voice templates have text; listing and getting
    also return e-mail templates, which carry ``email_template_id``, ``from_`` and ``landing_page_id``.

    Attributes:
        message_id: Its id (``message_id`` in the send calls).
        application_id: The application it belongs to.
        message_text: The message, with ``{{pin}}`` where the PIN goes.
        pin_placeholder: The PIN's placeholder, ``{{pin}}``.
        pin_length: How many characters a PIN has.
        pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC``.
        language: A voice message's language.
        sender_id: The SMS sender.
        repeat_dtmf: The key sequence that repeats a voice message.
        speech_rate: How fast a voice message is read.
        voice_name: The voice reading it.
        regional: Regional options.
        from_: An e-mail template's sender.
        email_template_id: An e-mail template's e-mail template.
        landing_page_id: An e-mail template's landing page.
    """

    message_id: str
    application_id: str | None = None
    message_text: str | None = None
    pin_placeholder: str | None = None
    pin_length: int | None = None
    pin_type: PinType | str | None = None
    language: Language | str | None = None
    sender_id: str | None = None
    repeat_dtmf: str | None = None
    speech_rate: float | None = None
    voice_name: str | None = None
    regional: RegionalOptions | None = None
    from_: str | None = None
    email_template_id: int | None = None
    landing_page_id: str | None = None


@attrs.frozen
class EmailTemplate:
    """An e-mail message template: which e-mail template and landing page carry the PIN.

    Attributes:
        message_id: Its id.
        application_id: The application it belongs to.
        email_template_id: The e-mail template that carries the PIN.
        from_: The sender address.
        landing_page_id: The landing page the e-mail links to.
        pin_length: How many characters a PIN has.
        pin_type: ``NUMERIC``, ``ALPHA``, ``HEX`` or ``ALPHANUMERIC``.
    """

    message_id: str
    application_id: str | None = None
    email_template_id: int | None = None
    from_: str | None = None
    landing_page_id: str | None = None
    pin_length: int | None = None
    pin_type: PinType | str | None = None


# Request bodies: internal, built by the endpoint modules after they checked each field.

#: Where the PIN goes in a template's text.
PIN_PLACEHOLDER = "{{pin}}"

#: The longest PIN a template may ask for. Infobip's OpenAPI file gives pinLength no bounds (an int32 only), so this
#: is Infobip's documented one: "PIN code length between 1 and 8 characters" (Infobip's 2FA setup guide). Without a
#: bound, pinLength=10**23 went out, and the sandbox spent seconds generating a 4,000,000-character PIN.
MAX_TEMPLATE_PIN_LENGTH = 8


@attrs.frozen
class ApplicationBody:
    """JSON body of an application create or update (``_endpoints.applications.application_body`` checks it)."""

    name: str
    configuration: ApplicationConfiguration | None = None
    enabled: bool | None = None


@attrs.frozen
class TemplateBody:
    """JSON body of an SMS/voice template create or update (``_endpoints.templates.template_body`` checks it)."""

    message_text: str | None = None
    pin_type: PinType | None = None
    pin_length: int | None = None
    language: Language | None = None
    sender_id: str | None = None
    repeat_dtmf: str | None = None
    speech_rate: float | None = None
    voice_name: str | None = None
    regional: RegionalOptions | None = None


@attrs.frozen
class EmailTemplateBody:
    """JSON body of an e-mail template create or update (``_endpoints.email_templates.email_template_body`` checks
    it)."""

    email_template_id: int | None = None
    from_: str | None = None
    landing_page_id: str | None = None
    pin_length: int | None = None
    pin_type: PinType | None = None
