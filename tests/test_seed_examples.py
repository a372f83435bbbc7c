"""Every request and response example of the seed page ("Send and verify PIN", /2fa/1) works with the library."""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx
import pytest

from infobip_2fa_async import TwoFactorClient
from infobip_2fa_async._converter import converter
from infobip_2fa_async._models import WireEnum

from .conftest import seed_examples

SEED_OPERATIONS = ["send_pin", "resend_pin", "send_voice_pin", "resend_voice_pin", "verify_pin"]


def _operation(example: dict[str, Any]) -> str:
    path = example["target"].split("?")[0]
    if path == "/2fa/1/pin":
        return "send_pin"
    if path == "/2fa/1/pin/voice":
        return "send_voice_pin"
    if path.endswith("/resend"):
        return "resend_pin"
    if path.endswith("/resend/voice"):
        return "resend_voice_pin"
    if path.endswith("/verify"):
        return "verify_pin"
    raise AssertionError(f"the seed has an example this test does not know: {example['target']}")


async def _call(client: TwoFactorClient, example: dict[str, Any]) -> Any:
    """Make the call a user would make to produce the example's request."""
    operation = _operation(example)
    body = example["body"] or {}
    query = httpx.URL(example["target"]).params
    pin_id = example["target"].split("/")[4] if "/pin/" in example["target"] else None
    if operation == "send_pin":
        return await client.send_pin(
            application_id=body["applicationId"],
            message_id=body["messageId"],
            from_=body.get("from"),
            to=body["to"],
            nc_needed={"true": True, "false": False}.get(query.get("ncNeeded", "")),
        )
    if operation == "send_voice_pin":
        return await client.send_voice_pin(
            application_id=body["applicationId"], message_id=body["messageId"], from_=body.get("from"), to=body["to"]
        )
    if operation == "resend_pin":
        return await client.resend_pin(pin_id)
    if operation == "resend_voice_pin":
        return await client.resend_voice_pin(pin_id)
    return await client.verify_pin(pin_id, body["pin"])


def test_the_seed_has_one_example_per_pin_operation() -> None:
    assert [_operation(example) for example in seed_examples()] == SEED_OPERATIONS


@pytest.mark.parametrize("operation", SEED_OPERATIONS)
async def test_seed_request_is_produced_exactly_and_its_response_parsed(operation: str) -> None:
    example = next(e for e in seed_examples() if _operation(e) == operation)
    api_key = example["headers"]["Authorization"].removeprefix("App ")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=example["response"])

    async with TwoFactorClient(
        api_key, "https://" + example["headers"]["Host"], api_version=1, transport=httpx.MockTransport(handler)
    ) as client:
        result = await _call(client, example)

    (request,) = seen
    assert request.method == example["method"]
    assert request.url.raw_path.decode() == example["target"]
    assert request.url.host == example["headers"]["Host"]
    for name, value in example["headers"].items():
        if name != "Host":
            assert request.headers[name] == value, name
    if example["body"] is None:
        assert request.content == b""
    else:
        assert json.loads(request.content) == example["body"]
    # Parsed without loss: turning the model back into JSON gives the example's keys and values.
    assert converter.unstructure(result) == example["response"]


class _Colour(WireEnum):
    RED = "RED"


@attrs.frozen
class _Paint:
    colour: _Colour | str
    trim: _Colour | str | None = None


def test_a_new_wire_enum_decodes_without_being_registered() -> None:
    """Declaring a WireEnum is enough: known values become members, unknown ones stay strings, None stays None."""
    assert converter.structure({"colour": "RED", "trim": None}, _Paint) == _Paint(_Colour.RED, None)
    assert converter.structure({"colour": "TEAL", "trim": "RED"}, _Paint) == _Paint("TEAL", _Colour.RED)
    assert converter.unstructure(_Paint(_Colour.RED, "TEAL")) == {"colour": "RED", "trim": "TEAL"}
