"""Each PIN operation: method, path, query, headers and JSON body on the wire, and the parsed answer."""

from __future__ import annotations

import json
import sys

import httpx
import pytest
import respx

from infobip_2fa_async import (
    CallStatus,
    NcStatus,
    PinError,
    PinSent,
    PinVerification,
    SmsStatus,
    TwoFactorClient,
    __version__,
)

from .conftest import API_KEY, PIN_ID, SENT_JSON, VERIFIED_JSON


async def test_send_pin_posts_the_body_and_parses_the_answer(
    client: TwoFactorClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.post("/2fa/2/pin").respond(json={**SENT_JSON, "externalMessageId": "ext-1"})

    sent = await client.send_pin(
        application_id="APP",
        message_id="MSG",
        to="+41 (79) 302-67.27",
        from_="InfoSMS",
        placeholders={"firstName": "John"},
        track_delivery=True,
    )

    request = route.calls.last.request
    assert request.url.params == httpx.QueryParams()  # ncNeeded only when given
    assert json.loads(request.content) == {
        "applicationId": "APP",
        "messageId": "MSG",
        "to": "41793026727",
        "from": "InfoSMS",
        "placeholders": {"firstName": "John"},
        "trackDelivery": True,
    }
    assert request.headers["Authorization"] == f"App {API_KEY}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert request.headers["User-Agent"] == f"infobip-2fa-async/{__version__} python/{python} httpx/{httpx.__version__}"
    assert sent == PinSent(
        pin_id=PIN_ID,
        to="41793026727",
        nc_status=NcStatus.NC_DESTINATION_REACHABLE,
        sms_status=SmsStatus.MESSAGE_SENT,
        external_message_id="ext-1",
    )


@pytest.mark.parametrize(("nc_needed", "query"), [(True, "ncNeeded=true"), (False, "ncNeeded=false")])
async def test_nc_needed_goes_in_the_query_string(
    client: TwoFactorClient, mock_api: respx.MockRouter, nc_needed: bool, query: str
) -> None:
    route = mock_api.post("/2fa/2/pin").respond(json=SENT_JSON)
    await client.send_pin(application_id="A", message_id="M", to="41793026727", nc_needed=nc_needed)
    assert route.calls.last.request.url.query.decode() == query
    assert "ncNeeded" not in json.loads(route.calls.last.request.content)


async def test_optional_fields_left_out_are_not_sent(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/2fa/2/pin").respond(json=SENT_JSON)
    await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert json.loads(route.calls.last.request.content) == {"applicationId": "A", "messageId": "M", "to": "41793026727"}


async def test_resend_without_placeholders_sends_no_body(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/2fa/2/pin/{PIN_ID}/resend").respond(json=SENT_JSON)
    sent = await client.resend_pin(PIN_ID)
    assert route.calls.last.request.content == b""
    assert sent.pin_id == PIN_ID


async def test_resend_with_placeholders_sends_them(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/2fa/2/pin/{PIN_ID}/resend").respond(json=SENT_JSON)
    await client.resend_pin(PIN_ID, placeholders={"firstName": "Ana"})
    assert json.loads(route.calls.last.request.content) == {"placeholders": {"firstName": "Ana"}}


async def test_send_voice_pin(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post("/2fa/2/pin/voice").respond(
        json={"pinId": PIN_ID, "to": "41793026727", "callStatus": "PENDING_ACCEPTED"}
    )
    sent = await client.send_voice_pin(application_id="A", message_id="M", to="41793026727", from_="41793012321")
    assert json.loads(route.calls.last.request.content) == {
        "applicationId": "A",
        "messageId": "M",
        "to": "41793026727",
        "from": "41793012321",
    }
    assert sent.call_status is CallStatus.PENDING_ACCEPTED
    assert sent.sms_status is None


async def test_resend_voice_pin(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/2fa/2/pin/{PIN_ID}/resend/voice").respond(
        json={"pinId": PIN_ID, "to": "41793026727", "callStatus": "PROCESSED"}
    )
    sent = await client.resend_voice_pin(PIN_ID, placeholders={"name": "Ana"})
    assert json.loads(route.calls.last.request.content) == {"placeholders": {"name": "Ana"}}
    assert sent.call_status is CallStatus.PROCESSED


async def test_verify_right_pin(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").respond(json=VERIFIED_JSON)
    result = await client.verify_pin(PIN_ID, "1598")
    assert json.loads(route.calls.last.request.content) == {"pin": "1598"}
    assert result == PinVerification(pin_id=PIN_ID, msisdn="41793026727", verified=True, attempts_remaining=0)


async def test_a_wrong_pin_is_an_answer_not_an_exception(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").respond(
        json={
            "pinId": PIN_ID,
            "msisdn": "41793026727",
            "verified": False,
            "attemptsRemaining": 2,
            "pinError": "WRONG_PIN",
        }
    )
    result = await client.verify_pin(PIN_ID, "0000")
    assert result.verified is False
    assert result.pin_error is PinError.WRONG_PIN
    assert result.attempts_remaining == 2


async def test_unknown_status_values_reach_the_caller_as_strings(
    client: TwoFactorClient, mock_api: respx.MockRouter
) -> None:
    mock_api.post("/2fa/2/pin").respond(
        json={"pinId": PIN_ID, "ncStatus": "NC_SOMETHING_NEW", "smsStatus": "MESSAGE_QUEUED", "brandNewField": [1, 2]}
    )
    sent = await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert sent.nc_status == "NC_SOMETHING_NEW"
    assert not isinstance(sent.nc_status, NcStatus)
    assert sent.sms_status == "MESSAGE_QUEUED"


async def test_unknown_pin_error_is_kept(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").respond(
        json={"pinId": PIN_ID, "msisdn": "41793026727", "verified": False, "pinError": "PIN_LOCKED"}
    )
    result = await client.verify_pin(PIN_ID, "1234")
    assert result.pin_error == "PIN_LOCKED"
    assert result.attempts_remaining is None


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda c: c.send_pin(application_id="A", message_id="M", to="41793026727"), "/2fa/1/pin"),
        (lambda c: c.resend_pin("P1"), "/2fa/1/pin/P1/resend"),
        (lambda c: c.send_voice_pin(application_id="A", message_id="M", to="41793026727"), "/2fa/1/pin/voice"),
        (lambda c: c.resend_voice_pin("P1"), "/2fa/1/pin/P1/resend/voice"),
        (lambda c: c.verify_pin("P1", "1234"), "/2fa/1/pin/P1/verify"),
    ],
)
async def test_api_version_1_uses_the_seed_paths(mock_api: respx.MockRouter, call, path: str) -> None:  # type: ignore[no-untyped-def]
    route = mock_api.post(path).respond(json={**VERIFIED_JSON, **SENT_JSON})
    async with TwoFactorClient(API_KEY, api_version=1) as v1:
        await call(v1)
    assert route.call_count == 1


async def test_base_url_with_a_path_prefix_keeps_it() -> None:
    with respx.mock(assert_all_called=True) as router:
        route = router.post("https://gateway.example.com/infobip/2fa/2/pin").respond(json=SENT_JSON)
        async with TwoFactorClient(API_KEY, "gateway.example.com/infobip/") as prefixed:
            assert prefixed.base_url == "https://gateway.example.com/infobip"
            sent = await prefixed.send_pin(application_id="A", message_id="M", to="41793026727")
    assert route.call_count == 1
    assert sent.pin_id == SENT_JSON["pinId"]
