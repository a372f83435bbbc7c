"""The one-shot commands (send, resend, verify, status, applications, templates) under hostile input, run as a user
runs them: subprocesses against ``infobip-2fa sandbox``. Whatever the input, no traceback: a failure is one line on
stderr, or with ``--json`` one JSON object, and the exit status is docs/cli.md's (1 an error, 2 a usage error).

Arguments holding ``\\udcff`` reach the command as the byte 0xFF, which is not UTF-8 (the subprocess encodes them with
``os.fsencode``), as from a terminal or a file in another encoding."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from infobip_2fa_async._cli import main

from .clitools import demo_environment, run_cli, sandbox_command

NOT_UTF8 = "\udcff"
PHONE = "41793026727"
NEEDS_PIN = ("--message-text", "{{pin}}", "--pin-type", "NUMERIC")
USAGE, ERROR = 2, 1

# (arguments, exit status): every failure a one-shot command can meet from its command line
CASES: list[tuple[tuple[str, ...], int]] = [
    (("send", "--to", PHONE, "--placeholder", "foo"), USAGE),
    (("send", "--to", PHONE, "--channel", "fax"), USAGE),
    (("send",), USAGE),
    (("send", "--to", PHONE, "--bogus"), USAGE),
    (("send", "--to", "12"), ERROR),
    (("send", "--to", NOT_UTF8), ERROR),
    (("send", "--to", PHONE, "--from", "Shop" + NOT_UTF8), ERROR),
    (("send", "--to", PHONE, "--placeholder", "name=J" + NOT_UTF8), ERROR),
    (("send", "--to", PHONE, "--placeholder", "=J"), ERROR),
    (("send", "--to", f"j{NOT_UTF8}@example.com", "--channel", "email"), ERROR),
    (("send", "--to", PHONE, "--application-id", NOT_UTF8), ERROR),
    (("resend", NOT_UTF8), ERROR),
    (("resend", ""), ERROR),
    (("resend", "P", "--placeholder", NOT_UTF8 + "=1"), ERROR),
    (("verify", NOT_UTF8 + "abc", "1234"), ERROR),
    (("verify", "P", "73" + NOT_UTF8 + "91"), ERROR),
    (("verify", "", ""), ERROR),
    (("verify", "P"), USAGE),
    (("status", "--msisdn", NOT_UTF8), ERROR),
    (("status", "--msisdn", PHONE, "--verified", "maybe"), USAGE),
    (("status", "--msisdn", PHONE, "--application-id", NOT_UTF8), ERROR),
    (("applications", "frobnicate"), USAGE),
    (("applications", "create"), USAGE),
    (("applications", "create", "--name", "Login", "--pin-time-to-live", "99999999999999d"), ERROR),
    (("applications", "create", "--name", "Login", "--pin-time-to-live", "9" * 5000 + "d"), ERROR),
    (("applications", "create", "--name", "Login", "--verify-pin-limit", "1/1000000000d"), ERROR),
    (("applications", "create", "--name", "Login", "--send-pin-per-phone-number-limit", "9" * 5000 + "/1d"), ERROR),
    (("applications", "create", "--name", "Login", "--pin-time-to-live", "0d"), ERROR),
    (("applications", "create", "--name", "Login", "--pin-attempts", "nan"), USAGE),
    (("applications", "create", "--name", "Login", "--pin-attempts", "1e3"), USAGE),
    (("applications", "create", "--name", "Login", "--enabled", "maybe"), USAGE),
    (("applications", "create", "--name", ""), ERROR),
    (("applications", "create", "--name", "Login" + NOT_UTF8), ERROR),
    (("applications", "get", NOT_UTF8), ERROR),
    (("applications", "update", NOT_UTF8, "--name", "Login"), ERROR),
    (("templates", "create", *NEEDS_PIN, "--speech-rate", "nan"), ERROR),
    (("templates", "create", *NEEDS_PIN, "--speech-rate", "inf"), ERROR),
    (("templates", "create", *NEEDS_PIN, "--speech-rate", "1e999"), ERROR),
    (("templates", "create", *NEEDS_PIN, "--pin-length", "nan"), USAGE),
    (("templates", "create", *NEEDS_PIN, "--sender-id", NOT_UTF8), ERROR),
    (("templates", "create", "--message-text", "{{pin}} " + NOT_UTF8, "--pin-type", "NUMERIC"), ERROR),
    (("templates", "create", "--message-text", "{{pin}}", "--pin-type", NOT_UTF8), ERROR),
    (("templates", "get", NOT_UTF8), ERROR),
    (("templates", "update", NOT_UTF8, "--pin-length", "3"), ERROR),
    (("templates", "list", "--application-id", NOT_UTF8), ERROR),
    (("applications", "list", "--base-url", "http://[::1"), ERROR),
    (("applications", "list", "--api-key", "key" + NOT_UTF8), ERROR),
]


@pytest.fixture
async def demo() -> AsyncIterator[dict[str, str]]:
    async with sandbox_command("--demo") as ready:
        yield demo_environment(ready)


async def _run_all(runs: list[tuple[str, ...]], env: dict[str, str]) -> list[tuple[int, str, str]]:
    """Run the commands, a few at a time."""
    slots = asyncio.Semaphore(4)

    async def one(args: tuple[str, ...]) -> tuple[int, str, str]:
        async with slots:
            return await run_cli(*args, env=env)

    return await asyncio.gather(*(one(args) for args in runs))


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.endswith("\n")
    assert err.count("\n") == 1, f"one line on stderr, not:\n{err}"
    return err


@pytest.mark.parametrize("where", ["option", "environment"])
async def test_with_json_every_failure_is_one_json_object_and_the_documented_status(
    demo: dict[str, str], where: str
) -> None:
    if where == "environment":  # the ids from INFOBIP_APPLICATION_ID: not UTF-8 either
        cases = [(("status", "--msisdn", PHONE), ERROR), (("send", "--to", PHONE), ERROR)]
        env = {**demo, "INFOBIP_APPLICATION_ID": NOT_UTF8}
    else:
        cases, env = CASES, demo
    results = await _run_all([(*args, "--json") for args, _ in cases], env)
    for (code, out, err), (args, want) in zip(results, cases, strict=True):
        context = f"{args[:3]} -> {err!r}"
        assert (code, out) == (want, ""), context
        error = json.loads(_one_line(err))["error"]
        if want == USAGE:
            assert error["type"] == "UsageError", context
        assert error["message"], context
        assert error["maybeSent"] is False, context
        assert "7391" not in err, "a PIN is never echoed"


async def test_without_json_every_failure_is_one_line(demo: dict[str, str]) -> None:
    results = await _run_all([args for args, _ in CASES], demo)
    for (code, out, err), (args, want) in zip(results, CASES, strict=True):
        assert (code, out) == (want, ""), f"{args[:3]} -> {err!r}"
        line = _one_line(err)
        assert line.startswith("infobip-2fa"), line
        if want == USAGE:
            assert "--help" in line, "a usage error says where the usage is"


async def test_what_the_errors_say(demo: dict[str, str]) -> None:
    runs = [
        ("send", "--to", PHONE, "--placeholder", "foo", "--json"),
        ("applications", "create", "--name", "Login", "--pin-time-to-live", "99999999999999d", "--json"),
        ("verify", NOT_UTF8, "1234", "--json"),
        ("status", "--msisdn", PHONE, "--verified", "maybe", "--json"),
    ]
    placeholder, duration, surrogate, flag = [json.loads(err)["error"] for _, _, err in await _run_all(runs, demo)]
    assert placeholder["argument"] == "--placeholder"
    assert "KEY=VALUE" in placeholder["message"]
    assert duration["argument"] == "configuration.pin_time_to_live"
    assert "the longest accepted is 999999999d" in duration["message"]
    assert (surrogate["type"], surrogate["argument"]) == ("InvalidRequestError", "pin_id")
    assert "UTF-8" in surrogate["message"]
    assert (flag["argument"], flag["message"]) == ("--verified", "expected true or false, not 'maybe'")


def test_an_unexpected_failure_is_one_line_with_its_type_never_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    from infobip_2fa_async._cli import _pins

    def broken(*args: Any) -> int:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(_pins, "run_pin_command", broken)
    plain, as_json = io.StringIO(), io.StringIO()
    assert main(["verify", "P", "1234", "--api-key", "k"], io.StringIO(), plain) == 1
    assert main(["verify", "P", "1234", "--api-key", "k", "--json"], io.StringIO(), as_json) == 1
    assert _one_line(plain.getvalue()).startswith("infobip-2fa: RuntimeError: something nobody foresaw")
    assert json.loads(_one_line(as_json.getvalue()))["error"]["type"] == "RuntimeError"
