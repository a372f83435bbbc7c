"""HTTP error statuses become typed errors, whatever body the server or a proxy sent with them."""

from __future__ import annotations

import httpx
import pytest
import respx

from infobip_2fa_async import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    InfobipError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PinSent,
    QuotaExceededError,
    RateLimitError,
    ResponseDecodeError,
    ServerError,
    TwoFactorClient,
)

from .conftest import PIN_ID, legacy_error, make_client


async def _send(client: TwoFactorClient) -> None:
    await client.send_pin(application_id="A", message_id="M", to="41793026727", max_retries=0)


@pytest.mark.parametrize(
    ("status", "message_id", "error_class"),
    [
        (400, "BAD_REQUEST", BadRequestError),
        (401, "UNAUTHORIZED", AuthenticationError),
        (403, "UNAUTHORIZED", PermissionDeniedError),
        (404, "NOT_FOUND", NotFoundError),
        (409, "CONFLICT", ApiError),
        (429, "TOO_MANY_REQUESTS", RateLimitError),
        (500, "GENERAL_ERROR", ServerError),
        (503, "GENERAL_ERROR", ServerError),
    ],
)
async def test_each_status_raises_its_class_with_the_legacy_envelope_read(
    client: TwoFactorClient, mock_api: respx.MockRouter, status: int, message_id: str, error_class: type[ApiError]
) -> None:
    mock_api.post("/2fa/2/pin").respond(
        status, json=legacy_error(message_id, "Something is off"), headers={"X-Request-Id": "req-77"}
    )
    with pytest.raises(error_class) as caught:
        await _send(client)
    error = caught.value
    assert type(error) is error_class
    assert isinstance(error, InfobipError)
    assert error.status_code == status
    assert error.message_id == message_id
    assert error.text == "Something is off"
    assert error.request_id == "req-77"
    assert error.headers["x-request-id"] == "req-77"
    assert message_id in error.body
    assert f"HTTP {status} {message_id}" in str(error)
    assert "Something is off" in str(error)


async def test_validation_errors_are_exposed_and_named_in_the_message(
    client: TwoFactorClient, mock_api: respx.MockRouter
) -> None:
    mock_api.post("/2fa/2/pin").respond(
        400, json=legacy_error("BAD_REQUEST", "Bad request", {"to": ["must be a valid phone number"]})
    )
    with pytest.raises(BadRequestError) as caught:
        await _send(client)
    assert caught.value.validation_errors == {"to": ["must be a valid phone number"]}
    assert "to: must be a valid phone number" in str(caught.value)


