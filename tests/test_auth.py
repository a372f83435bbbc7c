"""Every auth scheme of Infobip's spec, end to end against the sandbox: in-process, and over a real 127.0.0.1 socket
on both backends. OAuth2 fetches its token when first needed, shares one fetch, renews before expiry and once on a
401, and nothing shows a secret or a token."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from infobip_2fa_async import (
    AuthenticationError,
    ConfigurationError,
    RequestNotSentError,
    RetryPolicy,
    TwoFactorClient,
)
from infobip_2fa_async.auth import (
    ApiKey,
    Auth,
    BasicAuth,
    IbssoToken,
    OAuth2ClientCredentials,
    auth_from_env,
)
from infobip_2fa_async.sandbox import SANDBOX_USERNAME, Fault, ManualClock, Sandbox

from .clitools import run_cli
from .conftest import RecordingSleep

PHONE = "41793026727"
KEY = "auth-test-key"
TOKEN_CALL = r"^POST /auth/1/oauth2/token$"
BACKENDS: dict[str, Callable[[], dict[str, Any]]] = {
    "aiohttp": dict,
    "httpx": lambda: {"transport": httpx.AsyncHTTPTransport()},
}
ENVS = ("INFOBIP_API_KEY", "INFOBIP_USERNAME", "INFOBIP_PASSWORD", "INFOBIP_IBSSO_TOKEN", "INFOBIP_CLIENT_ID",
        "INFOBIP_CLIENT_SECRET")  # fmt: skip


class Counting(httpx.AsyncBaseTransport):
    """The sandbox's in-process transport, counting the requests by ``METHOD /path`` and keeping their
    ``Authorization`` headers."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.inner = sandbox.transport()
        self.calls: list[str] = []
        self.authorizations: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(f"{request.method} {request.url.path}")
        self.authorizations.append(request.headers.get("authorization", ""))
        return await self.inner.handle_async_request(request)

    def count(self, call: str) -> int:
        return self.calls.count(call)


async def _ids(sandbox: Sandbox) -> dict[str, str]:
    async with sandbox.client() as admin:
        app = await admin.applications.create(name="Auth")
        template = await admin.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    return {"application_id": app.application_id, "message_id": template.message_id, "to": PHONE}


