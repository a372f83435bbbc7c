"""A challenge's state and its next state, as plain functions over plain data: no I/O, no clock of their own.

A store keeps a ``Record`` (never a PIN) and swaps it for the next one only if nobody changed it in between (a
version check): the functions here decide what the next one is, and what may be sent on the way.

The rules they apply, each cited where it is applied:

- R1 binding: a challenge answers only to the purpose and subject it was started for; any other is "not found".
- R2 one PIN at a time: a send is claimed (status ``sending``) before it goes out; nobody sends while it is.
- R3 cool-down: no send within ``cooldown`` of the last one, whatever its fate, so a person is texted twice only
  after a visible wait, never by a retry.
- R4 cap: at most ``1 + max_resends`` sends per challenge (the automatic fallback after a send that did not go
  counts, but is not refused: the person got nothing).
- R5 uncertain: a send that may have gone out leaves the ``pinId`` unknown when it was a new PIN; the challenge
  then cannot be checked, and the next send is a new PIN, after the cool-down.
- R6 fallback: the next channel in ``channels`` that has a template (and, for e-mail, an address), after a send that
  came back not sent, when asked, or after ``fallback_after``. Voice after SMS (and back) resends the same
  ``pinId``; e-mail is a new PIN to the address.
- R7 expiry: nothing is sent or checked past ``expires``; a new PIN moves it to the new PIN's time to live.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from ._errors import (
    ChallengeExpiredError,
    ChallengeUsedError,
    ChannelUnavailableError,
    PinNotKnownError,
    ResendLimitError,
    ResendTooSoonError,
)
from ._model import Challenge, ChallengeStatus, Channel

__all__ = [
    "Plan",
    "Record",
    "Rules",
    "after_failure",
    "after_send",
    "check_ready",
    "fallback_plan",
    "plan_send",
    "usable",
]


@attrs.frozen
class Rules:
    """A verifier's rules, in milliseconds.

    Attributes:
        cooldown: R3.
        max_resends: R4.
        ttl: R7: the PIN's time to live (the 2FA application's ``pinTimeToLive``).
        channels: R6: the order of channels.
        templates: The channels the verifier has a template for.
        fallback_on_not_sent: R6: move on at once after a send that came back not sent.
        fallback_after: R6: a resend after this long since the first send moves on (None: never by time).
    """

    cooldown: int
    max_resends: int
    ttl: int
    channels: tuple[Channel, ...]
    templates: frozenset[Channel]
    fallback_on_not_sent: bool = True
    fallback_after: int | None = None


@attrs.frozen
class Record:
    """What a store keeps of a challenge (never a PIN). Times in milliseconds of the verifier's clock.

    Attributes:
        id: The challenge id.
        claim: The keyed hash of (purpose, subject, number) its start claimed.
        bind: The keyed hash of (purpose, subject): R1.
        idem: The keyed hash of its idempotency key ("" for none).
        to: The number's digits: a new PIN (R5) goes to it.
        email: The e-mail address for the e-mail channel ("" for none).
        masked: The masked number, for pages.
        channel: The channel of the last send.
        pin_id: The current PIN's id ("" when unknown: R5).
        pin_kind: ``"phone"`` or ``"email"``: what the current PIN was sent to.
        status: ``sending``, ``sent``, ``not_sent``, ``uncertain``, ``verified``.
        sends: Sends made (the first included).
        first_sent: When the first send was made.
        last_sent: When the last send was made.
        expires: When it expires (R7).
        version: The store's version of it (not serialized).
    """

    id: str
    claim: str
    bind: str
    idem: str
    to: str
    email: str
    masked: str
    channel: Channel
    pin_id: str = ""
    pin_kind: str = ""
    status: ChallengeStatus = "sending"
    sends: int = 1
    first_sent: int = 0
    last_sent: int = 0
    expires: int = 0
    version: int = attrs.field(default=0, eq=False)

    def dumps(self) -> str:
        """The record as the store keeps it."""
        data = attrs.asdict(self)
        del data["version"]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str | bytes, version: int) -> Record:
        """A record from what the store kept."""
        data: dict[str, Any] = json.loads(text)
        return cls(**data, version=version)

    def effective_status(self, now: int, rules: Rules) -> ChallengeStatus:
        """R2, R5: a send claimed longer than a cool-down ago whose sender never came back (a crash) is uncertain."""
        if self.status == "sending" and now - self.last_sent >= rules.cooldown:
            return "uncertain"
        return self.status

    def challenge(self, now: int, rules: Rules, *, created: bool = False) -> Challenge:
        """What the app and the browser may see of it."""
        return Challenge.of(
            id=self.id, channel=self.channel, masked_to=self.masked, status=self.effective_status(now, rules),
            resend_at_ms=self.last_sent + rules.cooldown, expires_at_ms=self.expires, now_ms=now,
            resends_left=1 + rules.max_resends - self.sends, created=created,
        )  # fmt: skip


def usable(record: Record, channel: Channel, rules: Rules) -> str | None:
    """Why ``channel`` cannot be used for this challenge; None when it can (R6)."""
    if channel not in rules.channels:
        return "it is not among the verifier's channels"
    if channel not in rules.templates:
        return "the verifier has no template for it"
    if channel == "email" and not record.email:
        return "start() was given no e-mail address"
    return None


def _next_channel(record: Record, rules: Rules) -> Channel | None:
    """R6: the first usable channel after the current one, in the verifier's order."""
    order = rules.channels
    start = order.index(record.channel) + 1 if record.channel in order else 0
    return next((channel for channel in order[start:] if usable(record, channel, rules) is None), None)


