"""``infobip-2fa bulk``: a CSV in, a journal out, and reruns after a crash or Ctrl-C that text nobody twice; exit
codes that tell the truth about the whole journal. The command runs as a user runs it: a subprocess against the
sandbox on a real port, killed with SIGKILL where a crash is the point."""

from __future__ import annotations

import asyncio
import json
import os
import re
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
        self.write_csv({line: f"4177{line:07d}" for line in range(2, ROWS + 2)} | BAD_LINES)

    def write_csv(self, numbers: dict[int, str]) -> None:
        lines = ["to,name"] + [f"{numbers[line]},Ana{line}" for line in sorted(numbers)]
        self.csv.write_text("\n".join(lines) + "\n")
        self.valid = {to for to in numbers.values() if len(to) > 5}

    def command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "infobip_2fa_async", "bulk", "--in", str(self.csv), "--out", str(self.journal),
                "--application-id", self.app, "--message-id", self.message, "--base-url", self.base_url,
                "--api-key", "sandbox-key", *extra]  # fmt: skip

    async def start(self, *extra: str, stderr: int | None = asyncio.subprocess.PIPE) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *self.command(*extra), stdout=asyncio.subprocess.PIPE, stderr=stderr,
            stdin=asyncio.subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip

    async def finish(self, process: asyncio.subprocess.Process) -> tuple[int, str, str]:
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, out.decode(), (err or b"").decode()

    def entries(self) -> list[dict[str, object]]:
        """The journal's well-formed lines (a line a crash cut short is skipped, as the command skips it)."""
        entries = []
        for line in self.journal.read_text().splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
        return entries

    def outcomes(self) -> int:
        return sum(entry["status"] != "taken" for entry in self.entries())

    def final_states(self) -> dict[str, str]:
        return {str(entry["to"]): str(entry["status"]) for entry in self.entries()}

    async def wait_for(self, text: str, count: int) -> None:
        """Poll the journal (a real process is writing it) until ``text`` occurs ``count`` times."""
        for _ in range(4000):
            if self.journal.exists() and self.journal.read_text().count(text) >= count:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the bulk command did not make progress")

    def delivered(self) -> Counter[str]:
        return Counter(message.to for message in self.sandbox.outbox)


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
    code, out, err = await run.finish(await run.start())
    assert code == 3, "two rows failed: the journal is not complete"
    assert out.startswith("This run: 298 sent, 0 not sent, 2 failed, 0 unknown;")
    assert "line 5: to: '12' is not a phone number" in out
    assert "line 9: to:" in out
    assert set(run.delivered()) == run.valid
    assert set(run.delivered().values()) == {1}
    assert run.sandbox.outbox[0].text.startswith("Hi Ana")  # other columns fill the placeholders
    assert Counter(run.final_states().values()) == {"sent": 298, "failed": 2}
    sent = [entry for entry in run.entries() if entry["status"] == "sent"]
    assert all(entry["smsStatus"] == "MESSAGE_SENT" and entry["pinId"] for entry in sent)
    assert "progress: 300/300 rows" in err, "not on a terminal: plain progress lines on stderr"

    code, out, _ = await run.finish(await run.start())  # a rerun sends nothing new, and says the same of the whole
    assert code == 3
    assert out.startswith("This run: 0 sent, 0 not sent, 2 failed, 0 unknown; skipped 298 already sent")
    assert f"Journal {run.journal}: 298 sent, 0 not sent, 2 failed, 0 unknown." in out
    assert len(run.sandbox.outbox) == 298


async def test_every_row_sent_exits_0(run: Run) -> None:
    run.write_csv({line: f"4177{line:07d}" for line in range(2, 52)})
    code, out, _ = await run.finish(await run.start())
    assert code == 0, out
    assert f"Journal {run.journal}: 50 sent, 0 not sent, 0 failed, 0 unknown." in out


async def test_unreachable_numbers_are_not_sent_counted_apart_and_resent_only_on_purpose(run: Run) -> None:
    numbers = {line: f"4177{line:07d}" for line in range(2, 22)}
    numbers |= {22: "41770000000", 23: "41780000000"}  # number lookup: not reachable
    run.write_csv(numbers)
    code, out, _ = await run.finish(await run.start())
    assert code == 3
    assert "This run: 20 sent, 2 not sent, 0 failed, 0 unknown" in out
    assert "--retry-not-sent" in out
    not_sent = [entry for entry in run.entries() if entry["status"] == "not_sent"]
    assert {entry["to"] for entry in not_sent} == {"41770000000", "41780000000"}
    assert all(entry["smsStatus"] == "MESSAGE_NOT_SENT" for entry in not_sent)
    assert all(entry["ncStatus"] == "NC_DESTINATION_NOT_REACHABLE" for entry in not_sent)

    pins = run.sandbox._service.store.pins
    await run.finish(await run.start())  # not resent blindly
    assert sum(pin.to == "41770000000" for pin in pins.values()) == 1
    await run.finish(await run.start("--retry-not-sent"))
    assert sum(pin.to == "41770000000" for pin in pins.values()) == 2


