"""The README's Python examples run as written.

Whole programs (they call ``asyncio.run``) run as they are, with the API at api.infobip.com answered by respx.
A test function (the plugin example) runs with the plugin's fixtures. Every other fragment runs inside an
async function against a fresh sandbox, with the names it uses (``client``, ``app``, ``sent``, ...) set up.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

import infobip_2fa_async
import infobip_2fa_async.sandbox as sandbox_module
from infobip_2fa_async import ApplicationConfiguration
from infobip_2fa_async.sandbox import ManualClock, Sandbox

from .conftest import PIN_ID, SENT_JSON

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
PROGRAMS = [block for block in BLOCKS if "asyncio.run(" in block]
TESTS = [block for block in BLOCKS if "async def test_" in block]
FRAGMENTS = [block for block in BLOCKS if block not in PROGRAMS and block not in TESTS]

# ``sent.sms_status  # SmsStatus.MESSAGE_SENT or MESSAGE_NOT_SENT``: a line that shows a value in its comment.
_PROMISE = re.compile(
    r"^(?P<indent>\s*)(?P<expr>[a-z_][\w.]*)\s+#\s*"
    r"(?P<value>(?P<enum>[A-Z]\w*)\.\w+(?:\s+or\s+\w+)*(?P<any>,\s*\.\.\.)?|\"[^\"]*\")\s*$"
)


def _promises_checked(source: str) -> tuple[str, int]:
    """The fragment with each value its comments promise turned into an assert, and how many there were."""
    lines, count = [], 0
    for line in source.splitlines():
        match = _PROMISE.match(line)
        if match is None:
            lines.append(line)
            continue
        count += 1
        indent, expr, value = match["indent"], match["expr"], match["value"]
        if match["any"]:  # "NcStatus.NC_DESTINATION_REACHABLE, ...": some member of that enum
            check = f"isinstance({expr}, {match['enum']})"
        elif " or " in value:  # "SmsStatus.MESSAGE_SENT or MESSAGE_NOT_SENT": one of those members
            first, *others = (part.strip() for part in value.split(" or "))
            allowed = [first, *(f"{match['enum']}.{other}" for other in others)]
            check = f"{expr} in ({', '.join(allowed)},)"
        else:
            check = f"{expr} == {value}"
        lines.append(f"{indent}assert {check}, {line.strip()!r}")
    return "\n".join(lines), count


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts the requests a fragment makes, so that a fragment that silently does nothing fails."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.count = inner, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await self.inner.handle_async_request(request)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> respx.MockRouter:
    monkeypatch.setenv("INFOBIP_API_KEY", "readme-key")
    monkeypatch.delenv("INFOBIP_BASE_URL", raising=False)
    with respx.mock(base_url="https://api.infobip.com", assert_all_called=False) as router:
        router.post("/2fa/2/pin").respond(json=SENT_JSON)
        yield router


def test_the_readme_has_examples_of_each_kind() -> None:
    assert len(PROGRAMS) == 2
    assert len(TESTS) == 1
    assert len(FRAGMENTS) >= 12
    assert sum(_promises_checked(fragment)[1] for fragment in FRAGMENTS) >= 3, "values shown in comments are checked"


@pytest.mark.parametrize("index", range(len(PROGRAMS)))
def test_whole_programs_run(index: int, api: respx.MockRouter, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(PROGRAMS[index], f"README.md program {index}", "exec"), {"__name__": "__main__"})  # noqa: S102
    assert capsys.readouterr().out.strip() in (f"{PIN_ID} MESSAGE_SENT", "verified: True")


async def test_the_plugin_example_passes() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(TESTS[0], "README.md test", "exec"), namespace)  # noqa: S102
    clock = ManualClock()
    sandbox = Sandbox(clock=clock)
    test = next(value for name, value in namespace.items() if name.startswith("test_"))
    await test(sandbox, sandbox.client(sleep=clock.sleep), clock)


@pytest.mark.parametrize("index", range(len(FRAGMENTS)))
async def test_each_fragment_runs_against_the_sandbox(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFOBIP_API_KEY", "readme-key")  # for fragments that build a TwoFactorClient() of their own
    sandbox = Sandbox()
    counting = CountingTransport(sandbox.transport())
    async with sandbox.client(transport=counting) as client:
        app = await client.applications.create(
            name="Readme", configuration=ApplicationConfiguration(verify_pin_limit="100/1s")
        )
        template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
        sent = await client.send_pin(
            application_id=app.application_id, message_id=template.message_id, to="41793026727"
        )
        namespace: dict[str, Any] = {name: getattr(infobip_2fa_async, name) for name in infobip_2fa_async.__all__}
        namespace.update({name: getattr(sandbox_module, name) for name in sandbox_module.__all__})
        namespace.update(
            client=client, sandbox=sandbox, app=app, template=template, sent=sent, pin_id=sent.pin_id,
            pin=sandbox.last_pin("41793026727"), APP_ID=app.application_id, MESSAGE_ID=template.message_id,
            phone="41793026728",
        )  # fmt: skip
        fragment, _ = _promises_checked(FRAGMENTS[index])
        source = "async def _fragment():\n" + textwrap.indent(fragment, "    ") + "\n    return None\n"
        exec(compile(source, f"README.md fragment {index}", "exec"), namespace)  # noqa: S102
        before = counting.count
        await namespace["_fragment"]()
        if "await " in fragment and "TwoFactorClient(" not in fragment:
            assert counting.count > before, "the fragment awaits calls but none reached the sandbox"


CLI_BLOCK = next(
    block
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.DOTALL)
    if "infobip-2fa applications list" in block
)


async def test_the_cli_section_runs_as_written_from_a_fresh_sandbox_demo() -> None:
    """Each line of the README's CLI block, in order, against ``infobip-2fa sandbox --demo``: PIN_ID and PIN stand
    for what ``send`` printed and what the sandbox delivered, as the README says; the exit status is 0 unless the
    line's comment names another."""
    import shlex

    import httpx

    from .clitools import demo_environment, run_cli, sandbox_command

    async with sandbox_command("--demo") as ready:
        env = demo_environment(ready)
        pin_id = ""
        commands = [line for line in CLI_BLOCK.splitlines() if line.strip()]
        assert len(commands) >= 6
        for line in commands:
            command, _, comment = line.partition("#")
            if "PIN" in command:
                async with httpx.AsyncClient() as raw:
                    outbox = (await raw.get(f"{ready['base_url']}/sandbox/outbox")).json()
                pin = next(m["pin"] for m in reversed(outbox) if m["pinId"] == pin_id)
                command = command.replace("PIN_ID", pin_id).replace(" PIN", f" {pin}")
            words = shlex.split(command)
            assert words[0] == "infobip-2fa"
            code, out, err = await run_cli(*words[1:], env=env)
            expected = int(re.search(r"exit (\d+)", comment)[1]) if "exit" in comment else 0  # type: ignore[index]
            assert code == expected, f"{line!r} exited {code}: {err}"
            if words[1] == "send" and code == 0:
                pin_id = re.search(r"pinId=(\w+)", out)[1]  # type: ignore[index]
