"""The package as an index would show it and a user would install it: a license, the Pythons it claims, a long
description whose links work off GitHub, and a built wheel that installs into a fresh virtualenv and runs the demo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = "https://infobip-2fa-async.readthedocs.io/"
# Markdown links and images: [text](target) and ![alt](target).
LINK = re.compile(r"\]\(([^)\s]+)\)")
CLAIMED = ["3.10", "3.11", "3.12", "3.13"]


def _relative_links(text: str) -> list[str]:
    return [target for target in LINK.findall(text) if not re.match(r"(https?|mailto):", target)]


def test_the_readme_the_long_description_has_no_relative_link() -> None:
    readme = (ROOT / "README.md").read_text()
    assert LINK.findall(readme), "no link found: the pattern is wrong"
    assert _relative_links(readme) == [], "a package index cannot follow these: link the docs site instead"


def test_every_docs_link_of_the_readme_is_a_page_of_the_site() -> None:
    pages = {path.stem for path in (ROOT / "docs").glob("*.md")}
    for target in LINK.findall((ROOT / "README.md").read_text()):
        if target.startswith(SITE):
            page = target.removeprefix(SITE).split("#")[0].strip("/")
            assert page == "" or page in pages, f"{target}: no docs/{page}.md"


def test_the_license_ships_and_says_mit() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text()


def test_the_classifiers_name_every_python_from_the_minimum() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.10"' in pyproject
    named = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    assert named == CLAIMED


def _build_wheel(into: Path) -> Path:
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(into)],
        check=True, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    (wheel,) = into.glob("infobip_2fa_async-*.whl")
    return wheel


def test_the_built_wheel_installs_in_a_fresh_virtualenv_and_runs_the_demo(tmp_path: Path) -> None:
    """What a user of the published package gets: the wheel alone (no checkout on the path), its dependencies from
    the index, and ``infobip-2fa demo`` from the installed script. About a minute, most of it pip."""
    wheel = _build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as built:
        names = built.namelist()
        (metadata_name,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(built.read(metadata_name).decode())
    assert any(name.endswith("LICENSE") and ".dist-info/" in name for name in names), names
    assert not [name for name in names if name.startswith(("tests/", "benchmarks/", "examples/"))]
    assert {f"Programming Language :: Python :: {version}" for version in CLAIMED} <= set(
        metadata.get_all("Classifier") or []
    )
    assert _relative_links(metadata.get_payload()) == []

    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    installed = subprocess.run(  # noqa: S603
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False, env=clean,
    )  # fmt: skip
    if installed.returncode != 0:
        reason = f"pip could not install the wheel's dependencies (no index reachable?): {installed.stderr[-1500:]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    demo = subprocess.run(  # noqa: S603
        [str(environment / "bin" / "infobip-2fa"), "demo"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False, env=clean,
        cwd=tmp_path,  # not the checkout: the installed package must be the one that runs
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert demo.stdout.strip()
    where = subprocess.run(  # noqa: S603
        [str(python), "-c", "import infobip_2fa_async; print(infobip_2fa_async.__file__)"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=True, env=clean, cwd=tmp_path,
    )  # fmt: skip
    assert str(environment) in where.stdout