async def _session(sandbox: Sandbox, username: str, password: str) -> str:
    """An IBSSO token from the sandbox's create-session call."""
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="https://sandbox.invalid") as http:
        answer = await http.post("/auth/1/session", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def _schemes(sandbox: Sandbox, token: str) -> dict[str, Auth]:
    return {
        "api key": ApiKey(KEY),
        "basic": BasicAuth(SANDBOX_USERNAME, KEY),
        "ibsso": IbssoToken(token),
        "oauth2": OAuth2ClientCredentials(SANDBOX_USERNAME, KEY),
    }


@pytest.mark.parametrize("scheme", ["api key", "basic", "ibsso", "oauth2"])
async def test_every_scheme_sends_and_verifies_in_process(scheme: str) -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    auth = _schemes(sandbox, await _session(sandbox, SANDBOX_USERNAME, KEY))[scheme]
    async with sandbox.client(auth=auth) as client:
        sent = await client.send_pin(**ids)
        assert (await client.verify_pin(sent.pin_id, sandbox.last_pin(PHONE))).verified


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("scheme", ["api key", "basic", "ibsso", "oauth2"])
async def test_every_scheme_over_http_on_both_backends(scheme: str, backend: str) -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    auth = _schemes(sandbox, await _session(sandbox, SANDBOX_USERNAME, KEY))[scheme]
    async with (
        sandbox.serve() as server,
        TwoFactorClient(base_url=server.base_url, auth=auth, **BACKENDS[backend]()) as client,
    ):
        sent = await client.send_pin(**ids)
        assert sent.pin_id
        assert len(sandbox.outbox) == 1


@pytest.mark.parametrize("scheme", ["api key", "basic", "ibsso", "oauth2"])
async def test_wrong_credentials_are_an_authentication_error_and_nothing_is_sent(scheme: str) -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    wrong = {
        "api key": ApiKey("not-the-key"),
        "basic": BasicAuth(SANDBOX_USERNAME, "not-the-key"),
        "ibsso": IbssoToken("no-such-session"),
        "oauth2": OAuth2ClientCredentials(SANDBOX_USERNAME, "not-the-key"),
    }[scheme]
    async with sandbox.client(auth=wrong) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.send_pin(**ids)
    assert caught.value.status_code == 401
    assert caught.value.maybe_sent is False
    assert sandbox.outbox == []


async def test_oauth2_fetches_one_token_for_many_concurrent_calls_and_sends_it_as_bearer() -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    counting = Counting(sandbox)
    auth = OAuth2ClientCredentials(SANDBOX_USERNAME, KEY)
    async with sandbox.client(auth=auth, transport=counting) as client:
        assert counting.calls == [], "no token is fetched before it is needed"
        await asyncio.gather(*(client.send_pin(**{**ids, "to": f"4179302{n:04d}"}) for n in range(20)))
        faster = client.with_options(max_retries=0)  # shares the token with the client it was made from
        await faster.send_pin(**ids)
    assert counting.count("POST /auth/1/oauth2/token") == 1
    assert counting.count("POST /2fa/2/pin") == 21
    bearers = {
        header
        for call, header in zip(counting.calls, counting.authorizations, strict=True)
        if call == "POST /2fa/2/pin"
    }
    assert len(bearers) == 1
    assert next(iter(bearers)).startswith("Bearer ")
    token_call = counting.calls.index("POST /auth/1/oauth2/token")
    assert counting.authorizations[token_call] == "", "the token request carries no Authorization of its own"


async def test_oauth2_renews_the_token_before_it_expires() -> None:
    clock = ManualClock()
    sandbox = Sandbox(api_keys=(KEY,), clock=clock, token_lifetime=600)
    ids = await _ids(sandbox)
    counting = Counting(sandbox)
    auth = OAuth2ClientCredentials(SANDBOX_USERNAME, KEY, refresh_before=60)
    async with sandbox.client(auth=auth, transport=counting, clock=clock) as client:
        await client.send_pin(**{**ids, "to": "41793026001"})
        clock.advance(539)  # 61 s of life left: still good
        await client.send_pin(**{**ids, "to": "41793026002"})
        assert counting.count("POST /auth/1/oauth2/token") == 1
        clock.advance(2)  # 59 s left: renewed before the next call goes out
        await client.send_pin(**{**ids, "to": "41793026003"})
        assert counting.count("POST /auth/1/oauth2/token") == 2
        clock.advance(1000)  # long after the first token expired: the second is renewed in time too
        await client.send_pin(**{**ids, "to": "41793026004"})
    assert counting.count("POST /auth/1/oauth2/token") == 3
    assert counting.count("POST /2fa/2/pin") == 4, "no send needed a second try"


async def test_a_revoked_token_is_renewed_once_and_the_refused_send_goes_out_exactly_once() -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    counting = Counting(sandbox)
    async with sandbox.client(auth=OAuth2ClientCredentials(SANDBOX_USERNAME, KEY), transport=counting) as client:
        await client.send_pin(**ids)
        sandbox.credentials.revoke_all()
        sent = await client.send_pin(**{**ids, "to": "41793026728"}, max_retries=0)
    assert sent.pin_id
    assert counting.count("POST /auth/1/oauth2/token") == 2
    assert [message.to for message in sandbox.outbox] == [PHONE, "41793026728"], "one text per send"


async def test_a_401_with_a_fresh_token_is_not_retried_forever() -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    counting = Counting(sandbox)
    sandbox.faults.script(Fault.html(401), Fault.html(401), match=r"^POST /2fa/2/pin$")
    async with sandbox.client(auth=OAuth2ClientCredentials(SANDBOX_USERNAME, KEY), transport=counting) as client:
        with pytest.raises(AuthenticationError):
            await client.send_pin(**ids)
    assert counting.count("POST /2fa/2/pin") == 2, "sent once more with a renewed token, then given up"
    assert counting.count("POST /auth/1/oauth2/token") == 2


@pytest.mark.parametrize(
    ("fault", "why"),
    [(Fault.server_error(503), "HTTP 503"), (Fault.malformed(), "not a JSON object"), (Fault.drop(), "failed")],
)
async def test_a_failed_token_call_means_the_send_was_not_sent_and_may_be_retried(fault: Fault, why: str) -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    sandbox.faults.script(fault, match=TOKEN_CALL)
    auth = OAuth2ClientCredentials(SANDBOX_USERNAME, KEY)
    async with sandbox.client(auth=auth) as client:
        with pytest.raises(RequestNotSentError) as caught:
            await client.send_pin(**ids, max_retries=0)
        assert caught.value.reason == "token_error"
        assert caught.value.maybe_sent is False
        assert why in str(caught.value)
        assert sandbox.outbox == []
        sandbox.faults.script(fault, match=TOKEN_CALL)
        sleep = RecordingSleep()
        retrying = sandbox.client(auth=auth, sleep=sleep, retry=RetryPolicy(jitter=False))
        async with retrying:
            assert (await retrying.send_pin(**ids)).pin_id  # a not-sent failure is retried: the second fetch works
        assert len(sleep.waits) == 1
    assert len(sandbox.outbox) == 1


async def test_a_caller_cancelled_while_the_token_is_fetched_does_not_cancel_it_for_the_others() -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    counting = Counting(sandbox)
    release = asyncio.Event()

    class Slow(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/auth/1/oauth2/token":
                await release.wait()
            return await counting.handle_async_request(request)

    async with sandbox.client(auth=OAuth2ClientCredentials(SANDBOX_USERNAME, KEY), transport=Slow()) as client:
        first = asyncio.create_task(client.send_pin(**ids))
        second = asyncio.create_task(client.send_pin(**{**ids, "to": "41793026728"}))
        for _ in range(20):
            await asyncio.sleep(0)
        first.cancel()
        release.set()
        assert (await second).pin_id
        with pytest.raises(asyncio.CancelledError):
            await first
    assert counting.count("POST /auth/1/oauth2/token") == 1
    assert [message.to for message in sandbox.outbox] == ["41793026728"]


async def test_no_secret_or_token_in_reprs_errors_or_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    counting = Counting(sandbox)
    schemes = [ApiKey(KEY), BasicAuth(SANDBOX_USERNAME, KEY), IbssoToken("ibsso-secret-token"),
               OAuth2ClientCredentials(SANDBOX_USERNAME, KEY)]  # fmt: skip
    for scheme in schemes:
        assert KEY not in repr(scheme)
        assert "ibsso-secret-token" not in repr(scheme)
    caplog.set_level(logging.DEBUG)
    sandbox.faults.script(Fault.server_error(502), match=TOKEN_CALL)
    async with sandbox.client(auth=schemes[-1], transport=counting, sleep=RecordingSleep()) as client:
        await client.send_pin(**ids)
        transport = client._transport
        assert transport.tokens is not None
        assert "Bearer" not in repr(transport.tokens)
    bearer = next(header for header in counting.authorizations if header.startswith("Bearer "))
    token = bearer.removeprefix("Bearer ")
    for record in caplog.records:
        text = record.getMessage()
        assert KEY not in text
        assert token not in text
    basic = base64.b64encode(f"{SANDBOX_USERNAME}:{KEY}".encode()).decode()
    with pytest.raises(AuthenticationError) as caught:
        async with sandbox.client(auth=BasicAuth(SANDBOX_USERNAME, "wrong-" + KEY)) as client:
            await client.send_pin(**ids)
    assert KEY not in str(caught.value)
    assert basic not in str(caught.value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"INFOBIP_API_KEY": "k", "INFOBIP_USERNAME": "u", "INFOBIP_PASSWORD": "p"}, ApiKey),
        ({"INFOBIP_USERNAME": "u", "INFOBIP_PASSWORD": "p"}, BasicAuth),
        ({"INFOBIP_API_KEY": "", "INFOBIP_IBSSO_TOKEN": "t"}, IbssoToken),
        ({"INFOBIP_CLIENT_ID": "i", "INFOBIP_CLIENT_SECRET": "s"}, OAuth2ClientCredentials),
    ],
)
def test_the_environment_gives_the_scheme(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: type) -> None:
    for name in ENVS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert type(auth_from_env()) is expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no Infobip API key"),
        ({"INFOBIP_USERNAME": "u"}, "INFOBIP_USERNAME is set but INFOBIP_PASSWORD is not"),
        ({"INFOBIP_CLIENT_SECRET": "s"}, "INFOBIP_CLIENT_SECRET is set but INFOBIP_CLIENT_ID is not"),
    ],
)
def test_missing_or_half_credentials_are_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name in ENVS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        TwoFactorClient()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TwoFactorClient("key", auth=ApiKey("key")), "not both"),
        (lambda: TwoFactorClient(auth="App key"), "auth must be"),  # type: ignore[arg-type]
        (lambda: BasicAuth("us:er", "p"), "colon"),
        (lambda: BasicAuth("user", "p\nq"), "control character"),
        (lambda: IbssoToken("with space"), "cannot go in an HTTP header"),
        (lambda: OAuth2ClientCredentials("id", ""), "empty"),
        (lambda: OAuth2ClientCredentials("id", "s", refresh_before=-1), "refresh_before"),
    ],
)
def test_unusable_credentials_are_refused_when_the_client_is_built(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make()


async def test_the_sandbox_token_calls_refuse_what_the_service_would() -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    async with httpx.AsyncClient(transport=sandbox.transport(), base_url="https://sandbox.invalid") as http:
        form = {"client_id": SANDBOX_USERNAME, "client_secret": KEY, "grant_type": "client_credentials"}
        assert (await http.post("/auth/1/oauth2/token", data=form)).status_code == 200
        assert (await http.post("/auth/1/oauth2/token", data={**form, "grant_type": "password"})).status_code == 400
        assert (await http.post("/auth/1/oauth2/token", data={**form, "client_secret": "no"})).status_code == 401
        assert (await http.post("/auth/1/oauth2/token", json=form)).status_code == 400
        refused = await http.get("/auth/1/oauth2/token")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "POST"
        assert (
            await http.post("/auth/1/session", json={"username": SANDBOX_USERNAME, "password": "no"})
        ).status_code == 401
        issued = (await http.post("/auth/1/oauth2/token", data=form)).json()
        assert issued["token_type"] == "Bearer"
        assert issued["expires_in"] == 3600
        listed = await http.get("/2fa/2/applications", headers={"Authorization": f"Bearer {issued['access_token']}"})
        assert listed.status_code == 200
        assert (await http.get("/2fa/2/applications", headers={"Authorization": "Bearer forged"})).status_code == 401


async def test_an_ibsso_session_expires_on_the_sandbox_clock() -> None:
    clock = ManualClock()
    sandbox = Sandbox(api_keys=(KEY,), clock=clock, token_lifetime=60)
    token = await _session(sandbox, SANDBOX_USERNAME, KEY)
    async with sandbox.client(auth=IbssoToken(token)) as client:
        assert await client.applications.list() == []
        clock.advance(61)
        with pytest.raises(AuthenticationError):
            await client.applications.list()


@pytest.mark.parametrize(
    "env",
    [
        {"INFOBIP_USERNAME": SANDBOX_USERNAME, "INFOBIP_PASSWORD": KEY},
        {"INFOBIP_CLIENT_ID": SANDBOX_USERNAME, "INFOBIP_CLIENT_SECRET": KEY},
    ],
    ids=["basic", "oauth2"],
)
async def test_the_cli_takes_the_scheme_from_the_environment(env: dict[str, str]) -> None:
    sandbox = Sandbox(api_keys=(KEY,))
    ids = await _ids(sandbox)
    async with sandbox.serve() as server:
        code, out, err = await run_cli(
            "send", "--application-id", ids["application_id"], "--message-id", ids["message_id"], "--to", PHONE,
            "--json", env={**{name: "" for name in ENVS}, **env, "INFOBIP_BASE_URL": server.base_url},
        )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["smsStatus"] == "MESSAGE_SENT"
    assert KEY not in out + err


def test_an_unexpected_failure_line_blanks_every_secret_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from infobip_2fa_async._cli._common import print_unexpected

    secrets = {"INFOBIP_PASSWORD": "pw-4711-secret", "INFOBIP_CLIENT_SECRET": "cs-4711-secret",
               "INFOBIP_IBSSO_TOKEN": "ibsso-4711-token"}  # fmt: skip
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    print_unexpected(RuntimeError(" ".join(secrets.values())), None, out)
    assert out.getvalue().count("***") == 3
    for value in secrets.values():
        assert value not in out.getvalue()
