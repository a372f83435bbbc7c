"""benchmarks/instructions.py's measured process runs against this tree, so the before/after comparison cannot rot.
Counting instructions needs valgrind and minutes; here the process it would count runs once, at a tiny size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "instructions.py"


@pytest.mark.parametrize("variant", ["none", "noop"])
def test_the_measured_process_sends_in_process(variant: str) -> None:
    environment = {**os.environ, "PYTHONPATH": str(SCRIPT.parents[1])}
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), "--child", variant, "--requests", "20"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False, env=environment,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
