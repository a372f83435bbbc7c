"""The steps a ``Verifier`` is made of: keyed hashes, loading a challenge, swapping a record for its next state, and
making a claimed send. The decisions are ``_state``'s; these only carry them out against the store and the client."""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import attrs

from .._exceptions import InfobipError, InvalidRequestError
from .._models import EmailPinSent, PinSent, PinVerification
from ..shield._model import Requester
from ._errors import ChallengeExpiredError, ChallengeNotFoundError, VerificationStoreError
from ._model import CHANNELS, Channel
from ._state import Plan, Record, Rules, after_failure, after_send, fallback_plan, plan_send
from ._store import ReplaceRequest, VerificationStore

__all__ = ["PinClient", "Steps", "check_requester", "check_text"]

_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class PinClient(Protocol):
    """The client operations a verifier uses (``TwoFactorClient`` has them all)."""

    def send_pin(
        self, *, application_id: str, message_id: str, to: str, requester: Requester | None = None
    ) -> Awaitable[PinSent]: ...
    def send_voice_pin(
        self, *, application_id: str, message_id: str, to: str, requester: Requester | None = None
    ) -> Awaitable[PinSent]: ...
    def send_email_pin(
        self, *, application_id: str, message_id: str, to: str, requester: Requester | None = None
    ) -> Awaitable[EmailPinSent]: ...
    def resend_pin(self, pin_id: str, *, requester: Requester | None = None) -> Awaitable[PinSent]: ...
    def resend_voice_pin(self, pin_id: str, *, requester: Requester | None = None) -> Awaitable[PinSent]: ...
    def resend_email_pin(self, pin_id: str, *, requester: Requester | None = None) -> Awaitable[EmailPinSent]: ...
    def verify_pin(self, pin_id: str, pin: str) -> Awaitable[PinVerification]: ...


