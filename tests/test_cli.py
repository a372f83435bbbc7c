"""The infobip-2fa command: the demo, and send/verify/status against a sandbox on a real 127.0.0.1 port."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path

import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async._cli import main
from infobip_2fa_async.sandbox import Sandbox

from .clitools import run_cli

SCRIPT = Path(sys.executable).with_name("infobip-2fa")


async def test_demo_runs_as_a_subprocess_and_exits_0() -> None:
    code, out, err = await run_cli("demo")
    assert code == 0, err
    assert "Summary: 7 of 7 checks passed" in out
    assert "Verified a wrong PIN: verified=False, pin_error=WRONG_PIN, attempts left=2" in out
    assert "FAILED" not in out


def test_the_console_script_is_installed_and_runs() -> None:
    import subprocess

    from infobip_2fa_async import __version__

    assert SCRIPT.exists(), f"{SCRIPT} missing: is the package installed (pip install -e .)?"
    done = subprocess.run(  # noqa: S603
        [str(SCRIPT), "--version"], capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"infobip-2fa-async {__version__}"


async def test_send_verify_and_status_against_a_served_sandbox() -> None:
    sandbox = Sandbox(api_keys=("cli-key",))
    async with sandbox.serve() as server:
        env = {"INFOBIP_API_KEY": "cli-key", "INFOBIP_BASE_URL": server.base_url}
        async with sandbox.client() as client:
            # a verify limit that lets the two verifies through without a Retry-After wait in the subprocess
            app = await client.applications.create(
                name="CLI", configuration=ApplicationConfiguration(verify_pin_limit="5/1s")
            )
            template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")

        code, out, err = await run_cli(
            "send", "--application-id", app.application_id, "--message-id", template.message_id,
            "--to", "+41 79 302 67 27", "--json", env=env,
        )  # fmt: skip
        assert code == 0, err
        sent = json.loads(out)
        assert sent["to"] == "41793026727"
        assert sent["smsStatus"] == "MESSAGE_SENT"

        code, out, _ = await run_cli("verify", sent["pinId"], "wrong", "--json", env=env)
        assert code == 3
        assert json.loads(out)["pinError"] == "WRONG_PIN"

        code, out, err = await run_cli("verify", sent["pinId"], sandbox.last_pin("41793026727"), env=env)
        assert code == 0, err
        assert "verified=True" in out

        code, out, err = await run_cli(
            "status", "--application-id", app.application_id, "--msisdn", "41793026727", "--json", env=env
        )
        assert code == 0, err
        assert [entry["verified"] for entry in json.loads(out)] == [True]


async def test_errors_print_one_clear_line_and_exit_non_zero() -> None:
    sandbox = Sandbox()
    async with sandbox.serve() as server:
        code, out, err = await run_cli(
            "verify", "NO-SUCH-PIN", "1234", "--base-url", server.base_url, "--api-key", "sandbox-key"
        )
    assert code == 1
    assert out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith("infobip-2fa: NotFoundError: HTTP 404 NOT_FOUND")


async def test_a_missing_key_is_a_clear_error() -> None:
    code, _, err = await run_cli("verify", "P", "1", env={"INFOBIP_API_KEY": ""})
    assert code == 1
    assert "INFOBIP_API_KEY" in err


def test_sandbox_command_prints_where_it_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server runs until interrupted; here the wait is cut short once it has printed its address."""

    async def stop_at_once() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(asyncio.Event, "wait", lambda self: stop_at_once())
    out = io.StringIO()
    assert main(["sandbox", "--port", "0", "--api-key", "k1"], out=out) == 130
    text = out.getvalue()
    assert "Sandbox 2FA API listening on http://127.0.0.1:" in text
    assert "INFOBIP_API_KEY=k1" in text
