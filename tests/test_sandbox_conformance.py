"""The sandbox's answers validate against the response schemas of Infobip's OpenAPI description,
for every operation, success and error alike."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema
import pytest

from infobip_2fa_async import ApplicationConfiguration, InfobipError, RetryPolicy, TwoFactorClient
from infobip_2fa_async.sandbox import Sandbox

from .conftest import openapi_spec
from .test_spec_conformance import _assert_only_declared_fields


def _find_operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, item in openapi_spec()["paths"].items():
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if re.fullmatch(pattern, path) and method.lower() in item:
            operation = item[method.lower()]
            return operation["operationId"], operation
    raise AssertionError(f"the sandbox answered {method} {path}, which the spec does not have")


def _response_schema(operation: dict[str, Any], status: int) -> dict[str, Any]:
    responses = operation["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    assert response is not None, f"the spec has no {status} answer for {operation['operationId']}"
    if "$ref" in response:
        response = openapi_spec()["components"]["responses"][response["$ref"].split("/")[-1]]
    return response["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


async def _exercise(client: TwoFactorClient, sandbox: Sandbox) -> None:
    """Call every operation once, with success, then provoke the errors."""
    config = ApplicationConfiguration(verify_pin_limit="1/1h", send_pin_per_phone_number_limit="4/1d")
    app = await client.applications.create(name="Spec", configuration=config)
    await client.applications.list()
    await client.applications.get(app.application_id)
    await client.applications.update(app.application_id, name="Spec 2", configuration=config)
    template = await client.templates.create(
        app.application_id, message_text="{{pin}}", pin_type="NUMERIC", language="en", speech_rate=1.0
    )
    await client.templates.get(app.application_id, template.message_id)
    await client.templates.update(app.application_id, template.message_id, pin_length=6)
    email = await client.email_templates.create(app.application_id, email_template_id=7, from_="a@example.com")
    await client.email_templates.update(app.application_id, email.message_id, landing_page_id="1_2")
    await client.templates.list(app.application_id)
    sent = await client.send_pin(application_id=app.application_id, message_id=template.message_id, to="41793026727")
    await client.resend_pin(sent.pin_id)
    voice = await client.send_voice_pin(
        application_id=app.application_id, message_id=template.message_id, to="41793026727"
    )
    await client.resend_voice_pin(voice.pin_id)
    mail = await client.send_email_pin(
        application_id=app.application_id, message_id=email.message_id, to="a@example.com"
    )
    await client.resend_email_pin(mail.pin_id)
    await client.verify_pin(sent.pin_id, sandbox.last_pin("41793026727"))
    await client.verification_status(app.application_id, msisdn="41793026727")
    for failing in (
        client.verify_pin(sent.pin_id, "0"),  # 429: verifyPinLimit 1/1h
        client.send_pin(application_id=app.application_id, message_id=template.message_id, to="41793026727"),  # 429
        client.applications.get("NOPE"),  # 404
        client.resend_pin("NOPE"),  # 404
    ):
        with pytest.raises(InfobipError):
            await failing


async def test_every_answer_of_the_sandbox_validates_against_the_spec() -> None:
    sandbox = Sandbox()
    answers: list[tuple[str, str, int, Any]] = []

    async def record(response: httpx.Response) -> None:
        await response.aread()
        answers.append((response.request.method, response.request.url.path, response.status_code, response.json()))

    http = httpx.AsyncClient(transport=sandbox.transport(), event_hooks={"response": [record]})
    async with (
        http,
        TwoFactorClient("sandbox-key", "https://sandbox", http_client=http, retry=RetryPolicy(max_retries=0)) as client,
    ):
        await _exercise(client, sandbox)
        async with TwoFactorClient("wrong-key", "https://sandbox", http_client=http) as stranger:
            with pytest.raises(InfobipError):
                await stranger.applications.list()

    covered = set()
    for method, path, status, body in answers:
        operation_id, operation = _find_operation(method, path)
        covered.add(operation_id)
        schema = _response_schema(operation, status)
        validator = jsonschema.Draft202012Validator({**schema, "components": openapi_spec()["components"]})
        errors = [error.message for error in validator.iter_errors(body)]
        assert errors == [], f"{method} {path} -> {status}: {errors}"
        items = body if isinstance(body, list) else [body]
        item_schema = schema.get("items", schema)
        for item in items:
            _assert_only_declared_fields(item, item_schema, f"{method} {path} answer")
    assert len(covered) == 18
    assert {status for _, _, status, _ in answers} >= {200, 201, 401, 404, 429}
