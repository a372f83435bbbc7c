"""``infobip-2fa bulk``: send a PIN to every row of a CSV file, with a journal that makes reruns safe.

The journal's lines, the rerun rules, when a campaign stops (``Brake``) and the exit codes are in ``_journal``. The
first Ctrl-C stops taking rows and lets the sends in flight finish and be journaled; a second one stops at once
(exit 130; the rows that were in flight stay "taken", of unknown fate).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import math
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._bulk import SendPinRequest
from .._client import TwoFactorClient
from .._exceptions import InvalidRequestError
from .._gate import check_rate
from .._journal import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    FAILED,
    NEW,
    NOT_SENT,
    STATES,
    TAKEN,
    UNKNOWN,
    Brake,
    HeldBack,
    Journal,
    Tally,
    outcome,
)
from ._common import add_application_id, add_connection_options, add_message_id, base_url
from ._progress import Progress
from ._shield import Refusals, add_shield_options, build_shield

if TYPE_CHECKING:
    from ..shield import Shield

__all__ = [
    "InputFileError",
    "add_parser",
    "add_rate_options",
    "positive_number",
    "read_rows",
    "run_bulk",
    "whole_number",
]

MAX_CONCURRENCY = 10_000  # sends in flight at once, for bulk and bulk-worker: each holds a connection and a task

# Exit codes and their meaning, for --help.
EXIT_CODES = (
    "exit status (for the whole journal, not only this run): 0 every row sent; 1 could not run (the key refused, "
    "an unreadable file, ...); 2 usage error; 3 some rows failed, were not sent or were refused by the shield; 4 "
    "some rows of unknown fate held "
    "back (check them, then --retry-unknown); 5 stopped: the application's quota is spent, rerun after the reset; "
    "130 interrupted before every row was tried"
)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high`` (a usage error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, not {value}")
        return value

    return parse


def positive_number(text: str) -> float:
    """An argparse type: a finite number > 0 (a usage error otherwise: nan, inf, 0 and negatives too)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, not {text}")
    return value


def add_rate_options(command: argparse.ArgumentParser) -> None:
    """``--rate`` and ``--burst``, shared with the distributed commands."""
    command.add_argument(
        "--rate",
        type=positive_number,
        help="requests per second on average; after a quiet start up to --burst requests may go at once, so the "
        "first second can see up to rate + burst",
    )
    command.add_argument(
        "--burst",
        type=positive_number,
        help="how many requests may go at once after a quiet spell (default: one second's worth, the rate itself); "
        "1 spaces every request 1/rate apart",
    )


def add_parser(commands: Any) -> None:
    """Register ``bulk``."""
    bulk = commands.add_parser(
        "bulk", help="send a PIN to every row of a CSV file; rerunning resumes without texting twice", epilog=EXIT_CODES
    )
    add_connection_options(bulk, json_output=False, insecure_http=True)
    bulk.add_argument("--in", dest="input", required=True, metavar="CSV", help="a CSV file with a 'to' column")
    add_application_id(bulk)
    add_message_id(bulk)
    bulk.add_argument("--out", required=True, metavar="JSONL", help="the results, and the journal reruns resume from")
    bulk.add_argument("--channel", choices=("sms", "voice"), default="sms", help="how to send the PINs (default sms)")
    add_rate_options(bulk)
    bulk.add_argument(
        "--concurrency", type=whole_number(1, MAX_CONCURRENCY), default=50,
        help=f"sends in flight at once, 1 to {MAX_CONCURRENCY} (default 50)",
    )  # fmt: skip
    bulk.add_argument(
        "--retry-unknown", action="store_true", help="also send rows that may have been sent before (check first)"
    )
    bulk.add_argument(
        "--retry-not-sent", action="store_true", help="also send again rows the service answered but did not send"
    )
    add_shield_options(bulk)
    bulk.set_defaults(run=run, parser=bulk)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the bulk command; a second Ctrl-C (which cancels it) exits 130, with one line on stderr."""
    try:
        check_rate(args.rate, args.burst)  # the same rules as LocalGate's, found before anything is read or sent
    except InvalidRequestError as error:
        args.parser.error(f"argument --{error.argument}: {error.problem}")
    shield = build_shield(args, args.parser)
    try:
        return asyncio.run(run_bulk(args, out, err, shield))
    except InputFileError as error:
        err.write(f"infobip-2fa: error: {error}\n")
        err.flush()
        return EXIT_ERROR
    except asyncio.CancelledError:
        err.write(
            "infobip-2fa: stopped at once: the sends that were in flight are of unknown fate (see the journal); "
            "run the same command again to go on\n"
        )
        err.flush()
        return EXIT_INTERRUPTED


class InputFileError(Exception):
    """The CSV file cannot be used as it is: the message names the file and the reason, never a row's content."""


