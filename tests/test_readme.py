"""The README's Python examples run as written (the API answered by respx, never the network)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import respx

import infobip_2fa_async
from infobip_2fa_async import PinSent, TwoFactorClient

from .conftest import PIN_ID, SENT_JSON, VERIFIED_JSON

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> respx.MockRouter:
    monkeypatch.setenv("INFOBIP_API_KEY", "readme-key")
    monkeypatch.delenv("INFOBIP_BASE_URL", raising=False)
    with respx.mock(base_url="https://api.infobip.com", assert_all_called=False) as router:
        router.post("/2fa/2/pin").respond(json=SENT_JSON)
        router.post("/2fa/2/pin/voice").respond(
            json={"pinId": PIN_ID, "to": "41793026727", "callStatus": "PENDING_ACCEPTED"}
        )
        router.post(url__regex=r"/2fa/2/pin/[^/]+/resend(/voice)?$").respond(json=SENT_JSON)
        router.post(url__regex=r"/2fa/2/pin/[^/]+/verify$").respond(
            json={**VERIFIED_JSON, "verified": False, "pinError": "WRONG_PIN", "attemptsRemaining": 2}
        )
        yield router


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 8


def test_the_first_example_is_a_whole_program(api: respx.MockRouter, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(BLOCKS[0], "README.md", "exec"), {"__name__": "__main__"})  # noqa: S102
    assert capsys.readouterr().out.strip() == f"{PIN_ID} MESSAGE_SENT"


@pytest.mark.parametrize("index", range(1, len(BLOCKS)))
async def test_each_fragment_runs_inside_an_async_function(index: int, api: respx.MockRouter) -> None:
    async with TwoFactorClient() as client:
        namespace: dict[str, Any] = {name: getattr(infobip_2fa_async, name) for name in infobip_2fa_async.__all__}
        namespace.update(
            client=client,
            APP_ID="APP",
            MESSAGE_ID="MSG",
            phone="41793026727",
            pin_id=PIN_ID,
            pin="1598",
            sent=PinSent(pin_id=PIN_ID),
        )
        source = "async def _fragment():\n" + textwrap.indent(BLOCKS[index], "    ") + "\n    return None\n"
        exec(compile(source, f"README.md block {index}", "exec"), namespace)  # noqa: S102
        await namespace["_fragment"]()
