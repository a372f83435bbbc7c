"""``infobip-2fa bulk``: send a PIN to every row of a CSV file, with a journal that makes reruns safe.

The ``--out`` file is the journal, one JSON object per line, appended and flushed as things happen:

- ``{"index": 7, "line": 9, "to": "41793026727", "status": "taken"}`` just before row 7 (file line 9) is sent;
- then ``"status": "sent"`` with ``"pinId"``, or ``"status": "failed"`` with ``"error"``; a failure after which
  the PIN may still have gone out (5xx, timeout, dropped connection) is ``"status": "unknown"``.

A rerun of the same command reads the journal first and skips every row that was sent, and every row whose fate
is unknown (a row "taken" with no outcome, after a crash, is unknown too): nobody is texted twice. Failed rows are
tried again. ``--retry-unknown`` sends the unknown rows as well, once you have checked they did not arrive.
The first Ctrl-C stops taking rows and lets the sends in flight finish and be journaled; a second one stops at once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from .._bulk import SendPinRequest
from .._client import TwoFactorClient
from .._exceptions import ApiError, InfobipError, InvalidRequestError
from ._common import add_connection_options

__all__ = ["add_parser", "run_bulk"]

# Journal states per CSV row, one byte each (a million rows cost a megabyte).
NEW, SENT, FAILED, UNKNOWN, TAKEN = 0, 1, 2, 3, 4
_STATES = {"sent": SENT, "failed": FAILED, "unknown": UNKNOWN, "taken": TAKEN}


def add_parser(commands: Any) -> None:
    """Register ``bulk``."""
    bulk = commands.add_parser(
        "bulk", help="send a PIN to every row of a CSV file; rerunning resumes without texting twice"
    )
    add_connection_options(bulk, json_output=False)
    bulk.add_argument("--in", dest="input", required=True, metavar="CSV", help="a CSV file with a 'to' column")
    bulk.add_argument("--application-id", required=True, help="the 2FA application's id")
    bulk.add_argument("--message-id", required=True, help="the message template's id")
    bulk.add_argument("--out", required=True, metavar="JSONL", help="the results, and the journal reruns resume from")
    bulk.add_argument("--channel", choices=("sms", "voice"), default="sms", help="how to send the PINs (default sms)")
    bulk.add_argument("--rate", type=float, help="at most this many requests per second")
    bulk.add_argument("--concurrency", type=int, default=50, help="sends in flight at once (default 50)")
    bulk.add_argument("--retry-unknown", action="store_true", help="also send rows that may have been sent before")
    bulk.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the bulk command."""
    return asyncio.run(run_bulk(args, out, err))


