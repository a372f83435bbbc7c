"""The API reference reads well as built: the kinds of docstring slips the strict build does not catch are checked
in the HTML of one real ``mkdocs build`` (reST leftovers, private names and modules, a Returns section split in
two, a list flattened into a paragraph, signatures left unformatted)."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Module docstrings still written with a reST "::" (files outside this change); do not add to it.
RST_LEFT: set[str] = set()  # pages allowed a reST "::" (none)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def _page(site: Path, name: str) -> str:
    return (site / "reference" / name / "index.html").read_text()


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def _signatures(markup: str) -> list[str]:
    return [_text(m) for m in re.findall(r'<div class="doc-signature highlight"><pre>(.*?)</pre>', markup, re.S)]


def test_no_rest_literal_markers_or_double_backticks(site: Path) -> None:
    for page in sorted((site / "reference").glob("*/index.html")):
        text = _text(page.read_text())
        assert "``" not in text, page.parent.name
        if page.parent.name not in RST_LEFT:
            assert not re.search(r"::\n", text), f"{page.parent.name}: a reST '::' shows"


def test_the_errors_page_lists_the_classes_without_the_private_module(site: Path) -> None:
    markup = _page(site, "errors")
    toc = re.findall(r'class="md-nav__link">\s*<span class="md-ellipsis">\s*([^<\s]+)', markup)
    assert "_exceptions" not in toc
    assert toc.index("InfobipError") < toc.index("GateUnavailableError")
    assert "The whole hierarchy:" in _text(markup)
    assert "hierarchy::" not in _text(markup)


def test_send_pin_returns_one_pin_sent(site: Path) -> None:
    markup = _page(site, "client")
    start = markup.index('id="infobip_2fa_async.TwoFactorClient.send_pin"')
    returns = markup[markup.index("Returns:", start) : markup.index("Raises:", start)]
    assert _text(returns).count("PinSent") == 1


def test_signatures_are_formatted_and_show_no_private_defaults(site: Path) -> None:
    signatures = [s for page in (site / "reference").glob("*/index.html") for s in _signatures(page.read_text())]
    client = next(s for s in signatures if s.startswith("TwoFactorClient("))
    assert "\n    api_key: str | None = None,\n" in client, "signatures need Ruff or Black to be formatted"
    assert "retry: RetryPolicy = RetryPolicy()" in client
    for signature in signatures:
        assert not re.search(r"= _[A-Za-z]", signature), signature


def test_the_sandbox_choices_are_a_list(site: Path) -> None:
    markup = _page(site, "sandbox")
    after = markup[markup.index("Sandbox choices where") :]
    assert after.index("<ul>") < after.index("each verification, right or wrong") < after.index("</ul>")
