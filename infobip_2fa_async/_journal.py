"""The bulk journal: one JSON object per line, appended and flushed as things happen, the record that makes reruns
safe. ``infobip-2fa bulk`` writes it as it sends; ``infobip-2fa bulk-report`` writes the same from a distributed
campaign.

Lines, per CSV row (``index`` counts data rows from 0, ``line`` is the file line):

- ``{"index": 7, "line": 9, "to": "41793026727", "status": "taken"}``: written right before the request goes out,
  after the rate limit, so a row left "taken" by a crash may have been sent, and nothing else is "taken";
- then its outcome: ``"sent"`` (with ``pinId`` and the ``smsStatus``/``callStatus`` answered), ``"not_sent"`` (the
  service answered but did not send it: number lookup found the number unreachable, ``MESSAGE_NOT_SENT``),
  ``"failed"`` (refused: nothing was sent), ``"unknown"`` (a 5xx, a timeout or a dropped connection: it may
  have gone out) or ``"refused"`` (the abuse shield of ``--shield`` refused it before it went out: nothing was sent,
  with the rule as ``reason``).

A rerun reads it first: a row's last well-formed line is its state. Sent rows are skipped; failed rows are tried
again; unknown and taken rows are held back until ``--retry-unknown``; not-sent rows until ``--retry-not-sent``;
refused rows are final (the shield said no: a rerun never sends them). A
last line cut short by a crash is fenced off (a newline is added before anything else is appended), so it can never
swallow the next line.

Exit codes (``exit_code``), read from the whole journal, not only the last run:

====  =====================================================================================
0     every row was sent
1     the command could not run (no API key, an unreadable file, the API refused the key, ...)
2     usage error (argparse)
3     some rows failed, were not sent or were refused by the shield, none is of unknown fate: a rerun tries the
      failed ones again
4     some rows are of unknown fate (may have been sent) and are held back: check, then ``--retry-unknown``
5     stopped because the application's quota is spent (429s with a long ``Retry-After`` for several numbers in a
      row): the rows not tried are left for a rerun after the reset the summary names
130   interrupted (Ctrl-C) before every row was tried: run the same command again to go on
====  =====================================================================================

A campaign stops sending (``Brake``) at the first refused key (401) or forbidden operation (403): the command exits
1 and every row not tried is left as it was. It also stops when quota 429s (``QuotaExceededError``) come for
``QUOTA_NUMBERS`` different numbers with no send accepted in between: one number's daily cap is that row's failure,
but several numbers in a row mean the application's own limit is spent, and every further send would be refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import attrs

from ._exceptions import (
    ApiError,
    AuthenticationError,
    InfobipError,
    PermissionDeniedError,
    QuotaExceededError,
    SendRefusedError,
)
from ._models import PinSent

__all__ = [
    "EXIT_ALL_SENT",
    "EXIT_ERROR",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_QUOTA",
    "EXIT_UNKNOWN",
    "QUOTA_NUMBERS",
    "REFUSED",
    "STATES",
    "Brake",
    "HeldBack",
    "Journal",
    "JournalState",
    "Tally",
    "outcome",
]

# Row states, one byte per row in memory (a million rows cost a megabyte).
NEW, SENT, FAILED, UNKNOWN, TAKEN, NOT_SENT, REFUSED = 0, 1, 2, 3, 4, 5, 6
STATES = {"sent": SENT, "failed": FAILED, "unknown": UNKNOWN, "taken": TAKEN, "not_sent": NOT_SENT,
          "refused": REFUSED}  # fmt: skip

EXIT_ALL_SENT, EXIT_ERROR, EXIT_FAILED, EXIT_UNKNOWN, EXIT_QUOTA, EXIT_INTERRUPTED = 0, 1, 3, 4, 5, 130

# Quota 429s for this many different numbers, with no send accepted in between, mean the application's quota is spent.
QUOTA_NUMBERS = 3


class HeldBack(InfobipError):
    """Raised from a campaign's ``before_send`` once its ``Brake`` has stopped it: the row is not sent, not journaled,
    and stays as it was for a rerun."""

    maybe_sent = False


class Brake:
    """Whether a campaign must stop sending, from the outcomes of its rows as they come in.

    It stops at the first ``AuthenticationError`` or ``PermissionDeniedError`` (every other row would be refused
    too, and marking them failed would hide them from a rerun with the right key), and when ``QuotaExceededError``
    came for ``quota_numbers`` different numbers with no accepted send in between (the application's quota, not
    one number's, is spent). ``reason`` is the error that stopped it.
    """

    def __init__(self, quota_numbers: int = QUOTA_NUMBERS) -> None:
        self.quota_numbers = quota_numbers
        self.reason: InfobipError | None = None
        self._spent: set[str] = set()  # numbers refused for a quota since the last accepted send

    def observe(self, to: str, error: InfobipError | None) -> bool:
        """Note one row's outcome (``error`` None: the service accepted it); True once the campaign must stop."""
        if self.reason is not None:
            return True
        if error is None:
            self._spent.clear()
        elif isinstance(error, (AuthenticationError, PermissionDeniedError)):
            self.reason = error
        elif isinstance(error, QuotaExceededError):
            self._spent.add(to)
            if len(self._spent) >= self.quota_numbers:
                self.reason = error
        return self.reason is not None

    def check(self) -> None:
        """Call right before a row goes out: raise HeldBack once the campaign has stopped."""
        if self.reason is not None:
            raise HeldBack("the campaign stopped before this row was sent")

    @property
    def refused_key(self) -> bool:
        """Whether it stopped because the API key was refused or may not send."""
        return isinstance(self.reason, (AuthenticationError, PermissionDeniedError))

    @property
    def quota_spent(self) -> QuotaExceededError | None:
        """The quota error that stopped it, if a spent quota did."""
        return self.reason if isinstance(self.reason, QuotaExceededError) else None

    def summary(self) -> str:
        """What stopped the campaign and what to do, in a sentence."""
        if self.refused_key:
            return (
                f"Stopped at the first refused request ({self.reason}): nothing else was sent; rows not tried are "
                "left as they were. Fix the API key or its permissions and run the same command again.\n"
            )
        quota = self.quota_spent
        if quota is not None:
            return (
                f"Stopped: the application's quota is spent (quota 429s for {self.quota_numbers} different numbers "
                f"in a row); rows not tried are left for a rerun after it resets at {quota.resets_at.isoformat()}.\n"
            )
        return ""


def outcome(index: int, line: int, to: str, *, result: PinSent | None, error: InfobipError | None) -> dict[str, Any]:
    """The journal line of a row's outcome: sent, not_sent, failed, unknown or refused (by the abuse shield)."""
    entry: dict[str, Any] = {"index": index, "line": line, "to": to}
    if result is not None:
        entry["status"] = "sent" if result.message_sent else "not_sent"
        entry["pinId"] = result.pin_id
        for key, value in (("smsStatus", result.sms_status), ("callStatus", result.call_status),
                           ("ncStatus", result.nc_status)):  # fmt: skip
            if value is not None:
                entry[key] = str(value)
        return entry
    assert error is not None
    entry["status"] = "unknown" if error.maybe_sent else "failed"
    if isinstance(error, SendRefusedError):  # final: the rule, never retried
        entry["status"], entry["reason"] = "refused", error.reason.value
    described: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, ApiError):
        described["status"] = error.status_code
    entry["error"] = described
    return entry


