"""Each endpoint said once: its path template is Infobip's, ids are escaped into it, and the operation name hooks
report is the method as called."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

import infobip_2fa_async._endpoints as endpoints_package
from infobip_2fa_async import CallStarted, Hook, InvalidRequestError, TwoFactorClient
from infobip_2fa_async._endpoints import Endpoint

from .conftest import API_KEY, BASE_URL, openapi_spec

Operation = Callable[[TwoFactorClient], Awaitable[Any]]
SEND = {"application_id": "APP1", "message_id": "MSG1", "to": "41793026727"}

# The 18 operations, as a user calls them, and the name hooks and spans report for each.
OPERATIONS: dict[str, Operation] = {
    "send_pin": lambda c: c.send_pin(**SEND),
    "resend_pin": lambda c: c.resend_pin("PIN1"),
    "send_voice_pin": lambda c: c.send_voice_pin(**SEND),
    "resend_voice_pin": lambda c: c.resend_voice_pin("PIN1"),
    "verify_pin": lambda c: c.verify_pin("PIN1", "1234"),
    "send_email_pin": lambda c: c.send_email_pin(**{**SEND, "to": "ana@example.com"}),
    "resend_email_pin": lambda c: c.resend_email_pin("PIN1"),
    "verification_status": lambda c: c.verification_status("APP1", msisdn="41793026727"),
    "applications.list": lambda c: c.applications.list(),
    "applications.create": lambda c: c.applications.create(name="Login"),
    "applications.get": lambda c: c.applications.get("APP1"),
    "applications.update": lambda c: c.applications.update("APP1", name="Login"),
    "templates.list": lambda c: c.templates.list("APP1"),
    "templates.create": lambda c: c.templates.create("APP1", message_text="{{pin}}", pin_type="NUMERIC"),
    "templates.get": lambda c: c.templates.get("APP1", "MSG1"),
    "templates.update": lambda c: c.templates.update("APP1", "MSG1", pin_length=6),
    "email_templates.create": lambda c: c.email_templates.create("APP1", email_template_id=1),
    "email_templates.update": lambda c: c.email_templates.update("APP1", "MSG1", pin_length=6),
}

# One answer every object-shaped operation can read.
ANYTHING = {"pinId": "PIN1", "applicationId": "APP1", "messageId": "MSG1", "msisdn": "41793026727", "verified": True}


def _answer(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path.endswith("/verifications"):
        return httpx.Response(200, json={"verifications": []})
    if request.method == "GET" and path.endswith(("/applications", "/messages")):
        return httpx.Response(200, json=[ANYTHING])
    return httpx.Response(200, json=ANYTHING)


def _endpoints() -> list[Endpoint[Any]]:
    found = []
    for module in pkgutil.iter_modules(endpoints_package.__path__):
        imported = importlib.import_module(f"{endpoints_package.__name__}.{module.name}")
        found += [value for value in vars(imported).values() if isinstance(value, Endpoint)]
    return found


def test_every_template_is_a_path_of_infobips_api_reference_with_its_method() -> None:
    spec = {(method.upper(), path) for path, item in openapi_spec()["paths"].items() for method in item}
    ours = {
        (endpoint.method, endpoint.route(2 if "{version}" in endpoint.template else None)) for endpoint in _endpoints()
    }
    assert len(_endpoints()) == len(ours) == 18
    assert ours <= spec
    assert {endpoint.operation for endpoint in _endpoints()} == set(OPERATIONS)


@pytest.mark.parametrize("name", OPERATIONS)
async def test_hooks_are_told_the_method_as_called_and_the_template_never_an_id(name: str) -> None:
    started: list[CallStarted] = []

    class Recorder(Hook):
        def on_call_started(self, event: CallStarted) -> None:
            started.append(event)

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _answer(request)

    async with TwoFactorClient(API_KEY, BASE_URL, transport=httpx.MockTransport(handler), hooks=[Recorder()]) as c:
        await OPERATIONS[name](c)
    (event,) = started
    (endpoint,) = [endpoint for endpoint in _endpoints() if endpoint.operation == name]
    assert event.operation == name
    assert event.route == endpoint.route(2 if "{version}" in endpoint.template else None)
    assert not {"APP1", "MSG1", "PIN1"} & set(event.route.split("/"))
    assert (event.method, seen[0].method) == (endpoint.method, endpoint.method)


HOSTILE = ["../applications", "a/b?x=1", "x#frag", "%2e%2e", "P 1", "a/../../b"]


@pytest.mark.parametrize("endpoint", [e for e in _endpoints() if "{appId}" in e.template], ids=lambda e: e.operation)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_an_id_stays_one_path_segment_whatever_it_holds(endpoint: Endpoint[Any], hostile: str) -> None:
    ids = {"application_id": hostile} | ({"message_id": hostile} if "{msgId}" in endpoint.template else {})
    path = endpoint.path(**ids)
    template = endpoint.route()
    assert len(path.split("/")) == len(template.split("/"))
    assert "?" not in path
    assert "#" not in path
    for segment, expected in zip(path.split("/"), template.split("/"), strict=True):
        assert unquote(segment) == (hostile if expected in ("{appId}", "{msgId}") else expected)


@pytest.mark.parametrize("bad", ["", " ", None, 7, ".", "..", "A\nB"])
def test_an_unusable_id_is_refused_naming_the_argument(bad: Any) -> None:
    (get_template,) = [endpoint for endpoint in _endpoints() if endpoint.operation == "templates.get"]
    with pytest.raises(InvalidRequestError) as caught:
        get_template.request(application_id="APP1", message_id=bad)
    assert caught.value.argument == "message_id"


def test_a_template_may_only_name_the_ids_the_api_has() -> None:
    """A typo in a template is caught when the module loads, not by a user's request."""
    with pytest.raises(ValueError, match="appID"):
        Endpoint("GET", "/2fa/2/applications/{appID}", dict, operation="applications.get")
