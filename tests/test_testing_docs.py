"""What docs/testing.md and docs/examples.md say about testing holds: an app's lifespan may close the ``tfa_client``
fixture's client (harmless, calls on it then raise ``ConfigurationError``, the sandbox stays readable), and the
examples page's test, ``ids`` fixture included, passes as a user's own test file with ``asyncio_mode = "auto"``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from infobip_2fa_async import ConfigurationError, TwoFactorClient
from infobip_2fa_async.sandbox import ManualClock, Sandbox

ROOT = Path(__file__).resolve().parents[1]


async def test_an_app_may_close_the_fixture_client(
    tfa_client: TwoFactorClient, tfa_sandbox: Sandbox, tfa_clock: ManualClock
) -> None:
    app = await tfa_client.applications.create(name="Login")
    template = await tfa_client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    async with tfa_client:  # what a lifespan does at shutdown
        await tfa_client.send_pin(application_id=app.application_id, message_id=template.message_id, to="41793026727")
    await tfa_client.aclose()  # closing twice is harmless
    with pytest.raises(ConfigurationError, match="closed"):
        await tfa_client.applications.list()
    assert tfa_sandbox.outbox[-1].to == "41793026727"
    assert tfa_sandbox.last_pin("41793026727")
    async with tfa_sandbox.client(sleep=tfa_clock.sleep) as fresh:
        assert [a.application_id for a in await fresh.applications.list()] == [app.application_id]


def test_the_examples_page_test_passes_as_a_users_test_file(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("asgi_lifespan")
    text = (ROOT / "docs" / "examples.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL) if "async def test_" in b)
    assert "def ids(" in block, "the ids fixture is shown"
    (tmp_path / "test_login.py").write_text(block)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", str(tmp_path / "test_login.py"), "-q", "-p", "no:cacheprovider",
         "-o", "asyncio_mode=auto", "-o", "asyncio_default_fixture_loop_scope=function", "--rootdir", str(tmp_path),
         "-W", "error"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
