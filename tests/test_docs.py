"""The Python examples of the README and of every documentation page run as written.

Whole programs (they call ``asyncio.run``) run as they are, with the API at api.infobip.com answered by respx.
A test function (the plugin example, the example apps' test) runs with the plugin's fixtures. Every other fragment
runs inside an async function against a fresh sandbox, with the names it uses (``client``, ``app``, ``sent``, ...)
set up. Values a line shows in its comment are checked, and the command-line page's shell block is run as a user
runs it.
"""

from __future__ import annotations

import inspect
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

from .conftest import PIN_ID, SENT_JSON, VERIFIED_JSON

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [
    pytest.param(block, id=f"{page.name}:{number}")
    for page in PAGES
    for number, block in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL))
]
PROGRAMS = [block for block in BLOCKS if "asyncio.run(" in block.values[0]]
TESTS = [block for block in BLOCKS if "async def test_" in block.values[0]]
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
        router.post(f"/2fa/2/pin/{PIN_ID}/verify").respond(json=VERIFIED_JSON)
        yield router


def test_the_docs_have_examples_of_each_kind() -> None:
    assert len(PROGRAMS) >= 3
    assert len(TESTS) == 2
    assert len(FRAGMENTS) >= 15
    promised = sum(_promises_checked(fragment.values[0])[1] for fragment in FRAGMENTS)
    assert promised >= 3, "values shown in comments are checked"


@pytest.mark.parametrize("program", PROGRAMS)
def test_whole_programs_run(program: str, api: respx.MockRouter, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(program, "docs program", "exec"), {"__name__": "__main__"})  # noqa: S102
    assert capsys.readouterr().out.strip() in (f"{PIN_ID} MESSAGE_SENT", "verified: True", "logged in")


@pytest.mark.parametrize("example", TESTS)
async def test_the_test_examples_pass(example: str) -> None:
    """Run with the plugin's fixtures, and ``ids`` (an application and a template) for the example apps' test."""
    namespace: dict[str, Any] = {}
    exec(compile(example, "docs test", "exec"), namespace)  # noqa: S102
    clock = ManualClock()
    sandbox = Sandbox(clock=clock, sleep=clock.sleep)
    client = sandbox.client(sleep=clock.sleep)
    app = await client.applications.create(name="Docs")
    template = await client.templates.create(app.application_id, message_text="{{pin}}", pin_type="NUMERIC")
    fixtures = {"tfa_sandbox": sandbox, "tfa_client": client, "tfa_clock": clock,
                "ids": {"application_id": app.application_id, "message_id": template.message_id}}  # fmt: skip
    test = next(value for name, value in namespace.items() if name.startswith("test_"))
    await test(**{name: fixtures[name] for name in inspect.signature(test).parameters})


@pytest.mark.parametrize("fragment", FRAGMENTS)
async def test_each_fragment_runs_against_the_sandbox(fragment: str, monkeypatch: pytest.MonkeyPatch) -> None:
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
        fragment, _ = _promises_checked(fragment)
        source = "async def _fragment():\n" + textwrap.indent(fragment, "    ") + "\n    return None\n"
        exec(compile(source, "docs fragment", "exec"), namespace)  # noqa: S102
        before = counting.count
        await namespace["_fragment"]()
        if "await " in fragment and "TwoFactorClient(" not in fragment:
            assert counting.count > before, "the fragment awaits calls but none reached the sandbox"


def _cli_block(page: Path) -> str:
    return next(
        block
        for block in re.findall(r"```bash\n(.*?)```", page.read_text(), flags=re.DOTALL)
        if "infobip-2fa applications list" in block
    )


@pytest.mark.parametrize("page", ["README.md", "docs/cli.md"])
async def test_the_cli_section_runs_as_written_from_a_fresh_sandbox_demo(page: str) -> None:
    """Each line of the page's command-line block, in order, against ``infobip-2fa sandbox --demo``: PIN_ID and PIN
    stand for what ``send`` printed and what the sandbox delivered, as the page says; the exit status is 0 unless
    the line's comment names another."""
    cli_block = _cli_block(ROOT / page)
    import shlex

    import httpx

    from .clitools import demo_environment, run_cli, sandbox_command

    async with sandbox_command("--demo") as ready:
        env = demo_environment(ready)
        pin_id = ""
        # a command continued with a backslash is one line
        commands = [line for line in cli_block.replace("\\\n", " ").splitlines() if line.strip()]
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


def test_every_public_name_is_in_the_api_reference() -> None:
    import infobip_2fa_async.auth as auth_module
    import infobip_2fa_async.redis as redis_module

    reference = "\n".join(page.read_text() for page in (ROOT / "docs" / "reference").glob("*.md"))
    documented = set(re.findall(r"::: infobip_2fa_async\.(\w+)", reference))
    documented |= set(re.findall(r"^\s+- (\w+)$", reference, flags=re.M))  # members listed under a module
    for module in (infobip_2fa_async, sandbox_module, redis_module, auth_module):
        missing = set(module.__all__) - documented
        assert not missing, f"{module.__name__}: {sorted(missing)} not in docs/reference"


PER_CALL_OPTIONS = ("max_retries", "timeout", "deadline")
OPTIONS_LINE = (
    "Per-call options (max_retries, timeout, deadline): <https://infobip-2fa-async.readthedocs.io/client-options/>"
)


def test_help_shows_every_method_with_its_arguments_results_and_errors() -> None:
    """An IDE and help() are enough for day-to-day use: each public call documents its arguments, results and
    errors, and links the one page on the per-call options instead of repeating them."""
    import pydoc

    from infobip_2fa_async import Applications, EmailTemplates, Templates, TwoFactorClient

    page = pydoc.render_doc(TwoFactorClient, renderer=pydoc.plaintext)
    for group in ("applications", "templates", "email_templates", "with_options"):
        assert group in page
    operations = 0
    for owner in (TwoFactorClient, Applications, Templates, EmailTemplates):
        for name, member in {**vars(owner.__mro__[1]), **vars(owner)}.items():
            if name.startswith("_") or not callable(member):
                continue
            doc = inspect.getdoc(member) or ""
            parameters = [p for p in inspect.signature(member).parameters if p != "self"]
            if set(PER_CALL_OPTIONS) <= set(parameters) and name != "with_options":
                operations += 1
                assert OPTIONS_LINE in doc, f"{owner.__name__}.{name}"
                assert "max_retries:" not in doc, f"{owner.__name__}.{name} repeats the options"
                parameters = [p for p in parameters if p not in PER_CALL_OPTIONS]
            if parameters:
                assert "Args:" in doc, f"{owner.__name__}.{name}"
                for parameter in parameters:
                    assert f"{parameter.lstrip('*')}:" in doc, f"{owner.__name__}.{name}: {parameter}"
            if name not in ("aclose",):
                assert "Returns:" in doc, f"{owner.__name__}.{name}"
                assert "Raises:" in doc, f"{owner.__name__}.{name}"
    assert operations == 18


def test_the_page_the_docstrings_link_is_in_the_site() -> None:
    """The options line points at docs/client-options.md as the site publishes it, and the page is in the nav."""
    config = (ROOT / "mkdocs.yml").read_text()
    site_url = re.search(r"^site_url: (\S+)$", config, flags=re.M)[1]  # type: ignore[index]
    assert OPTIONS_LINE.endswith(f"<{site_url}client-options/>")
    assert (ROOT / "docs" / "client-options.md").exists()
    assert re.search(r"^  - [^:]+: client-options\.md$", config, flags=re.M)
