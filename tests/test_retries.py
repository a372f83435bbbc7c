"""Retry behaviour end to end through the client, with a recording sleep instead of real waiting."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from infobip_2fa_async import (
    RateLimitError,
    RequestMaybeSentError,
    RequestNotSentError,
    RetryPolicy,
    ServerError,
    TwoFactorClient,
)

from .conftest import API_KEY, BASE_URL, PIN_ID, SENT_JSON, VERIFIED_JSON, RecordingSleep, legacy_error

TOO_MANY = httpx.Response(429, json=legacy_error("TOO_MANY_REQUESTS", "Too many requests"))
OK = httpx.Response(200, json=SENT_JSON)


async def _send(client: TwoFactorClient, **kwargs: object) -> object:
    return await client.send_pin(application_id="A", message_id="M", to="41793026727", **kwargs)  # type: ignore[arg-type]


async def test_429_then_200_succeeds_after_a_backoff(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/pin").mock(side_effect=[TOO_MANY, OK])
    sent = await _send(client)
    assert route.call_count == 2
    assert sleep.waits == [0.5]
    assert sent.pin_id == PIN_ID  # type: ignore[attr-defined]


async def test_retry_after_2_waits_2_seconds_then_succeeds(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "2"}, json=legacy_error("TOO_MANY_REQUESTS", "x"))
    mock_api.post("/2fa/2/pin").mock(side_effect=[limited, OK])
    await _send(client)
    assert sleep.waits == [2.0]


async def test_retry_after_over_the_cap_raises_at_once_without_sleeping(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/pin").respond(429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitError) as caught:
        await _send(client)
    assert caught.value.retry_after == 3600.0
    assert route.call_count == 1
    assert sleep.waits == []


async def test_a_500_on_send_pin_is_not_retried_by_default(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/pin").mock(side_effect=[httpx.Response(500), OK])
    with pytest.raises(ServerError):
        await _send(client)
    assert route.call_count == 1
    assert sleep.waits == []


async def test_a_500_on_send_pin_is_retried_with_retry_unsafe(
    mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/pin").mock(side_effect=[httpx.Response(500), httpx.Response(502), OK])
    policy = RetryPolicy(retry_unsafe=True, jitter=False)
    async with TwoFactorClient(API_KEY, BASE_URL, retry=policy, sleep=sleep) as unsafe:
        await _send(unsafe)
    assert route.call_count == 3
    assert sleep.waits == [0.5, 1.0]


async def test_a_connect_error_on_send_pin_is_retried(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/pin").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), OK]
    )
    await _send(client)
    assert route.call_count == 3
    assert sleep.waits == [0.5, 1.0]


async def test_a_pool_timeout_is_retried(client: TwoFactorClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").mock(
        side_effect=[httpx.PoolTimeout("no free connection"), httpx.Response(200, json=VERIFIED_JSON)]
    )
    assert (await client.verify_pin(PIN_ID, "1234")).verified
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.ReadTimeout("no answer"), "read_timeout"),
        (httpx.WriteTimeout("stuck"), "write_timeout"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "connection_dropped"),
        (httpx.ReadError("reset by peer"), "connection_dropped"),
    ],
)
async def test_a_verify_that_may_have_arrived_is_not_retried(
    client: TwoFactorClient, mock_api: respx.MockRouter, failure: Exception, reason: str
) -> None:
    """Retrying would spend a second PIN attempt: the caller gets RequestMaybeSentError instead."""
    route = mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify").mock(
        side_effect=[failure, httpx.Response(200, json=VERIFIED_JSON)]
    )
    with pytest.raises(RequestMaybeSentError) as caught:
        await client.verify_pin(PIN_ID, "1234")
    assert caught.value.maybe_sent is True
    assert caught.value.reason == reason
    assert route.call_count == 1


async def test_retries_stop_at_max_retries_and_raise_the_last_error(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/pin").mock(return_value=TOO_MANY)
    with pytest.raises(RateLimitError):
        await _send(client)
    assert route.call_count == 4  # the first try and max_retries=3 retries
    assert sleep.waits == [0.5, 1.0, 2.0]


async def test_a_connect_failure_that_never_ends_raises_request_not_sent(
    client: TwoFactorClient, mock_api: respx.MockRouter
) -> None:
    mock_api.post("/2fa/2/pin").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(RequestNotSentError) as caught:
        await _send(client)
    assert caught.value.maybe_sent is False
    assert caught.value.reason == "connect_error"
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_max_retries_per_call_overrides_the_policy(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    route = mock_api.post("/2fa/2/pin").mock(return_value=TOO_MANY)
    with pytest.raises(RateLimitError):
        await _send(client, max_retries=1)
    assert route.call_count == 2
    route.reset()
    with pytest.raises(RateLimitError):
        await _send(client, max_retries=0)
    assert route.call_count == 1
    route.reset()
    with pytest.raises(RateLimitError):
        await _send(client)  # the override did not stick
    assert route.call_count == 4


async def test_jittered_waits_stay_within_the_backoff_ceiling(
    mock_api: respx.MockRouter, sleep: RecordingSleep
) -> None:
    mock_api.post("/2fa/2/pin").mock(return_value=TOO_MANY)
    async with TwoFactorClient(API_KEY, BASE_URL, sleep=sleep) as jittered:
        with pytest.raises(RateLimitError):
            await _send(jittered)
    assert len(sleep.waits) == 3
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(sleep.waits, [0.5, 1.0, 2.0], strict=True))


async def test_each_retry_logs_a_warning_with_reason_and_wait(
    client: TwoFactorClient, mock_api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "2"})
    mock_api.post("/2fa/2/pin").mock(side_effect=[limited, OK])
    with caplog.at_level(logging.DEBUG, logger="infobip_2fa_async"):
        await _send(client)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["retrying POST /2fa/2/pin in 2.00 s after 429 with Retry-After 2 s (attempt 1 failed)"]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and r.name == "infobip_2fa_async"]
    assert len(debug) == 4  # a request and a response line for each of the two attempts


async def test_each_failure_is_decided_once(
    client: TwoFactorClient, mock_api: respx.MockRouter, sleep: RecordingSleep, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two 429s then a success: two decisions, whose waits are the ones slept."""
    from infobip_2fa_async import _transport

    decisions: list[object] = []
    real_decide = _transport.decide

    def counting(*args: object, **kwargs: object) -> object:
        decisions.append(real_decide(*args, **kwargs))  # type: ignore[arg-type]
        return decisions[-1]

    monkeypatch.setattr(_transport, "decide", counting)
    mock_api.post("/2fa/2/pin").mock(side_effect=[TOO_MANY, TOO_MANY, OK])
    await _send(client)
    assert len(decisions) == 2
    assert sleep.waits == [decision.wait for decision in decisions] == [0.5, 1.0]  # type: ignore[attr-defined]