def file_error(path: Path, what: str, error: BaseException) -> SystemExit:
    """One line on stderr and exit 1, for a file that cannot be read or written."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return SystemExit(f"infobip-2fa: error: cannot {what} {path}: {reason}")


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(file line number, row) for each data row of the CSV file, read lazily (``bulk`` and ``bulk-submit``).

    Raises InputFileError when the file cannot be used: missing, not a regular file (a pipe cannot be read twice,
    once to count and once to send), no ``to`` column, not UTF-8 (the line is named), not CSV.
    """
    if path.exists() and not path.is_dir() and not path.is_file():
        raise InputFileError(
            f"{path} is not a regular file (a pipe or a device): the rows are read twice, to count and to send; "
            "save them to a file first"
        )
    line = 1
    try:
        with path.open(newline="", encoding="utf-8-sig") as source:
            reader = csv.DictReader(source)
            if reader.fieldnames is None or "to" not in reader.fieldnames:
                raise InputFileError(f"{path} needs a header row with a 'to' column")
            for row in reader:
                line = reader.line_num
                yield line, row
    except UnicodeDecodeError:
        raise InputFileError(
            f"{path} is not UTF-8 text (line {_first_bad_line(path)}): save it as UTF-8 and try again"
        ) from None
    except csv.Error as error:
        raise InputFileError(f"cannot read line {line + 1} of {path}: {error}") from None
    except OSError as error:
        raise InputFileError(f"cannot read {path}: {error.strerror or error}") from None


