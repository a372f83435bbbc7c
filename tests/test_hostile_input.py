"""Input that cannot be sent safely is refused before anything is sent, never echoing a secret; a PIN typed on
another keyboard is sent as the digits it means. The server here is real, so "nothing was sent" is seen on the
wire, on both backends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infobip_2fa_async import ConfigurationError, InvalidRequestError, TwoFactorClient

from .conftest import VERIFIED_JSON
from .hostile import BACKENDS, SEND, SENT, Hostile, answer


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize(
    "key", ["kéy-0123", "key\x85tail", "key\u2028tail", "key with space", "key\r\nX-Injected: 1", "key\x00", "ключ"]
)
def test_an_api_key_that_cannot_go_in_a_header_is_refused_unechoed(key: str, backend: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TwoFactorClient(key, "http://127.0.0.1:9", **BACKENDS[backend]())
    assert key not in str(caught.value)
    assert "tail" not in str(caught.value)
    assert "printable ASCII" in str(caught.value)


def test_a_key_pasted_with_a_newline_still_works() -> None:
    assert TwoFactorClient("abc-123\n", "http://127.0.0.1:9")._transport  # stripped, not refused


@pytest.mark.parametrize(
    ("url", "secret"),
    [("https://api.infobip.com\r\nX-Evil: 1", "X-Evil"), ("https://api.infobip.com/a b", None),
     ("https://user:hunter2@api.infobip.com", "hunter2"), ("https://api.infobip.com/?apikey=tok3n", "tok3n"),
     ("https://api.infobip.com/#tok3n", "tok3n"), ("https://api.info\tbip.com", None),
     ("https://api.infobip.com/\u00e9", None), ("https://api.infobip.com:99999/k3y", "k3y"),
     ("https://exa mple.com", None), ("https://@/x", None), ("https://tok3n@", "tok3n")],
)  # fmt: skip
def test_a_base_url_that_cannot_be_sent_safely_is_refused_unechoed(url: str, secret: str | None) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TwoFactorClient("k", url)
    if secret is not None:
        assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "sent"),
    [("\u0661\u0662\u0663\u0664", "1234"),  # Arabic-Indic
     ("\u06f1\u06f2\u06f3\u06f4", "1234"),  # Persian
     ("\uff11\uff12\uff13\uff14", "1234"),  # fullwidth
     ("\u0967\u0968\u0969\u096a", "1234"),  # Devanagari
     ("\uff21\uff22\uff11\uff12", "AB12"),  # fullwidth letters and digits
     ("  1234\n", "1234"), ("9C81", "9C81")],
)  # fmt: skip
async def test_a_pin_typed_on_another_keyboard_goes_out_as_ascii(backend: str, typed: str, sent: str) -> None:
    async with (
        Hostile(answer(200, json.dumps(VERIFIED_JSON).encode())) as server,
        TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client,
    ):
        await client.verify_pin("P1", typed)
    assert json.loads(server.requests[0].body) == {"pin": sent}


@pytest.mark.parametrize("pin", ["12\x0034", "12 34", "12-34", "1" * 65, "1" * 1_000_000, "", " \t ", "12\u200b34"])
async def test_what_cannot_be_a_pin_is_refused_before_it_spends_an_attempt(backend: str, pin: str) -> None:
    async with (
        Hostile(answer(200, json.dumps(VERIFIED_JSON).encode())) as server,
        TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(InvalidRequestError) as caught:
            await client.verify_pin("P1", pin)
    assert caught.value.argument == "pin"
    assert pin.strip() == "" or pin not in str(caught.value), "the PIN is never echoed"
    assert server.connections == 0


@pytest.mark.parametrize(
    ("placeholders", "named"),
    [({"name\x00": "Ana"}, "control character"), ({"name": "Ana\x00"}, "control character"),
     ({"name": "line\nbreak"}, "control character"), ({"name": "x" * 1_000_000}, "at most 2000 characters"),
     ({"k" * 101: "v"}, "at most 100 characters"), ({f"k{n}": "v" for n in range(51)}, "at most 50 placeholders")],
)  # fmt: skip
async def test_placeholders_that_cannot_be_sent_are_refused_with_the_limit_named(
    backend: str, placeholders: dict[str, Any], named: str
) -> None:
    async with (
        Hostile(answer(200, SENT)) as server,
        TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client,
    ):
        with pytest.raises(InvalidRequestError, match=named) as caught:
            await client.send_pin(**SEND, placeholders=placeholders)
        with pytest.raises(InvalidRequestError, match=named):
            await client.resend_pin("P1", placeholders=placeholders)
    assert caught.value.argument == "placeholders"
    assert server.connections == 0


async def test_placeholders_within_the_limits_go_out_unchanged(backend: str) -> None:
    values = {"name": "Ana María", "link": "https://example.com/" + "x" * 1900}
    async with (
        Hostile(answer(200, SENT)) as server,
        TwoFactorClient("k", server.url, **BACKENDS[backend]()) as client,
    ):
        await client.send_pin(**SEND, placeholders=values)
    assert json.loads(server.requests[0].body)["placeholders"] == values
