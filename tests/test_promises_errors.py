"""The promise "everything raised is an InfobipError" (docs/errors.md), for input that used to escape as something else:
durations past what a timedelta holds (OverflowError) and text that is not valid Unicode, a lone surrogate, as
Python hands over bytes that are not UTF-8 from the shell (UnicodeEncodeError). Each is an InvalidRequestError
naming the argument, raised before anything is sent, on every operation and on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infobip_2fa_async import (
    ApplicationConfiguration,
    IndiaDltOptions,
    InvalidRequestError,
    RegionalOptions,
    TwoFactorClient,
)

from .conftest import API_KEY

SURROGATE = "\ud800"
ESCAPED = "\udcff"  # how Python passes the byte 0xFF of a command-line argument that is not UTF-8


class Listener:
    """A server on 127.0.0.1 that counts the connections made to it and closes each: nothing may reach it."""

    def __init__(self) -> None:
        self.connections = 0
        self.base_url = ""

    async def __aenter__(self) -> Listener:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.base_url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()


BACKENDS: dict[str, Callable[[], dict[str, Any]]] = {
    "aiohttp": dict,
    "httpx": lambda: {"transport": httpx.AsyncHTTPTransport()},
}


@pytest.fixture(params=sorted(BACKENDS))
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[TwoFactorClient, Listener]]:
    async with Listener() as listener, TwoFactorClient(
        API_KEY, listener.base_url, **BACKENDS[request.param]()
    ) as client:  # fmt: skip
        yield client, listener


PHONE = "41793026727"
SEND = {"application_id": "A", "message_id": "M", "to": PHONE}
EMAIL = {"application_id": "A", "message_id": "M", "to": "john@example.com"}
DLT = "regional.india_dlt"


def _dlt(**ids: str) -> RegionalOptions:
    return RegionalOptions(india_dlt=IndiaDltOptions(**{"principal_entity_id": "E", **ids}))


# (argument named in the error, the call with a lone surrogate in that argument)
CASES: list[tuple[str, Callable[[TwoFactorClient, str], Awaitable[Any]]]] = [
    ("application_id", lambda c, s: c.send_pin(**{**SEND, "application_id": "A" + s})),
    ("message_id", lambda c, s: c.send_pin(**{**SEND, "message_id": s})),
    ("from_", lambda c, s: c.send_pin(**SEND, from_="Shop" + s)),
    ("placeholders", lambda c, s: c.send_pin(**SEND, placeholders={"name": "J" + s})),
    ("placeholders", lambda c, s: c.send_pin(**SEND, placeholders={"na" + s: "J"})),
    ("application_id", lambda c, s: c.send_voice_pin(**{**SEND, "application_id": s})),
    ("to", lambda c, s: c.send_email_pin(**{**EMAIL, "to": f"j{s}@example.com"})),
    ("landing_page_placeholders", lambda c, s: c.send_email_pin(**EMAIL, landing_page_placeholders={"a": s})),
    ("pin_id", lambda c, s: c.resend_pin(s + "abc")),
    ("placeholders", lambda c, s: c.resend_pin("P", placeholders={"a": s})),
    ("pin_id", lambda c, s: c.resend_voice_pin(s)),
    ("pin_id", lambda c, s: c.resend_email_pin(s)),
    ("pin_id", lambda c, s: c.verify_pin(s + "abc", "1234")),
    ("pin", lambda c, s: c.verify_pin("P", "12" + s + "34")),
    ("application_id", lambda c, s: c.verification_status(s, msisdn=PHONE)),
    ("name", lambda c, s: c.applications.create(name="A" + s)),
    ("application_id", lambda c, s: c.applications.get(s)),
    ("application_id", lambda c, s: c.applications.update(s, name="A")),
    ("name", lambda c, s: c.applications.update("A", name=s)),
    ("application_id", lambda c, s: c.templates.list(s)),
    ("message_text", lambda c, s: c.templates.create("A", message_text="{{pin}} " + s, pin_type="NUMERIC")),
    ("sender_id", lambda c, s: c.templates.create("A", message_text="{{pin}}", pin_type="NUMERIC", sender_id=s)),
    ("voice_name", lambda c, s: c.templates.update("A", "M", voice_name=s)),
    ("repeat_dtmf", lambda c, s: c.templates.update("A", "M", repeat_dtmf=s)),
    (f"{DLT}.principal_entity_id", lambda c, s: c.templates.update("A", "M", regional=_dlt(principal_entity_id=s))),
    (f"{DLT}.content_template_id", lambda c, s: c.templates.update("A", "M", regional=_dlt(content_template_id=s))),
    (f"{DLT}.tele_marketer_id", lambda c, s: c.templates.update("A", "M", regional=_dlt(tele_marketer_id=s))),
    ("message_id", lambda c, s: c.templates.get("A", s)),
    ("from_", lambda c, s: c.email_templates.create("A", email_template_id=1, from_=s)),
    ("landing_page_id", lambda c, s: c.email_templates.update("A", "M", landing_page_id=s)),
    ("message_id", lambda c, s: c.email_templates.update("A", s)),
]


@pytest.mark.parametrize(("argument", "call"), CASES, ids=[f"{n}-{a}" for n, (a, _) in enumerate(CASES)])
async def test_a_lone_surrogate_is_refused_naming_the_argument_before_anything_is_sent(
    served: tuple[TwoFactorClient, Listener], argument: str, call: Callable[[TwoFactorClient, str], Awaitable[Any]]
) -> None:
    client, listener = served
    for lone in (SURROGATE, ESCAPED):
        with pytest.raises(InvalidRequestError) as raised:
            await call(client, lone)
        assert raised.value.argument == argument
        assert raised.value.maybe_sent is False
        message = str(raised.value)
        message.encode()  # the message itself is printable anywhere: no lone surrogate in it
        if argument == "pin":
            assert "12" not in message, "a PIN is never echoed"
            assert "34" not in message, "a PIN is never echoed"
    assert listener.connections == 0


async def test_a_pin_with_a_surrogate_is_told_so_without_being_echoed(served: tuple[TwoFactorClient, Listener]) -> None:
    client, _ = served
    with pytest.raises(InvalidRequestError, match="UTF-8") as raised:
        await client.verify_pin("P", "7391" + ESCAPED)
    assert "7391" not in str(raised.value)
    assert "7391" not in repr(raised.value)


@pytest.mark.parametrize(
    ("field", "value", "longest"),
    [
        ("pin_time_to_live", "99999999999999d", "999999999d"),
        ("pin_time_to_live", "86400000000000000ms", "86399999999999999ms"),
        ("pin_time_to_live", "9" * 5000 + "h", "23999999999h"),
        ("verify_pin_limit", "1/1000000000d", "999999999d"),
        ("send_pin_per_phone_number_limit", "3/999999999999h", "23999999999h"),
    ],
)
async def test_a_duration_past_what_can_be_held_is_an_invalid_request_saying_the_longest(
    served: tuple[TwoFactorClient, Listener], field: str, value: str, longest: str
) -> None:
    client, listener = served
    configuration = ApplicationConfiguration(**{field: value})
    with pytest.raises(InvalidRequestError) as raised:
        await client.applications.create(name="Login", configuration=configuration)
    assert raised.value.argument == f"configuration.{field}"
    assert f"the longest accepted is {longest}" in str(raised.value)
    assert len(str(raised.value)) < 300, "a 5,000-digit length is not repeated whole"
    assert listener.connections == 0


def test_the_typed_views_of_a_configuration_raise_typed_errors_too() -> None:
    configuration = ApplicationConfiguration(pin_time_to_live="99999999999999d", verify_pin_limit="1/1000000000d",
                                             send_pin_per_application_limit="9" * 5000 + "/1d")  # fmt: skip
    with pytest.raises(InvalidRequestError, match="999999999d"):
        configuration.pin_time_to_live_delta  # noqa: B018
    with pytest.raises(InvalidRequestError, match="999999999d"):
        configuration.verify_pin_rate  # noqa: B018
    with pytest.raises(InvalidRequestError, match="too many attempts"):
        configuration.send_pin_per_application_rate  # noqa: B018
    assert ApplicationConfiguration(pin_time_to_live="999999999d").pin_time_to_live_delta == timedelta(999999999)


def test_a_zero_length_written_with_several_zeros_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="not a duration"):
        ApplicationConfiguration(pin_time_to_live="000m").pin_time_to_live_delta  # noqa: B018
