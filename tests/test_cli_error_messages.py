"""What the command's errors say (issue 22, "Error messages"): a missing id names its environment variable, a refused
http:// names the command line's own way to allow it, and a send that may have gone out says so on its one line.
Run as a user runs them: subprocesses, against a sandbox served on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from infobip_2fa_async._cli import build_parser
from infobip_2fa_async._cli._common import base_url
from infobip_2fa_async.sandbox import Fault, Sandbox

from .clitools import run_cli

PHONE = "41793026727"
NO_IDS = {"INFOBIP_APPLICATION_ID": "", "INFOBIP_MESSAGE_ID": "", "INFOBIP_API_KEY": "k"}


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.endswith("\n")
    assert err.count("\n") == 1, f"one line on stderr, not:\n{err}"
    return err


async def test_a_missing_id_names_the_option_and_its_environment_variable() -> None:
    code, out, err = await run_cli("send", "--to", PHONE, env=NO_IDS)
    assert (code, out) == (2, "")
    line = _one_line(err)
    assert "--application-id (or set $INFOBIP_APPLICATION_ID)" in line
    assert "--message-id (or set $INFOBIP_MESSAGE_ID)" in line
    code, _, err = await run_cli("templates", "list", "--json", env=NO_IDS)
    assert code == 2
    error = json.loads(_one_line(err))["error"]
    assert error["type"] == "UsageError"
    assert error["message"] == "the following arguments are required: --application-id (or set $INFOBIP_APPLICATION_ID)"


async def test_a_refused_http_url_names_the_command_lines_flag() -> None:
    code, out, err = await run_cli("verify", "P", "1234", "--base-url", "http://example.com", env=NO_IDS)
    assert (code, out) == (1, "")
    line = _one_line(err)
    assert line.startswith("infobip-2fa: ConfigurationError: refusing http:// for example.com")
    assert "pass --allow-insecure-http (or set INFOBIP_ALLOW_INSECURE_HTTP=1)" in line
    assert "allow_insecure_http=True" not in line


def test_the_flag_or_the_environment_variable_allows_http(monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["verify", "P", "1234", "--base-url", "http://proxy.example"]
    for command in (argv, ["send", "--to", PHONE, "--application-id", "A", "--message-id", "M", *argv[3:]],
                    ["applications", "list", *argv[3:]], ["bulk", "--in", "x.csv", "--out", "y.jsonl",
                    "--application-id", "A", "--message-id", "M", *argv[3:]],
                    ["bulk-worker", "--redis", "redis://127.0.0.1:6379/0", "--campaign", "c", *argv[3:]]):  # fmt: skip
        assert build_parser().parse_args([*command, "--allow-insecure-http"]).allow_insecure_http is True
        assert base_url(build_parser().parse_args([*command, "--allow-insecure-http"])) == "http://proxy.example"
    monkeypatch.setenv("INFOBIP_ALLOW_INSECURE_HTTP", "1")
    assert base_url(build_parser().parse_args(argv)) == "http://proxy.example"
    monkeypatch.setenv("INFOBIP_ALLOW_INSECURE_HTTP", "0")
    assert build_parser().parse_args(argv).allow_insecure_http is False


def test_python_callers_still_read_the_python_argument() -> None:
    from infobip_2fa_async import ConfigurationError, TwoFactorClient

    with pytest.raises(ConfigurationError, match=r"pass allow_insecure_http=True"):
        TwoFactorClient("k", "http://example.com")


async def test_a_send_answered_500_after_processing_says_the_pin_may_have_been_sent() -> None:
    sandbox = Sandbox()
    async with sandbox.serve() as server, sandbox.client() as client:
        app = await client.applications.create(name="CLI")
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        env = {"INFOBIP_API_KEY": server.api_key, "INFOBIP_BASE_URL": server.base_url,
               "INFOBIP_APPLICATION_ID": app.application_id, "INFOBIP_MESSAGE_ID": template.message_id}  # fmt: skip
        sandbox.faults.script(Fault.server_error(500, after_processing=True), match=r"^POST /2fa/2/pin$")
        code, out, err = await run_cli("send", "--to", PHONE, env=env)
        assert (code, out) == (1, "")
        line = _one_line(err)
        assert line.startswith("infobip-2fa: ServerError: ")
        assert "the PIN may have been sent: check the outcome before sending another" in line
        # a verify that fails the same way sent nothing: no such note
        sandbox.faults.script(Fault.server_error(500, after_processing=True), match=r"verify")
        code, _, err = await run_cli("verify", "P", "1234", env=env)
        assert code == 1
        assert "may have been sent" not in _one_line(err)
