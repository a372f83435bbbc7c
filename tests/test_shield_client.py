"""The shield in the client: every PIN send and resend asks it first, a refusal sends nothing, a sent PIN is
remembered for its resends, a verified PIN counts as a conversion; a client without a shield does no shield work.
Against the in-process sandbox, under a manual clock, on both shield stores (in this process, and a real Redis)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from infobip_2fa_async import ApplicationConfiguration, ConfigurationError, TwoFactorClient
from infobip_2fa_async.sandbox import ManualClock, Sandbox
from infobip_2fa_async.shield import (
    BreakerRules,
    Cap,
    MemoryShieldStore,
    Requester,
    SendRefusedError,
    Shield,
    ShieldReason,
    ShieldRules,
)

SECRET = "a-test-secret-of-32-characters!!"
NUMBER = "447400011234"  # a valid UK mobile number


def gb(block: int, n: int) -> str:
    """A valid UK mobile number; numbers of one ``block`` share a prefix (all but their last 4 digits)."""
    return f"447400{block:02d}{n:04d}"


class Setup:
    """A sandbox, its application and templates, and shields on one store kind, all on one manual clock."""

    def __init__(self, kind: str, redis_url: str | None, sandbox: Sandbox, clock: ManualClock) -> None:
        self.kind, self.redis_url, self.sandbox, self.clock = kind, redis_url, sandbox, clock
        self.shields: list[Shield] = []
        self.clients: list[TwoFactorClient] = []
        self.ids: dict[str, str] = {}

    def shield(self, rules: ShieldRules | None = None, *, mode: Any = "enforce") -> Shield:
        if self.redis_url is None:
            store: Any = MemoryShieldStore()
        else:
            from infobip_2fa_async.redis import RedisShieldStore

            store = RedisShieldStore.from_url(self.redis_url, name=f"test-{uuid.uuid4().hex}")
        made = Shield(rules, store=store, secret=SECRET, mode=mode, clock=self.clock)
        self.shields.append(made)
        return made

    def client(self, shield: Shield | None) -> TwoFactorClient:
        made = self.sandbox.client(shield=shield, sleep=self.clock.sleep)
        self.clients.append(made)
        return made

    def sms(self, to: str, **kwargs: Any) -> dict[str, Any]:
        return {"application_id": self.ids["app"], "message_id": self.ids["sms"], "to": to, **kwargs}


@pytest.fixture(params=["memory", "redis"])
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    made = Setup(request.param, request.getfixturevalue("redis_url") if request.param == "redis" else None,
                 sandbox, clock)  # fmt: skip
    async with sandbox.client(sleep=clock.sleep) as admin:
        configuration = ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d", verify_pin_limit="100/1s")
        app = await admin.applications.create(name="Login", configuration=configuration)
        sms = await admin.templates.create(app.application_id, message_text="Code {{pin}}", pin_type="NUMERIC")
        voice = await admin.templates.create(app.application_id, message_text="Code {{pin}}", pin_type="NUMERIC")
        email = await admin.email_templates.create(app.application_id, email_template_id=1, pin_type="NUMERIC")
        made.ids = {"app": app.application_id, "sms": sms.message_id, "voice": voice.message_id,
                    "email": email.message_id}  # fmt: skip
    try:
        yield made
    finally:
        for client in made.clients:
            await client.aclose()
        for shield in made.shields:
            reset = getattr(shield.store, "reset", None)
            if reset is not None:
                await reset()
            await shield.aclose()


async def test_a_refused_send_raises_and_sends_nothing(setup: Setup) -> None:
    client = setup.client(setup.shield())
    await client.send_pin(**setup.sms(NUMBER))
    assert len(setup.sandbox.outbox) == 1
    with pytest.raises(SendRefusedError) as caught:
        await client.send_pin(**setup.sms(NUMBER))  # inside the number's 30 s cool-down
    assert (caught.value.reason, caught.value.retry_after, caught.value.maybe_sent) == (
        ShieldReason.NUMBER_COOLDOWN, 30.0, False,
    )  # fmt: skip
    assert NUMBER not in str(caught.value)
    assert len(setup.sandbox.outbox) == 1, "nothing was sent"
    with pytest.raises(SendRefusedError):  # SMS and voice share a number's counters
        await client.send_voice_pin(application_id=setup.ids["app"], message_id=setup.ids["voice"], to=NUMBER)
    assert len(setup.sandbox.outbox) == 1
    setup.clock.advance(30)
    await client.send_voice_pin(application_id=setup.ids["app"], message_id=setup.ids["voice"], to=NUMBER)
    assert len(setup.sandbox.outbox) == 2


async def test_a_resend_counts_against_the_number(setup: Setup) -> None:
    client = setup.client(setup.shield(ShieldRules(number_cooldown=0, number_caps=(Cap(3, 3600),))))
    sent = await client.send_pin(**setup.sms(NUMBER))
    await client.resend_pin(sent.pin_id)
    await client.resend_pin(sent.pin_id)
    with pytest.raises(SendRefusedError) as caught:
        await client.resend_pin(sent.pin_id)  # the fourth text to the number within the hour
    assert caught.value.reason is ShieldReason.NUMBER_CAP
    with pytest.raises(SendRefusedError):
        await client.send_pin(**setup.sms(NUMBER))  # and a new send to it, too
    assert len(setup.sandbox.outbox) == 3


async def test_voice_and_email_resends_ask_the_shield(setup: Setup) -> None:
    client = setup.client(setup.shield(ShieldRules(number_cooldown=0, number_caps=(Cap(2, 3600),))))
    voice = await client.send_voice_pin(application_id=setup.ids["app"], message_id=setup.ids["voice"], to=NUMBER)
    await client.resend_voice_pin(voice.pin_id)
    with pytest.raises(SendRefusedError):
        await client.resend_voice_pin(voice.pin_id)
    mail = await client.send_email_pin(application_id=setup.ids["app"], message_id=setup.ids["email"],
                                       to="person@example.com")  # fmt: skip
    await client.resend_email_pin(mail.pin_id)
    with pytest.raises(SendRefusedError):
        await client.resend_email_pin(mail.pin_id)
    with pytest.raises(SendRefusedError):
        await client.send_email_pin(application_id=setup.ids["app"], message_id=setup.ids["email"],
                                    to="Person@Example.com")  # fmt: skip
    assert len(setup.sandbox.outbox) == 4


async def test_a_verified_pin_is_a_conversion_and_keeps_the_breaker_closed(setup: Setup) -> None:
    rules = ShieldRules(prefix_caps=(Cap(1000, 3600),), breaker=BreakerRules(min_sends=10))
    converting = setup.client(setup.shield(rules))
    for n in range(12):
        sent = await converting.send_pin(**setup.sms(gb(9, n)))
        if n % 2 == 0:
            verification = await converting.verify_pin(sent.pin_id, setup.sandbox.last_pin(gb(9, n)))
            assert verification.verified
    setup.clock.advance(10 * 60)  # the sends are judged: half verified
    assert (await converting.send_pin(**setup.sms(gb(9, 99)))).pin_id

    pumped = setup.client(setup.shield(rules))  # the same sends, none verified: the breaker trips
    for n in range(12):
        await pumped.send_pin(**setup.sms(gb(8, n)))
    setup.clock.advance(10 * 60)
    with pytest.raises(SendRefusedError) as caught:
        await pumped.send_pin(**setup.sms(gb(8, 99)))
    assert caught.value.reason is ShieldReason.PREFIX_BREAKER


async def test_a_wrong_pin_is_not_a_conversion(setup: Setup) -> None:
    shield = setup.shield()
    counted: list[str] = []

    async def count_verified(checks: Any, now: int) -> None:
        counted.append("verified")

    shield.store.count_verified = count_verified  # type: ignore[method-assign]
    client = setup.client(shield)
    sent = await client.send_pin(**setup.sms(NUMBER))
    assert not (await client.verify_pin(sent.pin_id, "000000" if setup.sandbox.last_pin(NUMBER) != "000000"
                                        else "111111")).verified  # fmt: skip
    assert counted == []
    assert (await client.verify_pin(sent.pin_id, setup.sandbox.last_pin(NUMBER))).verified
    assert counted == ["verified"]


async def test_monitor_mode_sends_and_reports(setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    client = setup.client(setup.shield(mode="monitor"))
    asker = Requester(ip="203.0.113.7")
    with caplog.at_level(logging.DEBUG, logger="infobip_2fa_async"):
        await client.send_pin(**setup.sms(NUMBER), requester=asker)
        await client.send_pin(**setup.sms(NUMBER), requester=asker)  # would be refused: inside the cool-down
    assert len(setup.sandbox.outbox) == 2, "monitor mode refuses nothing"
    reports = [record.getMessage() for record in caplog.records if "shield" in record.getMessage()]
    assert len(reports) == 1
    assert "number_cooldown" in reports[0]
    assert "monitor" in reports[0]
    assert not any(secret in reports[0] for secret in (NUMBER, "203.0.113.7"))


async def test_the_requester_reaches_the_per_ip_rule(setup: Setup) -> None:
    client = setup.client(setup.shield(ShieldRules(ip_caps=(Cap(2, 3600),))))
    attacker, other = Requester(ip="203.0.113.7"), Requester(ip="198.51.100.9")
    await client.send_pin(**setup.sms(gb(1, 1)), requester=attacker)
    sent = await client.send_pin(**setup.sms(gb(1, 2)), requester=attacker)
    with pytest.raises(SendRefusedError) as caught:
        await client.send_pin(**setup.sms(gb(1, 3)), requester=attacker)
    assert caught.value.reason is ShieldReason.IP_CAP
    setup.clock.advance(60)
    with pytest.raises(SendRefusedError):
        await client.resend_pin(sent.pin_id, requester=attacker)  # a resend counts for the IP too
    await client.send_pin(**setup.sms(gb(1, 3)), requester=other)
    await client.send_pin(**setup.sms(gb(1, 4)))  # no requester: no per-requester rule
    assert len(setup.sandbox.outbox) == 4


async def test_with_options_shares_the_shield(setup: Setup) -> None:
    shield = setup.shield()
    client = setup.client(shield)
    fast = client.with_options(timeout=2.0)
    assert fast.shield is shield is client.shield
    await client.send_pin(**setup.sms(NUMBER))
    with pytest.raises(SendRefusedError):
        await fast.send_pin(**setup.sms(NUMBER))
    assert len(setup.sandbox.outbox) == 1


async def test_a_client_without_a_shield_is_unaffected(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """No shield: no shield code runs at all (every Shield method counts its calls), and ``requester=`` is
    accepted and ignored."""
    calls: list[str] = []
    for name in ("check", "check_resend", "sent", "verified"):
        monkeypatch.setattr(Shield, name, lambda *args, _name=name, **kwargs: calls.append(_name))
    client = setup.client(None)
    assert client.shield is None
    asker = Requester(ip="203.0.113.7")
    for _ in range(3):  # no cool-down, no cap: the shield's rules do not apply
        sent = await client.send_pin(**setup.sms(NUMBER), requester=asker)
        await client.resend_pin(sent.pin_id, requester=asker)
    assert (await client.verify_pin(sent.pin_id, setup.sandbox.last_pin(NUMBER))).verified
    assert calls == []
    assert len(setup.sandbox.outbox) == 6


def test_the_shield_must_be_a_shield() -> None:
    sandbox = Sandbox()
    with pytest.raises(ConfigurationError, match="shield must be a Shield"):
        sandbox.client(shield=object())
    with pytest.raises(ConfigurationError):
        sandbox.client(shield=MemoryShieldStore())
