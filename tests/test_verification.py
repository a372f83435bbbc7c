"""The verifier, on both stores, under a manual clock, against the in-process sandbox: challenges bound to their
purpose and subject, one PIN for a hundred concurrent starts, idempotency keys, cool-downs and caps, honest
uncertain sends, and fallback from SMS to voice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from infobip_2fa_async import ApplicationConfiguration, InfobipError, RateLimitError, RetryPolicy, TwoFactorClient
from infobip_2fa_async.sandbox import Fault, ManualClock, Sandbox
from infobip_2fa_async.shield import Requester
from infobip_2fa_async.verification import (
    ChallengeExpiredError,
    ChallengeNotFoundError,
    ChallengeUsedError,
    ChannelUnavailableError,
    IdempotencyKeyReusedError,
    MemoryVerificationStore,
    PinNotKnownError,
    ResendLimitError,
    ResendTooSoonError,
    VerificationError,
    Verifier,
)

NUMBER = "41793026727"
SECRET = "a-test-secret-of-32-characters!!"
SEND = r"^POST /2fa/2/pin$"  # a new SMS PIN (not a resend, not a verification)


@dataclass
class Setup:
    clock: ManualClock
    sandbox: Sandbox
    client: TwoFactorClient
    store: Any
    ids: dict[str, str]

    def verifier(self, **options: Any) -> Verifier:
        options.setdefault("voice_message_id", self.ids["voice"])
        return Verifier(self.client, store=self.store, secret=SECRET, clock=self.clock,
                        application_id=self.ids["app"], message_id=self.ids["sms"], **options)  # fmt: skip

    def deliveries(self, to: str = NUMBER) -> list[Any]:
        return [message for message in self.sandbox.outbox if message.to == to]


@pytest.fixture(params=["memory", "redis"])
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    if request.param == "redis":
        from infobip_2fa_async.redis import RedisVerificationStore

        store: Any = RedisVerificationStore.from_url(request.getfixturevalue("redis_url"), name=uuid.uuid4().hex)
    else:
        store = MemoryVerificationStore()
    async with sandbox.client(sleep=clock.sleep) as client:
        configuration = ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d", verify_pin_limit="100/1s")
        app = await client.applications.create(name="Login", configuration=configuration)
        sms = await client.templates.create(app.application_id, message_text="Code {{pin}}", pin_type="NUMERIC")
        voice = await client.templates.create(app.application_id, message_text="Your code {{pin}}", pin_type="NUMERIC")
        ids = {"app": app.application_id, "sms": sms.message_id, "voice": voice.message_id}
        try:
            yield Setup(clock, sandbox, client, store, ids)
        finally:
            if request.param == "redis":
                await store.reset()
            await store.aclose()


async def test_a_code_verifies_only_for_the_purpose_and_subject_it_was_started_for(setup: Setup) -> None:
    verifier = setup.verifier()
    challenge = await verifier.start("+41 79 302 67 27", purpose="login", subject="user-1")
    pin = setup.sandbox.last_pin(NUMBER)
    assert challenge.masked_to == "+41 *******27"
    assert challenge.channel == "sms"
    assert not challenge.uncertain
    for purpose, subject in (("change-phone", "user-1"), ("login", "user-2"), ("login", None)):
        with pytest.raises(ChallengeNotFoundError):
            await verifier.check(challenge.id, pin, purpose=purpose, subject=subject)
    for garbage in ("", "nope", "x" * 500, "../../etc"):
        with pytest.raises(ChallengeNotFoundError):
            await verifier.check(garbage, pin, purpose="login", subject="user-1")
    result = await verifier.check(challenge.id, pin, purpose="login", subject="user-1")
    assert result.verified
    assert result.number == NUMBER
    assert result.attempts_left == 9
    with pytest.raises(ChallengeUsedError):
        await verifier.check(challenge.id, pin, purpose="login", subject="user-1")
    with pytest.raises(ChallengeUsedError):
        await verifier.resend(challenge.id)


async def test_a_wrong_code_says_how_many_attempts_are_left(setup: Setup) -> None:
    verifier = setup.verifier()
    challenge = await verifier.start(NUMBER, purpose="login")
    pin = setup.sandbox.last_pin(NUMBER)
    wrong = "0000" if pin != "0000" else "1111"
    result = await verifier.check(challenge.id, wrong, purpose="login")
    assert (result.verified, result.attempts_left, result.number, result.pin_error) == (False, 9, None, "WRONG_PIN")
    assert (await verifier.check(challenge.id, pin, purpose="login")).verified


async def test_an_expired_challenge_says_so_but_only_to_its_own_purpose(setup: Setup) -> None:
    verifier = setup.verifier()
    challenge = await verifier.start(NUMBER, purpose="login", subject="user-1")
    pin = setup.sandbox.last_pin(NUMBER)
    setup.clock.advance(15 * 60)
    with pytest.raises(ChallengeExpiredError):
        await verifier.check(challenge.id, pin, purpose="login", subject="user-1")
    with pytest.raises(ChallengeNotFoundError):
        await verifier.check(challenge.id, pin, purpose="signup", subject="user-1")
    with pytest.raises(ChallengeExpiredError):
        await verifier.resend(challenge.id)
    fresh = await verifier.start(NUMBER, purpose="login", subject="user-1")
    assert fresh.id != challenge.id
    assert fresh.created
    assert len(setup.deliveries()) == 2


async def test_a_hundred_concurrent_starts_for_one_user_send_one_pin(setup: Setup) -> None:
    verifier = setup.verifier()
    challenges = await asyncio.gather(*(verifier.start(NUMBER, purpose="login", subject="user-1") for _ in range(100)))
    assert len({challenge.id for challenge in challenges}) == 1
    assert sum(challenge.created for challenge in challenges) == 1
    assert all(challenge.status == "sent" for challenge in challenges)
    assert len(setup.deliveries()) == 1
    # another purpose, or another user on the same number, is another challenge
    other = await verifier.start(NUMBER, purpose="login", subject="user-2")
    assert other.id != challenges[0].id
    assert len(setup.deliveries()) == 2


async def test_the_same_idempotency_key_always_answers_the_same_challenge(setup: Setup) -> None:
    verifier = setup.verifier()
    first = await verifier.start(NUMBER, purpose="login", subject="u", idempotency_key="req-1")
    setup.clock.advance(120)  # past the cool-down: a plain start would send again; a repeated request never does
    again = await verifier.start(NUMBER, purpose="login", subject="u", idempotency_key="req-1")
    assert again.id == first.id
    assert not again.created
    assert len(setup.deliveries()) == 1
    with pytest.raises(IdempotencyKeyReusedError) as caught:
        await verifier.start("41793026728", purpose="login", subject="u", idempotency_key="req-1")
    assert caught.value.maybe_sent is False
    assert len(setup.sandbox.outbox) == 1
    # a new key for the same user and number, after the cool-down, goes on with the same challenge: a resend
    resent = await verifier.start(NUMBER, purpose="login", subject="u", idempotency_key="req-2")
    assert resent.id == first.id
    assert len(setup.deliveries()) == 2


async def test_resends_wait_for_the_cool_down_and_stop_at_the_cap(setup: Setup) -> None:
    verifier = setup.verifier(cooldown=30, max_resends=2)
    challenge = await verifier.start(NUMBER, purpose="login")
    assert (challenge.resend_in, challenge.resends_left) == (30, 2)
    with pytest.raises(ResendTooSoonError) as caught:
        await verifier.resend(challenge.id)
    assert caught.value.retry_after == 30
    assert caught.value.maybe_sent is False
    setup.clock.advance(10)
    again = await verifier.start(NUMBER, purpose="login")  # a double-click 10 s later: nothing is sent
    assert again.id == challenge.id
    assert again.resend_in == 20
    assert len(setup.deliveries()) == 1
    setup.clock.advance(20)
    resent = await verifier.resend(challenge.id)
    assert resent.resends_left == 1
    assert resent.resend_in == 30
    assert [message.pin for message in setup.deliveries()] == [setup.sandbox.outbox[0].pin] * 2, "the same PIN"
    setup.clock.advance(30)
    await verifier.resend(challenge.id)
    setup.clock.advance(30)
    with pytest.raises(ResendLimitError):
        await verifier.resend(challenge.id)
    assert len(setup.deliveries()) == 3
    assert (await verifier.check(challenge.id, setup.sandbox.last_pin(NUMBER), purpose="login")).verified


async def test_concurrent_resends_after_the_cool_down_send_once(setup: Setup) -> None:
    verifier = setup.verifier()
    challenge = await verifier.start(NUMBER, purpose="login")
    setup.clock.advance(30)
    outcomes = await asyncio.gather(*(verifier.resend(challenge.id) for _ in range(20)), return_exceptions=True)
    assert sum(not isinstance(outcome, BaseException) for outcome in outcomes) == 1
    assert all(isinstance(outcome, ResendTooSoonError) for outcome in outcomes if isinstance(outcome, BaseException))
    assert len(setup.deliveries()) == 2


@pytest.mark.parametrize("fault", [Fault.server_error(500, after_processing=True), Fault.drop(after_processing=True)])
async def test_an_uncertain_send_is_said_honestly_and_resent_only_after_the_cool_down(
    setup: Setup, fault: Fault
) -> None:
    verifier = setup.verifier(cooldown=60)
    setup.sandbox.faults.script(fault, match=SEND)
    challenge = await verifier.start(NUMBER, purpose="login", subject="u")
    assert challenge.uncertain
    assert challenge.status == "uncertain"
    assert challenge.resend_in == 60
    delivered = setup.sandbox.last_pin(NUMBER)  # it did arrive, but its pinId never came back
    with pytest.raises(PinNotKnownError) as caught:
        await verifier.check(challenge.id, delivered, purpose="login", subject="u")
    assert caught.value.retry_after == 60
    assert caught.value.maybe_sent is False
    at_once = await verifier.start(NUMBER, purpose="login", subject="u")  # the user clicks again at once
    assert at_once.id == challenge.id
    assert at_once.uncertain
    assert len(setup.deliveries()) == 1, "nothing sent"
    with pytest.raises(ResendTooSoonError):
        await verifier.resend(challenge.id)
    setup.clock.advance(60)
    later = await verifier.start(NUMBER, purpose="login", subject="u")
    assert later.id == challenge.id
    assert later.status == "sent"
    assert len(setup.deliveries()) == 2
    new_pin = setup.sandbox.last_pin(NUMBER)
    result = await verifier.check(challenge.id, new_pin, purpose="login", subject="u")
    assert result.verified


async def test_a_send_refused_before_it_went_frees_the_claim(setup: Setup) -> None:
    verifier = setup.verifier()
    setup.sandbox.faults.script(*[Fault.rate_limit(retry_after=1)] * 5, match=SEND)
    async with setup.sandbox.client(sleep=setup.clock.sleep, retry=RetryPolicy(max_retries=0)) as client:
        refused = Verifier(client, store=setup.store, secret=SECRET, clock=setup.clock,
                           application_id=setup.ids["app"], message_id=setup.ids["sms"])  # fmt: skip
        with pytest.raises(RateLimitError) as caught:
            await refused.start(NUMBER, purpose="login")
    assert caught.value.maybe_sent is False
    setup.sandbox.faults.clear()
    challenge = await verifier.start(NUMBER, purpose="login")
    assert challenge.created
    assert challenge.status == "sent"
    assert len(setup.deliveries()) == 1


async def test_an_sms_that_was_not_sent_falls_back_to_a_voice_call_of_the_same_pin(setup: Setup) -> None:
    unreachable = "41790000000"
    verifier = setup.verifier()
    challenge = await verifier.start(unreachable, purpose="login")
    assert (challenge.channel, challenge.status, challenge.resends_left) == ("voice", "sent", 2)
    [call] = setup.deliveries(unreachable)
    assert call.channel == "voice"
    result = await verifier.check(challenge.id, call.pin, purpose="login")
    assert result.verified
    assert result.channel == "voice"


async def test_without_a_voice_template_an_unsent_sms_is_said_plainly(setup: Setup) -> None:
    verifier = setup.verifier(voice_message_id=None)
    challenge = await verifier.start("41790000000", purpose="login")
    assert (challenge.channel, challenge.status) == ("sms", "not_sent")
    assert not setup.deliveries("41790000000")
    with pytest.raises(ChannelUnavailableError) as caught:
        await verifier.resend(challenge.id, channel="voice")
    assert caught.value.maybe_sent is False
    with pytest.raises(ChannelUnavailableError):
        await verifier.start(NUMBER, purpose="login", channel="email")


async def test_the_user_may_ask_for_a_call_and_time_moves_the_challenge_on(setup: Setup) -> None:
    verifier = setup.verifier(fallback_after=90)
    asked = await verifier.start(NUMBER, purpose="login", subject="a")
    setup.clock.advance(30)
    called = await verifier.resend(asked.id, channel="voice")
    assert called.channel == "voice"
    assert setup.sandbox.outbox[-1].channel == "voice"
    assert setup.sandbox.outbox[-1].pin == setup.sandbox.outbox[0].pin, "a voice resend reads the same PIN"
    timed = await verifier.start("41793026729", purpose="login")
    setup.clock.advance(30)
    assert (await verifier.resend(timed.id)).channel == "sms"
    setup.clock.advance(60)
    assert (await verifier.resend(timed.id)).channel == "voice", "90 s after the first send, the next channel"


async def test_a_cancelled_challenge_is_gone_and_the_next_start_is_new(setup: Setup) -> None:
    verifier = setup.verifier()
    challenge = await verifier.start(NUMBER, purpose="login")
    assert await verifier.cancel(challenge.id)
    assert not await verifier.cancel(challenge.id)
    with pytest.raises(ChallengeNotFoundError):
        await verifier.check(challenge.id, setup.sandbox.last_pin(NUMBER), purpose="login")
    assert (await verifier.start(NUMBER, purpose="login")).id != challenge.id


async def test_two_correct_checks_at_once_verify_once(setup: Setup) -> None:
    verifier = setup.verifier()
    challenge = await verifier.start(NUMBER, purpose="login")
    pin = setup.sandbox.last_pin(NUMBER)
    outcomes = await asyncio.gather(*(verifier.check(challenge.id, pin, purpose="login") for _ in range(5)),
                                    return_exceptions=True)  # fmt: skip
    assert sum(getattr(outcome, "verified", False) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, ChallengeUsedError) for outcome in outcomes) == 4


async def test_the_requester_goes_down_the_send_path(setup: Setup) -> None:
    from infobip_2fa_async.shield import Shield, ShieldDecision

    seen: list[Any] = []

    class RecordingShield(Shield):
        async def check(self, to: str, **kwargs: Any) -> ShieldDecision:
            seen.append(("check", kwargs["channel"], kwargs["requester"]))
            return await super().check(to, **kwargs)

        async def check_resend(self, pin_id: str, **kwargs: Any) -> ShieldDecision:
            seen.append(("check_resend", kwargs["channel"], kwargs["requester"]))
            return await super().check_resend(pin_id, **kwargs)

    shield = RecordingShield(mode="monitor", secret=SECRET, clock=setup.clock)
    async with setup.sandbox.client(shield=shield, sleep=setup.clock.sleep) as client:
        setup.client = client
        verifier = setup.verifier()
        asker = Requester(ip="203.0.113.7", user_id="user-1")
        challenge = await verifier.start(NUMBER, purpose="login", requester=asker)
        setup.clock.advance(30)
        await verifier.resend(challenge.id, requester=asker)
        assert seen == [("check", "sms", asker), ("check_resend", "sms", asker)]
        await verifier.start("41793026728", purpose="login")
        assert seen[-1] == ("check", "sms", None), "no requester: the client's default"
        with pytest.raises(InfobipError):
            await verifier.start(NUMBER, purpose="login", requester="203.0.113.7")  # type: ignore[arg-type]


async def test_nothing_personal_or_secret_shows_in_errors_or_reprs(setup: Setup) -> None:
    verifier = setup.verifier()
    challenge = await verifier.start(NUMBER, purpose="login", subject="user-secret-id")
    pin, pin_id = setup.sandbox.outbox[-1].pin, setup.sandbox.outbox[-1].pin_id
    errors: list[VerificationError] = []
    for call in (
        verifier.check(challenge.id, pin, purpose="other", subject="user-secret-id"),
        verifier.resend(challenge.id),
    ):
        try:
            await call
        except VerificationError as error:
            errors.append(error)
    result = await verifier.check(challenge.id, pin, purpose="login", subject="user-secret-id")
    shown = " ".join([*map(str, errors), repr(challenge), repr(result), repr(verifier), repr(setup.store)])
    for secret in (NUMBER, pin_id, challenge.id, "user-secret-id", SECRET):
        assert secret not in shown
    assert len(errors) == 2


def test_a_verifier_refuses_what_cannot_work() -> None:
    from infobip_2fa_async import ConfigurationError, InvalidRequestError

    client: Any = object()
    with pytest.raises(ConfigurationError):
        Verifier(client, application_id="a", message_id="m", secret="short")
    for options in ({"cooldown": 0}, {"max_resends": -1}, {"ttl": 10}, {"channels": ("sms", "sms")}, {"channels": ()},
                    {"fallback_after": 0}):  # fmt: skip
        with pytest.raises(InvalidRequestError):
            Verifier(client, application_id="a", message_id="m", **options)


async def test_a_shared_store_needs_the_same_secret_everywhere(redis_url: str) -> None:
    from infobip_2fa_async import ConfigurationError
    from infobip_2fa_async.redis import RedisVerificationStore

    async with RedisVerificationStore.from_url(redis_url, name="needs-secret") as store:
        with pytest.raises(ConfigurationError):
            Verifier(object(), store=store, application_id="a", message_id="m")  # type: ignore[arg-type]
