"""``infobip-2fa bulk`` keeps its exit-code table under misuse (issue 17): it stops at a refused key (exit 1) and
when the application's quota is spent (exit 5), leaving the rows it did not try for a rerun; a file it cannot use is
one line on stderr; bad numbers are usage errors; a second Ctrl-C exits 130 without a traceback. Each runs the command
as a subprocess against the sandbox on a real port."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.sandbox import ManualClock, Sandbox
from tests.test_bulk_cli import Run


class Campaign(Run):
    def __init__(self, sandbox: Sandbox, base_url: str, app: str, message: str, tmp: Path, clock: ManualClock) -> None:
        super().__init__(sandbox, base_url, app, message, tmp)
        self.clock = clock
        self.write_csv({line: f"4177{line:07d}" for line in range(2, 62)})  # 60 good rows

    def statuses(self) -> Counter[str]:
        return Counter(self.final_states().values())


@pytest.fixture
async def campaign(tmp_path: Path) -> AsyncIterator[Campaign]:
    clock = ManualClock()  # the sandbox's limits run on it: the test moves time past a daily reset
    sandbox = Sandbox(clock=clock)
    async with sandbox.serve() as server, sandbox.client() as client:
        app = await client.applications.create(
            name="Quota", configuration=ApplicationConfiguration(send_pin_per_application_limit="20/1d")
        )
        template = await client.templates.create(
            app.application_id, message_text="{{pin}} {{name}}", pin_type="NUMERIC"
        )
        yield Campaign(sandbox, server.base_url, app.application_id, template.message_id, tmp_path, clock)


async def test_a_spent_application_quota_stops_the_run_and_leaves_the_rest_for_after_the_reset(
    campaign: Campaign,
) -> None:
    code, out, err = await campaign.finish(await campaign.start("--concurrency", "1"))
    assert code == 5, out + err
    assert len(campaign.sandbox.outbox) == 20
    assert campaign.statuses() == {"sent": 20, "failed": 3}, "3 numbers in a row refused for the quota, then a stop"
    assert "quota is spent" in out
    assert "resets at" in out
    assert "Traceback" not in err

    code, _, _ = await campaign.finish(await campaign.start("--concurrency", "1"))  # before the reset: stops again
    assert code == 5
    assert len(campaign.sandbox.outbox) == 20

    campaign.clock.advance(86400)  # the quota resets
    code, out, _ = await campaign.finish(await campaign.start("--concurrency", "1"))
    assert code == 5, "20 more fit in the new day, then the quota is spent again"
    assert len(campaign.sandbox.outbox) == 40
    campaign.clock.advance(86400)
    code, out, _ = await campaign.finish(await campaign.start("--concurrency", "1"))
    assert code == 0, out
    assert campaign.statuses() == {"sent": 60}
    assert set(campaign.delivered().values()) == {1}, "nobody was texted twice"


async def test_one_numbers_daily_cap_does_not_stop_the_run(campaign: Campaign) -> None:
    """The same number three times over its per-number cap: those rows fail, the run goes on."""
    numbers = {line: f"4177{line:07d}" for line in range(2, 12)}
    numbers |= {line: "41779999999" for line in range(12, 18)}  # 6 rows for one number: its cap is 3 a day
    campaign.write_csv(numbers)
    code, out, _ = await campaign.finish(await campaign.start("--concurrency", "1"))
    assert code == 3, out
    assert "quota is spent" not in out
    assert len(campaign.sandbox.outbox) == 13


async def test_a_refused_key_stops_at_the_first_row_and_exits_1(campaign: Campaign) -> None:
    command = campaign.command("--concurrency", "1")
    command[command.index("--api-key") + 1] = "wrong-key"
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )
    code, out, err = await campaign.finish(process)
    assert code == 1
    assert campaign.statuses() == {"failed": 1}, "one row tried; nothing else marked failed"
    assert [line for line in err.splitlines() if not line.startswith("progress:")] == [
        next(line for line in err.splitlines() if "AuthenticationError" in line)
    ], "the error is one line on stderr"
    assert "wrong-key" not in out + err
    assert "Fix the API key" in out

    code, out, _ = await campaign.finish(await campaign.start("--concurrency", "1"))  # the right key sends them all
    assert code == 5  # (20 fit in the application's quota)
    assert campaign.statuses()["sent"] == 20


async def test_the_ids_come_from_the_environment(campaign: Campaign) -> None:
    command = campaign.command()
    for option in ("--application-id", "--message-id"):
        at = command.index(option)
        del command[at : at + 2]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "INFOBIP_APPLICATION_ID": campaign.app, "INFOBIP_MESSAGE_ID": campaign.message},
    )  # fmt: skip
    code, out, err = await campaign.finish(process)
    assert code == 5, out + err
    assert len(campaign.sandbox.outbox) == 20


def _file_cases(tmp: Path, csv: Path, journal: Path) -> dict[str, tuple[Path, Path, str]]:
    latin = tmp / "latin1.csv"
    latin.write_bytes("to,name\n41770000001,Jos\xe9\n".encode("latin-1"))
    (tmp / "a-directory").mkdir()
    return {
        "input is a directory": (tmp / "a-directory", journal, "a-directory"),
        "output is a directory": (csv, tmp / "a-directory", "a-directory"),
        "output in a missing directory": (csv, tmp / "missing" / "out.jsonl", "out.jsonl"),
        "latin-1 input": (latin, journal, "not UTF-8"),
    }


@pytest.mark.parametrize("case", ["input is a directory", "output is a directory", "output in a missing directory",
                                  "latin-1 input"])  # fmt: skip
async def test_a_file_it_cannot_use_is_one_line_and_exit_1(campaign: Campaign, tmp_path: Path, case: str) -> None:
    source, journal, named = _file_cases(tmp_path, campaign.csv, campaign.journal)[case]
    command = campaign.command()
    command[command.index("--in") + 1] = str(source)
    command[command.index("--out") + 1] = str(journal)
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )
    code, _, err = await campaign.finish(process)
    assert code == 1
    assert len(err.strip().splitlines()) == 1, err
    assert named in err
    assert not campaign.sandbox.outbox


@pytest.mark.parametrize(
    "options", [("--concurrency", "0"), ("--concurrency", "-3"), ("--rate", "nan"), ("--rate", "inf"),
                ("--rate", "0"), ("--burst", "-1")],
)  # fmt: skip
async def test_bad_numbers_are_usage_errors_before_any_work(campaign: Campaign, options: tuple[str, str]) -> None:
    code, out, err = await campaign.finish(await campaign.start(*options))
    assert code == 2
    assert options[0] in err
    assert "Traceback" not in err
    assert not out
    assert not campaign.journal.exists()
    assert not campaign.sandbox.outbox


async def test_a_second_ctrl_c_exits_130_without_a_traceback(campaign: Campaign) -> None:
    process = await campaign.start("--rate", "2", "--burst", "1", "--concurrency", "10")
    await campaign.wait_for('"status": "sent"', 1)
    process.send_signal(signal.SIGINT)
    assert process.stderr is not None
    lines = []
    while b"stopping" not in (line := await asyncio.wait_for(process.stderr.readline(), 30)):
        assert line, "the command ended before it said it was stopping"
        lines.append(line)
    process.send_signal(signal.SIGINT)  # the sends waiting at the rate limit are still in flight: stop at once
    code, _, err = await campaign.finish(process)
    assert code == 130
    assert "Traceback" not in err
    assert "CancelledError" not in err
    assert "unknown fate" in err


def test_the_exit_code_tables_agree_with_the_command() -> None:
    """docs/bulk.md's table, the journal module's table and ``bulk --help`` name the same exit codes."""
    import re
    import subprocess
    import sys

    from infobip_2fa_async import _journal

    page = (Path(__file__).parent.parent / "docs" / "bulk.md").read_text()
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", page, re.MULTILINE)}
    assert documented == {0, 1, 2, 3, 4, 5, 130}
    in_module = {int(code) for code in re.findall(r"^(\d+)\s{2,}", _journal.__doc__ or "", re.MULTILINE)}
    assert in_module == documented
    constants = {_journal.EXIT_ALL_SENT, _journal.EXIT_ERROR, _journal.EXIT_FAILED, _journal.EXIT_UNKNOWN,
                 _journal.EXIT_QUOTA, _journal.EXIT_INTERRUPTED}  # fmt: skip
    assert constants | {2} == documented
    shown = subprocess.run([sys.executable, "-m", "infobip_2fa_async", "bulk", "--help"], capture_output=True,
                           text=True, check=True, stdin=subprocess.DEVNULL).stdout  # fmt: skip
    assert {int(code) for code in re.findall(r"(?:;|:) (\d+) ", " ".join(shown.split()))} == documented


@pytest.mark.parametrize(
    "argv",
    [["bulk", "--in", "x.csv", "--out", "y.jsonl", "--concurrency", "0"], ["bulk"],
     ["bulk-worker", "--redis", "redis://127.0.0.1:1/0", "--campaign", "c", "--lease", "-1"],
     ["bulk-submit", "--redis", "redis://127.0.0.1:1/0"], ["bulk-report", "--campaign", "c"],
     ["sandbox", "--port", "99999"], ["demo", "--no-such-option"], ["no-such-command"]],
)  # fmt: skip
async def test_every_commands_usage_error_is_one_line_and_exit_2(argv: list[str]) -> None:
    """docs/cli.md: an error is one line on stderr; a usage error exits 2."""
    from .clitools import run_cli

    code, out, err = await run_cli(*argv)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith("infobip-2fa")
    assert "--help" in err
    assert not out


async def test_the_first_ctrl_c_holds_back_the_rows_waiting_at_the_rate_limit(campaign: Campaign) -> None:
    """Nothing goes out after Ctrl-C but the sends already out: the rows waiting for their turn stay for a rerun."""
    campaign.write_csv({line: f"4177{line:07d}" for line in range(2, 14)})  # 12 rows
    process = await campaign.start("--rate", "2", "--burst", "1", "--concurrency", "10")
    await campaign.wait_for('"status": "sent"', 1)
    process.send_signal(signal.SIGINT)
    code, out, _ = await campaign.finish(process)
    assert code == 130
    assert len(campaign.sandbox.outbox) <= 2, "rows that waited at the rate limit were sent after Ctrl-C"
    assert "taken" not in campaign.final_states().values()
    assert "Stopped early" in out

    code, _, _ = await campaign.finish(await campaign.start("--rate", "1000"))
    assert code == 0
    assert len(campaign.sandbox.outbox) == 12
    assert set(campaign.delivered().values()) == {1}


async def test_a_throttled_row_retrying_when_the_quota_stops_the_run_is_finished_not_left_unknown(
    campaign: Campaign,
) -> None:
    from infobip_2fa_async.sandbox import Fault

    campaign.write_csv({line: f"4177{line:07d}" for line in range(2, 12)})
    throttle, quota = Fault.rate_limit(retry_after=0.2), Fault.rate_limit(retry_after=86400)
    campaign.sandbox.faults.script(throttle, quota, quota, quota, match=r"^POST /2fa/2/pin$")
    code, out, _ = await campaign.finish(await campaign.start("--concurrency", "4"))
    assert code == 5, out
    states = campaign.final_states()
    assert "taken" not in states.values(), "a row refused and never sent was left of unknown fate"
    assert "unknown" not in states.values()
    assert Counter(states.values()) == {"failed": 3, "sent": 1}, "the throttled row's retry finished as a send"
    assert len(campaign.sandbox.outbox) == 1


@pytest.mark.parametrize(
    "options", [("--concurrency", "3000000"), ("--rate", "1", "--burst", "0.5"), ("--burst", "5"),
                ("--rate", "1e-320")],
)  # fmt: skip
async def test_options_a_run_cannot_hold_are_usage_errors(campaign: Campaign, options: tuple[str, ...]) -> None:
    code, out, err = await campaign.finish(await campaign.start(*options))
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert not out
    assert not campaign.journal.exists()


async def test_a_pipe_as_input_is_refused_with_the_reason(campaign: Campaign) -> None:
    command = campaign.command()
    command[command.index("--in") + 1] = "/dev/stdin"
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(campaign.csv.read_bytes()), 60)
    assert process.returncode == 1
    assert "not a regular file" in err.decode()
    assert len(err.decode().splitlines()) == 1
    assert not campaign.sandbox.outbox


async def test_a_redis_url_that_is_no_url_is_a_usage_error() -> None:
    from .clitools import run_cli

    for command in ("bulk-submit", "bulk-worker", "bulk-report"):
        code, _, err = await run_cli(command, "--redis", "notaurl", "--campaign", "c", "--in", "x.csv", "--out", "o")
        assert code == 2, err
        assert "--redis" in err
        assert len(err.splitlines()) == 1
