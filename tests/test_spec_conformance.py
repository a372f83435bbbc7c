"""Conformance with Infobip's OpenAPI description of the 2FA API (../shared/reference/infobip-2fa-openapi.json).

- every operation in the spec has a client method (the table below), and the method hits the spec's path;
- every JSON request example is produced exactly by the method call, and every request validates;
- every JSON response example parses into its model and turns back into the same JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jsonschema
import pytest

from infobip_2fa_async import ApplicationConfiguration, RegionalOptions, TwoFactorClient
from infobip_2fa_async._converter import converter

from .conftest import SHARED, openapi_spec

SPEC_PRESENT = (SHARED / "reference" / "infobip-2fa-openapi.json").exists()
APP, MSG, PIN = "APP1", "MSG1", "PIN1"
SEND = {"application_id": "A", "message_id": "M", "to": "41793026727"}

Call = Callable[[TwoFactorClient, dict[str, Any]], Awaitable[Any]]

# operationId -> (the call that implements it, the least arguments it needs)
OPERATIONS: dict[str, tuple[Call, dict[str, Any]]] = {
    "get-2fa-applications": (lambda c, kw: c.applications.list(**kw), {}),
    "create-2fa-application": (lambda c, kw: c.applications.create(**kw), {"name": "Login"}),
    "get-2fa-application": (lambda c, kw: c.applications.get(APP, **kw), {}),
    "update-2fa-application": (lambda c, kw: c.applications.update(APP, **kw), {"name": "Login"}),
    "get-2fa-message-templates": (lambda c, kw: c.templates.list(APP, **kw), {}),
    "create-2fa-message-template": (
        lambda c, kw: c.templates.create(APP, **kw),
        {"message_text": "Code {{pin}}", "pin_type": "NUMERIC"},
    ),
    "get-2fa-message-template": (lambda c, kw: c.templates.get(APP, MSG, **kw), {}),
    "update-2fa-message-template": (lambda c, kw: c.templates.update(APP, MSG, **kw), {}),
    "create-2fa-email-message-template": (lambda c, kw: c.email_templates.create(APP, **kw), {"email_template_id": 1}),
    "update-2fa-email-message-template": (lambda c, kw: c.email_templates.update(APP, MSG, **kw), {}),
    "send-2fa-pin-code-over-sms": (lambda c, kw: c.send_pin(**kw), SEND),
    "resend-2fa-pin-code-over-sms": (lambda c, kw: c.resend_pin(PIN, **kw), {}),
    "send-2fa-pin-code-over-voice": (lambda c, kw: c.send_voice_pin(**kw), SEND),
    "resend-2fa-pin-code-over-voice": (lambda c, kw: c.resend_voice_pin(PIN, **kw), {}),
    "send-2fa-pin-code-over-email": (lambda c, kw: c.send_email_pin(**kw), {**SEND, "to": "ana@example.com"}),
    "resend-2fa-pin-code-over-email": (lambda c, kw: c.resend_email_pin(PIN, **kw), {}),
    "verify-2fa-phone-number": (lambda c, kw: c.verify_pin(PIN, **kw), {"pin": "1234"}),
    "get-2fa-verification-status": (lambda c, kw: c.verification_status(APP, **kw), {"msisdn": "41793026727"}),
}


def _operations() -> dict[str, dict[str, Any]]:
    """operationId -> {method, path, operation} for every operation in the spec."""
    found = {}
    for path, item in openapi_spec()["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                found[operation["operationId"]] = {"method": method.upper(), "path": path, "op": operation}
    return found


def _snake(key: str) -> str:
    return {"from": "from_", "repeatDTMF": "repeat_dtmf"}.get(key) or re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _kwargs(body: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments a user passes to produce ``body``."""
    nested = {"configuration": ApplicationConfiguration, "regional": RegionalOptions}
    return {
        _snake(key): converter.structure(value, nested[key]) if key in nested else value for key, value in body.items()
    }


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**schema, "components": openapi_spec()["components"]})


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in schema:
            schema = openapi_spec()["components"]["schemas"][schema["$ref"].split("/")[-1]]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def _assert_only_declared_fields(instance: Any, schema: dict[str, Any], where: str = "body") -> None:
    """The schemas allow extra properties; the library must still send none the API does not know."""
    schema = _resolve(schema)
    if isinstance(instance, dict) and "properties" in schema:
        for key, value in instance.items():
            assert key in schema["properties"], f"{where}.{key} is not in the request schema"
            _assert_only_declared_fields(value, schema["properties"][key], f"{where}.{key}")


