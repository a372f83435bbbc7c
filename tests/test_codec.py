"""The JSON codec of the send path: bodies are compact UTF-8 JSON, answers are read as UTF-8 (with or without a byte
order mark), and an answer that is not UTF-8 is a ResponseDecodeError that says the server answered."""

from __future__ import annotations

import json

import httpx
import pytest

from infobip_2fa_async import ResponseDecodeError

from .conftest import PIN_ID, SENT_JSON, make_client

SEND = {"application_id": "app", "message_id": "msg", "to": "41793026727"}


async def test_the_body_is_compact_utf8_json_with_text_as_written() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(200, json=SENT_JSON)

    async with make_client(handler) as client:
        await client.send_pin(**SEND, placeholders={"name": "Zoë 李"})
        await client.send_pin(**SEND, placeholders={"name": "Ana"})
    assert seen[0] == json.dumps(
        {"applicationId": "app", "messageId": "msg", "to": "41793026727", "placeholders": {"name": "Zoë 李"}},
        separators=(",", ":"), ensure_ascii=False,
    ).encode()  # fmt: skip
    assert b" " not in seen[1]


@pytest.mark.parametrize("prefix", [b"", b"\xef\xbb\xbf"], ids=["utf-8", "utf-8 with a byte order mark"])
async def test_an_answer_in_utf8_is_read(prefix: bytes) -> None:
    body = prefix + json.dumps({**SENT_JSON, "to": "41793026727"}, ensure_ascii=False).encode()
    async with make_client(lambda request: httpx.Response(200, content=body)) as client:
        assert (await client.send_pin(**SEND)).pin_id == PIN_ID


async def test_an_answer_that_is_not_utf8_is_a_decode_error_that_was_carried_out() -> None:
    body = json.dumps(SENT_JSON).encode("utf-16")
    async with make_client(lambda request: httpx.Response(200, content=body)) as client:
        with pytest.raises(ResponseDecodeError, match="not JSON") as caught:
            await client.send_pin(**SEND, max_retries=0)
    assert caught.value.maybe_sent is True


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(SENT_JSON), "  " + json.dumps(SENT_JSON) + "\r\n", json.dumps(SENT_JSON, indent=2),
        '{"pinId": "P", "to": "41793026727", "ncStatus": "NC_DESTINATION_REACHABLE", "smsStatus": "MESSAGE_SENT"}\n',
    ],
    ids=["compact", "whitespace around", "indented", "a trailing newline"],
)  # fmt: skip
async def test_an_answer_is_read_whatever_whitespace_surrounds_it(text: str) -> None:
    async with make_client(lambda request: httpx.Response(200, content=text.encode())) as client:
        assert (await client.send_pin(**SEND)).pin_id in (PIN_ID, "P")


@pytest.mark.parametrize(
    "text", ["", "   ", "{", json.dumps(SENT_JSON) + "{}", json.dumps(SENT_JSON) + " x", "[1,]", "<html></html>"]
)
async def test_what_is_not_one_json_document_is_a_decode_error(text: str) -> None:
    async with make_client(lambda request: httpx.Response(200, content=text.encode())) as client:
        with pytest.raises(ResponseDecodeError, match="not JSON"):
            await client.send_pin(**SEND, max_retries=0)


def test_bodies_encode_as_json_dumps_does_for_every_kind_of_value() -> None:
    from infobip_2fa_async._protocol import _ENCODE

    values = [
        {"a": 1, "b": [1, 2.5, None, True, False], "c": 'é"\n\u2028', "d": {}, "e": []}, [1, "x"], "text", 7, None,
        {"placeholders": {"name": "Zoë 李", "code": "0042"}},
    ]  # fmt: skip
    for value in values:
        assert _ENCODE(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(TypeError, match="not JSON serializable"):
        _ENCODE({"a": object()})
