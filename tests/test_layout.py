"""The package's shape: imports run one way, rooms stay small, and the public surface changes only on purpose."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import attrs
import pytest

import infobip_2fa_async
from infobip_2fa_async import EmailTemplates, Templates
from infobip_2fa_async._endpoints.email_templates import email_template_body
from infobip_2fa_async._endpoints.templates import template_body
from infobip_2fa_async._management_models import EmailTemplateBody, TemplateBody

PACKAGE = Path(infobip_2fa_async.__file__).resolve().parent
ROOT_NAME = "infobip_2fa_async"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of the package that ``name`` imports, anywhere in it (TYPE_CHECKING blocks and functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:  # ``from . import x`` imports submodule x; ``from .m import y``, module m
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module)
    return {module for module in found if module in known and module != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """The first import cycle found by a depth-first walk, as a path that ends where it began; None if none."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str] | None:
        state[name] = "open"
        stack.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[name] = "done"
        return None

    return next((found for name in sorted(graph) if name not in state and (found := visit(name))), None)


def test_imports_inside_the_package_form_no_cycle(tmp_path: Path) -> None:
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    # the walk sees the graph for real: the client imports the transport, and TYPE_CHECKING and deferred imports count
    assert f"{ROOT_NAME}._transport" in graph[f"{ROOT_NAME}._client"]
    probe = tmp_path / "_probe.py"
    probe.write_text("if TYPE_CHECKING:\n    from ._client import X\ndef f():\n    from . import _bulk\n")
    found = _imports(f"{ROOT_NAME}._probe", probe, set(modules))
    assert found == {f"{ROOT_NAME}._client", f"{ROOT_NAME}._bulk"}
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_layers_run_one_way() -> None:
    """The transport, the backends and the endpoints know nothing of the client, its resources or bulk dispatch."""
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    below = [name for name in graph if name.startswith((f"{ROOT_NAME}._transport", f"{ROOT_NAME}._backends",
                                                       f"{ROOT_NAME}._endpoints", f"{ROOT_NAME}._gate"))]  # fmt: skip
    upper = (f"{ROOT_NAME}._client", f"{ROOT_NAME}._bulk", f"{ROOT_NAME}._resources")
    assert f"{ROOT_NAME}._resources.pins" in graph[f"{ROOT_NAME}._client"]  # the walk sees the resources package
    for name in below:
        assert not {imported for imported in graph[name] if imported.startswith(upper)}, name


def test_no_module_is_a_warehouse() -> None:
    long = {name: lines for name, path in _modules().items() if (lines := len(path.read_text().splitlines())) > 400}
    assert not long, f"modules over 400 lines: {long}"


# The public surface: a rename or a removal here is a decision, made by editing this list.
PUBLIC = {
    "API_KEY_ENV", "BASE_URL_ENV", "DEFAULT_BASE_URL", "DEFAULT_LIMITS", "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT", "NOT_GIVEN", "DeadlineExceededError", "ResponseTooLargeError", "GateUnavailableError",
    "CallFinished", "CallStarted", "Hook", "RequestSent", "ResponseReceived", "RetryScheduled", "SendRefused",
    "SendRefusedError", "ShieldUnavailableError",
    "ApiError", "Application", "ApplicationConfiguration", "Applications", "AuthenticationError", "BadRequestError",
    "BulkResult", "CallStatus", "ConfigurationError", "EmailPinSent", "EmailStatus", "EmailTemplate",
    "EmailTemplates", "Gate", "IndiaDltOptions", "InfobipError", "InvalidRequestError", "Language", "LocalGate",
    "MessageTemplate", "NcStatus", "NotFoundError", "NotGiven", "PermissionDeniedError", "PinError", "PinSent",
    "PinType", "PinVerification", "QuotaExceededError", "RateLimit", "RateLimitError", "RegionalOptions",
    "RequestMaybeSentError",
    "RequestNotSentError", "ResponseDecodeError", "RetryPolicy", "SendPinRequest", "ServerError",
    "SmsStatus", "Templates", "TransportError", "TwoFactorClient", "Verification", "__version__",
}  # fmt: skip


def test_the_public_surface_is_what_it_was_decided_to_be() -> None:
    assert set(infobip_2fa_async.__all__) == PUBLIC
    assert len(infobip_2fa_async.__all__) == len(PUBLIC), "a name is listed twice in __all__"
    for name in PUBLIC:
        assert getattr(infobip_2fa_async, name) is not None, name
    assert all(not name.startswith("_") or name == "__version__" for name in PUBLIC)


def test_the_retry_decision_lives_in_the_retry_module_and_the_old_names_still_work() -> None:
    """``backoff``, ``decide`` and ``RetryDecision`` left the top level for ``infobip_2fa_async.retry``; code that
    imported them from the top still runs, warned."""
    from infobip_2fa_async import retry

    assert set(retry.__all__) == {"RetryDecision", "RetryPolicy", "backoff", "decide"}
    assert retry.RetryPolicy is infobip_2fa_async.RetryPolicy
    for name in ("RetryDecision", "backoff", "decide"):
        with pytest.warns(DeprecationWarning, match=f"infobip_2fa_async.retry.{name}"):
            assert getattr(infobip_2fa_async, name) is getattr(retry, name)
    assert "decide" not in dir(infobip_2fa_async)


def test_the_sandbox_surface() -> None:
    import infobip_2fa_async.sandbox as sandbox

    assert set(sandbox.__all__) == {
        "SANDBOX_BASE_URL", "SANDBOX_USERNAME", "UNKNOWN_NUMBER", "UNKNOWN_SUFFIX", "UNREACHABLE_NUMBER",
        "UNREACHABLE_SUFFIX", "Fault", "FaultKind", "Faults", "ManualClock", "OutboxMessage", "Sandbox",
        "SandboxServer", "DEFAULT_API_KEY", "ServerLimits",
    }  # fmt: skip


def _keyword_arguments(method: object) -> set[str]:
    return {
        name
        for name, parameter in inspect.signature(method).parameters.items()  # type: ignore[arg-type]
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name not in ("max_retries", "timeout", "deadline")
    }


def test_template_methods_take_exactly_the_fields_of_their_body() -> None:
    """The body model is the one list of a template's fields: the public methods offer each of them, and the
    endpoint checks each of them."""
    fields = {field.name for field in attrs.fields(TemplateBody)}
    assert _keyword_arguments(Templates.create) == fields
    assert _keyword_arguments(Templates.update) == fields
    assert _keyword_arguments(template_body) == {*fields, "creating"}
    email_fields = {field.name for field in attrs.fields(EmailTemplateBody)}
    assert _keyword_arguments(EmailTemplates.create) == email_fields
    assert _keyword_arguments(EmailTemplates.update) == email_fields
    assert _keyword_arguments(email_template_body) == {*email_fields, "creating"}


def test_no_method_passes_its_locals_on() -> None:
    """Arguments go on by name: a ``locals()`` hands on whatever happens to be in scope."""
    offenders = [name for name, path in _modules().items() if "locals()" in path.read_text()]
    assert not offenders