async def test_the_newer_error_envelope_is_read_too(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    mock_api.post("/2fa/2/pin").respond(
        400,
        json={
            "errorCode": "E400",
            "description": "Request cannot be processed.",
            "action": "Check the syntax",
            "violations": [{"property": "to", "violation": "must not be blank"}],
            "resources": [],
        },
    )
    with pytest.raises(BadRequestError) as caught:
        await _send(client)
    assert caught.value.message_id == "E400"
    assert caught.value.text == "Request cannot be processed."
    assert caught.value.validation_errors == {"to": ["must not be blank"]}


@pytest.mark.parametrize(
    ("status", "body", "error_class"),
    [
        (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", ServerError),
        (401, b"", AuthenticationError),
        (400, b'{"requestError": {"serviceException": {"messageId": "BAD_', BadRequestError),
        (404, b'"just a string"', NotFoundError),
        (429, b'{"unexpected": true}', RateLimitError),
    ],
    ids=["html-from-a-proxy", "empty", "truncated-json", "json-string", "unknown-json"],
)
async def test_a_body_that_is_no_envelope_still_gives_the_class_of_its_status(
    client: TwoFactorClient, mock_api: respx.MockRouter, status: int, body: bytes, error_class: type[ApiError]
) -> None:
    mock_api.post("/2fa/2/pin").respond(status, content=body, headers={"Content-Type": "text/html"})
    with pytest.raises(error_class) as caught:
        await _send(client)
    assert caught.value.status_code == status
    assert caught.value.message_id is None
    assert caught.value.body == body.decode()


async def test_rate_limit_error_carries_retry_after(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    mock_api.post("/2fa/2/pin").respond(429, headers={"Retry-After": "7"}, json=legacy_error("TOO_MANY_REQUESTS", "x"))
    with pytest.raises(RateLimitError) as caught:
        await _send(client)
    assert caught.value.retry_after == 7.0
    assert "Retry-After: 7 s" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>maintenance</html>", "it is not JSON"),
        (b"", "it is not JSON"),
        (b'{"pinId": "P", "msisdn": "41", "verified": "yes"}', "expected bool"),
        (b'{"msisdn": "41", "verified": true}', "required field missing"),
        (b"[1, 2]", "expected a JSON object"),
    ],
    ids=["html", "empty", "wrong-type", "missing-field", "array"],
)
async def test_a_2xx_body_that_is_not_the_promised_json_is_a_decode_error(
    client: TwoFactorClient, mock_api: respx.MockRouter, body: bytes, problem: str
) -> None:
    mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").respond(200, content=body)
    with pytest.raises(ResponseDecodeError) as caught:
        await client.verify_pin(PIN_ID, "1234")
    assert problem in str(caught.value)
    assert caught.value.status_code == 200
    assert caught.value.path == f"/2fa/2/pin/{PIN_ID}/verify"


async def test_library_never_leaks_bare_key_or_type_errors(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    """Whatever odd JSON the server sends, the caller sees an InfobipError subclass."""
    odd_bodies = [b"null", b"{}", b'{"pinId": null}', b'{"pinId": 5}', b'{"pinId": "P", "ncStatus": 3}', b"1e999"]
    for body in odd_bodies:
        mock_api.post("/2fa/2/pin").respond(200, content=body)
        with pytest.raises(ResponseDecodeError):
            await _send(client)


@pytest.mark.parametrize(
    ("status", "maybe_sent"), [(400, False), (401, False), (404, False), (409, False), (429, False), (500, True),
                               (502, True), (503, True)],
)  # fmt: skip
async def test_every_api_error_says_whether_the_server_may_have_acted(
    client: TwoFactorClient, mock_api: respx.MockRouter, status: int, maybe_sent: bool
) -> None:
    mock_api.post("/2fa/2/pin").respond(status, headers={"Retry-After": "9999"})
    with pytest.raises(ApiError) as caught:
        await client.send_pin(application_id="A", message_id="M", to="41793026727", max_retries=0)
    assert caught.value.maybe_sent is maybe_sent


async def test_errors_raised_before_sending_or_after_an_answer_say_so(
    client: TwoFactorClient, mock_api: respx.MockRouter
) -> None:
    with pytest.raises(InvalidRequestError) as invalid:
        await client.send_pin(application_id="A", message_id="M", to="12")
    assert invalid.value.maybe_sent is False
    assert (invalid.value.argument, invalid.value.problem) == ("to", str(invalid.value).split(": ", 1)[1])
    with pytest.raises(ConfigurationError) as config:
        TwoFactorClient("k", "ftp://example.com")
    assert config.value.maybe_sent is False
    mock_api.post("/2fa/2/pin").respond(200, text="<html>")
    with pytest.raises(ResponseDecodeError) as decode:
        await client.send_pin(application_id="A", message_id="M", to="41793026727")
    assert decode.value.maybe_sent is True, "a 2xx means the server acted, whatever its body"


async def test_a_request_that_expects_no_answer_returns_none_on_204() -> None:
    from infobip_2fa_async._request import ApiRequest

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    async with make_client(handler) as client:
        answer = await client._transport.call(ApiRequest("DELETE", "/2fa/2/x", type(None), empty_answer=True))
        assert answer is None
        with pytest.raises(ResponseDecodeError):  # without the flag, an empty body is no model
            await client._transport.call(ApiRequest("GET", "/2fa/2/x", PinSent))


def test_a_quota_error_keeps_every_detail_of_the_429_it_was_made_from() -> None:
    details = {
        "message_id": "TOO_MANY_REQUESTS", "text": "Daily limit reached", "validation_errors": {"to": ["capped"]},
        "body": '{"requestError": {}}', "headers": {"x-request-id": "req-1", "retry-after": "86400"},
        "method": "POST", "path": "/2fa/2/pin",
    }  # fmt: skip
    throttle = RateLimitError(429, retry_after=86400.0, **details)  # type: ignore[arg-type]
    quota = QuotaExceededError.of(throttle, now=1_000_000.0)
    assert {name: getattr(quota, name) for name in details} == details
    assert (quota.status_code, quota.retry_after, quota.request_id) == (429, 86400.0, "req-1")
    assert quota.resets_at.timestamp() == 1_000_000.0 + 86400
    assert quota.__cause__ is throttle
    assert str(quota).startswith(str(throttle))
    with pytest.raises(TypeError):
        RateLimitError(429, retry_after=1.0, request="not an ApiError argument")  # type: ignore[arg-type]


def test_the_hierarchy_in_the_docs_is_the_one_in_the_code() -> None:
    """docs/errors.md and the module's docstring draw the tree of every error class, each under its real parent."""
    import re
    from pathlib import Path

    from infobip_2fa_async import _exceptions

    page = (Path(__file__).parent.parent / "docs" / "errors.md").read_text()
    tree = page.split("```", 2)[1]
    for text in (tree, _exceptions.__doc__ or ""):
        parents: dict[int, str] = {}
        drawn = {}
        for line in text.splitlines():
            found = re.match(r"^([\s│├└─]*)(\w+Error)\b", line)
            if not found:
                continue
            depth = len(found[1])
            parents[depth] = found[2]
            above = [name for level, name in parents.items() if level < depth]
            drawn[found[2]] = above[-1] if above else None
            for level in [level for level in parents if level > depth]:
                del parents[level]
        assert set(drawn) == set(_exceptions.__all__)
        for name, parent in drawn.items():
            assert getattr(_exceptions, name).__bases__[0].__name__ == (parent or "Exception"), name
