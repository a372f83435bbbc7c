"""scripts/check_docs_site.py, where it needs no browser: without one it stops at once with exit 2 and says how to
install one. The browser checks themselves need Chromium and run by hand (docs/contributing.md), not here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_docs_site.py"
HOW_TO_INSTALL = "apt-get install -y chromium chromium-driver"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--browser", "/nonexistent/chromium"], "no browser at /nonexistent/chromium"),
        (["--browser", sys.executable, "--driver", "/nonexistent/chromedriver"], "no chromedriver at"),
    ],
)
def test_a_browser_or_driver_path_that_does_not_exist_exits_2_saying_how_to_install_one(
    args: list[str], said: str
) -> None:
    result = _run(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert said in result.stderr
    assert HOW_TO_INSTALL in result.stderr
    assert result.stdout == "", "nothing was built or checked"


def test_no_browser_on_path_exits_2_saying_how_to_install_one(tmp_path: Path) -> None:
    result = _run(env={"PATH": str(tmp_path)})  # an empty folder: no chromium, no chromedriver
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no Chrome or Chromium found on PATH" in result.stderr
    assert HOW_TO_INSTALL in result.stderr
