"""The sandbox behaves as the 2FA service does: PIN life cycle, pinErrors, limits, number lookup, auth."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infobip_2fa_async import (
    ApplicationConfiguration,
    AuthenticationError,
    CallStatus,
    NcStatus,
    NotFoundError,
    PinError,
    RateLimitError,
    SmsStatus,
    TwoFactorClient,
)
from infobip_2fa_async.sandbox import UNKNOWN_NUMBER, UNREACHABLE_NUMBER, ManualClock, Sandbox

PHONE = "41793026727"


async def _setup(
    client: TwoFactorClient, *, text: str = "Hi {{name}}, your code is {{pin}}", **configuration: Any
) -> tuple[str, str]:
    app = await client.applications.create(name="Login", configuration=ApplicationConfiguration(**configuration))
    template = await client.templates.create(app.application_id, message_text=text, pin_type="NUMERIC", pin_length=6)
    return app.application_id, template.message_id


async def _send(client: TwoFactorClient, ids: tuple[str, str], to: str = PHONE, **kwargs: Any) -> Any:
    return await client.send_pin(application_id=ids[0], message_id=ids[1], to=to, **kwargs)


async def test_the_pin_life_cycle(tfa_sandbox: Sandbox, tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client)
    sent = await _send(tfa_client, ids, to="+41 79 302 67 27", placeholders={"name": "Ana"})
    assert sent.nc_status is NcStatus.NC_DESTINATION_REACHABLE
    assert sent.sms_status is SmsStatus.MESSAGE_SENT
    (message,) = tfa_sandbox.outbox
    pin = tfa_sandbox.last_pin(PHONE)
    assert (message.channel, message.to, message.pin_id) == ("sms", PHONE, sent.pin_id)
    assert message.text == f"Hi Ana, your code is {pin}"
    assert len(pin) == 6
    assert pin.isdigit()
    assert pin not in repr(message)

    wrong = await tfa_client.verify_pin(sent.pin_id, "x" + pin[1:])
    assert (wrong.verified, wrong.pin_error, wrong.attempts_remaining) == (False, PinError.WRONG_PIN, 9)
    # verifyPinLimit is 1/3s: the client's retry waits on the manual clock, not for real
    right = await tfa_client.verify_pin(sent.pin_id, pin)
    assert (right.verified, right.pin_error, right.msisdn) == (True, None, PHONE)
    assert right.attempts_remaining == 8


async def test_a_resend_delivers_the_same_pin_under_the_same_id(
    tfa_sandbox: Sandbox, tfa_client: TwoFactorClient
) -> None:
    ids = await _setup(tfa_client)
    sent = await _send(tfa_client, ids, placeholders={"name": "Ana"})
    again = await tfa_client.resend_pin(sent.pin_id, placeholders={"name": "Bo"})
    voice = await tfa_client.resend_voice_pin(sent.pin_id)
    assert again.pin_id == voice.pin_id == sent.pin_id
    first, second, third = tfa_sandbox.outbox
    assert first.pin == second.pin == third.pin
    assert second.text.startswith("Hi Bo,")
    assert third.channel == "voice"
    assert voice.call_status is CallStatus.PENDING_ACCEPTED


async def test_no_more_attempts_after_the_last_one(tfa_client: TwoFactorClient, tfa_clock: ManualClock) -> None:
    ids = await _setup(tfa_client, pin_attempts=2, verify_pin_limit="10/1s")
    sent = await _send(tfa_client, ids)
    results = [await tfa_client.verify_pin(sent.pin_id, "nope") for _ in range(3)]
    assert [(r.pin_error, r.attempts_remaining) for r in results] == [
        (PinError.WRONG_PIN, 1),
        (PinError.WRONG_PIN, 0),
        (PinError.NO_MORE_PIN_ATTEMPTS, 0),
    ]


async def test_a_pin_expires_after_its_time_to_live(
    tfa_sandbox: Sandbox, tfa_client: TwoFactorClient, tfa_clock: ManualClock
) -> None:
    ids = await _setup(tfa_client, pin_time_to_live=timedelta(minutes=10))
    sent = await _send(tfa_client, ids)
    tfa_clock.advance(600)
    late = await tfa_client.verify_pin(sent.pin_id, tfa_sandbox.last_pin(PHONE))
    assert (late.verified, late.pin_error) == (False, PinError.TTL_EXPIRED)


@pytest.mark.parametrize(("allowed", "second"), [(True, (True, None)), (False, (False, PinError.NO_MORE_PIN_ATTEMPTS))])
async def test_a_second_verification_of_a_verified_pin(
    tfa_sandbox: Sandbox, tfa_client: TwoFactorClient, allowed: bool, second: tuple[bool, Any]
) -> None:
    ids = await _setup(tfa_client, allow_multiple_pin_verifications=allowed, verify_pin_limit="10/1s")
    sent = await _send(tfa_client, ids)
    pin = tfa_sandbox.last_pin(PHONE)
    assert (await tfa_client.verify_pin(sent.pin_id, pin)).verified
    again = await tfa_client.verify_pin(sent.pin_id, pin)
    assert (again.verified, again.pin_error) == second


async def test_the_per_number_limit_answers_429_with_retry_after(
    tfa_sandbox: Sandbox, tfa_client: TwoFactorClient, tfa_clock: ManualClock
) -> None:
    ids = await _setup(tfa_client, send_pin_per_phone_number_limit="2/1h")
    await _send(tfa_client, ids)
    tfa_clock.advance(60)
    await _send(tfa_client, ids)
    with pytest.raises(RateLimitError) as caught:
        await _send(tfa_client, ids, max_retries=0)
    assert caught.value.retry_after == 3540  # until the first send leaves the one-hour window
    assert caught.value.message_id == "TOO_MANY_REQUESTS"
    await _send(tfa_client, ids, to="41793026728")  # another number is not limited
    assert len(tfa_sandbox.outbox) == 3
    tfa_clock.advance(3540)
    await _send(tfa_client, ids, max_retries=0)
    assert len(tfa_sandbox.outbox) == 4


async def test_a_client_rides_out_a_limit_by_honouring_retry_after(
    tfa_sandbox: Sandbox, tfa_client: TwoFactorClient, tfa_clock: ManualClock
) -> None:
    """The client waits Retry-After on the injected clock and the retry goes through."""
    ids = await _setup(tfa_client, send_pin_per_phone_number_limit="1/30s")
    await _send(tfa_client, ids)
    started = tfa_clock.now
    await _send(tfa_client, ids)
    assert tfa_clock.now - started == 30
    assert len(tfa_sandbox.outbox) == 2


async def test_the_per_application_limit(tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client, send_pin_per_application_limit="2/1d")
    await _send(tfa_client, ids, to="41793026701")
    await _send(tfa_client, ids, to="41793026702")
    with pytest.raises(RateLimitError):
        await _send(tfa_client, ids, to="41793026703", max_retries=0)


async def test_the_verify_limit(tfa_sandbox: Sandbox, tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client)  # the default verifyPinLimit is 1/3s
    sent = await _send(tfa_client, ids)
    await tfa_client.verify_pin(sent.pin_id, "nope")
    with pytest.raises(RateLimitError) as caught:
        await tfa_client.verify_pin(sent.pin_id, tfa_sandbox.last_pin(PHONE), max_retries=0)
    assert caught.value.retry_after == 3


async def test_number_lookup_test_numbers(tfa_sandbox: Sandbox, tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client)
    unreachable = await _send(tfa_client, ids, to=UNREACHABLE_NUMBER)
    assert unreachable.nc_status is NcStatus.NC_DESTINATION_NOT_REACHABLE
    assert unreachable.sms_status is SmsStatus.MESSAGE_NOT_SENT
    assert tfa_sandbox.outbox == []
    unknown = await _send(tfa_client, ids, to=UNKNOWN_NUMBER)
    assert unknown.nc_status is NcStatus.NC_DESTINATION_UNKNOWN
    assert unknown.sms_status is SmsStatus.MESSAGE_SENT
    without_lookup = await _send(tfa_client, ids, to=UNREACHABLE_NUMBER, nc_needed=False)
    assert without_lookup.nc_status is None
    assert [m.to for m in tfa_sandbox.outbox] == [UNKNOWN_NUMBER, UNREACHABLE_NUMBER]


async def test_voice_and_email_pins(tfa_sandbox: Sandbox, tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client)
    call = await tfa_client.send_voice_pin(application_id=ids[0], message_id=ids[1], to=PHONE)
    assert call.call_status is CallStatus.PENDING_ACCEPTED
    assert call.nc_status is None
    email_template = await tfa_client.email_templates.create(
        ids[0], email_template_id=42, pin_type="ALPHA", pin_length=8
    )
    mail = await tfa_client.send_email_pin(
        application_id=ids[0], message_id=email_template.message_id, to="ana@example.com"
    )
    assert mail.email_status is not None
    assert mail.email_status.name == "PENDING_ACCEPTED"
    code = tfa_sandbox.last_pin("ana@example.com")
    assert len(code) == 8
    assert code.isalpha()
    await tfa_client.resend_email_pin(mail.pin_id)
    assert [m.channel for m in tfa_sandbox.outbox] == ["voice", "email", "email"]
    assert (await tfa_client.verify_pin(mail.pin_id, code)).verified


@pytest.mark.parametrize(
    ("pin_type", "alphabet"), [("HEX", "0123456789ABCDEF"), ("ALPHANUMERIC", "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")]
)
async def test_pins_follow_the_template_type(
    tfa_sandbox: Sandbox, tfa_client: TwoFactorClient, pin_type: str, alphabet: str
) -> None:
    app = await tfa_client.applications.create(
        name="Login", configuration=ApplicationConfiguration(send_pin_per_phone_number_limit="50/1d")
    )
    template = await tfa_client.templates.create(
        app.application_id,
        message_text="{{pin}}",
        pin_type=pin_type,
        pin_length=8,  # Infobip's longest
    )
    for _ in range(20):
        await tfa_client.send_pin(application_id=app.application_id, message_id=template.message_id, to=PHONE)
    pins = [m.pin for m in tfa_sandbox.outbox]
    assert all(len(pin) == 8 and set(pin) <= set(alphabet) for pin in pins)
    assert len(set(pins)) == 20


async def test_verification_status_reflects_sends_and_verifications(
    tfa_sandbox: Sandbox, tfa_client: TwoFactorClient, tfa_clock: ManualClock
) -> None:
    ids = await _setup(tfa_client)
    first = await _send(tfa_client, ids)
    tfa_clock.advance(10)
    await _send(tfa_client, ids)
    await tfa_client.verify_pin(first.pin_id, tfa_sandbox.outbox[0].pin)
    everything = await tfa_client.verification_status(ids[0], msisdn=PHONE)
    assert [(v.verified, v.sent_at) for v in everything] == [
        (True, int((tfa_clock.now - 10) * 1000)),
        (False, int(tfa_clock.now * 1000)),
    ]
    assert everything[0].verified_at == int(tfa_clock.now * 1000)
    assert len(await tfa_client.verification_status(ids[0], msisdn=PHONE, verified=True)) == 1
    assert await tfa_client.verification_status(ids[0], msisdn="41700000001") == []


async def test_a_wrong_api_key_is_refused(tfa_sandbox: Sandbox) -> None:
    async with tfa_sandbox.client(api_key="not-the-key") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.applications.list()
    assert caught.value.message_id == "UNAUTHORIZED"


async def test_unknown_ids_are_404(tfa_client: TwoFactorClient) -> None:
    with pytest.raises(NotFoundError):
        await tfa_client.applications.get("NOPE")
    with pytest.raises(NotFoundError):
        await tfa_client.verify_pin("NOPE", "1234")
    ids = await _setup(tfa_client)
    with pytest.raises(NotFoundError):
        await tfa_client.templates.get(ids[0], "NOPE")
    with pytest.raises(NotFoundError):
        await tfa_client.send_pin(application_id=ids[0], message_id="NOPE", to=PHONE)


async def test_applications_and_templates_are_listed_and_updated(tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client)
    app = await tfa_client.applications.update(ids[0], name="Login v2", enabled=False,
                                               configuration=ApplicationConfiguration(pin_attempts=4))  # fmt: skip
    assert (app.name, app.enabled) == ("Login v2", False)
    assert app.configuration is not None
    assert app.configuration.pin_attempts == 4
    assert app.configuration.pin_time_to_live == "15m"  # the rest keeps its value
    assert [a.name for a in await tfa_client.applications.list()] == ["Login v2"]
    template = await tfa_client.templates.update(ids[0], ids[1], pin_length=8, language="de")
    assert (template.pin_length, template.language, template.message_text) == (
        8,
        "de",
        "Hi {{name}}, your code is {{pin}}",
    )
    assert [t.message_id for t in await tfa_client.templates.list(ids[0])] == [ids[1]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/2fa/2/applications",
            {"name": "x", "configuration": {"pinTimeToLive": "15 minutes"}},
            "configuration.pinTimeToLive",
        ),
        (
            "/2fa/2/applications",
            {"name": "x", "configuration": {"verifyPinLimit": "3"}},
            "configuration.verifyPinLimit",
        ),
        ("/2fa/2/applications", {"configuration": {}}, "name"),
        ("/2fa/2/applications/{app}/messages", {"messageText": "no placeholder", "pinType": "NUMERIC"}, "messageText"),
        ("/2fa/2/applications/{app}/messages", {"messageText": "{{pin}}", "pinType": "EMOJI"}, "pinType"),
        (
            "/2fa/2/applications/{app}/messages",
            {"messageText": "{{pin}}", "pinType": "HEX", "speechRate": 3},
            "speechRate",
        ),
        ("/2fa/2/pin", {"applicationId": "{app}", "messageId": "m", "to": "12"}, "to"),
    ],
)
async def test_the_sandbox_validates_like_the_service(
    tfa_sandbox: Sandbox, path: str, body: dict[str, Any], field: str
) -> None:
    """Requests the client would refuse locally, sent raw, get the service's 400 with validationErrors."""
    async with httpx.AsyncClient(transport=tfa_sandbox.transport(), base_url="https://sandbox") as raw:
        headers = {"Authorization": "App sandbox-key"}
        app = (await raw.post("/2fa/2/applications", json={"name": "app"}, headers=headers)).json()["applicationId"]
        payload = json.loads(json.dumps(body).replace("{app}", app))
        answer = await raw.post(path.replace("{app}", app), json=payload, headers=headers)
    assert answer.status_code == 400
    error = answer.json()["requestError"]["serviceException"]
    assert error["messageId"] == "BAD_REQUEST"
    assert field in error["validationErrors"]


async def test_the_outbox_is_readable_over_http(tfa_sandbox: Sandbox, tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client)
    sent = await _send(tfa_client, ids)
    async with httpx.AsyncClient(transport=tfa_sandbox.transport(), base_url="https://sandbox") as raw:
        outbox = (await raw.get("/sandbox/outbox")).json()
        assert [(m["pinId"], m["pin"], m["channel"]) for m in outbox] == [
            (sent.pin_id, tfa_sandbox.last_pin(PHONE), "sms")
        ]
        assert (await raw.delete("/sandbox/outbox")).status_code == 204
    assert tfa_sandbox.outbox == []


def test_last_pin_says_when_nothing_was_delivered() -> None:
    with pytest.raises(LookupError, match="delivered nothing"):
        Sandbox().last_pin(PHONE)


async def test_api_version_1_paths_work_against_the_sandbox(tfa_sandbox: Sandbox, tfa_client: TwoFactorClient) -> None:
    ids = await _setup(tfa_client)
    async with tfa_sandbox.client(api_version=1) as v1:
        sent = await v1.send_pin(application_id=ids[0], message_id=ids[1], to=PHONE)
        assert (await v1.verify_pin(sent.pin_id, tfa_sandbox.last_pin(PHONE))).verified