class Steps:
    """What a verifier does against its store and client; ``Verifier`` adds the public operations."""

    store: VerificationStore
    rules: Rules
    _client: PinClient
    _application_id: str
    _templates: dict[Channel, str]
    _mac: Any
    _clock: Callable[[], float]
    _memory: int
    _inflight: dict[str, asyncio.Future[BaseException | None]]

    # --- keys: keyed hashes only ---

    def _hash(self, domain: str, *values: object) -> str:
        mac = self._mac.copy()
        mac.update(domain.encode() + b"\0" + json.dumps(values).encode())
        return str(mac.digest()[:16].hex())

    def _now(self) -> int:
        return round(self._clock() * 1000)

    def _send_kwargs(self, requester: Requester | None) -> dict[str, Any]:
        """What every send and resend passes the client beyond its own arguments: the shield's ``requester=`` when
        there is one (a client without a shield ignores it), nothing otherwise (so a client of your own that does
        not take ``requester=`` still works without one)."""
        return {} if requester is None else {"requester": requester}

    def _keys(self, challenge_id: str) -> tuple[str, str]:
        hashed = self._hash("id", challenge_id)
        return "r:" + hashed, "x:" + hashed

    def _marker(self, record: Record) -> str:
        return json.dumps({"b": record.bind, "x": record.expires})

    async def _store_call(self, call: Awaitable[Any], *, maybe_sent: bool = False) -> Any:
        try:
            return await call
        except VerificationStoreError as error:
            if maybe_sent and not error.maybe_sent:
                raise VerificationStoreError(f"{error}; a PIN may have been sent", maybe_sent=True) from error
            raise

    async def _load(self, challenge_id: object, bind: str | None) -> Record:
        if not isinstance(challenge_id, str) or not _ID.fullmatch(challenge_id):
            raise ChallengeNotFoundError
        stored = await self._store_call(self.store.load(*self._keys(challenge_id), self._now()))
        if stored.data is None:
            marker = json.loads(stored.marker) if stored.marker else None
            if marker is not None and (bind is None or hmac.compare_digest(marker["b"], bind)):
                raise ChallengeExpiredError
            raise ChallengeNotFoundError
        record = Record.loads(stored.data, stored.version)
        if record.id != challenge_id or (bind is not None and not hmac.compare_digest(record.bind, bind)):
            raise ChallengeNotFoundError  # R1: whatever the code, and whether or not it expired
        return record

    async def _settled(self, record: Record) -> Record:
        """A record as it is once the send it says is under way is over, when this process makes it (that send's
        error, if it raised); as it is now, when another process does."""
        if record.status != "sending":
            return record
        waiting = self._inflight.get(record.id)
        if waiting is None:  # another process's send, or one of ours that ended since the record was read
            return await self._load(record.id, None)
        error = await asyncio.shield(waiting)
        if error is not None:
            raise error
        return await self._load(record.id, None)

    def _release(self, challenge_id: str, failure: BaseException | None) -> None:
        """The send under way for ``challenge_id`` in this process is over: wake those waiting for it."""
        done = self._inflight.pop(challenge_id, None)
        if done is not None and not done.done():
            done.set_result(failure)

    async def _update(
        self,
        record: Record,
        step: Callable[[Record], Record | None],
        *,
        release: bool = False,
        maybe_sent: bool = False,
    ) -> Record | None:
        """Swap the record for ``step``'s next state (None: leave it), again from the newest one while another
        process changed it in between. Returns the record as stored, or None when it is gone."""
        current = record
        for _ in range(16):
            following = step(current)
            if following is None:
                return current
            record_key, marker_key = self._keys(current.id)
            replaced = await self._store_call(self.store.replace(ReplaceRequest(
                record_key, marker_key, "c:" + current.claim, "i:" + current.idem if current.idem else "",
                current.version, following.dumps(), self._marker(following), self._now(), following.expires,
                following.expires + self._memory, release,
            )), maybe_sent=maybe_sent)  # fmt: skip
            if replaced:
                return attrs.evolve(following, version=current.version + 1)
            try:
                current = await self._load(current.id, None)
            except (ChallengeNotFoundError, ChallengeExpiredError):
                return None
        raise VerificationStoreError("the challenge kept changing under this update", maybe_sent=maybe_sent)

    async def _claim_and_deliver(self, record: Record, channel: Channel | None, requester: Requester | None) -> Record:
        """R2: claim the send in the store (a caller that finds the record changed plans again from the new one),
        then make it."""
        plans: list[Plan] = []

        def claim(current: Record) -> Record:
            plans.append(plan_send(current, self._now(), self.rules, channel))
            return plans[-1].record

        claimed = await self._update(record, claim)
        if claimed is None:
            raise ChallengeNotFoundError
        plan = attrs.evolve(plans[-1], record=claimed)
        return await self._deliver(plan, plan.previous, requester)

    async def _deliver(self, plan: Plan, previous: Record | None, requester: Requester | None) -> Record:
        """Make the claimed send, store what came of it and, after a send that was not sent, the fallback (R6)."""
        done = self._inflight.get(plan.record.id)  # a start registers its first send before claiming it
        if done is None:
            done = self._inflight[plan.record.id] = asyncio.get_running_loop().create_future()
        failure: BaseException | None = None
        try:
            record = await self._send_once(plan, previous, requester)
            for _ in CHANNELS:
                if record is None:
                    break
                following = await self._claim_fallback(record)
                if following is None:
                    break
                record = await self._send_once(following, following.previous, requester)
        except BaseException as error:
            failure = error
            raise
        finally:
            self._release(plan.record.id, failure)
        if record is None:
            raise ChallengeNotFoundError  # cancelled while its send was out
        return record

    async def _claim_fallback(self, record: Record) -> Plan | None:
        """R6: claim the send on the next channel after one that was not sent; None when there is none."""
        plans: list[Plan | None] = []

        def claim(current: Record) -> Record | None:
            plans.append(fallback_plan(current, self._now(), self.rules) if current == record else None)
            return None if plans[-1] is None else plans[-1].record

        claimed = await self._update(record, claim)
        if claimed is None or plans[-1] is None:
            return None
        return attrs.evolve(plans[-1], record=claimed, previous=record)

    async def _send_once(self, plan: Plan, previous: Record | None, requester: Requester | None) -> Record | None:
        """One send, and its outcome stored (only over the claim it was made under)."""
        claimed = plan.record

        def ours(current: Record) -> bool:
            return current.status == "sending" and (current.sends, current.last_sent) == (
                claimed.sends,
                claimed.last_sent,
            )

        try:
            pin_id, sent = await self._send(plan, requester)
        except InfobipError as error:
            maybe_sent = error.maybe_sent
            if not maybe_sent and previous is None:  # a first send that never went: the claim is free again
                record_key, marker_key = self._keys(claimed.id)
                idem_key = "i:" + claimed.idem if claimed.idem else ""
                await self._store_call(
                    self.store.delete(record_key, marker_key, "c:" + claimed.claim, idem_key, self._now())
                )
                raise

            def failed(current: Record) -> Record | None:
                return after_failure(current, previous, plan.channel, maybe_sent) if ours(current) else None

            outcome = await self._update(claimed, failed, maybe_sent=maybe_sent)
            if not maybe_sent:
                raise
            return outcome
        now = self._now()

        def answered(current: Record) -> Record | None:
            return (
                after_send(current, plan.channel, plan.resend, pin_id, sent, now, self.rules) if ours(current) else None
            )

        return await self._update(claimed, answered, maybe_sent=True)

    async def _send(self, plan: Plan, requester: Requester | None) -> tuple[str, bool]:
        """The client call a plan stands for: (the PIN's id, whether the service sent it)."""
        extra = self._send_kwargs(requester)
        record, client = plan.record, self._client
        answer: PinSent | EmailPinSent
        if plan.resend:
            if plan.channel == "email":
                answer = await client.resend_email_pin(record.pin_id, **extra)
            else:
                resend = client.resend_pin if plan.channel == "sms" else client.resend_voice_pin
                answer = await resend(record.pin_id, **extra)
        elif plan.channel == "email":
            answer = await client.send_email_pin(
                application_id=self._application_id, message_id=self._templates["email"], to=record.email, **extra
            )
        else:
            send = client.send_pin if plan.channel == "sms" else client.send_voice_pin
            answer = await send(application_id=self._application_id, message_id=self._templates[plan.channel],
                                to=record.to, **extra)  # fmt: skip
        return answer.pin_id, answer.message_sent if isinstance(answer, PinSent) else True


def check_text(argument: str, value: object) -> None:
    """Refuse a purpose, subject or key that is not a short non-empty string."""
    if not isinstance(value, str) or not value or len(value) > 256:
        raise InvalidRequestError(argument, "must be a non-empty string of at most 256 characters")


def check_requester(requester: object) -> None:
    """Refuse a requester that is not a ``Requester``."""
    if requester is not None and not isinstance(requester, Requester):
        raise InvalidRequestError("requester", "must be a Requester(ip=..., user_id=..., ...) or None")