def _read_journal(path: Path, rows: int) -> tuple[bytearray, dict[int, str]]:
    """Each row's last state in the journal, and the number each row was sent to (to notice a changed input)."""
    states = bytearray(rows)
    numbers: dict[int, str] = {}
    if not path.exists():
        return states, numbers
    with path.open(encoding="utf-8") as journal:
        for line in journal:
            try:
                entry = json.loads(line)
                index, state = int(entry["index"]), _STATES[entry["status"]]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash
            if 0 <= index < rows:
                states[index] = state
                if entry.get("to"):
                    numbers[index] = entry["to"]
    return states, numbers


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(file line number, row) for each data row of the CSV file, read lazily."""
    with path.open(newline="", encoding="utf-8-sig") as source:
        reader = csv.DictReader(source)
        if reader.fieldnames is None or "to" not in reader.fieldnames:
            raise SystemExit(f"infobip-2fa: error: {path} needs a header row with a 'to' column")
        for row in reader:
            yield reader.line_num, row


class _Progress:
    """A rich progress bar (rate and ETA) when rich is installed, else a plain line every second or so."""

    def __init__(self, total: int, out: TextIO) -> None:
        self.total, self.out = total, out
        self._bar: Any = None
        self._last = 0.0
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )
        except ImportError:
            return
        self._bar = Progress(
            TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]:.0f}/s"), TimeRemainingColumn(), transient=True,
        )  # fmt: skip
        self._task = self._bar.add_task("bulk", total=total, rate=0.0)

    def __enter__(self) -> _Progress:
        self._started = asyncio.get_running_loop().time()
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, done: int) -> None:
        now = asyncio.get_running_loop().time()
        rate = done / max(now - self._started, 1e-9)
        if self._bar is not None:
            self._bar.update(self._task, completed=done, rate=rate)
        elif now - self._last >= 1.0 or done == self.total:
            self._last = now
            self.out.write(f"  {done}/{self.total} rows, {rate:.0f}/s\n")
            self.out.flush()


async def run_bulk(args: Any, out: TextIO, err: TextIO) -> int:
    """The ``bulk`` command; returns the exit code (0: every row sent; 2: some failed or are unknown)."""
    # Plain blocking file I/O throughout: one short line at a time, in a command that owns its event loop.
    source, journal_path = Path(args.input), Path(args.out)
    if not source.exists():  # noqa: ASYNC240
        raise SystemExit(f"infobip-2fa: error: no such file: {source}")
    total = sum(1 for _ in _rows(source))
    states, numbers = _read_journal(journal_path, total)
    redo = {FAILED, NEW} | ({UNKNOWN, TAKEN} if args.retry_unknown else set())
    to_send = sum(1 for state in states if state in redo)
    skipped_sent = sum(1 for state in states if state == SENT)
    skipped_unknown = sum(1 for state in states if state in (UNKNOWN, TAKEN)) if not args.retry_unknown else 0

    stopping = asyncio.Event()
    pending: dict[int, tuple[int, int, str]] = {}  # run index -> (row index, line, to)
    counts = {"sent": 0, "failed": 0, "unknown": 0}
    bad_rows: list[str] = []

    with journal_path.open("a", encoding="utf-8") as journal:  # noqa: ASYNC230

        def write(entry: dict[str, Any]) -> None:
            journal.write(json.dumps(entry) + "\n")
            journal.flush()

        def requests() -> Iterator[SendPinRequest]:
            run_index = 0
            for index, (line, row) in enumerate(_rows(source)):
                if stopping.is_set():
                    return
                if states[index] not in redo:
                    continue
                to = (row.get("to") or "").strip()
                if index in numbers and numbers[index] != to:
                    raise SystemExit(
                        f"infobip-2fa: error: line {line} of {source} now holds {to!r}, but the journal "
                        f"{journal_path} has {numbers[index]!r} for it: the input changed; use a new --out file"
                    )
                placeholders = {k: v for k, v in row.items() if k != "to" and k is not None and v}
                pending[run_index] = (index, line, to)
                run_index += 1
                write({"index": index, "line": line, "to": to, "status": "taken"})
                yield SendPinRequest(
                    args.application_id, args.message_id, to, placeholders=placeholders or None, channel=args.channel
                )

        loop = asyncio.get_running_loop()
        main_task = asyncio.current_task()

        def interrupt() -> None:
            if stopping.is_set() and main_task is not None:
                main_task.cancel()  # a second Ctrl-C: stop now
            stopping.set()
            err.write("\nstopping: finishing the sends in flight (Ctrl-C again to stop at once)\n")

        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform or thread
            loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            async with TwoFactorClient(args.api_key, args.base_url) as client:
                with _Progress(to_send, err) as progress:
                    results = client.send_many(
                        requests(), concurrency=args.concurrency, rate=args.rate,
                        on_progress=lambda done, *_: progress.update(done),
                    )  # fmt: skip
                    async for result in results:
                        index, line, to = pending.pop(result.index)
                        entry: dict[str, Any] = {"index": index, "line": line, "to": to}
                        if result.result is not None:
                            entry.update(status="sent", pinId=result.result.pin_id)
                            counts["sent"] += 1
                        else:
                            assert result.error is not None
                            status = "unknown" if result.error.maybe_sent else "failed"
                            entry.update(status=status, error=_describe(result.error))
                            counts[status] += 1
                            if isinstance(result.error, InvalidRequestError):
                                bad_rows.append(f"  line {line}: {result.error}")
                        write(entry)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)

    out.write(
        f"{counts['sent']} sent, {counts['failed']} failed, {counts['unknown']} unknown (may have been sent); "
        f"skipped {skipped_sent} already sent and {skipped_unknown} of unknown fate from earlier runs. "
        f"Journal: {journal_path}\n"
    )
    if bad_rows:
        out.write(f"{len(bad_rows)} rows could not be sent as they are:\n" + "\n".join(bad_rows[:50]) + "\n")
        if len(bad_rows) > 50:
            out.write(f"  ... and {len(bad_rows) - 50} more (see the journal)\n")
    if skipped_unknown or counts["unknown"]:
        out.write(
            "Rows of unknown fate are not sent again; check them, then rerun with --retry-unknown to send them.\n"
        )
    if stopping.is_set():
        out.write("Stopped early: run the same command again to send the rest.\n")
    return 0 if counts["failed"] == counts["unknown"] == 0 and not stopping.is_set() else 2


def _describe(error: InfobipError) -> dict[str, Any]:
    described: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, ApiError):
        described["status"] = error.status_code
    return described
