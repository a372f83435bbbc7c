"""``infobip-2fa bulk``: a CSV in, a journal out, and reruns after a crash or Ctrl-C that text nobody twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.sandbox import Sandbox

ROWS = 300
BAD_LINES = {5: "12", 9: ""}  # file line -> a "to" that is no phone number


class Run:
    def __init__(self, sandbox: Sandbox, base_url: str, app: str, message: str, tmp: Path) -> None:
        self.sandbox, self.base_url, self.app, self.message = sandbox, base_url, app, message
        self.csv, self.journal = tmp / "numbers.csv", tmp / "results.jsonl"
        lines = ["to,name"]
        for line in range(2, ROWS + 2):  # file lines 2..ROWS+1 are data rows
            lines.append(f"{BAD_LINES.get(line, f'4177{line:07d}')},Ana{line}")
        self.csv.write_text("\n".join(lines) + "\n")
        self.valid = {f"4177{line:07d}" for line in range(2, ROWS + 2) if line not in BAD_LINES}

    def command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "infobip_2fa_async", "bulk", "--in", str(self.csv), "--out", str(self.journal),
                "--application-id", self.app, "--message-id", self.message, "--base-url", self.base_url,
                "--api-key", "sandbox-key", *extra]  # fmt: skip

    async def start(self, *extra: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self.command(*extra), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip

    async def finish(self, process: asyncio.subprocess.Process) -> tuple[int, str]:
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, out.decode() + err.decode()

    def final_states(self) -> dict[str, str]:
        states: dict[str, str] = {}
        for line in self.journal.read_text().splitlines():
            entry = json.loads(line)
            states[entry["to"]] = entry["status"]
        return states

    async def wait_for_sent(self, count: int) -> None:
        """Poll the journal (a real process is writing it) until ``count`` rows are sent."""
        for _ in range(2000):
            if self.journal.exists() and self.journal.read_text().count('"status": "sent"') >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the bulk command did not make progress")


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Run]:
    sandbox = Sandbox()
    async with sandbox.serve() as server, sandbox.client() as client:
        app = await client.applications.create(
            name="Bulk CLI", configuration=ApplicationConfiguration(send_pin_per_application_limit="100000/1d")
        )
        template = await client.templates.create(
            app.application_id, message_text="Hi {{name}}: {{pin}}", pin_type="NUMERIC"
        )
        yield Run(sandbox, server.base_url, app.application_id, template.message_id, tmp_path)


async def test_a_whole_run_journals_every_row_and_reports_bad_lines(run: Run) -> None:
    code, output = await run.finish(await run.start())
    assert code == 2  # two rows could not be sent
    assert "298 sent, 2 failed, 0 unknown" in output
    assert "line 5: to: '12' is not a phone number" in output
    assert "line 9: to:" in output
    delivered = Counter(message.to for message in run.sandbox.outbox)
    assert set(delivered) == run.valid
    assert set(delivered.values()) == {1}
    assert run.sandbox.outbox[0].text.startswith("Hi Ana")  # other columns fill the placeholders
    states = run.final_states()
    assert Counter(states.values()) == {"sent": 298, "failed": 2}

    code, output = await run.finish(await run.start())  # a rerun sends nothing new
    assert "0 sent, 2 failed, 0 unknown (may have been sent); skipped 298 already sent" in output
    assert len(run.sandbox.outbox) == 298


async def test_a_rerun_after_a_crash_texts_nobody_twice(run: Run) -> None:
    process = await run.start("--rate", "400", "--concurrency", "20")
    await run.wait_for_sent(60)
    process.kill()  # a crash: no chance to finish anything
    await process.wait()
    crashed_with = len(run.sandbox.outbox)
    assert 60 <= crashed_with < 298

    _, output = await run.finish(await run.start())
    delivered = Counter(message.to for message in run.sandbox.outbox)
    assert max(delivered.values()) == 1, "somebody was texted twice"
    assert set(delivered) <= run.valid
    states = run.final_states()
    unknown = {to for to in run.valid if states[to] in ("taken", "unknown")}
    assert set(delivered) | unknown == run.valid, "a row was lost"
    assert len(unknown) <= 2 * 20, "only rows in flight at the crash can be of unknown fate"
    assert "Rows of unknown fate are not sent again" in output or not unknown

    # Once checked, --retry-unknown sends the rest; only those unknown rows can have arrived twice.
    await run.finish(await run.start("--retry-unknown"))
    delivered = Counter(message.to for message in run.sandbox.outbox)
    assert set(delivered) == run.valid
    assert {to for to, times in delivered.items() if times > 1} <= unknown


async def test_ctrl_c_finishes_the_sends_in_flight_and_a_rerun_completes(run: Run) -> None:
    process = await run.start("--rate", "300", "--concurrency", "20")
    await run.wait_for_sent(40)
    process.send_signal(signal.SIGINT)
    code, output = await run.finish(process)
    assert code == 2
    assert "Stopped early" in output
    states = run.final_states()
    assert "taken" not in states.values(), "every send in flight was finished and journaled"

    code, output = await run.finish(await run.start())
    delivered = Counter(message.to for message in run.sandbox.outbox)
    assert set(delivered) == run.valid
    assert set(delivered.values()) == {1}
