"""Models of the management side of the 2FA API: applications, templates, e-mail PINs, verification status.

Kept apart from the PIN models so that ``import infobip_2fa_async`` does not pay for them until they are used.
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from ._durations import RateLimit, duration_to_wire, limit_to_wire, parse_duration, parse_limit
from ._models import WireEnum

__all__ = [
    "Application",
    "ApplicationConfiguration",
    "EmailPinSent",
    "EmailStatus",
    "EmailTemplate",
    "IndiaDltOptions",
    "Language",
    "MessageTemplate",
    "PinType",
    "RateLimit",
    "RegionalOptions",
    "Verification",
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
    """A 2FA application: the PIN rules for one use (login, password reset, ...)."""

    application_id: str
    name: str | None = None
    configuration: ApplicationConfiguration | None = None
    enabled: bool | None = None


@attrs.frozen
class IndiaDltOptions:
    """India DLT registration details for SMS templates sent to Indian numbers."""

    principal_entity_id: str
    content_template_id: str | None = None
    tele_marketer_id: str | None = None


@attrs.frozen
class RegionalOptions:
    """Region-specific template options."""

    india_dlt: IndiaDltOptions | None = None


@attrs.frozen
class MessageTemplate:
    """A message template of an application. SMS and voice templates have text; listing and getting
    also return e-mail templates, which carry ``email_template_id``, ``from_`` and ``landing_page_id``."""

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
    """An e-mail message template: which e-mail template and landing page carry the PIN."""

    message_id: str
    application_id: str | None = None
    email_template_id: int | None = None
    from_: str | None = None
    landing_page_id: str | None = None
    pin_length: int | None = None
    pin_type: PinType | str | None = None


@attrs.frozen
class EmailStatus:
    """Delivery state of a PIN e-mail, e.g. name PENDING_ACCEPTED."""

    name: str | None = None
    description: str | None = None


@attrs.frozen
class EmailPinSent:
    """The answer to sending or resending a PIN by e-mail."""

    pin_id: str
    to: str | None = None
    email_status: EmailStatus | None = None


@attrs.frozen
class Verification:
    """One phone number's verification state. Times are kept as the API gives them (UNIX time)."""

    msisdn: str
    verified: bool | None = None
    verified_at: int | None = None
    sent_at: int | None = None


@attrs.frozen
class ApplicationBody:
    """JSON body of an application create or update."""

    name: str
    configuration: ApplicationConfiguration | None = None
    enabled: bool | None = None


@attrs.frozen
class TemplateBody:
    """JSON body of an SMS/voice template create or update."""

    message_text: str | None = None
    pin_type: PinType | str | None = None
    pin_length: int | None = None
    language: Language | str | None = None
    sender_id: str | None = None
    repeat_dtmf: str | None = None
    speech_rate: float | None = None
    voice_name: str | None = None
    regional: RegionalOptions | None = None


@attrs.frozen
class EmailTemplateBody:
    """JSON body of an e-mail template create or update."""

    email_template_id: int | None = None
    from_: str | None = None
    landing_page_id: str | None = None
    pin_length: int | None = None
    pin_type: PinType | str | None = None


@attrs.frozen
class SendEmailPinBody:
    """JSON body of a PIN send by e-mail."""

    application_id: str
    message_id: str
    to: str
    from_: str | None = None
    placeholders: dict[str, str] | None = None
    landing_page_placeholders: dict[str, str] | None = None


@attrs.frozen
class ResendEmailPinBody:
    """Optional JSON body of a PIN resend by e-mail."""

    placeholders: dict[str, str] | None = None
    landing_page_placeholders: dict[str, str] | None = None