def _first_bad_line(path: Path) -> int:
    """The line of the first byte that is not UTF-8 (the text decoder reads ahead, so it cannot tell)."""
    with path.open("rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def row_request(row: dict[str, str], args: argparse.Namespace) -> tuple[str, SendPinRequest]:
    """The number of a CSV row, and its send: the other columns fill the template's placeholders."""
    to = (row.get("to") or "").strip()
    placeholders = {key: value for key, value in row.items() if key != "to" and key is not None and value}
    request = SendPinRequest(
        args.application_id, args.message_id, to, placeholders=placeholders or None, channel=args.channel
    )
    return to, request


async def run_bulk(args: Any, out: TextIO, err: TextIO, shield: Shield | None = None) -> int:
    """The ``bulk`` command; returns the exit code (see ``_journal``). With ``shield``, each row asks it right
    before it goes out: a refused row is journaled "refused" (final), never sent."""
    # Plain blocking file I/O throughout: one short line at a time, in a command that owns its event loop.
    source = Path(args.input)
    total = sum(1 for _ in read_rows(source))
    journal = Journal(Path(args.out))
    try:
        state = journal.read(total)
        journal.__enter__()  # opened for appending before anything is sent: a journal we cannot write stops us now
    except OSError as error:
        raise file_error(journal.path, "write the journal", error) from None
    states = state.states
    redo = {FAILED, NEW} | ({UNKNOWN, TAKEN} if args.retry_unknown else set())
    redo |= {NOT_SENT} if args.retry_not_sent else set()
    before = Tally.of(states)
    to_send = sum(1 for row_state in states if row_state in redo)

    stopping = asyncio.Event()
    pending: dict[int, tuple[int, int, str]] = {}  # run index -> (row index, line, to)
    this_run = Tally()
    bad_rows: list[str] = []
    brake = Brake()
    refusals = Refusals()

    try:  # the journal, opened above, is closed whatever happens

        def requests() -> Iterator[SendPinRequest]:
            run_index = 0
            for index, (line, row) in enumerate(read_rows(source)):
                if stopping.is_set():
                    return
                if states[index] not in redo:
                    continue
                to, request = row_request(row, args)
                if index in state.numbers and state.numbers[index] != to:
                    raise SystemExit(
                        f"infobip-2fa: error: line {line} of {source} now holds {to!r}, but the journal "
                        f"{journal.path} has {state.numbers[index]!r} for it: the input changed; use a new --out file"
                    )
                pending[run_index] = (index, line, to)
                run_index += 1
                yield request

        journaled: set[int] = set()

        async def taken(run_index: int, request: SendPinRequest) -> None:
            if run_index in journaled:  # a retry (after a 429) of a row already out: it finishes as a send in flight
                return
            # One turn of the loop first, so that outcomes already in hand reach the brake (the consumer runs
            # before this task resumes); then, if the run is stopping (Ctrl-C, a refused key, a spent quota), a row
            # that waited at the rate limit is held back, not sent.
            await asyncio.sleep(0)
            brake.check()
            if stopping.is_set():
                raise HeldBack("the run is stopping: this row was not sent")
            index, line, to = pending[run_index]
            if shield is not None:  # a refusal raises SendRefusedError: the row's outcome, nothing sent
                decision = await shield.check(to, channel=request.channel)
                if decision.reason is not None:  # monitor mode: sent all the same
                    refusals.would[decision.reason.value] += 1
            journaled.add(run_index)
            states[index] = TAKEN
            journal.write({"index": index, "line": line, "to": to, "status": "taken"})

        loop = asyncio.get_running_loop()
        main_task = asyncio.current_task()
        progress = Progress(to_send, err, what="rows")

        def interrupt() -> None:
            if stopping.is_set() and main_task is not None:
                main_task.cancel()  # a second Ctrl-C: stop now
            stopping.set()
            progress.note("stopping: finishing the sends in flight (Ctrl-C again to stop at once)")

        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform or thread
            loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            async with TwoFactorClient(
                args.api_key, base_url(args), allow_insecure_http=args.allow_insecure_http
            ) as client:
                with progress:
                    results = client.send_many(
                        requests(), concurrency=args.concurrency, rate=args.rate, burst=args.burst, before_send=taken,
                    )  # fmt: skip
                    done = 0  # rows with an outcome (held-back rows have none, and are not progress)
                    async for result in results:
                        index, line, to = pending.pop(result.index)
                        journaled.discard(result.index)
                        if isinstance(result.error, HeldBack):
                            continue  # never sent, never journaled: left as it was for a rerun
                        entry = outcome(index, line, to, result=result.result, error=result.error)
                        journal.write(entry)
                        states[index] = STATES[entry["status"]]
                        this_run.count(entry["status"])
                        done += 1
                        progress.update(done)
                        if isinstance(result.error, InvalidRequestError):
                            bad_rows.append(f"  line {line}: {result.error}")
                        refusals.note(result.error)
                        if brake.observe(to, result.error) and not stopping.is_set():
                            stopping.set()  # take no more rows; the sends in flight finish and are journaled
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)
    finally:
        journal.__exit__()

    after = Tally.of(states)
    interrupted = stopping.is_set() and brake.reason is None
    write_summary(out, this_run=this_run, before=before, after=after, journal=journal.path, bad_rows=bad_rows,
                  interrupted=interrupted)  # fmt: skip
    out.write(refusals.lines())
    if brake.reason is not None:
        out.write(brake.summary())
        out.flush()
        if brake.refused_key:
            raise brake.reason  # exit 1, the error on stderr
    return after.exit_code(interrupted=interrupted, quota_spent=brake.quota_spent is not None)


def write_summary(
    out: TextIO,
    *,
    this_run: Tally | None,
    before: Tally | None,
    after: Tally,
    journal: Path,
    bad_rows: list[str],
    interrupted: bool,
) -> None:
    """The summary ``bulk`` and ``bulk-report`` print: this run, the whole journal, and what to do next."""
    if this_run is not None and before is not None:
        out.write(
            f"This run: {this_run.line()}; skipped {before.sent} already sent, "
            f"{before.unknown} of unknown fate and {before.not_sent} not sent from earlier runs"
            + (f"; {before.refused} rows refused by the shield in earlier runs stay refused" if before.refused else "")
            + ".\n"
        )
    out.write(f"Journal {journal}: {after.line()}.\n")
    if bad_rows:
        out.write(f"{len(bad_rows)} rows could not be sent as they are:\n" + "\n".join(bad_rows[:50]) + "\n")
        if len(bad_rows) > 50:
            out.write(f"  ... and {len(bad_rows) - 50} more (see the journal)\n")
    if after.unknown:
        out.write(
            "Rows of unknown fate may have been sent and are not sent again; check them, then rerun with "
            "--retry-unknown to send them.\n"
        )
    if after.not_sent:
        out.write(
            "Rows not sent were answered MESSAGE_NOT_SENT (the number lookup found them unreachable); rerun with "
            "--retry-not-sent to try them again.\n"
        )
    if interrupted:
        out.write("Stopped early: run the same command again to send the rest.\n")
    out.flush()