@attrs.define
class JournalState:
    """What a journal says of each row: its state, and the number it was for (to notice a changed input)."""

    states: bytearray
    numbers: dict[int, str]


@attrs.define
class Tally:
    """Rows by state, over the whole journal (after a run) and over this run alone."""

    sent: int = 0
    not_sent: int = 0
    failed: int = 0
    unknown: int = 0
    untried: int = 0
    refused: int = 0

    def count(self, status: str) -> None:
        """Count one outcome: "sent", "not_sent", "failed", "unknown" or "refused"."""
        setattr(self, status, getattr(self, status) + 1)

    @classmethod
    def of(cls, states: Iterable[int]) -> Tally:
        """Count a journal's row states."""
        tally = cls()
        for state in states:
            if state == SENT:
                tally.sent += 1
            elif state == NOT_SENT:
                tally.not_sent += 1
            elif state == FAILED:
                tally.failed += 1
            elif state in (UNKNOWN, TAKEN):
                tally.unknown += 1
            elif state == REFUSED:
                tally.refused += 1
            else:
                tally.untried += 1
        return tally

    def exit_code(self, *, interrupted: bool, quota_spent: bool = False) -> int:
        """The exit code the whole journal earns (see the module's table)."""
        if quota_spent and (self.untried or self.failed):
            return EXIT_QUOTA
        if interrupted and self.untried:
            return EXIT_INTERRUPTED
        if self.unknown:
            return EXIT_UNKNOWN
        if self.failed or self.not_sent or self.untried or self.refused:
            return EXIT_FAILED
        return EXIT_ALL_SENT

    def line(self) -> str:
        """``"298 sent, 1 not sent, 2 failed, 0 unknown"`` (and ``", 3 refused by the shield"`` when some were)."""
        text = f"{self.sent} sent, {self.not_sent} not sent, {self.failed} failed, {self.unknown} unknown"
        text += f", {self.refused} refused by the shield" if self.refused else ""
        return text + (f", {self.untried} not tried yet" if self.untried else "")


class Journal:
    """A journal file: read it, then append to it one flushed line at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def read(self, rows: int) -> JournalState:
        """Each of ``rows`` rows' last state in the journal (NEW when it has none)."""
        state = JournalState(bytearray(rows), {})
        if not self.path.exists():
            return state
        with self.path.open(encoding="utf-8", errors="replace") as lines:
            for text in lines:
                try:
                    entry = json.loads(text)
                    index, status = int(entry["index"]), STATES[entry["status"]]
                except (ValueError, KeyError, TypeError, RecursionError):
                    continue  # a line cut short by a crash, or not ours
                if 0 <= index < rows:
                    state.states[index] = status
                    if isinstance(entry.get("to"), str):
                        state.numbers[index] = entry["to"]
        return state

    def __enter__(self) -> Journal:
        self._file = self.path.open("a", encoding="utf-8")
        if self._torn():
            self._file.write("\n")  # fence a line a crash cut short, so the next line stands on its own
            self._file.flush()
        return self

    def _torn(self) -> bool:
        try:
            size = self.path.stat().st_size
        except OSError:
            return False
        if size == 0:
            return False
        with self.path.open("rb") as raw:
            raw.seek(-1, os.SEEK_END)
            return raw.read(1) != b"\n"

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(self, entry: dict[str, Any]) -> None:
        """Append one line and flush it: a process killed after this call has it on disk."""
        assert self._file is not None, "open the journal with `with journal:` first"
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
