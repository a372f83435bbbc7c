"""The PIN operations: send, resend and verify a PIN over SMS, voice and e-mail, and verification status.

``TwoFactorClient`` is a ``Pins``: these are the client's own methods (``client.send_pin(...)``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, TypeVar

from .._endpoints import email, pin_verification, sms, verification_status, voice
from .._exceptions import InvalidRequestError, SendRefusedError
from .._models import EmailPinSent, PinSent, PinVerification, Verification
from .._options import NOT_GIVEN, DeadlineArg, RetriesArg, TimeoutArg
from .._request import ApiRequest, Call
from . import Resource

if TYPE_CHECKING:  # the shield loads only when a client is given one: the core works without the [shield] extra
    from .._hooks import Hooks
    from .._shield_decision import Channel
    from ..shield import Requester, Shield

__all__ = ["Pins"]

_Sent = TypeVar("_Sent", PinSent, EmailPinSent)


class Pins(Resource):
    """The PIN operations, over the API version the client was made for (``api_version``)."""

    def __init__(self, call: Call, api_version: int, shield: Shield | None = None, hooks: Hooks | None = None) -> None:
        super().__init__(call)
        self.api_version = api_version
        self._shield = shield
        self._hooks = hooks  # told of the shield's refusals (``on_send_refused``)

    async def _shielded(
        self, shield: Shield, request: ApiRequest[_Sent], options: tuple[RetriesArg, TimeoutArg, DeadlineArg], *,
        channel: Channel, requester: Requester | None, to: str | None = None, pin_id: str | None = None,
    ) -> _Sent:  # fmt: skip
        """Ask the shield (a refusal raises, nothing is sent; the hooks are told), send, and tell it of the PIN."""
        try:
            if pin_id is None:
                decision = await shield.check(to or "", channel=channel, requester=requester)
            else:
                decision = await shield.check_resend(pin_id, channel=channel, requester=requester)
        except SendRefusedError as refused:
            if self._hooks is not None:
                self._hooks.refused(request.operation, refused.decision)
            raise
        if decision.reason is not None and self._hooks is not None:  # monitor mode: it goes out all the same
            self._hooks.refused(request.operation, decision)
        answer = await self._send(request, *options)
        if to is not None:
            await shield.sent(answer.pin_id, to, channel=channel)  # its resends count against the same number
        return answer

    async def send_pin(
        self,
        *,
        application_id: str,
        message_id: str,
        to: str,
        from_: str | None = None,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        nc_needed: bool | None = None,
        requester: Requester | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Generate a PIN and send it by SMS.

        Not retried after the request may have reached the server (a 5xx, a read timeout, a dropped connection),
        unless the client's ``RetryPolicy`` has ``retry_unsafe=True``: that could text the person twice.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The 2FA application whose rules (attempts, time to live, limits) apply.
            message_id: The message template to send.
            to: The phone number in international form; spaces, dashes, dots, brackets and a leading ``+`` go.
            from_: A sender id overriding the template's.
            placeholders: Values for the template's ``{{name}}`` placeholders (not ``pin``, which the PIN fills).
            track_delivery: Whether Infobip should track the SMS's delivery.
            nc_needed: Whether to run a Number Lookup first (``ncNeeded``; the server's default is True).
            requester: Who asks (a ``shield.Requester``: IP, user, session, device), for the client's shield if any.

        Returns:
            The ``pinId`` to verify against, the number lookup's ``nc_status`` and the ``sms_status``;
            ``message_sent`` is False when the service answered but did not send (``MESSAGE_NOT_SENT``).

        Raises:
            SendRefusedError: The client's shield refused it (nothing was sent; ``reason``, ``retry_after``).
            InvalidRequestError: An argument or option is invalid (nothing was sent).
            RateLimitError: A 429 that outlasted the retries; ``QuotaExceededError`` when a sending limit is spent.
            ApiError: Another error status (``NotFoundError`` for an unknown application or template, ...).
            TransportError: No answer came; ``maybe_sent`` says whether the PIN may have gone out.
        """
        request = sms.send_pin(
            self.api_version, application_id=application_id, message_id=message_id, to=to, from_=from_,
            placeholders=placeholders, track_delivery=track_delivery, nc_needed=nc_needed,
        )  # fmt: skip
        if self._shield is None:
            return await self._send(request, max_retries, timeout, deadline)
        options = (max_retries, timeout, deadline)
        return await self._shielded(self._shield, request, options, channel="sms", requester=requester, to=to)

    async def resend_pin(
        self,
        pin_id: str,
        *,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        requester: Requester | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Send the same PIN again by SMS, under the same ``pin_id``.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            pin_id: The ``pin_id`` a send answered.
            placeholders: Values for the template's placeholders.
            track_delivery: Whether Infobip should track the SMS's delivery.
            requester: Who asks (a ``shield.Requester``: IP, user, session, device), for the client's shield if any.

        Returns:
            The answer, as for ``send_pin``.

        Raises:
            SendRefusedError: The client's shield refused it (nothing was sent; ``reason``, ``retry_after``).
            InvalidRequestError: An argument or option is invalid (nothing was sent).
            RateLimitError: A 429 that outlasted the retries.
            ApiError: Another error status (``NotFoundError`` for an unknown ``pin_id``, ...).
            TransportError: No answer came; ``maybe_sent`` says whether the PIN may have gone out.
        """
        request = sms.resend_pin(self.api_version, pin_id, placeholders=placeholders, track_delivery=track_delivery)
        if self._shield is None:
            return await self._send(request, max_retries, timeout, deadline)
        options = (max_retries, timeout, deadline)
        return await self._shielded(self._shield, request, options, channel="sms", requester=requester, pin_id=pin_id)

    async def send_voice_pin(
        self,
        *,
        application_id: str,
        message_id: str,
        to: str,
        from_: str | None = None,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        requester: Requester | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Generate a PIN and read it out in a voice call.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The 2FA application whose rules apply.
            message_id: The message template to read out (its language, voice and speech rate).
            to: The phone number in international form.
            from_: A caller id overriding the template's.
            placeholders: Values for the template's placeholders.
            track_delivery: Whether Infobip should track the call.
            requester: Who asks (a ``shield.Requester``: IP, user, session, device), for the client's shield if any.

        Returns:
            The ``pin_id`` and the ``call_status`` (``PENDING_ACCEPTED`` when the call is under way).

        Raises:
            SendRefusedError: The client's shield refused it (nothing was sent; ``reason``, ``retry_after``).
            InvalidRequestError: An argument or option is invalid (nothing was sent).
            RateLimitError: A 429 that outlasted the retries; ``QuotaExceededError`` when a sending limit is spent.
            ApiError: Another error status (``NotFoundError`` for an unknown application or template, ...).
            TransportError: No answer came; ``maybe_sent`` says whether the call may have been placed.
        """
        request = voice.send_voice_pin(
            self.api_version, application_id=application_id, message_id=message_id, to=to, from_=from_,
            placeholders=placeholders, track_delivery=track_delivery,
        )  # fmt: skip
        if self._shield is None:
            return await self._send(request, max_retries, timeout, deadline)
        options = (max_retries, timeout, deadline)
        return await self._shielded(self._shield, request, options, channel="voice", requester=requester, to=to)

    async def resend_voice_pin(
        self,
        pin_id: str,
        *,
        placeholders: dict[str, str] | None = None,
        track_delivery: bool | None = None,
        requester: Requester | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinSent:
        """Call again and read out the same PIN, under the same ``pin_id``.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            pin_id: The ``pin_id`` a send answered.
            placeholders: Values for the template's placeholders.
            track_delivery: Whether Infobip should track the call.
            requester: Who asks (a ``shield.Requester``: IP, user, session, device), for the client's shield if any.

        Returns:
            The answer, as for ``send_voice_pin``.

        Raises:
            SendRefusedError: The client's shield refused it (nothing was sent; ``reason``, ``retry_after``).
            InvalidRequestError: An argument or option is invalid (nothing was sent).
            RateLimitError: A 429 that outlasted the retries.
            ApiError: Another error status (``NotFoundError`` for an unknown ``pin_id``, ...).
            TransportError: No answer came; ``maybe_sent`` says whether the call may have been placed.
        """
        request = voice.resend_voice_pin(
            self.api_version, pin_id, placeholders=placeholders, track_delivery=track_delivery
        )
        if self._shield is None:
            return await self._send(request, max_retries, timeout, deadline)
        options = (max_retries, timeout, deadline)
        return await self._shielded(self._shield, request, options, channel="voice", requester=requester, pin_id=pin_id)

    async def verify_pin(
        self,
        pin_id: str,
        pin: str,
        *,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> PinVerification:
        """Check the PIN the user typed.

        A wrong PIN is an answer (``verified=False`` with ``pin_error``), not an exception. Each verification spends
        one of the PIN's attempts, so it is never retried after it may have reached the server.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            pin_id: The ``pin_id`` the send answered.
            pin: What the user typed: fullwidth characters and other scripts' digits become ASCII, surrounding
                whitespace goes; anything but letters and digits is refused before it spends an attempt.

        Returns:
            ``verified``, ``attempts_remaining`` and, when not verified, ``pin_error`` (``WRONG_PIN``,
            ``TTL_EXPIRED``, ``NO_MORE_PIN_ATTEMPTS``, or a string this library does not know yet).

        Raises:
            InvalidRequestError: An argument or option is invalid (nothing was sent, no attempt spent).
            RateLimitError: A 429 that outlasted the retries (the application's ``verify_pin_limit``, ...).
            ApiError: Another error status (``NotFoundError`` for an unknown ``pin_id``, ...).
            TransportError: No answer came; ``maybe_sent`` says whether an attempt may have been spent.
        """
        request = pin_verification.verify_pin(self.api_version, pin_id, pin)
        answer = await self._send(request, max_retries, timeout, deadline)
        if self._shield is not None and answer.verified:
            await self._converted(self._shield, answer.msisdn)
        return answer

    @staticmethod
    async def _converted(shield: Shield, msisdn: str) -> None:
        """Count a verified PIN for the shield's breaker; a number it cannot read counts for nothing (the PIN is
        verified all the same: the answer is never lost to the shield)."""
        with contextlib.suppress(InvalidRequestError):
            await shield.verified(msisdn)

    async def send_email_pin(
        self,
        *,
        application_id: str,
        message_id: str,
        to: str,
        from_: str | None = None,
        placeholders: dict[str, str] | None = None,
        landing_page_placeholders: dict[str, str] | None = None,
        requester: Requester | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailPinSent:
        """Generate a PIN and e-mail it.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The 2FA application whose rules apply.
            message_id: The e-mail message template to send.
            to: The e-mail address.
            from_: A sender address overriding the template's.
            placeholders: Values for the e-mail template's placeholders.
            landing_page_placeholders: Values for the landing page's placeholders.
            requester: Who asks (a ``shield.Requester``: IP, user, session, device), for the client's shield if any.

        Returns:
            The ``pin_id`` and the ``email_status``.

        Raises:
            SendRefusedError: The client's shield refused it (nothing was sent; ``reason``, ``retry_after``).
            InvalidRequestError: An argument or option is invalid (nothing was sent).
            RateLimitError: A 429 that outlasted the retries; ``QuotaExceededError`` when a sending limit is spent.
            ApiError: Another error status (``NotFoundError`` for an unknown application or template, ...).
            TransportError: No answer came; ``maybe_sent`` says whether the e-mail may have gone out.
        """
        request = email.send_email_pin(
            application_id=application_id, message_id=message_id, to=to, from_=from_, placeholders=placeholders,
            landing_page_placeholders=landing_page_placeholders,
        )  # fmt: skip
        if self._shield is None:
            return await self._send(request, max_retries, timeout, deadline)
        options = (max_retries, timeout, deadline)
        return await self._shielded(self._shield, request, options, channel="email", requester=requester, to=to)

    async def resend_email_pin(
        self,
        pin_id: str,
        *,
        placeholders: dict[str, str] | None = None,
        landing_page_placeholders: dict[str, str] | None = None,
        requester: Requester | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> EmailPinSent:
        """E-mail the same PIN again, under the same ``pin_id``.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            pin_id: The ``pin_id`` a send answered.
            placeholders: Values for the e-mail template's placeholders.
            landing_page_placeholders: Values for the landing page's placeholders.
            requester: Who asks (a ``shield.Requester``: IP, user, session, device), for the client's shield if any.

        Returns:
            The answer, as for ``send_email_pin``.

        Raises:
            SendRefusedError: The client's shield refused it (nothing was sent; ``reason``, ``retry_after``).
            InvalidRequestError: An argument or option is invalid (nothing was sent).
            RateLimitError: A 429 that outlasted the retries.
            ApiError: Another error status (``NotFoundError`` for an unknown ``pin_id``, ...).
            TransportError: No answer came; ``maybe_sent`` says whether the e-mail may have gone out.
        """
        request = email.resend_email_pin(
            pin_id, placeholders=placeholders, landing_page_placeholders=landing_page_placeholders
        )
        if self._shield is None:
            return await self._send(request, max_retries, timeout, deadline)
        options = (max_retries, timeout, deadline)
        return await self._shielded(self._shield, request, options, channel="email", requester=requester, pin_id=pin_id)

    async def verification_status(
        self,
        application_id: str,
        *,
        msisdn: str,
        verified: bool | None = None,
        sent: bool | None = None,
        max_retries: RetriesArg = NOT_GIVEN,
        timeout: TimeoutArg = NOT_GIVEN,
        deadline: DeadlineArg = NOT_GIVEN,
    ) -> list[Verification]:
        """What was sent to a phone number under an application, and whether it was verified.

        Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>

        Args:
            application_id: The 2FA application.
            msisdn: The phone number in international form.
            verified: Only entries verified (True) or not (False); None for both.
            sent: Only entries sent (True) or not (False); None for both.

        Returns:
            One ``Verification`` per PIN sent: ``msisdn``, ``verified``, ``sent_at``, ``verified_at`` (times as
            the API gives them). Both the current ``{"verifications": [...]}`` answer and the older bare array are read.

        Raises:
            InvalidRequestError: An argument or option is invalid (nothing was sent).
            NotFoundError: No such application.
            ApiError: Another error status.
            TransportError: No answer came (a GET is retried after 5xx and timeouts: it changes nothing).
        """
        request = verification_status.verification_status(application_id, msisdn=msisdn, verified=verified, sent=sent)
        return await self._send(request, max_retries, timeout, deadline)
