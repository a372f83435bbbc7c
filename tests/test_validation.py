"""Bad arguments raise InvalidRequestError naming the argument, before anything is sent."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx

from infobip_2fa_async import InvalidRequestError, TwoFactorClient

from .conftest import SENT_JSON, VERIFIED_JSON


def _send_kwargs(**override: Any) -> dict[str, Any]:
    return {"application_id": "A", "message_id": "M", "to": "41793026727", **override}


@pytest.mark.parametrize(
    ("override", "argument"),
    [
        ({"to": "12345"}, "to"),
        ({"to": "1234567890123456"}, "to"),
        ({"to": "41 79 ABC"}, "to"),
        ({"to": "++41793026727"}, "to"),
        ({"to": "john@example.com"}, "to"),
        ({"to": 41793026727}, "to"),
        ({"application_id": ""}, "application_id"),
        ({"application_id": "   "}, "application_id"),
        ({"application_id": None}, "application_id"),
        ({"message_id": "M\nX-Injected: 1"}, "message_id"),
        ({"from_": ""}, "from_"),
        ({"placeholders": {"{{firstName}}": "John"}}, "placeholders"),
        ({"placeholders": {"pin": "1234"}}, "placeholders"),
        ({"placeholders": {"firstName": 7}}, "placeholders"),
        ({"placeholders": ["firstName"]}, "placeholders"),
        ({"track_delivery": "false"}, "track_delivery"),
        ({"nc_needed": 0}, "nc_needed"),
    ],
)
async def test_bad_send_arguments_are_refused_before_sending(
    client: TwoFactorClient, mock_api: respx.MockRouter, override: dict[str, Any], argument: str
) -> None:
    route = mock_api.post("/2fa/2/pin").respond(json=SENT_JSON)
    with pytest.raises(InvalidRequestError) as caught:
        await client.send_pin(**_send_kwargs(**override))
    assert caught.value.argument == argument
    assert str(caught.value).startswith(f"{argument}: ")
    assert isinstance(caught.value, ValueError)
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("41793026727", "41793026727"),
        ("+41793026727", "41793026727"),
        ("+41 79 302 67 27", "41793026727"),
        ("+1 (415) 555-0123", "14155550123"),
        ("44.20.7946.0958", "442079460958"),
        ("123456", "123456"),
        ("123456789012345", "123456789012345"),
    ],
)
async def test_phone_numbers_are_normalised_to_digits(
    client: TwoFactorClient, mock_api: respx.MockRouter, typed: str, sent: str
) -> None:
    route = mock_api.post("/2fa/2/pin").respond(json=SENT_JSON)
    await client.send_pin(**_send_kwargs(to=typed))
    assert json.loads(route.calls.last.request.content)["to"] == sent


@pytest.mark.parametrize("pin", ["", "   ", None, 1234, "12\n34"])
async def test_bad_pins_are_refused_without_echoing_them(
    client: TwoFactorClient, mock_api: respx.MockRouter, pin: Any
) -> None:
    route = mock_api.post(url__regex=r".*/verify").respond(json=VERIFIED_JSON)
    with pytest.raises(InvalidRequestError) as caught:
        await client.verify_pin("P1", pin)
    assert caught.value.argument == "pin"
    assert route.call_count == 0


@pytest.mark.parametrize("pin_id", ["", None, ".", "..", 12])
async def test_bad_pin_ids_are_refused(client: TwoFactorClient, mock_api: respx.MockRouter, pin_id: Any) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.resend_pin(pin_id)
    assert caught.value.argument == "pin_id"


@pytest.mark.parametrize(
    "pin_id",
    ["../applications", "a/b?x=1", "../../2fa/2/applications", "x#frag", "%2e%2e", "P 1", "a/../../b"],
)
async def test_a_pin_id_can_never_change_the_request_path(pin_id: str) -> None:
    """Whatever the id holds, the request goes to /2fa/2/pin/<one segment>/verify, with no query."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=VERIFIED_JSON)

    async with TwoFactorClient("k", transport=httpx.MockTransport(handler)) as client:
        await client.verify_pin(pin_id, "1234")
    (request,) = seen
    segments = request.url.raw_path.decode().split("/")
    assert segments[:4] == ["", "2fa", "2", "pin"]
    assert segments[5:] == ["verify"]
    assert len(segments) == 6
    assert request.url.query == b""
    assert unquote(segments[4]) == pin_id  # the server still gets the id itself


async def test_bad_max_retries_is_refused(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.send_pin(**_send_kwargs(), max_retries=-1)
    assert caught.value.argument == "max_retries"
