"""Schemathesis, driven by Infobip's OpenAPI file, against the sandbox served over HTTP on 127.0.0.1: every check,
every phase (the spec's examples, coverage, fuzzing, and the stateful phase), a fixed seed and a bounded number of
examples. What the sandbox does differently from the file on purpose is in tests/schemathesis_baseline.json, each
entry with its reason; anything else Schemathesis finds fails this test.

It runs Schemathesis's own command (``python -m schemathesis.cli run``) in a subprocess, so that the sandbox keeps
serving on this test's event loop; the ids it needs (applications, templates, PINs) are made in the sandbox first and
handed to it as dictionaries, so that most requests reach real resources instead of 404.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.sandbox import Sandbox

from .conftest import shared_file

if sys.version_info < (3, 11):  # the test extra leaves Schemathesis out there: 4.32 needs 3.11 or newer
    pytest.skip("Schemathesis 4.32 or newer needs Python 3.11 or newer", allow_module_level=True)
if importlib.util.find_spec("schemathesis") is None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Schemathesis is missing: CI installs the test extra, which has it", pytrace=False)
    pytest.skip("Schemathesis comes with the test extra: pip install -e '.[test]'", allow_module_level=True)

SEED = 17
MAX_EXAMPLES = 40  # per operation and phase, with a fixed seed: about 2,500 requests, under 20 s on 2 busy cores
KEY = "schemathesis-key"
BASELINE = Path(__file__).with_name("schemathesis_baseline.json")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
PHONES = ["41793026727", "41793026728", "41793026729", "385911234567"]
EMAILS = ["john.smith@example.com", "jane.doe@example.org"]


async def _world(sandbox: Sandbox) -> dict[str, list[str]]:
    """Real ids for Schemathesis: applications with room in their limits, templates and PINs of each kind."""
    roomy = ApplicationConfiguration(
        pin_attempts=100_000, verify_pin_limit="100000/1s",
        send_pin_per_application_limit="100000/1s", send_pin_per_phone_number_limit="100000/1s",
    )  # fmt: skip
    ids: dict[str, list[str]] = {key: [] for key in ("apps", "scratch_apps", "sms", "email", "pins", "email_pins")}
    async with sandbox.client() as client:
        for number in range(2):
            app = await client.applications.create(name=f"Schemathesis {number}", configuration=roomy)
            ids["apps"].append(app.application_id)
            sms = await client.templates.create(app.application_id, message_text="Code {{pin}}", pin_type="NUMERIC")
            email = await client.email_templates.create(app.application_id, email_template_id=1234)
            ids["sms"].append(sms.message_id)
            ids["email"].append(email.message_id)
            for phone in PHONES[:2]:
                sent = await client.send_pin(application_id=app.application_id, message_id=sms.message_id, to=phone)
                ids["pins"].append(sent.pin_id)
            mailed = await client.send_email_pin(
                application_id=app.application_id, message_id=email.message_id, to=EMAILS[0]
            )
            ids["email_pins"].append(mailed.pin_id)
        # Updates may disable an application or lower its limits: they get applications of their own.
        for number in range(2):
            scratch = await client.applications.create(name=f"Scratch {number}", configuration=roomy)
            ids["scratch_apps"].append(scratch.application_id)
    return ids


def _toml(value: Any) -> str:
    return json.dumps(value)  # a JSON string, number, list or bool is a TOML one too


def _config(base_url: str, ids: dict[str, list[str]], baseline: Path) -> str:
    """A schemathesis.toml: where the sandbox is, how much to run, and which real ids to use (80% of the time)."""
    lines = [
        f"base-url = {_toml(base_url)}",
        f"seed = {SEED}",
        f"baseline = {_toml(str(baseline))}",
        f"hooks = {_toml(str(HOOKS))}",
        'headers = { Authorization = "App ' + KEY + '" }',
        "workers = 1",
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        "[cache]",
        "enabled = false",
        "[phases.stateful]",
        "max-steps = 6",
    ]
    for name, values in {**ids, "phones": PHONES, "emails": EMAILS}.items():
        lines += [f"[dictionaries.{name}]", f"values = {_toml(values)}"]

    def scope(match: str, **parameters: str) -> None:
        lines.extend(["[[operations]]", f"include-path-regex = {_toml(match)}", "[operations.parameters]"])
        lines.extend(f"{_toml(key)} = {{ dictionary = {_toml(name)}, probability = 0.8 }}"
                     for key, name in parameters.items())  # fmt: skip

    scope("^/2fa/2/applications/[^/]+(/messages.*|/verifications)?$", appId="apps", msgId="sms", msisdn="phones")
    scope("^/2fa/2/applications/[^/]+/email/", appId="apps", msgId="email")
    scope("^/2fa/2/pin(/voice)?$", **{"body.applicationId": "apps", "body.messageId": "sms", "body.to": "phones"})
    scope("^/2fa/2/pin/email$", **{"body.applicationId": "apps", "body.messageId": "email", "body.to": "emails"})
    scope("^/2fa/2/pin/[^/]+/(resend(/voice)?|verify)$", pinId="pins")
    scope("^/2fa/2/pin/[^/]+/resend/email$", pinId="email_pins")
    lines += ["[[operations]]", 'include-name = "PUT /2fa/2/applications/{appId}"', "[operations.parameters]",
              'appId = { dictionary = "scratch_apps", probability = 0.8 }']  # fmt: skip
    return "\n".join(lines) + "\n"


async def _schemathesis(spec: Path, config: Path, workdir: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(spec),
        "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--no-color",
        cwd=workdir, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "INFOBIP_OPENAPI_FILE": str(spec), "COLUMNS": "120"},
    )  # fmt: skip
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail("Schemathesis ran past 240 s")
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace")


def test_the_baseline_gives_a_reason_for_every_accepted_difference() -> None:
    document = json.loads(BASELINE.read_text())
    assert document["format_version"] == 1
    for entry in document["entries"]:
        assert len(entry.get("reason", "")) > 30, f"baseline entry without a reason: {entry}"


async def test_the_sandbox_conforms_to_infobips_openapi_file_under_schemathesis(tmp_path: Path) -> None:
    spec = shared_file("reference", "infobip-2fa-openapi.json")
    baseline = tmp_path / "baseline.json"
    shutil.copy(BASELINE, baseline)  # a copy: Schemathesis may write to its baseline, never to the repository's
    sandbox = Sandbox(api_keys=(KEY,))
    async with sandbox.serve() as server:
        ids = await _world(sandbox)
        config = tmp_path / "schemathesis.toml"
        config.write_text(_config(server.base_url, ids, baseline))
        started = time.monotonic()
        code, out = await _schemathesis(spec, config, tmp_path)
        took = time.monotonic() - started
    assert code == 0, f"Schemathesis found differences from the spec (exit {code}, {took:.0f} s):\n{out[-20000:]}"
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):  # each phase ran (a skipped one is not ✅)
        assert f"✅ {phase}" in out, out[-3000:]
