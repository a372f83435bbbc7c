"""Check the documentation site in a real headless browser, as a reader with a 1280 px wide window sees it.

Builds the site (``mkdocs build --strict`` into a temporary folder), serves it on a free port of 127.0.0.1 and
drives headless Chromium through Selenium in a 1280x800 window. It checks that:

- every page of the site's navigation loads without a severe console error and has an h1;
- clicking a navigation link on the home page lands on that page;
- the search finds ``verify_pin`` and ``shield``, and the first result leads to a page that contains the word;
- no code block scrolls sideways: each ``pre > code`` / ``.highlight pre`` wider than its box is reported with its
  page and first line.

Off-site requests (the theme's Google Fonts, the repository's GitHub facts) are failed at once, network or not, so
that every run sees the same page: code is set in the system's monospace font, within 1% of Roboto Mono's width.
They are listed, not counted as failures.

Exit status: 0 when every check passes, 1 with the list of failures, 2 when no browser, chromedriver or Selenium
is found. Run it from the checkout (Debian's packages give the browser and its driver; any Chrome or Chromium with
its matching chromedriver will do, given with --browser and --driver):

    apt-get install -y chromium chromium-driver
    .venv/bin/python -m pip install -e '.[docs]'
    .venv/bin/python scripts/check_docs_site.py
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:  # main() says how to install it
    webdriver = None

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL = (
    "install one (Debian or Ubuntu: apt-get install -y chromium chromium-driver), or pass --browser PATH and "
    "--driver PATH (a chromedriver of the browser's version)"
)
SEARCH_WORDS = ("verify_pin", "shield")
WIDTH, HEIGHT = 1280, 800
NAV_LINKS = "nav.md-nav--primary a.md-nav__link[href]"

# Each code block of the article whose content is wider than its box: [first line, content px, box px].
OVERFLOWING_CODE = """
const blocks = new Set();
for (const el of document.querySelectorAll('article pre > code, article .highlight pre')) {
  if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) blocks.add(el);
}
return [...blocks].map(el => [el.textContent.trim().split('\\n')[0].slice(0, 100), el.scrollWidth, el.clientWidth]);
"""


def find_programs(browser: str | None, driver: str | None) -> tuple[str, str] | str:
    """The browser and chromedriver to use, or what is missing and how to install it."""
    for name, given in (("browser", browser), ("chromedriver", driver)):
        if given is not None and not (Path(given).is_file() and os.access(given, os.X_OK)):
            return f"no {name} at {given}: {INSTALL}"
    browser = browser or next(filter(None, map(shutil.which, BROWSERS)), None)
    driver = driver or shutil.which("chromedriver")
    if browser is None:
        return f"no Chrome or Chromium found on PATH ({', '.join(BROWSERS)}): {INSTALL}"
    if driver is None:
        return f"no chromedriver found on PATH: {INSTALL}"
    return browser, driver


def build_site(out: Path) -> str | None:
    """``mkdocs build --strict`` into ``out``; what it printed when it failed."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=False, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    return None if result.returncode == 0 else result.stderr + result.stdout


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site over HTTP on a free port of 127.0.0.1 while the block runs; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def open_browser(browser: str, driver: str) -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    options.add_argument("--headless=new")
    options.add_argument(f"--window-size={WIDTH},{HEIGHT}")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")  # off-site: see above
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium will not start its sandbox as root
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


