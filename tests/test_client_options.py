"""The per-call options (``max_retries``, ``timeout``, ``deadline``): left out they are the client's, None means
none, and ``with_options`` says them once for a client that shares everything else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from infobip_2fa_async import (
    NOT_GIVEN,
    CallStarted,
    ConfigurationError,
    DeadlineExceededError,
    Hook,
    InvalidRequestError,
    LocalGate,
    RetryPolicy,
    ServerError,
    TwoFactorClient,
)

from .conftest import API_KEY, BASE_URL, SENT_JSON, RecordingSleep, legacy_error

SEND = {"application_id": "A", "message_id": "M", "to": "41793026727"}
APP_JSON = {"applicationId": "APP1", "name": "Login"}


class Answers:
    """An httpx handler: plays ``answers`` in turn (the last one again and again), recording each request."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _client(handler: Answers, **kwargs: Any) -> TwoFactorClient:
    kwargs.setdefault("retry", RetryPolicy(jitter=False))
    kwargs.setdefault("sleep", RecordingSleep())
    return TwoFactorClient(API_KEY, BASE_URL, transport=httpx.MockTransport(handler), **kwargs)


async def test_max_retries_none_is_refused_saying_to_pass_0_before_anything_is_sent() -> None:
    handler = Answers(httpx.Response(200, json=SENT_JSON))
    async with _client(handler) as client:
        with pytest.raises(InvalidRequestError, match="pass 0 for no retries") as caught:
            await client.send_pin(**SEND, max_retries=None)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError, match="pass 0 for no retries"):
            await client.applications.get("APP1", max_retries=None)  # type: ignore[arg-type]
        with pytest.raises(InvalidRequestError, match="pass 0 for no retries"):
            client.with_options(max_retries=None)  # type: ignore[arg-type]
    assert caught.value.argument == "max_retries"
    assert handler.requests == []


async def test_options_left_out_are_the_clients_and_none_means_none() -> None:
    """A client with a 1 s deadline gives up on a 429 that asks for 5 s; ``deadline=None`` on a call waits it out,
    and ``timeout=None`` sends with no timeout at all."""
    limited = httpx.Response(429, headers={"Retry-After": "5"}, json=legacy_error("TOO_MANY_REQUESTS", "slow down"))
    sleep = RecordingSleep()
    handler = Answers(limited, httpx.Response(200, json=APP_JSON), limited, httpx.Response(200, json=APP_JSON))
    async with _client(handler, deadline=1.0, sleep=sleep) as client:
        assert (await client.applications.get("APP1", deadline=None, timeout=None)).name == "Login"
        with pytest.raises(DeadlineExceededError):
            await client.applications.get("APP1", deadline=NOT_GIVEN)
    assert sleep.waits == [5.0]
    assert handler.requests[0].extensions["timeout"] == {"connect": None, "read": None, "write": None, "pool": None}
    assert handler.requests[2].extensions["timeout"]["read"] == 30.0


async def test_with_options_sets_the_defaults_of_every_call_of_the_new_client() -> None:
    handler = Answers(httpx.Response(503))
    async with _client(handler) as client:
        fast = client.with_options(max_retries=0, timeout=2.0)
        with pytest.raises(ServerError):
            await fast.applications.get("APP1")
        assert len(handler.requests) == 1  # no retry
        assert handler.requests[0].extensions["timeout"]["read"] == 2.0
        with pytest.raises(ServerError):
            await fast.templates.list("APP1", max_retries=2)  # a call still says otherwise
        assert len(handler.requests) == 4
        with pytest.raises(ServerError):
            await client.applications.get("APP1")  # the original keeps its own: 3 retries, 30 s
        assert len(handler.requests) == 8
        assert handler.requests[-1].extensions["timeout"]["read"] == 30.0
    assert fast.retry == RetryPolicy(jitter=False, max_retries=0)
    assert client.retry.max_retries == 3


async def test_with_options_keeps_what_it_is_not_given_and_stacks() -> None:
    handler = Answers(httpx.Response(200, json={**APP_JSON, "pinId": "P1"}))
    async with _client(handler, timeout=4.0, api_version=1) as client:
        patient = client.with_options(max_retries=5).with_options(deadline=60)
        await patient.applications.get("APP1")
        await patient.resend_pin("P1")
    assert handler.requests[0].extensions["timeout"]["read"] == 4.0
    assert handler.requests[1].url.path == "/2fa/1/pin/P1/resend"  # the API version too
    assert patient.retry.max_retries == 5


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"deadline": -1}, "deadline"),
        ({"deadline": float("inf")}, "deadline"),
    ],
)
def test_with_options_refuses_values_that_mean_nothing_at_once(options: dict[str, Any], argument: str) -> None:
    client = _client(Answers(httpx.Response(200)))
    with pytest.raises(InvalidRequestError) as caught:
        client.with_options(**options)
    assert caught.value.argument == argument


async def test_the_new_client_shares_the_hooks_and_the_gate() -> None:
    started: list[CallStarted] = []

    class Recorder(Hook):
        def on_call_started(self, event: CallStarted) -> None:
            started.append(event)

    gate = LocalGate()
    handler = Answers(httpx.Response(200, json={**SENT_JSON, **APP_JSON}))
    async with _client(handler, hooks=[Recorder()], gate=gate) as client:
        fast = client.with_options(timeout=1.0)
        await fast.send_pin(**SEND)
        await fast.applications.get("APP1")
    assert [event.operation for event in started] == ["send_pin", "applications.get"]
    assert fast.gate is gate


async def test_closing_the_new_client_closes_nothing_and_closing_the_original_closes_both() -> None:
    handler = Answers(httpx.Response(200, json=SENT_JSON))
    client = _client(handler)
    async with client.with_options(timeout=1.0) as fast:
        await fast.send_pin(**SEND)
    await client.send_pin(**SEND)  # still open
    await fast.send_pin(**SEND)
    await client.aclose()
    for closed in (client, fast):
        with pytest.raises(ConfigurationError, match="closed"):
            await closed.send_pin(**SEND)
    assert len(handler.requests) == 3


async def test_a_default_client_and_the_clients_made_from_it_are_seen_by_respx() -> None:
    """The default (aiohttp) client switches to httpx while respx mocks; a client from ``with_options`` switches
    with it, through the one httpx client the original owns and closes."""
    client = TwoFactorClient(API_KEY)
    fast = client.with_options(max_retries=0)
    with respx.mock(base_url=BASE_URL) as router:
        route = router.post("/2fa/2/pin").respond(json=SENT_JSON)
        await fast.send_pin(**SEND)
        await client.send_pin(**SEND)
    assert route.call_count == 2
    await fast.aclose()
    await client.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        await fast.send_pin(**SEND)
