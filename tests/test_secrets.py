"""Neither the API key nor a PIN appears in logs, reprs or exception messages."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from infobip_2fa_async import InfobipError, RetryPolicy, TwoFactorClient
from infobip_2fa_async._endpoints.pin_verification import verify_pin

from .conftest import BASE_URL, PIN_ID, RecordingSleep, legacy_error

SECRET_KEY = "sk-live-0123456789abcdef-DO-NOT-LOG"
SECRET_PIN = "918273"


async def test_key_and_pin_never_reach_logs_reprs_or_errors(
    mock_api: respx.MockRouter, caplog: pytest.LogCaptureFixture, sleep: RecordingSleep
) -> None:
    verify = mock_api.post(f"/2fa/2/pin/{PIN_ID}/verify")
    verify.mock(
        side_effect=[
            httpx.Response(429, json=legacy_error("TOO_MANY_REQUESTS", "slow down")),
            httpx.Response(500, text="<html>oops</html>"),
        ]
    )
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):  # every logger, httpx's included
        async with TwoFactorClient(SECRET_KEY, BASE_URL, sleep=sleep, retry=RetryPolicy(jitter=False)) as client:
            reprs = [repr(client), str(client), repr(client.retry)]
            try:
                await client.verify_pin(PIN_ID, SECRET_PIN)
            except InfobipError as error:
                errors.append(error)
            mock_api.post("/2fa/2/pin").mock(side_effect=httpx.ConnectError("refused"))
            try:
                await client.send_pin(application_id="A", message_id="M", to="41793026727", max_retries=0)
            except InfobipError as error:
                errors.append(error)
    assert len(errors) == 2
    request = verify_pin(2, PIN_ID, SECRET_PIN)
    reprs += [repr(request), repr(request.body)]
    reprs += [repr(error) for error in errors] + [str(error) for error in errors]
    reprs += [record.getMessage() for record in caplog.records]
    assert caplog.records, "the client should have logged requests and a retry"
    for text in reprs:
        assert SECRET_KEY not in text
        assert SECRET_PIN not in text


async def test_configuration_errors_do_not_echo_the_key() -> None:
    with pytest.raises(InfobipError) as caught:
        TwoFactorClient("line1\nline2-secret", BASE_URL)
    assert "line2-secret" not in str(caught.value)
