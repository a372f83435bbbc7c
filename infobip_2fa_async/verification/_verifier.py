"""``Verifier``: a whole phone verification on top of a client: challenges bound to number, purpose and subject, one
PIN per claim, cool-downs and a cap on sends, honest uncertain sends, and fallback from SMS to voice or e-mail."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from .._exceptions import ConfigurationError, InvalidRequestError
from ..shield._model import Requester
from ._errors import (
    ChallengeExpiredError,
    ChallengeNotFoundError,
    ChallengeUsedError,
    ChannelUnavailableError,
    IdempotencyKeyReusedError,
)
from ._model import CHANNELS, Challenge, Channel, Check, mask, normalize_number
from ._state import Plan, Record, Rules, check_ready, usable
from ._steps import PinClient, Steps, check_requester, check_text
from ._store import ClaimAnswer, ClaimRequest, MemoryVerificationStore, VerificationStore

__all__ = ["Verifier"]


def _seconds(argument: str, value: object, low: float, high: float) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise InvalidRequestError(argument, f"must be a number of seconds from {low:g} to {high:g}")
    return round(value * 1000)


class Verifier(Steps):
    """Verifies phone numbers: sends a code, lets the person ask again after a while (by voice or e-mail too), and
    says when they typed it right, so that the app and the browser never handle a ``pinId``.

    Each ``start`` makes a challenge bound to its number, purpose (``"login"``, ``"change-phone"``...) and subject
    (your user id): only a check naming the same purpose and subject can verify it. Starts for one number, purpose
    and subject share one challenge while it lives (a double-click, two tabs, a retrying proxy send one PIN), across
    processes too when the store is shared; the same ``idempotency_key`` always answers the same challenge.

    Args:
        client: A ``TwoFactorClient`` (or anything with its PIN operations).
        store: Where challenges live: ``MemoryVerificationStore()`` (the default: this process) or
            ``infobip_2fa_async.redis.RedisVerificationStore`` (a fleet: any replica checks what another started).
        application_id: The 2FA application.
        message_id: The SMS template.
        voice_message_id: The voice template (the voice channel needs it).
        email_message_id: The e-mail template (the e-mail channel needs it, and ``start(email=...)``).
        secret: The key of the keyed hashes the store's keys are made of (at least 16 bytes). Generated when not
            given, which suits one process; a shared store needs the same secret in every process.
        channels: The order of channels for fallback (default SMS, then voice, then e-mail).
        cooldown: Seconds between two sends of a challenge (1 to 3,600): a person is never texted twice sooner.
        max_resends: Sends a challenge may make after its first (0 to 20).
        ttl: Seconds a challenge lives after a new PIN (60 to 86,400): the application's ``pinTimeToLive``.
        fallback_on_not_sent: After a send the service answered it did not send (``MESSAGE_NOT_SENT``), move to the
            next channel at once (voice resends the same PIN).
        fallback_after: A ``resend`` this many seconds after the first send moves to the next channel (None: only
            when asked, or after a send that was not sent).
        expired_memory: Seconds an expired challenge still answers "expired" rather than "not found" (0 to 3,600);
            its marker holds no number.
        clock: What the verifier reads for time, in seconds (default ``time.time``; ``ManualClock`` in tests).

    Raises:
        ConfigurationError: A shared store without a secret, or a short secret.
        InvalidRequestError: An argument out of range.
    """

    def __init__(
        self,
        client: PinClient,
        *,
        store: VerificationStore | None = None,
        application_id: str,
        message_id: str,
        voice_message_id: str | None = None,
        email_message_id: str | None = None,
        secret: str | bytes | None = None,
        channels: Sequence[Channel] = CHANNELS,
        cooldown: float = 30.0,
        max_resends: int = 3,
        ttl: float = 900.0,
        fallback_on_not_sent: bool = True,
        fallback_after: float | None = None,
        expired_memory: float = 600.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store: VerificationStore = store if store is not None else MemoryVerificationStore()
        if secret is None:
            if self.store.shared:
                raise ConfigurationError("a verifier on a shared store needs secret=: the same one in every process")
            secret = secrets.token_bytes(32)
        key = secret.encode() if isinstance(secret, str) else secret
        if not isinstance(key, bytes) or len(key) < 16:
            raise ConfigurationError("the verifier's secret must be at least 16 bytes")
        for name, value in (("application_id", application_id), ("message_id", message_id)):
            if not isinstance(value, str) or not value:
                raise InvalidRequestError(name, "must be a non-empty string")
        order = tuple(channels)
        if not order or len(set(order)) != len(order) or not set(order) <= set(CHANNELS):
            raise InvalidRequestError("channels", "must name 'sms', 'voice' and 'email' at most once each")
        if isinstance(max_resends, bool) or not isinstance(max_resends, int) or not 0 <= max_resends <= 20:
            raise InvalidRequestError("max_resends", "must be a whole number from 0 to 20")
        templates: set[Channel] = {"sms"}
        templates |= {"voice"} if voice_message_id else set()
        templates |= {"email"} if email_message_id else set()
        self.rules = Rules(
            cooldown=_seconds("cooldown", cooldown, 1, 3600), max_resends=max_resends,
            ttl=_seconds("ttl", ttl, 60, 86400), channels=order, templates=frozenset(templates),
            fallback_on_not_sent=bool(fallback_on_not_sent),
            fallback_after=None if fallback_after is None else _seconds("fallback_after", fallback_after, 1, 86400),
        )  # fmt: skip
        self._memory = _seconds("expired_memory", expired_memory, 0, 3600)
        self._client = client
        self._application_id = application_id
        self._templates: dict[Channel, str] = {"sms": message_id, "voice": voice_message_id or "",
                                               "email": email_message_id or ""}  # fmt: skip
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._clock = clock or time.time
        self._inflight: dict[str, asyncio.Future[BaseException | None]] = {}

    def __repr__(self) -> str:
        return f"Verifier(store={type(self.store).__name__}, channels={self.rules.channels!r})"

    # --- the operations ---

    async def start(
        self,
        to: str,
        *,
        purpose: str,
        subject: str | None = None,
        channel: Channel = "sms",
        email: str | None = None,
        requester: Requester | None = None,
        idempotency_key: str | None = None,
    ) -> Challenge:
        """Send a code to ``to`` for ``purpose`` and ``subject``, or answer the challenge already under way for them.

        A challenge under way for the same number, purpose and subject is answered as it is within its cool-down
        (nothing is sent: a double-click, two tabs, a retried request); after it, this sends again as ``resend``
        would. The same ``idempotency_key`` answers the same challenge and never sends again.

        Args:
            to: The phone number in international form (separators and a leading ``+`` are fine).
            purpose: What the code is for (``"login"``, ``"change-phone"``): a check must name it.
            subject: Whom it is for (your user id, or None): a check must name it.
            channel: ``"sms"``, ``"voice"`` or ``"email"`` for the first send.
            email: The person's e-mail address, for the e-mail channel (kept with the challenge, never in a key).
            requester: Who asks (``infobip_2fa_async.shield.Requester``), for the abuse shield.
            idempotency_key: Your key for this start (a request id): the same key always answers the same challenge.

        Returns:
            The challenge: give the browser its ``id``; ``uncertain`` says whether the code may not have gone out.

        Raises:
            InvalidRequestError: An argument is invalid (nothing was sent).
            ChannelUnavailableError: The channel has no template (or no e-mail address).
            IdempotencyKeyReusedError: The key was used for another number, purpose or subject.
            ResendLimitError: The challenge under way had all its sends.
            VerificationStoreError: The store cannot be reached.
            InfobipError: The send failed and provably did not go out (``maybe_sent`` False); a send that may have
                gone out is not raised: the challenge is returned ``uncertain``.
        """
        number = normalize_number(to) if isinstance(to, str) else None
        if number is None:
            raise InvalidRequestError("to", "is not a phone number in international form (6 to 15 digits)")
        check_text("purpose", purpose)
        if subject is not None:
            check_text("subject", subject)
        if idempotency_key is not None:
            check_text("idempotency_key", idempotency_key)
        if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 320):
            raise InvalidRequestError("email", "is not an e-mail address")
        check_requester(requester)
        if channel not in CHANNELS:
            raise InvalidRequestError("channel", "must be 'sms', 'voice' or 'email'")
        now = self._now()
        challenge_id = secrets.token_urlsafe(24)
        idem = "" if idempotency_key is None else self._hash("idem", idempotency_key)
        record = Record(
            id=challenge_id, claim=self._hash("claim", purpose, subject, number),
            bind=self._hash("bind", purpose, subject), idem=idem, to=number, email=email or "", masked=mask(number),
            channel=channel, first_sent=now, last_sent=now, expires=now + self.rules.ttl, version=1,
        )  # fmt: skip
        why = usable(record, channel, self.rules)
        if why is not None:
            raise ChannelUnavailableError(channel, why)
        # registered before the claim: a concurrent start that finds the claim waits for this send, not past it
        self._inflight[challenge_id] = asyncio.get_running_loop().create_future()
        created = False
        try:
            answer: ClaimAnswer = await self._store_call(self.store.claim(ClaimRequest(
                "c:" + record.claim, "i:" + record.idem if record.idem else "", *self._keys(challenge_id),
                record.dumps(), self._marker(record), now, record.expires, record.expires + self._memory,
            )))  # fmt: skip
            created = answer.created
        finally:
            if not created:
                self._release(challenge_id, None)
        if answer.created:
            sent = await self._deliver(Plan(channel, False, record, record), None, requester)
            return sent.challenge(self._now(), self.rules, created=True)
        existing = Record.loads(answer.data, answer.version)
        if existing.claim != record.claim:
            raise IdempotencyKeyReusedError
        existing = await self._settled(existing)
        now = self._now()
        if answer.replayed or existing.effective_status(now, self.rules) in ("sending", "verified"):
            return existing.challenge(now, self.rules)
        if now < existing.last_sent + self.rules.cooldown:
            return existing.challenge(now, self.rules)  # a double-click: nothing is sent
        sent = await self._claim_and_deliver(existing, None if channel == existing.channel else channel, requester)
        return sent.challenge(self._now(), self.rules)

    async def resend(
        self, challenge_id: str, *, channel: Channel | None = None, requester: Requester | None = None
    ) -> Challenge:
        """Send the challenge's code again, once its cool-down has passed: the same PIN (by SMS or voice), or a new
        one when the last send's fate is unknown or the channel is e-mail.

        Args:
            challenge_id: The challenge's ``id``.
            channel: ``"sms"``, ``"voice"`` or ``"email"``; None lets the rules choose (the same channel, or the
                next one after a send that was not sent or after ``fallback_after``).
            requester: Who asks, for the abuse shield.

        Returns:
            The challenge after the send.

        Raises:
            ChallengeNotFoundError: No such challenge.
            ChallengeExpiredError: It expired.
            ChallengeUsedError: It was verified.
            ResendTooSoonError: Its cool-down has not passed (``retry_after``).
            ResendLimitError: It had all its sends.
            ChannelUnavailableError: The channel has no template (or no e-mail address).
            VerificationStoreError: The store cannot be reached.
            InfobipError: The send failed and provably did not go out (a send that may have gone out is not
                raised: the challenge is returned ``uncertain``).
        """
        check_requester(requester)
        if channel is not None and channel not in CHANNELS:
            raise InvalidRequestError("channel", "must be 'sms', 'voice', 'email' or None")
        record = await self._load(challenge_id, None)
        sent = await self._claim_and_deliver(record, channel, requester)
        return sent.challenge(self._now(), self.rules)

    async def check(self, challenge_id: str, pin: str, *, purpose: str, subject: str | None = None) -> Check:
        """Check the code the person typed against the challenge, for the purpose and subject it was started for.

        Args:
            challenge_id: The challenge's ``id`` (from the browser).
            pin: What the person typed.
            purpose: The purpose the challenge must have been started for.
            subject: The subject it must have been started for.

        Returns:
            ``verified`` (once per challenge), ``attempts_left`` and the verified ``number``.

        Raises:
            ChallengeNotFoundError: No such challenge, or one for another purpose or subject (whatever the code).
            ChallengeExpiredError: It expired.
            ChallengeUsedError: It was verified already.
            PinNotKnownError: The last send's fate is unknown: no code can be checked (``retry_after``).
            VerificationStoreError: The store cannot be reached.
            InfobipError: The verification failed (``maybe_sent`` says whether an attempt may have been spent).
        """
        check_text("purpose", purpose)
        if subject is not None:
            check_text("subject", subject)
        record = await self._load(challenge_id, self._hash("bind", purpose, subject))
        check_ready(record, self._now(), self.rules)
        verification = await self._client.verify_pin(record.pin_id, pin)
        attempts = verification.attempts_remaining
        if not verification.verified:
            if str(verification.pin_error) == "TTL_EXPIRED":
                raise ChallengeExpiredError
            return Check(False, attempts, None, record.channel, None if verification.pin_error is None
                         else str(verification.pin_error))  # fmt: skip

        def verified(current: Record) -> Record:
            if current.status == "verified":
                raise ChallengeUsedError  # a concurrent check won: a code is good for one check
            return attrs.evolve(current, status="verified")

        if await self._update(record, verified, release=True) is None:
            raise ChallengeNotFoundError  # cancelled while the code was being checked
        number = record.email if record.pin_kind == "email" else record.to
        return Check(True, attempts, number, record.channel)

    async def cancel(self, challenge_id: str) -> bool:
        """Forget a challenge: its code can no longer be checked, and the next start makes a new one.

        Args:
            challenge_id: The challenge's ``id``.

        Returns:
            Whether there was such a challenge.

        Raises:
            VerificationStoreError: The store cannot be reached.
        """
        try:
            record = await self._load(challenge_id, None)
        except (ChallengeNotFoundError, ChallengeExpiredError):
            return False
        record_key, marker_key = self._keys(record.id)
        found: bool = await self._store_call(self.store.delete(
            record_key, marker_key, "c:" + record.claim, "i:" + record.idem if record.idem else "", self._now()
        ))  # fmt: skip
        return found

    async def aclose(self) -> None:
        """Close the store (its Redis connections, if it made them); the client is yours to close."""
        await self.store.aclose()

    async def __aenter__(self) -> Verifier:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