class Checker:
    def __init__(self, web: Any, base: str) -> None:
        self.web, self.base = web, base
        self.failures: list[str] = []
        self.off_site: set[str] = set()  # hosts of off-site requests, failed on purpose

    def name(self, url: str) -> str:
        return "/" + url.removeprefix(self.base)

    def wait(self, condition: Callable[[], Any], timeout: float = 10) -> Any:
        """What ``condition`` returns once it is true, or None after ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if value := condition():
                    return value
            except Exception:  # noqa: S110 (an element not there yet, or gone stale)
                pass
            time.sleep(0.1)
        return None

    def console_errors(self, where: str) -> None:
        for entry in self.web.get_log("browser"):
            if entry["level"] != "SEVERE":
                continue
            url, _, network_error = entry["message"].partition(" - Failed to load resource: net::")
            if network_error and not url.startswith(self.base):
                self.off_site.add(urlsplit(url).netloc)
            else:
                self.failures.append(f"{where}: console error: {entry['message']}")

    def nav_pages(self) -> list[str]:
        """The pages the home page's navigation links to, in order, without anchors."""
        self.web.get(self.base)
        links = self.web.execute_script(f"return [...document.querySelectorAll('{NAV_LINKS}')].map(a => a.href)")
        pages = [urldefrag(link).url for link in links]
        return list(dict.fromkeys(page for page in pages if page.startswith(self.base)))

    def check_page(self, url: str) -> None:
        where = self.name(url)
        self.web.get(url)
        self.console_errors(where)
        if not self.web.find_elements(By.CSS_SELECTOR, "article h1"):
            self.failures.append(f"{where}: no h1")
        for first_line, content, box in self.web.execute_script(OVERFLOWING_CODE):
            self.failures.append(f"{where}: code block scrolls sideways ({content} px in {box} px): {first_line}")

    def check_navigation(self, target: str) -> None:
        self.web.get(self.base)
        link = next(a for a in self.web.find_elements(By.CSS_SELECTOR, NAV_LINKS) if a.get_attribute("href") == target)
        link.click()
        landed = self.wait(lambda: self.web.current_url == target and self.web.find_elements(By.TAG_NAME, "h1"))
        active = self.web.find_elements(By.CSS_SELECTOR, "a.md-nav__link--active[href]")
        if not landed:
            self.failures.append(f"navigation: clicking {self.name(target)} on / led to {self.web.current_url}")
        elif not any(a.get_attribute("href") == target for a in active):
            self.failures.append(f"navigation: {self.name(target)} is not marked active in the navigation")
        self.console_errors("navigation")

    def check_search(self, word: str) -> None:
        self.web.get(self.base)
        field = self.web.find_elements(By.CSS_SELECTOR, "input.md-search__input")  # the header's search field
        if not field:
            self.failures.append(f"search {word!r}: the page has no search field")
            return
        field[0].click()
        self.web.switch_to.active_element.send_keys(word)

        results = self.wait(lambda: self.web.find_elements(By.CSS_SELECTOR, ".md-search-result__item a"))
        if not results:
            self.failures.append(f"search {word!r}: no results within 10 s")
            return
        href = results[0].get_attribute("href")
        results[0].click()
        if not self.wait(lambda: self.web.current_url == href):
            self.failures.append(f"search {word!r}: its first result, {href}, led to {self.web.current_url}")
        else:
            text = self.web.execute_script("return document.querySelector('article')?.textContent") or ""
            if word.lower() not in text.lower():
                self.failures.append(f"search {word!r}: its first result, {self.name(href)}, does not contain it")
        self.console_errors(f"search {word!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check the documentation site in a real headless browser.")
    parser.add_argument("--browser", help="the Chrome or Chromium executable (default: the first on PATH)")
    parser.add_argument("--driver", help="the chromedriver executable (default: the one on PATH)")
    args = parser.parse_args(argv)
    programs = find_programs(args.browser, args.driver)
    if isinstance(programs, str):
        print(f"check_docs_site: {programs}", file=sys.stderr)
        return 2
    if webdriver is None:
        print("check_docs_site: Selenium is missing: .venv/bin/python -m pip install -e '.[docs]'", file=sys.stderr)
        return 2

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as out:
        if (error := build_site(Path(out))) is not None:
            print(f"FAIL mkdocs build --strict:\n{error}")
            return 1
        with serve(Path(out)) as base:
            web = open_browser(*programs)
            try:
                checker = Checker(web, base)
                viewport = web.execute_script("return innerWidth + 'x' + innerHeight")
                print(f"{programs[0]}, viewport {viewport}, site on {base}")
                pages = checker.nav_pages()
                for page in pages:
                    checker.check_page(page)
                if len(pages) < 2:
                    checker.failures.append(f"navigation: the home page links {len(pages)} page(s)")
                else:
                    checker.check_navigation(pages[1])
                for word in SEARCH_WORDS:
                    checker.check_search(word)
            finally:
                web.quit()
    took = time.monotonic() - started
    print(f"checked {len(pages)} pages, navigation and search ({', '.join(SEARCH_WORDS)}) in {took:.0f} s")
    if checker.off_site:
        print(f"not checked (off-site, failed on purpose): {', '.join(sorted(checker.off_site))}")
    for failure in checker.failures:
        print(f"FAIL {failure}")
    print(f"{len(checker.failures)} failure(s)" if checker.failures else "PASS")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
