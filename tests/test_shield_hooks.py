"""The shield's refusals reach the hooks (``on_send_refused``) and OpenTelemetry (a counter by rule and country),
with nothing personal in them; its errors are in the library's error tree and load without phonenumberslite.
Against the in-process sandbox, under a manual clock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import infobip_2fa_async
from infobip_2fa_async import (
    CallStarted,
    GateUnavailableError,
    Hook,
    InfobipError,
    SendRefused,
    SendRefusedError,
    ShieldUnavailableError,
    TwoFactorClient,
)
from infobip_2fa_async._hooks import Hooks
from infobip_2fa_async.otel import OpenTelemetryHooks
from infobip_2fa_async.sandbox import ManualClock, Sandbox
from infobip_2fa_async.shield import Cap, Requester, Shield, ShieldDecision, ShieldReason, ShieldRules

SECRET = "a-test-secret-of-32-characters!!"
NUMBER = "447400011234"  # a valid UK mobile number
SWISS = "41793026727"
IP, USER = "203.0.113.7", "user-42"


class Refusals(Hook):
    def __init__(self) -> None:
        self.events: list[SendRefused] = []

    def on_send_refused(self, event: SendRefused) -> None:
        self.events.append(event)


class Setup:
    def __init__(self, sandbox: Sandbox, clock: ManualClock, ids: dict[str, str]) -> None:
        self.sandbox, self.clock, self.ids = sandbox, clock, ids
        self.clients: list[TwoFactorClient] = []

    def client(self, rules: ShieldRules | None = None, *, hooks: list[Hook], mode: Any = "enforce") -> TwoFactorClient:
        shield = Shield(rules, secret=SECRET, mode=mode, clock=self.clock)
        made = self.sandbox.client(shield=shield, hooks=hooks, sleep=self.clock.sleep)
        self.clients.append(made)
        return made

    def sms(self, to: str, **kwargs: Any) -> dict[str, Any]:
        return {"application_id": self.ids["app"], "message_id": self.ids["sms"], "to": to, **kwargs}


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    async with sandbox.client(sleep=clock.sleep) as admin:
        app = await admin.applications.create(name="Login")
        sms = await admin.templates.create(app.application_id, message_text="Code {{pin}}", pin_type="NUMERIC")
        voice = await admin.templates.create(app.application_id, message_text="Code {{pin}}", pin_type="NUMERIC")
        email = await admin.email_templates.create(app.application_id, email_template_id=1, pin_type="NUMERIC")
    made = Setup(sandbox, clock, {"app": app.application_id, "sms": sms.message_id, "voice": voice.message_id,
                                  "email": email.message_id})  # fmt: skip
    try:
        yield made
    finally:
        for client in made.clients:
            await client.aclose()


def _nothing_personal(events: list[Any], *secrets: str) -> None:
    text = repr(events)
    for secret in (NUMBER, SWISS, IP, USER, SECRET, *secrets):
        assert secret not in text


async def test_each_refusal_is_one_event_with_the_rule_and_the_country(setup: Setup) -> None:
    refusals = Refusals()
    client = setup.client(ShieldRules(allowed_regions={"GB"}), hooks=[refusals])
    asker = Requester(ip=IP, user_id=USER)
    sent = await client.send_pin(**setup.sms(NUMBER), requester=asker)
    assert refusals.events == [], "a send let through is no event"

    with pytest.raises(SendRefusedError):
        await client.send_pin(**setup.sms(NUMBER), requester=asker)  # inside the number's 30 s cool-down
    with pytest.raises(SendRefusedError):
        await client.resend_pin(sent.pin_id, requester=asker)
    with pytest.raises(SendRefusedError):
        await client.send_voice_pin(application_id=setup.ids["app"], message_id=setup.ids["voice"], to=SWISS)
    assert refusals.events == [
        SendRefused("send_pin", "number_cooldown", "sms", "GB", False, 30.0, False),
        SendRefused("resend_pin", "number_cooldown", "sms", "GB", False, 30.0, True),
        SendRefused("send_voice_pin", "country", "voice", "CH", False, None, False),
    ]
    assert refusals.events[0].reason == ShieldReason.NUMBER_COOLDOWN
    assert len(setup.sandbox.outbox) == 1
    _nothing_personal(refusals.events, sent.pin_id)


async def test_email_sends_and_resends_are_told_too(setup: Setup) -> None:
    refusals = Refusals()
    client = setup.client(ShieldRules(number_cooldown=0, number_caps=(Cap(1, 3600),)), hooks=[refusals])
    mail = await client.send_email_pin(application_id=setup.ids["app"], message_id=setup.ids["email"],
                                       to="person@example.com")  # fmt: skip
    with pytest.raises(SendRefusedError):
        await client.resend_email_pin(mail.pin_id)
    with pytest.raises(SendRefusedError):
        await client.send_email_pin(application_id=setup.ids["app"], message_id=setup.ids["email"],
                                    to="person@example.com")  # fmt: skip
    told = [(event.operation, event.reason, event.channel, event.country, event.resend) for event in refusals.events]
    assert told == [
        ("resend_email_pin", "number_cap", "email", None, True),
        ("send_email_pin", "number_cap", "email", None, False),
    ]
    _nothing_personal(refusals.events, "person@example.com", mail.pin_id)


async def test_monitor_mode_tells_what_would_have_been_refused_and_sends(setup: Setup) -> None:
    refusals = Refusals()
    client = setup.client(ShieldRules(allowed_regions={"GB"}), hooks=[refusals], mode="monitor")
    await client.send_pin(**setup.sms(NUMBER))
    await client.send_pin(**setup.sms(NUMBER))  # inside the cool-down: sent all the same
    await client.send_pin(**setup.sms(SWISS))  # not an allowed country: sent all the same
    assert len(setup.sandbox.outbox) == 3
    assert [(event.reason, event.country, event.monitor) for event in refusals.events] == [
        ("number_cooldown", "GB", True), ("country", "CH", True),
    ]  # fmt: skip


async def test_a_failing_hook_breaks_nothing_and_other_events_cost_nothing(setup: Setup) -> None:
    class Broken(Hook):
        def on_send_refused(self, event: SendRefused) -> None:
            raise RuntimeError("a bug in the hook")

    class Starts(Hook):
        def on_call_started(self, event: CallStarted) -> None:
            pass

    refusals = Refusals()
    client = setup.client(hooks=[Broken(), refusals])
    await client.send_pin(**setup.sms(NUMBER))
    with pytest.raises(SendRefusedError):  # the refusal, not the hook's failure
        await client.send_pin(**setup.sms(NUMBER))
    assert len(refusals.events) == 1, "the hooks after a failing one are told too"

    only_calls = Hooks([Starts()])
    assert only_calls.send_refused is None, "nobody watches refusals: no event is built"
    only_refusals = Hooks([refusals])
    assert only_refusals.send_refused is not None
    assert not only_refusals.watched, "a refusal hook alone adds no work to every call"
    assert bool(only_refusals)
    decision = ShieldDecision(ShieldReason.IP_CAP, "enforce", "sms", "GB", 12.5)
    only_calls.refused("send_pin", decision)  # nobody watches: nothing happens
    only_refusals.refused("send_pin", decision)
    assert refusals.events[-1] == SendRefused("send_pin", "ip_cap", "sms", "GB", False, 12.5, False)


def _refusal_points(reader: InMemoryMetricReader) -> list[Any]:
    data = reader.get_metrics_data()
    return [point for resource in data.resource_metrics for scope in resource.scope_metrics
            for metric in scope.metrics if metric.name == "infobip_2fa.shield.refusals"
            for point in metric.data.data_points]  # fmt: skip


async def test_opentelemetry_counts_refusals_by_rule_and_country_never_by_number(setup: Setup) -> None:
    reader = InMemoryMetricReader()
    hooks = OpenTelemetryHooks(meter_provider=MeterProvider(metric_readers=[reader]))
    client = setup.client(ShieldRules(allowed_regions={"GB"}), hooks=[hooks])
    asker = Requester(ip=IP, user_id=USER)
    await client.send_pin(**setup.sms(NUMBER), requester=asker)
    for _ in range(3):
        with pytest.raises(SendRefusedError):
            await client.send_pin(**setup.sms(NUMBER), requester=asker)
    with pytest.raises(SendRefusedError):
        await client.send_pin(**setup.sms(SWISS), requester=asker)
    monitoring = setup.client(ShieldRules(allowed_regions={"GB"}), hooks=[hooks], mode="monitor")
    await monitoring.send_pin(**setup.sms(SWISS))

    counted = {tuple(sorted(point.attributes.items())): point.value for point in _refusal_points(reader)}
    base = {"infobip_2fa.operation": "send_pin", "infobip_2fa.shield.channel": "sms"}

    def key(**attributes: Any) -> tuple[Any, ...]:
        return tuple(sorted({**base, **{f"infobip_2fa.shield.{k}": v for k, v in attributes.items()}}.items()))

    assert counted == {
        key(reason="number_cooldown", country="GB", monitor=False): 3,
        key(reason="country", country="CH", monitor=False): 1,
        key(reason="country", country="CH", monitor=True): 1,
    }
    _nothing_personal([reader.get_metrics_data().to_json()])


def test_the_shield_errors_are_in_the_error_tree() -> None:
    from infobip_2fa_async import _exceptions, shield

    assert shield.SendRefusedError is SendRefusedError is _exceptions.SendRefusedError
    assert shield.ShieldUnavailableError is ShieldUnavailableError is infobip_2fa_async.ShieldUnavailableError
    assert issubclass(SendRefusedError, InfobipError)
    assert issubclass(ShieldUnavailableError, GateUnavailableError)
    refused = SendRefusedError(ShieldDecision(ShieldReason.PREFIX_CAP, "enforce", "sms", "GB", 60.0))
    assert (refused.maybe_sent, refused.reason, refused.retry_after, refused.country) == (
        False, ShieldReason.PREFIX_CAP, 60.0, "GB",
    )  # fmt: skip
    assert str(refused) == (
        "the shield refused this send (prefix_cap): this number's prefix had as many distinct numbers as the window "
        "allows; it may be let through in 60 s"
    )
    assert not ShieldUnavailableError("redis is down").maybe_sent


def test_the_core_and_the_shield_errors_load_without_phonenumberslite() -> None:
    """With phonenumbers unimportable, the client, the errors and the hook event still import; building a Shield
    says which extra to install."""
    program = textwrap.dedent(
        """
        import sys
        sys.modules["phonenumbers"] = None  # import phonenumbers now raises ImportError
        from infobip_2fa_async import SendRefused, SendRefusedError, ShieldUnavailableError, TwoFactorClient
        from infobip_2fa_async.shield import SendRefusedError as FromShield, Shield
        assert FromShield is SendRefusedError
        try:
            Shield()
        except ImportError as error:
            print(error)
        """
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False,  # noqa: S603
                          stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "pip install 'infobip-2fa-async[shield]'" in done.stdout