async def test_a_crash_leaves_unknown_only_the_rows_that_may_have_gone_out(run: Run) -> None:
    """Rows waiting at the rate limit are not journaled: after kill -9 only rows past the gate are of unknown fate."""
    process = await run.start("--rate", "100", "--burst", "1", "--concurrency", "20")
    await run.wait_for('"status": "sent"', 30)
    process.kill()  # a crash: no chance to finish anything
    await process.wait()
    assert 30 <= len(run.sandbox.outbox) < 298

    code, out, _ = await run.finish(await run.start())
    assert max(run.delivered().values()) == 1, "somebody was texted twice"
    assert set(run.delivered()) <= run.valid
    states = run.final_states()
    unknown = {to for to in run.valid if states[to] in ("taken", "unknown")}
    assert code == (4 if unknown else 3), "rows of unknown fate are held back (4); else only the bad lines fail (3)"
    assert set(run.delivered()) | unknown == run.valid, "a row was lost"
    assert len(unknown) <= 2, "at 100/s evenly spaced, at most a row or two were past the gate at the crash"
    assert "Rows of unknown fate may have been sent" in out or not unknown

    # Once checked, --retry-unknown sends the rest; only those unknown rows can have arrived twice.
    code, _, _ = await run.finish(await run.start("--retry-unknown"))
    assert code == 3  # the two bad lines still fail
    assert set(run.delivered()) == run.valid
    assert {to for to, times in run.delivered().items() if times > 1} <= unknown


async def test_two_crashes_in_a_row_with_a_torn_journal_text_nobody_twice(run: Run) -> None:
    process = await run.start("--concurrency", "10", "--rate", "200")
    await run.wait_for('"status": "sent"', 40)
    process.kill()
    await process.wait()
    text = run.journal.read_text()
    head, _, last = text.rstrip("\n").rpartition("\n")
    try:
        status = json.loads(last)["status"]
    except ValueError:  # the kill already cut it short
        status = "torn"
    if status == "taken":  # its send may have gone out after it was written: a crash can only cut the next line
        run.journal.write_text(text + json.dumps({**json.loads(last), "status": "sent"})[:17])
    elif status != "torn":  # an outcome line cut short by a crash while it was written
        run.journal.write_text(head + "\n" + last[:17])
    torn_at = len(run.journal.read_text())

    process = await run.start("--concurrency", "10", "--rate", "200")
    for _ in range(4000):  # the second crash comes as soon as the resumed run has written its first line
        if len(run.journal.read_text()) > torn_at + 5 and run.journal.read_text().endswith("\n"):
            break
        await asyncio.sleep(0.002)
    process.kill()
    await process.wait()
    after_tear = run.journal.read_text()[torn_at:]
    assert after_tear.startswith("\n"), "the torn line was fenced off"
    first = json.loads(after_tear.strip().splitlines()[0])
    # It parsed: the resumed run's first line stands on its own ("taken", or "failed" for a bad row, never sent).
    assert first["status"] in ("taken", "failed")

    code, _, _ = await run.finish(await run.start())
    assert max(run.delivered().values()) == 1, "somebody was texted twice"
    states = run.final_states()
    assert set(run.delivered()) | {to for to in run.valid if states[to] in ("taken", "unknown")} == run.valid
    assert code in (3, 4)


async def test_ctrl_c_finishes_the_sends_in_flight_and_a_rerun_completes(run: Run) -> None:
    process = await run.start("--rate", "300", "--concurrency", "20")
    await run.wait_for('"status": "sent"', 40)
    process.send_signal(signal.SIGINT)
    code, out, err = await run.finish(process)
    assert code == 130
    assert "Stopped early" in out
    assert "stopping: finishing the sends in flight" in err
    assert "taken" not in run.final_states().values(), "every send in flight was finished and journaled"
    assert f"progress: {run.outcomes()}/" in err.splitlines()[-1], "the last line counts the drained sends too"

    code, _, _ = await run.finish(await run.start())
    assert code == 3
    assert set(run.delivered()) == run.valid
    assert set(run.delivered().values()) == {1}


async def test_burst_1_spaces_the_sends_evenly(run: Run) -> None:
    run.write_csv({line: f"4177{line:07d}" for line in range(2, 42)})
    await run.finish(await run.start("--rate", "100", "--burst", "1"))
    times = sorted(message.sent_at for message in run.sandbox.outbox)
    assert times[-1] - times[0] >= 0.35, "40 sends at 100/s, evenly spaced, take about 0.39 s"

    run.sandbox.outbox.clear()
    run.journal.unlink()
    await run.finish(await run.start("--rate", "100"))
    times = sorted(message.sent_at for message in run.sandbox.outbox)
    assert times[-1] - times[0] < 0.35, "the default burst (one second's worth) lets all 40 go at once"


async def test_the_bar_on_a_terminal_ends_at_the_true_count(run: Run) -> None:
    """With the [cli] extra on a terminal: after Ctrl-C the drained sends still move the bar, which stays."""
    import pty

    main, side = pty.openpty()
    try:
        process = await run.start("--rate", "300", "--concurrency", "20", stderr=side)
        os.close(side)
        chunks: list[bytes] = []
        loop = asyncio.get_running_loop()
        reader = loop.run_in_executor(None, _drain, main, chunks)
        await run.wait_for('"status": "sent"', 40)
        process.send_signal(signal.SIGINT)
        code, out, _ = await run.finish(process)
        await reader
    finally:
        os.close(main)
    assert code == 130
    assert not out.startswith("\n")
    screen = b"".join(chunks).decode(errors="replace")
    shown = re.findall(rf"(\d+)/{ROWS}", screen)
    assert shown, screen[-500:]
    assert int(shown[-1]) == run.outcomes(), f"the bar froze at {shown[-1]} of {run.outcomes()} done"


def _drain(fd: int, chunks: list[bytes]) -> None:
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return
        if not data:
            return
        chunks.append(data)
