"""The command line as a tool people rely on: ids from the command line, JSON out and JSON errors, exit codes that
mean something, help on every option, and the sandbox's own command (demo resources, faults, exposure), all run
as subprocesses against a sandbox started by ``infobip-2fa sandbox``."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest

from infobip_2fa_async import RateLimitError, TwoFactorClient
from infobip_2fa_async._cli import build_parser
from infobip_2fa_async._cli._sandbox import parse_fault_rates
from infobip_2fa_async.sandbox import FaultKind

from .clitools import demo_environment, run_cli, sandbox_command


async def test_sandbox_demo_prints_one_json_line_with_working_ids() -> None:
    async with sandbox_command("--demo") as ready:
        assert set(ready) == {"base_url", "api_key", "application_id", "message_id"}
        env = demo_environment(ready)
        code, out, err = await run_cli("send", "--to", "41793026727", "--json", env=env)  # ids from the environment
        assert code == 0, err
        sent = json.loads(out)
        assert sent["smsStatus"] == "MESSAGE_SENT"
        code, out, _ = await run_cli("templates", "get", ready["message_id"], "--json", env=env)
        assert json.loads(out)["messageText"] == "Your demo code is {{pin}}"


async def test_applications_and_templates_from_the_command_line() -> None:
    async with sandbox_command() as ready:
        env = {"INFOBIP_BASE_URL": ready["base_url"], "INFOBIP_API_KEY": ready["api_key"]}
        code, out, err = await run_cli(
            "applications", "create", "--name", "Login", "--pin-attempts", "5", "--pin-time-to-live", "10m",
            "--send-pin-per-phone-number-limit", "5/1h", "--allow-multiple-pin-verifications", "false", "--json",
            env=env,
        )  # fmt: skip
        assert code == 0, err
        app = json.loads(out)
        assert app["configuration"]["pinAttempts"] == 5
        assert app["configuration"]["pinTimeToLive"] == "10m"
        assert app["configuration"]["allowMultiplePinVerifications"] is False
        app_id = app["applicationId"]

        code, out, _ = await run_cli("applications", "update", app_id, "--name", "Login v2", "--enabled", "false",
                                     "--json", env=env)  # fmt: skip
        assert (json.loads(out)["name"], json.loads(out)["enabled"]) == ("Login v2", False)
        code, out, _ = await run_cli("applications", "get", app_id, env=env)
        assert out.startswith(f"applicationId={app_id} name=Login v2 configuration.pinAttempts=5")
        code, out, _ = await run_cli("applications", "list", "--json", env=env)
        assert [entry["applicationId"] for entry in json.loads(out)] == [app_id]

        env["INFOBIP_APPLICATION_ID"] = app_id
        code, out, err = await run_cli("templates", "create", "--message-text", "Code: {{pin}}", "--pin-type",
                                       "NUMERIC", "--pin-length", "6", "--json", env=env)  # fmt: skip
        assert code == 0, err
        template = json.loads(out)
        code, out, _ = await run_cli("templates", "update", template["messageId"], "--pin-length", "8", "--json",
                                     env=env)  # fmt: skip
        assert json.loads(out)["pinLength"] == 8
        code, out, _ = await run_cli("templates", "list", "--json", env=env)
        assert [entry["messageId"] for entry in json.loads(out)] == [template["messageId"]]
        code, _, err = await run_cli("templates", "create", "--message-text", "no placeholder", "--pin-type",
                                     "NUMERIC", env=env)  # fmt: skip
        assert code == 1
        assert "message_text: must contain {{pin}}" in err


async def test_errors_with_json_are_one_json_object_on_stderr() -> None:
    async with sandbox_command("--demo") as ready:
        env = demo_environment(ready)
        code, out, err = await run_cli("verify", "NO-SUCH-PIN", "1234", "--json", env=env)
        assert (code, out) == (1, "")
        error = json.loads(err)["error"]
        assert error["type"] == "NotFoundError"
        assert (error["status"], error["messageId"], error["maybeSent"]) == (404, "NOT_FOUND", False)
        code, _, err = await run_cli("send", "--to", "12", "--json", env=env)
        assert json.loads(err)["error"] == {
            "type": "InvalidRequestError", "argument": "to", "maybeSent": False,
            "message": json.loads(err)["error"]["message"],
        }  # fmt: skip


async def test_a_send_that_was_not_sent_exits_4_and_an_empty_status_says_so() -> None:
    async with sandbox_command("--demo") as ready:
        env = demo_environment(ready)
        code, out, _ = await run_cli("send", "--to", "41790000000", env=env)  # number lookup: not reachable
        assert code == 4
        assert "smsStatus=MESSAGE_NOT_SENT" in out
        code, out, _ = await run_cli("status", "--msisdn", "41791111111", env=env)
        assert code == 0
        assert out.strip() == f"no verifications of 41791111111 under application {ready['application_id']}"
        code, out, _ = await run_cli("status", "--msisdn", "41791111111", "--json", env=env)
        assert json.loads(out) == []


async def test_a_base_url_without_a_scheme_says_https_was_assumed() -> None:
    async with sandbox_command("--demo") as ready:
        env = demo_environment(ready)
        env["INFOBIP_BASE_URL"] = ready["base_url"].removeprefix("http://")
        code, _, err = await run_cli("applications", "list", env=env)
    assert code == 1
    assert "no scheme, so https:// was assumed" in err


async def test_faults_from_the_sandbox_command_line() -> None:
    async with sandbox_command("--demo", "--fault-rate", "429:7=1") as ready:
        client = TwoFactorClient(ready["api_key"], ready["base_url"])
        with pytest.raises(RateLimitError) as caught:
            await client.send_pin(application_id=ready["application_id"], message_id=ready["message_id"],
                                  to="41793026727", max_retries=0)  # fmt: skip
        await client.aclose()
    assert caught.value.retry_after == 7


def test_fault_rates_are_parsed_or_refused_clearly() -> None:
    parsed = parse_fault_rates("429=0.1, 503:after=0.01,html=0.02,drop=0.001,slow:2.5=0.2,malformed=0")
    assert [(fault.kind, share) for fault, share in parsed] == [
        (FaultKind.RATE_LIMIT, 0.1), (FaultKind.SERVER_ERROR, 0.01), (FaultKind.HTML, 0.02), (FaultKind.DROP, 0.001),
        (FaultKind.SLOW, 0.2), (FaultKind.MALFORMED, 0.0),
    ]  # fmt: skip
    assert parsed[1][0].after_processing is True
    assert parsed[4][0].seconds == 2.5
    for bad in ("429", "429=2", "teapot=0.1", "418=0.1", "slow=0.1"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_fault_rates(bad)


async def test_off_loopback_the_sandbox_command_makes_up_a_key_and_prints_a_usable_url() -> None:
    async with sandbox_command("--host", "0.0.0.0") as ready:  # noqa: S104
        assert ready["api_key"] != "sandbox-key"
        assert len(ready["api_key"]) >= 24
        assert ready["api_key"].isalnum(), "pasted after --api-key, a key starting with '-' would read as an option"
        assert ready["base_url"].startswith("http://127.0.0.1:")
        code, _, err = await run_cli(
            "applications", "list", "--base-url", ready["base_url"], "--api-key", ready["api_key"]
        )
        assert code == 0, err


def _actions(parser: argparse.ArgumentParser, path: str) -> list[tuple[str, Any]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _actions(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            found.append((f"{path} {action.dest}", action))
    return found


def test_every_option_has_help_text() -> None:
    actions = _actions(build_parser(), "infobip-2fa")
    assert len(actions) > 80
    missing = [name for name, action in actions if not (action.help or "").strip()]
    assert not missing, f"options without help: {missing}"
