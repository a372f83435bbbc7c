"""Typed results and request bodies of the PIN operations: send, resend and verify over SMS, voice and e-mail, and
verification status. (Applications and templates are in ``_management_models``.)

Attribute names are snake_case; the one converter in ``_converter`` maps them to the API's camelCase.
Status fields are typed ``SomeEnum | str``: a value this library does not know yet (Infobip adds them
without notice) arrives as the raw string instead of failing the call.
"""

from __future__ import annotations

from enum import Enum

import attrs

__all__ = [
    "CallStatus",
    "EmailPinSent",
    "EmailStatus",
    "NcStatus",
    "PinError",
    "PinSent",
    "PinVerification",
    "SmsStatus",
    "Verification",
    "WireEnum",
]


class WireEnum(str, Enum):
    """An enum whose members are the API's own strings; ``str()`` gives that string.

    A field typed ``SomeWireEnum | str`` decodes a value the enum does not list as the raw string: the converter
    recognises every WireEnum subclass, so a new one needs no registration.
    """

    def __str__(self) -> str:
        return str(self.value)


class NcStatus(WireEnum):
    """Result of the Number Lookup done before an SMS is sent (``ncNeeded``)."""

    NC_DESTINATION_UNKNOWN = "NC_DESTINATION_UNKNOWN"
    NC_DESTINATION_REACHABLE = "NC_DESTINATION_REACHABLE"
    NC_DESTINATION_NOT_REACHABLE = "NC_DESTINATION_NOT_REACHABLE"
    NC_NOT_CONFIGURED = "NC_NOT_CONFIGURED"


class SmsStatus(WireEnum):
    """Whether the PIN SMS was handed over for delivery."""

    MESSAGE_SENT = "MESSAGE_SENT"
    MESSAGE_NOT_SENT = "MESSAGE_NOT_SENT"


class CallStatus(WireEnum):
    """State of a voice PIN call: ``PENDING_ACCEPTED`` today; the others are values the ``/2fa/1`` API documented."""

    PENDING_ACCEPTED = "PENDING_ACCEPTED"
    BAD_REQUEST = "BAD_REQUEST"
    PROCESSING = "PROCESSING"
    PROCESSED = "PROCESSED"
    ANSWERED_MACHINE = "ANSWERED_MACHINE"
    ERROR = "ERROR"
    ERROR_NOT_ENOUGH_CREDITS = "ERROR_NOT_ENOUGH_CREDITS"
    ERROR_NETWORK_NOT_AVAILABLE = "ERROR_NETWORK_NOT_AVAILABLE"
    ERROR_ROUTE_NOT_AVAILABLE = "ERROR_ROUTE_NOT_AVAILABLE"
    ERROR_USER_BUSY = "ERROR_USER_BUSY"
    ERROR_NO_ANSWER = "ERROR_NO_ANSWER"
    UNDEFINED = "UNDEFINED"


class PinError(WireEnum):
    """Why a verification did not succeed."""

    WRONG_PIN = "WRONG_PIN"
    TTL_EXPIRED = "TTL_EXPIRED"
    NO_MORE_PIN_ATTEMPTS = "NO_MORE_PIN_ATTEMPTS"


@attrs.frozen
class PinSent:
    """The answer to sending or resending a PIN over SMS or voice.

    Attributes:
        pin_id: The PIN's id: resend and verify need it.
        to: The number it went to, as the service has it (digits only).
        nc_status: The Number Lookup's answer (``NcStatus`` or a string this library does not know yet); None when
            no lookup was asked for.
        sms_status: ``MESSAGE_SENT`` or ``MESSAGE_NOT_SENT`` for an SMS; None for voice.
        call_status: The voice call's state (``PENDING_ACCEPTED``); None for an SMS.
        external_message_id: Infobip's id of the underlying message, when it gives one.
    """

    pin_id: str
    to: str | None = None
    nc_status: NcStatus | str | None = None
    sms_status: SmsStatus | str | None = None
    call_status: CallStatus | str | None = None
    external_message_id: str | None = None

    @property
    def message_sent(self) -> bool:
        """False when the service answered that it did not send the PIN: ``sms_status`` MESSAGE_NOT_SENT (the
        number lookup found the number unreachable), or a voice ``call_status`` of BAD_REQUEST or ERROR_...;
        True otherwise (a status this library does not know counts as sent)."""
        if self.sms_status is not None and str(self.sms_status) == "MESSAGE_NOT_SENT":
            return False
        call = None if self.call_status is None else str(self.call_status)
        return call is None or not (call.startswith("ERROR") or call == "BAD_REQUEST")


@attrs.frozen
class PinVerification:
    """The answer to verifying a PIN. A wrong PIN is ``verified=False`` with ``pin_error`` set, not an error.

    Attributes:
        pin_id: The PIN verified.
        msisdn: The number the PIN was sent to.
        verified: Whether the PIN was right (and still valid).
        attempts_remaining: Verifications the PIN still allows.
        pin_error: Why it was not verified: ``WRONG_PIN``, ``TTL_EXPIRED``, ``NO_MORE_PIN_ATTEMPTS`` (``PinError``),
            or a string this library does not know yet; None when verified.
    """

    pin_id: str
    msisdn: str
    verified: bool
    attempts_remaining: int | None = None
    pin_error: PinError | str | None = None


@attrs.frozen
class EmailStatus:
    """Delivery state of a PIN e-mail.

    Attributes:
        name: The state, e.g. ``PENDING_ACCEPTED``.
        description: The state in words.
    """

    name: str | None = None
    description: str | None = None


@attrs.frozen
class EmailPinSent:
    """The answer to sending or resending a PIN by e-mail.

    Attributes:
        pin_id: The PIN's id.
        to: The address it went to.
        email_status: The e-mail's delivery state.
    """

    pin_id: str
    to: str | None = None
    email_status: EmailStatus | None = None


@attrs.frozen
class Verification:
    """One PIN sent to a phone number, and whether it was verified.

    Attributes:
        msisdn: The phone number.
        verified: Whether the PIN was verified.
        verified_at: When, as the API gives it (UNIX time; the schema says milliseconds).
        sent_at: When the PIN was sent, likewise.
    """

    msisdn: str
    verified: bool | None = None
    verified_at: int | None = None
    sent_at: int | None = None


# Request bodies: internal, built by the endpoint modules after validation.


@attrs.frozen
class SendPinBody:
    """JSON body of a PIN send over SMS or voice."""

    application_id: str
    message_id: str
    to: str
    from_: str | None = None
    placeholders: dict[str, str] | None = None
    track_delivery: bool | None = None


@attrs.frozen
class ResendPinBody:
    """Optional JSON body of a PIN resend."""

    placeholders: dict[str, str] | None = None
    track_delivery: bool | None = None


@attrs.frozen
class VerifyPinBody:
    """JSON body of a PIN verification; the PIN is kept out of its repr."""

    pin: str = attrs.field(repr=lambda _: "'***'")


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
