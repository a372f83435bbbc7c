"""The abuse shield on the command line: ``send --shield`` and ``bulk --shield``, run as a user runs them (a
subprocess) against the sandbox on a real 127.0.0.1 port. A refused send exits 5 with one line; refused bulk rows are
journaled "refused", counted, and never sent by a rerun; without phonenumberslite the options are a usage error."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.sandbox import Sandbox

from .clitools import run_cli

GB = "447400123456"  # a UK mobile number
SWISS = "41793026727"
PREMIUM = "449012345678"  # a UK premium-rate number


class Served:
    def __init__(self, sandbox: Sandbox, env: dict[str, str], tmp: Path) -> None:
        self.sandbox, self.env, self.tmp = sandbox, env, tmp

    async def cli(self, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        return await run_cli(*args, env={**self.env, **(env or {})})


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    sandbox = Sandbox()
    async with sandbox.serve() as server, sandbox.client() as client:
        app = await client.applications.create(
            name="Shield CLI", configuration=ApplicationConfiguration(send_pin_per_phone_number_limit="100/1d")
        )
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        env = {"INFOBIP_API_KEY": "sandbox-key", "INFOBIP_BASE_URL": server.base_url,
               "INFOBIP_APPLICATION_ID": app.application_id, "INFOBIP_MESSAGE_ID": template.message_id}  # fmt: skip
        yield Served(sandbox, env, tmp_path)


async def test_a_refused_send_exits_5_with_one_line_and_sends_nothing(served: Served) -> None:
    code, out, err = await served.cli("send", "--to", SWISS, "--shield-allow-countries", "gb,DE")
    assert (code, out) == (5, "")
    assert err == (
        "infobip-2fa: SendRefusedError: the shield refused this send (country): sends to this country are not allowed\n"
    )
    code, out, err = await served.cli("send", "--to", PREMIUM, "--shield", "--json")
    assert (code, out) == (5, "")
    assert json.loads(err) == {"error": {
        "type": "SendRefusedError", "maybeSent": False, "reason": "number_type", "retryAfter": None, "country": "GB",
        "message": "the shield refused this send (number_type): sends to this type of number (premium rate, "
                   "toll-free, ...) are not allowed",
    }}  # fmt: skip
    assert served.sandbox.outbox == []

    code, out, err = await served.cli("send", "--to", "+44 7400 123456", "--shield-allow-countries", "GB")
    assert code == 0, err
    assert "smsStatus=MESSAGE_SENT" in out
    assert len(served.sandbox.outbox) == 1
    for secret in (SWISS, PREMIUM, GB):
        assert secret not in err


async def test_monitor_mode_sends_and_says_what_it_would_have_refused(served: Served) -> None:
    code, out, err = await served.cli("send", "--to", SWISS, "--shield-allow-countries", "GB", "--shield-mode",
                                      "monitor")  # fmt: skip
    assert code == 0, err
    assert "smsStatus=MESSAGE_SENT" in out
    assert err == "infobip-2fa: the shield (monitor mode) would have refused this send (rule country, country CH); " \
        "it was sent\n"  # fmt: skip
    code, out, err = await served.cli("send", "--to", SWISS, "--shield-allow-countries", "GB", "--shield-mode",
                                      "monitor", "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["smsStatus"] == "MESSAGE_SENT"
    assert json.loads(err) == {"shield": {"reason": "country", "country": "CH", "mode": "monitor", "sent": True}}
    assert len(served.sandbox.outbox) == 2


async def test_bad_shield_options_are_usage_errors(served: Served) -> None:
    code, _, err = await served.cli("send", "--to", GB, "--shield-allow-countries", "XX,GB")
    assert code == 2
    assert err == ("infobip-2fa send: error: argument --shield-allow-countries: unknown region codes: XX "
                   "(see infobip-2fa send --help)\n")  # fmt: skip
    code, _, err = await served.cli("send", "--to", GB, "--shield-allow-countries", "Britain", "--json")
    assert code == 2
    assert json.loads(err)["error"]["argument"] == "--shield-allow-countries"
    code, _, err = await served.cli("send", "--to", GB, "--shield-mode", "strict")
    assert code == 2
    assert served.sandbox.outbox == []


async def test_without_phonenumberslite_the_options_say_to_install_the_extra(served: Served) -> None:
    fake = served.tmp / "no-phonenumbers"
    (fake / "phonenumbers").mkdir(parents=True)
    (fake / "phonenumbers" / "__init__.py").write_text('raise ImportError("phonenumbers is not installed")\n')
    path = os.pathsep.join(filter(None, [str(fake), os.environ.get("PYTHONPATH")]))
    code, _, err = await served.cli("send", "--to", GB, "--shield", env={"PYTHONPATH": path})
    assert code == 2
    assert err.count("\n") == 1
    assert "argument --shield: the shield needs phonenumberslite: install the [shield] extra" in err
    assert "pip install 'infobip-2fa-async[shield]'" in err
    code, _, err = await served.cli("bulk", "--in", str(served.tmp / "none.csv"), "--out",
                                      str(served.tmp / "out.jsonl"), "--shield-allow-countries", "GB",
                                      env={"PYTHONPATH": path})  # fmt: skip
    assert code == 2
    assert "argument --shield-allow-countries: the shield needs phonenumberslite" in err
    code, _, err = await served.cli("send", "--to", GB, env={"PYTHONPATH": path})  # no shield: no need of it
    assert code == 0, err
    assert len(served.sandbox.outbox) == 1


def _entries(journal: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


async def test_bulk_journals_refused_rows_as_refused_and_never_sends_them(served: Served) -> None:
    rows = [GB, "447400123457", SWISS, PREMIUM, GB, "447400123458"]  # line 6 repeats line 2: the cool-down
    source, journal = served.tmp / "numbers.csv", served.tmp / "results.jsonl"
    source.write_text("to\n" + "\n".join(rows) + "\n")
    command = ("bulk", "--in", str(source), "--out", str(journal), "--shield-allow-countries", "GB",
               "--concurrency", "1")  # fmt: skip

    code, out, err = await served.cli(*command)
    assert code == 3, "refused rows are not sent: the journal is not all sent"
    assert out.startswith("This run: 3 sent, 0 not sent, 0 failed, 0 unknown, 3 refused by the shield;")
    assert f"Journal {journal}: 3 sent, 0 not sent, 0 failed, 0 unknown, 3 refused by the shield." in out
    assert ("The shield refused 3 rows (country 1, number_type 1, number_cooldown 1): nothing was sent to them, and "
            'reruns do not send them (journaled "refused").') in out  # fmt: skip
    assert sorted(message.to for message in served.sandbox.outbox) == [GB, "447400123457", "447400123458"]
    refused = [entry for entry in _entries(journal) if entry["status"] == "refused"]
    assert [(entry["line"], entry["reason"], entry["error"]["type"]) for entry in refused] == [
        (4, "country", "SendRefusedError"), (5, "number_type", "SendRefusedError"),
        (6, "number_cooldown", "SendRefusedError"),
    ]  # fmt: skip
    assert not any(entry["status"] == "taken" and entry["line"] in (4, 5, 6) for entry in _entries(journal)), (
        "a refused row never reached the point of going out"
    )
    for secret in (SWISS, PREMIUM):
        assert secret not in out
        assert secret not in err

    code, out, _ = await served.cli(*command)  # a rerun: nothing new, the refused rows stay refused
    assert code == 3
    assert out.startswith("This run: 0 sent, 0 not sent, 0 failed, 0 unknown; skipped 3 already sent")
    assert "3 rows refused by the shield in earlier runs stay refused" in out
    code, out, _ = await served.cli(*command[:5], "--retry-unknown", "--retry-not-sent")  # no shield: still not
    assert code == 3
    assert len(served.sandbox.outbox) == 3


async def test_bulk_in_monitor_mode_sends_every_row_and_counts_what_it_would_have_refused(served: Served) -> None:
    source, journal = served.tmp / "numbers.csv", served.tmp / "results.jsonl"
    source.write_text("to\n" + "\n".join([GB, SWISS, PREMIUM]) + "\n")
    code, out, err = await served.cli("bulk", "--in", str(source), "--out", str(journal), "--shield-mode", "monitor",
                                      "--shield-allow-countries", "GB")  # fmt: skip
    assert code == 0, out + err
    assert f"Journal {journal}: 3 sent, 0 not sent, 0 failed, 0 unknown." in out
    assert "The shield (monitor mode) would have refused 2 rows (" in out
    assert "country 1" in out
    assert "number_type 1" in out
    assert len(served.sandbox.outbox) == 3


def test_the_shield_options_are_in_the_help() -> None:
    import subprocess

    for command in ("send", "bulk"):
        shown = subprocess.run([sys.executable, "-m", "infobip_2fa_async", command, "--help"], capture_output=True,  # noqa: S603
                               text=True, check=True, stdin=subprocess.DEVNULL).stdout  # fmt: skip
        for option in ("--shield ", "--shield-allow-countries", "--shield-mode"):
            assert option in shown, (command, option)
    shown = subprocess.run([sys.executable, "-m", "infobip_2fa_async", "send", "--help"], capture_output=True,
                           text=True, check=True, stdin=subprocess.DEVNULL).stdout  # fmt: skip
    assert "5 send: refused by the abuse shield" in " ".join(shown.split())
