"""Schemathesis hooks for tests/test_sandbox_schemathesis.py, loaded by the Schemathesis process that test starts
(never imported by pytest). ``INFOBIP_OPENAPI_FILE`` names the OpenAPI file.

One hook, for one limit of the tool: XML carries no types. A body that Schemathesis generated as "schema-violating"
by putting a null, a number or a boolean where the schema wants a string goes out as the text ``null``, ``5`` or
``true``: a valid string. Schemathesis allows for this with form bodies, not with XML, and so reports the sandbox for
accepting a body that, as sent, is valid. Such a failure is dropped only when the body actually sent, read the way the
sandbox reads XML, validates against the operation's request schema, and the body is the only part made invalid.
Every other failure is kept.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import schemathesis

from infobip_2fa_async.sandbox._errors import ApiFailure
from infobip_2fa_async.sandbox._xml import is_xml, parse

SPEC: dict[str, Any] = json.loads(Path(os.environ["INFOBIP_OPENAPI_FILE"]).read_text())
_OTHER_PARTS = ("in query", "in path", "in header", "in cookie")


def _valid_as_sent(method: str, path: str, body: bytes) -> bool:
    operation = SPEC["paths"][path][method.lower()]
    schema = operation["requestBody"]["content"]["application/xml"]["schema"]
    try:
        data = parse(body)
    except ApiFailure:
        return False
    validator = jsonschema.Draft202012Validator({**schema, "components": SPEC["components"]})
    return bool(validator.is_valid(data))


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """False (drop it) for an XML body reported as accepted though invalid, when it is valid as the sandbox read it."""
    if failure.code != "ST201" or not is_xml(case.media_type or ""):
        return True
    if any(part in (failure.message or "") for part in _OTHER_PARTS):
        return True
    body = response.request.body
    if body is None:
        return True
    sent = body.encode() if isinstance(body, str) else bytes(body)
    return not _valid_as_sent(case.operation.method, case.operation.path, sent)