def _json(op: dict[str, Any], kind: str) -> dict[str, Any]:
    return op.get(kind, {}).get("content", {}).get("application/json", {})


def _success_examples(op: dict[str, Any]) -> list[Any]:
    examples = []
    for status, response in op["responses"].items():
        if status.startswith("2"):
            content = _json({"r": response}, "r")
            examples += [example["value"] for example in content.get("examples", {}).values()]
    return examples


async def _capture(operation_id: str, kwargs: dict[str, Any], answer: Any) -> tuple[httpx.Request, Any]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    call, _ = OPERATIONS[operation_id]
    async with TwoFactorClient("k", transport=httpx.MockTransport(handler)) as client:
        result = await call(client, kwargs)
    return seen[0], result


def test_every_operation_in_the_spec_has_a_method() -> None:
    in_spec = set(_operations())
    assert len(in_spec) == 18
    assert in_spec - set(OPERATIONS) == set(), "operations in the spec with no client method"
    assert set(OPERATIONS) - in_spec == set(), "table rows for operations the spec does not have"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
async def test_each_method_calls_its_operation_and_sends_a_valid_request(operation_id: str) -> None:
    spec = _operations()[operation_id]
    answers = _success_examples(spec["op"]) or [{}]
    request, _ = await _capture(operation_id, OPERATIONS[operation_id][1], answers[0])
    assert request.method == spec["method"]
    pattern = re.sub(r"\{[^}]+\}", "[^/]+", spec["path"])
    assert re.fullmatch(pattern, request.url.path), f"{request.url.path} is not {spec['path']}"
    required_query = {p["name"] for p in spec["op"].get("parameters", []) if p["in"] == "query" and p.get("required")}
    assert required_query <= set(request.url.params)
    body_schema = _json(spec["op"], "requestBody").get("schema")
    if request.content:
        assert body_schema is not None, "a body was sent to an operation that takes none"
        body = json.loads(request.content)
        _validator(body_schema).validate(body)
        _assert_only_declared_fields(body, body_schema)


def _request_examples() -> list[Any]:
    cases = []
    for operation_id, spec in _operations().items():
        for name, example in _json(spec["op"], "requestBody").get("examples", {}).items():
            cases.append(pytest.param(operation_id, example["value"], id=f"{operation_id}: {name}"))
    return cases


def test_the_spec_has_request_examples() -> None:
    assert len(_request_examples()) >= 15


# Without the spec there is nothing to list: one case runs, and reading the spec skips it saying why (or, under
# CI=true, fails), instead of pytest's bare "got empty parameter set".
NO_SPEC = [pytest.param("", {}, id="spec-missing")]


@pytest.mark.parametrize(("operation_id", "example"), _request_examples() if SPEC_PRESENT else NO_SPEC)
async def test_every_request_example_is_produced_exactly(operation_id: str, example: dict[str, Any]) -> None:
    spec = _operations()[operation_id]
    answers = _success_examples(spec["op"]) or [{}]
    request, _ = await _capture(operation_id, _kwargs(example), answers[0])
    assert json.loads(request.content) == example
    schema = _json(spec["op"], "requestBody")["schema"]
    _validator(schema).validate(json.loads(request.content))


def _response_examples() -> list[Any]:
    cases = []
    for operation_id, spec in _operations().items():
        for number, example in enumerate(_success_examples(spec["op"])):
            cases.append(pytest.param(operation_id, example, id=f"{operation_id}: {number}"))
    return cases


def test_the_spec_has_response_examples() -> None:
    assert len(_response_examples()) == 21


@pytest.mark.parametrize(("operation_id", "example"), _response_examples() if SPEC_PRESENT else NO_SPEC)
async def test_every_response_example_parses_without_loss(operation_id: str, example: Any) -> None:
    openapi_spec()  # skips (or fails under CI=true) with the reason when the spec is missing
    _, result = await _capture(operation_id, OPERATIONS[operation_id][1], example)
    back = converter.unstructure(result)
    if operation_id == "get-2fa-verification-status":
        back = {"verifications": back}
    assert back == example
