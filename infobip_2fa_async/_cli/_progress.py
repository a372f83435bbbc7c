"""Progress of a long command on stderr: a rich bar (rate and ETA) on a terminal with the ``[cli]`` extra, else a
plain line every few seconds, so that a log file or a CI job shows progress too. Neither touches stdout, which
holds the command's result."""

from __future__ import annotations

import time
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress:
    """``update(done)`` after each item, ``note(text)`` for a message; the last state shown is the true one."""

    def __init__(self, total: int, err: TextIO, *, what: str, every: float = 5.0) -> None:
        self.total, self.err, self.what, self.every = total, err, what, every
        self.done = 0
        self._bar: Any = None
        self._started = self._last = time.monotonic()
        if not _is_terminal(err):
            return
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar
        except ImportError:
            return
        self._bar = Bar(
            TextColumn("sending"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]:.0f}/s"), TimeRemainingColumn(),
            console=Console(file=err), redirect_stdout=False, redirect_stderr=False,
        )  # fmt: skip
        self._task = self._bar.add_task(what, total=total, rate=0.0)

    def __enter__(self) -> Progress:
        self._started = self._last = time.monotonic()
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=self._rate())
            self._bar.stop()  # the bar stays, showing where the run ended
        else:
            self._line()

    def _rate(self) -> float:
        return self.done / max(time.monotonic() - self._started, 1e-9)

    def update(self, done: int) -> None:
        """``done`` items are finished."""
        self.done = done
        if self._bar is not None:
            self._bar.update(self._task, completed=done, rate=self._rate())
        elif time.monotonic() - self._last >= self.every:
            self._line()

    def _line(self) -> None:
        self._last = time.monotonic()
        self.err.write(f"progress: {self.done}/{self.total} {self.what}, {self._rate():.0f}/s\n")
        self.err.flush()

    def note(self, text: str) -> None:
        """A message between progress lines (through rich's console when the bar is up, so it stays intact)."""
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            self.err.write(text + "\n")
            self.err.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
