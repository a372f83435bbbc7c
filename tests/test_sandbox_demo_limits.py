"""``infobip-2fa sandbox --demo`` creates an application whose limits a person trying things never meets: the
README's command-line block runs twice in a row, and many codes go to one number, without a 429; applications
created any other way keep Infobip's defaults (3 sends a day per number)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import httpx
import pytest

from infobip_2fa_async import RateLimitError
from infobip_2fa_async.sandbox import Sandbox

from .clitools import demo_environment, run_cli, sandbox_command

ROOT = Path(__file__).resolve().parents[1]


def _readme_cli_block() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = next(b for b in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL) if "applications list" in b)
    return [line for line in block.splitlines() if line.strip()]


async def test_the_readme_cli_block_runs_twice_against_one_sandbox_demo() -> None:
    commands = _readme_cli_block()
    async with sandbox_command("--demo") as ready:
        env = demo_environment(ready)
        pin_id = ""
        for _round in range(2):
            for line in commands:
                command, _, comment = line.partition("#")
                if "PIN" in command:
                    async with httpx.AsyncClient() as raw:
                        outbox = (await raw.get(f"{ready['base_url']}/sandbox/outbox")).json()
                    pin = next(m["pin"] for m in reversed(outbox) if m["pinId"] == pin_id)
                    command = command.replace("PIN_ID", pin_id).replace(" PIN", f" {pin}")
                words = shlex.split(command)
                code, out, err = await run_cli(*words[1:], env=env)
                match = re.search(r"exit (\d+)", comment)
                expected = int(match[1]) if match else 0
                assert code == expected, f"round {_round + 1}: {line!r} exited {code}: {err}"
                if words[1] == "send" and code == 0:
                    found = re.search(r"pinId=(\w+)", out)
                    assert found is not None
                    pin_id = found[1]


async def test_the_demo_application_takes_many_sends_and_quick_verifications_for_one_number() -> None:
    async with sandbox_command("--demo") as ready:
        env = demo_environment(ready)
        for _ in range(10):
            code, _out, err = await run_cli("send", "--to", "41793026727", env=env)
            assert code == 0, err
        code, out, err = await run_cli("applications", "get", ready["application_id"], "--json", env=env)
        assert code == 0, err
        assert "1000/1d" in out


async def test_an_application_created_normally_keeps_three_sends_a_day_per_number() -> None:
    async with Sandbox().client() as client:
        application = await client.applications.create(name="Plain")
        template = await client.templates.create(
            application.application_id, message_text="Code {{pin}}", pin_type="NUMERIC"
        )
        for _ in range(3):
            await client.send_pin(
                application_id=application.application_id, message_id=template.message_id, to="41793026727"
            )
        with pytest.raises(RateLimitError):
            await client.send_pin(
                application_id=application.application_id,
                message_id=template.message_id,
                to="41793026727",
                max_retries=0,
            )


def test_the_demo_says_its_limits_are_loose() -> None:
    import argparse
    import io

    from infobip_2fa_async._cli._sandbox import DEMO_LIMITS, _describe

    out = io.StringIO()
    ready = {"base_url": "http://127.0.0.1:8080", "api_key": "sandbox-key", "application_id": "A", "message_id": "M"}
    _describe(ready, argparse.Namespace(host="127.0.0.1", api_key=None, fault_rate=None), out)
    assert "loose limits: 1000 sends a day per number, 100 verifications a second" in out.getvalue()
    assert DEMO_LIMITS == {"send_pin_per_phone_number_limit": "1000/1d", "verify_pin_limit": "100/1s"}
    for page in ("docs/sandbox.md", "docs/cli.md"):
        assert "1000 sends a day per number" in (ROOT / page).read_text(), page
