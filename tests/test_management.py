"""Applications, templates, e-mail PINs and verification status: behaviour beyond the spec's examples."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx

from infobip_2fa_async import (
    Application,
    ApplicationConfiguration,
    EmailPinSent,
    EmailStatus,
    IndiaDltOptions,
    InvalidRequestError,
    Language,
    PinType,
    RateLimit,
    RegionalOptions,
    ServerError,
    TwoFactorClient,
    Verification,
)

from .conftest import PIN_ID, RecordingSleep

APP_JSON = {"applicationId": "APP1", "name": "Login", "enabled": True}
TEMPLATE_JSON = {"messageId": "MSG1", "applicationId": "APP1", "messageText": "Code {{pin}}", "pinType": "NUMERIC"}


def test_configuration_typed_views() -> None:
    config = ApplicationConfiguration(
        pin_time_to_live="15m", verify_pin_limit="1/3s", send_pin_per_application_limit="10000/1d",
        send_pin_per_phone_number_limit="3/d",
    )  # fmt: skip
    assert config.pin_time_to_live_delta == timedelta(minutes=15)
    assert config.verify_pin_rate == RateLimit(1, timedelta(seconds=3))
    assert config.send_pin_per_application_rate == (10000, timedelta(days=1))
    assert config.send_pin_per_phone_number_rate == RateLimit(3, timedelta(days=1))  # the length defaults to 1
    assert ApplicationConfiguration().pin_time_to_live_delta is None


def test_configuration_built_from_typed_values_keeps_wire_strings() -> None:
    config = ApplicationConfiguration(
        pin_attempts=5,
        pin_time_to_live=timedelta(minutes=10),
        verify_pin_limit=(2, timedelta(seconds=4)),
        send_pin_per_application_limit=(5000, timedelta(hours=12)),
        send_pin_per_phone_number_limit=(2, timedelta(days=1)),
    )
    assert config.pin_time_to_live == "10m"
    assert config.verify_pin_limit == "2/4s"
    assert config.send_pin_per_application_limit == "5000/12h"
    assert config.send_pin_per_phone_number_limit == "2/1d"
    assert ApplicationConfiguration(pin_time_to_live=timedelta(milliseconds=1500)).pin_time_to_live == "1500ms"
    assert ApplicationConfiguration(pin_time_to_live=timedelta(hours=48)).pin_time_to_live == "2d"


@pytest.mark.parametrize(
    ("configuration", "argument"),
    [
        ({"pin_time_to_live": "15 minutes"}, "configuration.pin_time_to_live"),
        ({"pin_time_to_live": "15"}, "configuration.pin_time_to_live"),
        ({"pin_time_to_live": "0m"}, "configuration.pin_time_to_live"),
        ({"verify_pin_limit": "1/3x"}, "configuration.verify_pin_limit"),
        ({"send_pin_per_application_limit": "/1d"}, "configuration.send_pin_per_application_limit"),
        ({"send_pin_per_phone_number_limit": "3 per day"}, "configuration.send_pin_per_phone_number_limit"),
        ({"pin_attempts": 0}, "configuration.pin_attempts"),
        ({"allow_multiple_pin_verifications": "yes"}, "configuration.allow_multiple_pin_verifications"),
    ],
)
async def test_a_malformed_configuration_is_refused_before_sending(
    configuration: dict[str, Any], argument: str
) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.post("https://api.infobip.com/2fa/2/applications").respond(201, json=APP_JSON)
        async with TwoFactorClient("k") as client:
            with pytest.raises(InvalidRequestError) as caught:
                await client.applications.create(name="Login", configuration=ApplicationConfiguration(**configuration))
    assert caught.value.argument == argument
    assert route.call_count == 0


@pytest.mark.parametrize("typed", [timedelta(0), timedelta(microseconds=5), (0, timedelta(days=1)), (3, 5)])
def test_nonsense_typed_values_are_refused(typed: Any) -> None:
    field = "pin_time_to_live" if isinstance(typed, timedelta) else "verify_pin_limit"
    with pytest.raises(InvalidRequestError):
        ApplicationConfiguration(**{field: typed})


async def test_create_application_accepts_201_and_sends_the_configuration(mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/2fa/2/applications").respond(201, json={**APP_JSON, "configuration": {"pinAttempts": 5}})
    async with TwoFactorClient("k") as client:
        created = await client.applications.create(
            name="Login", enabled=True, configuration=ApplicationConfiguration(pin_attempts=5, pin_time_to_live="10m")
        )
    assert json.loads(route.calls.last.request.content) == {
        "name": "Login",
        "enabled": True,
        "configuration": {"pinAttempts": 5, "pinTimeToLive": "10m"},
    }
    assert created == Application("APP1", "Login", ApplicationConfiguration(pin_attempts=5), True)


async def test_gets_are_retried_after_a_5xx_because_they_are_idempotent(
    mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.get("/2fa/2/applications/APP1").mock(
        side_effect=[httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, json=APP_JSON)]
    )
    async with TwoFactorClient("k", sleep=sleep) as client:
        assert (await client.applications.get("APP1")).name == "Login"
    assert route.call_count == 3


async def test_puts_are_retried_after_a_dropped_connection(mock_api: respx.MockRouter, sleep: RecordingSleep) -> None:
    route = mock_api.put("/2fa/2/applications/APP1/messages/MSG1").mock(
        side_effect=[httpx.RemoteProtocolError("dropped"), httpx.Response(200, json=TEMPLATE_JSON)]
    )
    async with TwoFactorClient("k", sleep=sleep) as client:
        await client.templates.update("APP1", "MSG1", pin_length=6)
    assert route.call_count == 2
    assert json.loads(route.calls.last.request.content) == {"pinLength": 6}


async def test_creating_a_template_is_not_retried_after_a_5xx(
    mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/applications/APP1/messages").mock(return_value=httpx.Response(500))
    async with TwoFactorClient("k", sleep=sleep) as client:
        with pytest.raises(ServerError):
            await client.templates.create("APP1", message_text="Code {{pin}}", pin_type=PinType.NUMERIC)
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"message_text": "Your code is ready"}, "message_text"),
        ({"pin_type": "NUMERICAL"}, "pin_type"),
        ({"pin_length": 0}, "pin_length"),
        ({"speech_rate": 0.4}, "speech_rate"),
        ({"speech_rate": 2.5}, "speech_rate"),
        ({"language": "klingon"}, "language"),
        (
            {"regional": RegionalOptions(IndiaDltOptions(principal_entity_id="x" * 31))},
            "regional.india_dlt.principal_entity_id",
        ),
    ],
)
async def test_bad_templates_are_refused_locally(kwargs: dict[str, Any], argument: str) -> None:
    fields = {"message_text": "Code {{pin}}", "pin_type": "NUMERIC", **kwargs}
    async with TwoFactorClient("k", transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client:
        with pytest.raises(InvalidRequestError) as caught:
            await client.templates.create("APP1", **fields)
        assert caught.value.argument == argument
        with pytest.raises(InvalidRequestError):
            await client.templates.update("APP1", "MSG1", **kwargs)


async def test_template_enums_accept_members_and_strings(mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/2fa/2/applications/APP1/messages").respond(json=TEMPLATE_JSON)
    async with TwoFactorClient("k") as client:
        await client.templates.create("APP1", message_text="{{pin}}", pin_type="HEX", language=Language.PT_BR)
    assert json.loads(route.calls.last.request.content) == {
        "messageText": "{{pin}}",
        "pinType": "HEX",
        "language": "pt_br",
    }


async def test_unknown_pin_types_and_languages_in_answers_are_tolerated(mock_api: respx.MockRouter) -> None:
    mock_api.get("/2fa/2/applications/APP1/messages").respond(
        json=[{**TEMPLATE_JSON, "pinType": "EMOJI", "language": "eo"}, {**TEMPLATE_JSON, "language": "de"}]
    )
    async with TwoFactorClient("k") as client:
        first, second = await client.templates.list("APP1")
    assert first.pin_type == "EMOJI"
    assert first.language == "eo"
    assert second.pin_type is PinType.NUMERIC
    assert second.language is Language.DE


async def test_email_pin_send_and_resend(mock_api: respx.MockRouter) -> None:
    answer = {
        "pinId": PIN_ID,
        "to": "ana@example.com",
        "emailStatus": {"name": "PENDING_ACCEPTED", "description": "ok"},
    }
    send = mock_api.post("/2fa/2/pin/email").respond(json=answer)
    resend = mock_api.post(f"/2fa/2/pin/{PIN_ID}/resend/email").respond(json=answer)
    async with TwoFactorClient("k") as client:
        sent = await client.send_email_pin(
            application_id="APP1", message_id="MSG1", to="ana@example.com", landing_page_placeholders={"name": "Ana"}
        )
        await client.resend_email_pin(PIN_ID)
    assert sent == EmailPinSent(PIN_ID, "ana@example.com", EmailStatus("PENDING_ACCEPTED", "ok"))
    assert json.loads(send.calls.last.request.content) == {
        "applicationId": "APP1",
        "messageId": "MSG1",
        "to": "ana@example.com",
        "landingPagePlaceholders": {"name": "Ana"},
    }
    assert resend.calls.last.request.content == b""


@pytest.mark.parametrize("address", ["41793026727", "ana@", "ana example.com", "@example.com", "ana@example"])
async def test_an_email_pin_needs_an_email_address(address: str) -> None:
    async with TwoFactorClient("k", transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client:
        with pytest.raises(InvalidRequestError) as caught:
            await client.send_email_pin(application_id="APP1", message_id="MSG1", to=address)
    assert caught.value.argument == "to"


@pytest.mark.parametrize(
    "answer",
    [
        {
            "verifications": [
                {"msisdn": "41793026727", "verified": True, "verifiedAt": 1418364366, "sentAt": 1418364246}
            ]
        },
        [{"msisdn": "41793026727", "verified": True, "verifiedAt": 1418364366, "sentAt": 1418364246}],
    ],
    ids=["v2-object", "v1-bare-array"],
)
async def test_verification_status_reads_both_shapes(mock_api: respx.MockRouter, answer: Any) -> None:
    route = mock_api.get("/2fa/2/applications/APP1/verifications").respond(json=answer)
    async with TwoFactorClient("k") as client:
        result = await client.verification_status("APP1", msisdn="+41 79 302 67 27", verified=True, sent=False)
    assert result == [Verification("41793026727", True, 1418364366, 1418364246)]
    assert route.calls.last.request.url.query.decode() == "msisdn=41793026727&verified=true&sent=false"


async def test_verification_status_only_sends_the_filters_given(mock_api: respx.MockRouter) -> None:
    route = mock_api.get("/2fa/2/applications/APP1/verifications").respond(json={"verifications": []})
    async with TwoFactorClient("k") as client:
        assert await client.verification_status("APP1", msisdn="41793026727") == []
    assert route.calls.last.request.url.query.decode() == "msisdn=41793026727"


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"email_template_id": None}, "email_template_id"),
        ({"email_template_id": 0}, "email_template_id"),
        ({"email_template_id": "1234"}, "email_template_id"),
        ({"pin_type": "NUMERICAL"}, "pin_type"),
        ({"pin_length": 9}, "pin_length"),
        ({"from_": " "}, "from_"),
        ({"landing_page_id": "1\n2"}, "landing_page_id"),
    ],
)
async def test_bad_email_templates_are_refused_locally(kwargs: dict[str, Any], argument: str) -> None:
    fields = {"email_template_id": 1234, **kwargs}
    async with TwoFactorClient("k", transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client:
        with pytest.raises(InvalidRequestError) as caught:
            await client.email_templates.create("APP1", **fields)
        assert caught.value.argument == argument
        if kwargs != {"email_template_id": None}:  # an update may leave it out
            with pytest.raises(InvalidRequestError):
                await client.email_templates.update("APP1", "MSG1", **kwargs)


async def test_an_answer_is_read_even_with_a_configuration_this_library_would_not_send(
    mock_api: respx.MockRouter,
) -> None:
    """Checks are for what goes out: a configuration the service answers with is read as it is."""
    answer = {**APP_JSON, "configuration": {"pinAttempts": 0, "pinTimeToLive": "15 weeks"}}
    mock_api.get("/2fa/2/applications/APP1").respond(json=answer)
    async with TwoFactorClient("k") as client:
        app = await client.applications.get("APP1")
    assert app.configuration == ApplicationConfiguration(pin_attempts=0, pin_time_to_live="15 weeks")