@attrs.frozen
class Plan:
    """A send to make, and the record claimed for it (status ``sending``; the store must accept it first).

    Attributes:
        channel: Where to send.
        resend: True to resend the current PIN (same ``pinId``), False to send a new PIN.
        record: The record to swap in before sending.
        previous: The record before, to put back if the send provably did not go out.
    """

    channel: Channel
    resend: bool
    record: Record
    previous: Record


def plan_send(record: Record, now: int, rules: Rules, channel: Channel | None, *, automatic: bool = False) -> Plan:
    """The next send of a challenge that exists already (a resend, or a start after the cool-down).

    Args:
        record: The challenge as stored.
        now: The verifier's clock.
        rules: The verifier's rules.
        channel: The channel asked for; None to let the rules choose (R6).
        automatic: The fallback right after a send that came back not sent: no cool-down, no cap (R4).

    Raises:
        ChallengeExpiredError: R7.
        ChallengeUsedError: Verified already.
        ResendTooSoonError: R2, R3.
        ResendLimitError: R4.
        ChannelUnavailableError: R6.
    """
    if now >= record.expires:
        raise ChallengeExpiredError
    status = record.effective_status(now, rules)
    if status == "verified":
        raise ChallengeUsedError
    if channel is not None:
        why = usable(record, channel, rules)
        if why is not None:
            raise ChannelUnavailableError(channel, why)
    if not automatic:
        if status == "sending" or now < record.last_sent + rules.cooldown:
            raise ResendTooSoonError((record.last_sent + rules.cooldown - now) / 1000)
        if record.sends >= 1 + rules.max_resends:
            raise ResendLimitError((record.expires - now) / 1000)
    if channel is None:
        channel = record.channel
        moved = automatic or status == "not_sent"
        if rules.fallback_after is not None and now - record.first_sent >= rules.fallback_after:
            moved = True
        if moved:
            channel = _next_channel(record, rules) or channel
    kind = "email" if channel == "email" else "phone"
    resend = bool(record.pin_id) and record.pin_kind == kind
    claimed = attrs.evolve(record, channel=channel, status="sending", sends=record.sends + 1, last_sent=now)
    return Plan(channel, resend, claimed, record)


def after_send(record: Record, plan_channel: Channel, resend: bool, pin_id: str, sent: bool, now: int,
               rules: Rules) -> Record:  # fmt: skip
    """The record once a send came back: ``sent`` False when the service answered it did not send (R6)."""
    if resend:
        return attrs.evolve(record, channel=plan_channel, status="sent" if sent else "not_sent")
    kind = "email" if plan_channel == "email" else "phone"
    return attrs.evolve(
        record, channel=plan_channel, pin_id=pin_id, pin_kind=kind, status="sent" if sent else "not_sent",
        expires=max(record.expires, now + rules.ttl),  # R7: a new PIN lives its own time to live
    )  # fmt: skip


def after_failure(record: Record, previous: Record | None, plan_channel: Channel, maybe_sent: bool) -> Record | None:
    """The record once a send raised: None to drop a first send that provably did not go out (the claim is free
    again); the state before the send when a later one did not go out; ``uncertain`` when it may have (R5)."""
    if not maybe_sent:
        if previous is None:
            return None
        return attrs.evolve(record, channel=previous.channel, status=previous.status, sends=record.sends - 1,
                            last_sent=previous.last_sent)  # fmt: skip
    # a new PIN's id is unknown; the PIN before it (if any) stays checkable: its code may be what the person has
    return attrs.evolve(record, channel=plan_channel, status="uncertain")


def fallback_plan(record: Record, now: int, rules: Rules) -> Plan | None:
    """R6: right after a send that came back not sent, the send on the next usable channel; None when there is
    none (or the rules say not to)."""
    if not rules.fallback_on_not_sent or record.status != "not_sent" or _next_channel(record, rules) is None:
        return None
    return plan_send(record, now, rules, None, automatic=True)


def check_ready(record: Record, now: int, rules: Rules) -> None:
    """Whether a code may be checked against the challenge now (after R1 was applied).

    Raises:
        ChallengeExpiredError: R7.
        ChallengeUsedError: Verified already.
        PinNotKnownError: R5: the current PIN's id is unknown.
    """
    if now >= record.expires:
        raise ChallengeExpiredError
    if record.status == "verified":
        raise ChallengeUsedError
    if not record.pin_id:
        raise PinNotKnownError((record.last_sent + rules.cooldown - now) / 1000)
