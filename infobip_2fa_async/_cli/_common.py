"""What every command shares: printing, the connection and id options, output of results and of errors.

Exit codes of the one-shot commands (``bulk`` has its own table, in ``_journal``); whatever fails, stderr gets one
line, or with ``--json`` one JSON object, and never a traceback:

====  ================================================================================
0     done
1     an error: an argument the library refuses (``InvalidRequestError``: an id that is empty or not valid text, a
      phone number, a duration), the API's error answer, no answer, a bad key or base URL; or a failure of the
      command itself (named by its type)
2     usage error: an unknown command or option, a missing argument, a value of the wrong form (not a number, not
      true/false, not KEY=VALUE, not one of the choices)
3     ``verify``: the PIN was not verified (wrong, expired, no attempts left)
4     ``send``/``resend``: answered, but not sent (``MESSAGE_NOT_SENT``: number lookup found the number unreachable)
5     ``send``: refused by the abuse shield (``--shield``): nothing was sent (``SendRefusedError``, one line on stderr)
130   interrupted (Ctrl-C)
====  ================================================================================
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn, TextIO

from .._config import API_KEY_ENV, BASE_URL_ENV, resolve_base_url
from .._exceptions import ApiError, InfobipError, InvalidRequestError, SendRefusedError, TransportError

__all__ = [
    "ALLOW_INSECURE_HTTP_ENV",
    "APPLICATION_ID_ENV",
    "EXIT_CODES",
    "EXIT_REFUSED",
    "MESSAGE_ID_ENV",
    "ONE_SHOT",
    "Parser",
    "add_application_id",
    "add_connection_options",
    "add_message_id",
    "base_url",
    "flag",
    "one_line_errors",
    "print_error",
    "print_line",
    "print_unexpected",
    "show",
]

APPLICATION_ID_ENV = "INFOBIP_APPLICATION_ID"
MESSAGE_ID_ENV = "INFOBIP_MESSAGE_ID"
ALLOW_INSECURE_HTTP_ENV = "INFOBIP_ALLOW_INSECURE_HTTP"
#: How a refused http:// base URL tells a user of the command line to allow it.
ALLOW_INSECURE_HTTP_CLI = f"pass --allow-insecure-http (or set {ALLOW_INSECURE_HTTP_ENV}=1)"
#: Options whose default comes from the environment: a usage error saying one is missing names its variable too.
_OPTION_ENVS = {"--application-id": APPLICATION_ID_ENV, "--message-id": MESSAGE_ID_ENV}
_REQUIRED = re.compile(r"(the following arguments are required: )(.*)", re.DOTALL)
EXIT_CODES = (
    "exit status: 0 done; 1 an error (one line on stderr, as JSON with --json); 2 usage error; 3 verify: not "
    "verified; 4 send/resend: answered but not sent (MESSAGE_NOT_SENT); 5 send: refused by the abuse shield "
    "(--shield), nothing sent; 130 interrupted"
)
#: ``send``: the abuse shield refused the send (nothing was sent).
EXIT_REFUSED = 5
#: The commands that make one call and print its answer: their errors, usage errors included, are one line on stderr
#: (one JSON object with --json).
ONE_SHOT = frozenset({"send", "resend", "verify", "status", "applications", "templates"})

#: How usage errors are printed: None (argparse's usage and message), or ("line" or "json", the command), as set by
#: ``one_line_errors``.
_USAGE_ERRORS: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("usage_errors", default=None)
_ARGUMENT = re.compile(r"argument ([^:]+): (.*)", re.DOTALL)


@contextlib.contextmanager
def one_line_errors(argv: Sequence[str]) -> Iterator[None]:
    """While it runs, a one-shot command's usage errors are one JSON object when ``--json`` is on the command line,
    even if the error is elsewhere on it; every command's usage errors are one line otherwise."""
    words = [arg for arg in argv if not arg.startswith("-")]
    if not words or words[0] not in ONE_SHOT:
        yield
        return
    command = " ".join(words[:2] if words[0] in ("applications", "templates") else words[:1])  # e.g. "templates get"
    options = argv[: list(argv).index("--")] if "--" in argv else argv
    wants_json = any(len(arg) >= 3 and "--json".startswith(arg) for arg in options)  # argparse takes "--js" too
    token = _USAGE_ERRORS.set(("json" if wants_json else "line", command))
    try:
        yield
    finally:
        _USAGE_ERRORS.reset(token)


class Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one line (one JSON object for a one-shot command with ``--json``),
    exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print the usage error as the command line asked (see ``one_line_errors``) and exit 2."""
        message = _with_environment(message)
        how = _USAGE_ERRORS.get()
        if how is None:  # every other command: one line too, pointing at its help for the usage
            self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")
        mode, command = how
        # the top parser reports unknown options: point at the command's help, which lists its options
        hint = f"{self.prog if ' ' in self.prog else f'{self.prog} {command}'} --help"
        if mode == "json":
            described: dict[str, Any] = {"type": "UsageError", "message": message, "maybeSent": False}
            matched = _ARGUMENT.fullmatch(message)
            if matched:
                described.update(argument=matched.group(1), message=matched.group(2))
            described["usage"] = hint
            self.exit(2, json.dumps({"error": described}) + "\n")
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {hint})\n")


def _with_environment(message: str) -> str:
    """argparse's "the following arguments are required: --application-id" naming the variable that also sets it:
    "... --application-id (or set $INFOBIP_APPLICATION_ID)"."""
    matched = _REQUIRED.fullmatch(message)
    if not matched:
        return message
    names = [
        f"{name} (or set ${_OPTION_ENVS[name]})" if name in _OPTION_ENVS else name
        for name in matched.group(2).split(", ")
    ]
    return matched.group(1) + ", ".join(names)


def flag(text: str) -> bool:
    """An argparse type: true/yes/1 or false/no/0 (a usage error otherwise)."""
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def print_line(out: TextIO, text: str = "") -> None:
    """Write one line and flush it, so that a reader on a pipe sees it at once."""
    out.write(text + "\n")
    out.flush()


def add_connection_options(
    command: argparse.ArgumentParser, *, json_output: bool = True, insecure_http: bool = False
) -> None:
    """``--base-url`` and ``--api-key`` (and ``--json``) for a command that calls the API; with ``insecure_http``,
    ``--allow-insecure-http`` too (default ``$INFOBIP_ALLOW_INSECURE_HTTP``), for a command that builds its client
    with ``base_url(args)``."""
    command.add_argument(
        "--base-url", help=f"the API's base URL (default: ${BASE_URL_ENV}, then https://api.infobip.com)"
    )
    if insecure_http:
        allowed = os.environ.get(ALLOW_INSECURE_HTTP_ENV, "").strip().lower() in ("1", "true", "yes")
        command.add_argument(
            "--allow-insecure-http", action="store_true", default=allowed,
            help="allow an http:// base URL to a host that is not this machine (the API key travels unencrypted: "
            f"only for a trusted proxy; default: ${ALLOW_INSECURE_HTTP_ENV}=1)",
        )  # fmt: skip
    command.add_argument(
        "--api-key",
        help=f"the API key (default: ${API_KEY_ENV}; without it, Basic, IBSSO or OAuth2 credentials from the "
        "environment: see the Authentication page of the docs)",
    )
    if json_output:
        command.add_argument(
            "--json", action="store_true", help="print the result as JSON on stdout, and errors as JSON on stderr"
        )


def base_url(args: argparse.Namespace) -> str:
    """The base URL of ``--base-url`` or ``$INFOBIP_BASE_URL``, checked as the client checks it, but a refused
    ``http://`` names ``--allow-insecure-http`` rather than the Python argument."""
    allowed = bool(getattr(args, "allow_insecure_http", False))
    return resolve_base_url(args.base_url, allow_insecure_http=allowed, how_to_allow=ALLOW_INSECURE_HTTP_CLI)


def add_application_id(command: argparse.ArgumentParser) -> None:
    """``--application-id``, defaulting to ``$INFOBIP_APPLICATION_ID`` (``sandbox --demo`` prints one)."""
    default = os.environ.get(APPLICATION_ID_ENV) or None
    command.add_argument(
        "--application-id", default=default, required=default is None,
        help=f"the 2FA application's id (default: ${APPLICATION_ID_ENV})",
    )  # fmt: skip


def add_message_id(command: argparse.ArgumentParser) -> None:
    """``--message-id``, defaulting to ``$INFOBIP_MESSAGE_ID``."""
    default = os.environ.get(MESSAGE_ID_ENV) or None
    command.add_argument(
        "--message-id", default=default, required=default is None,
        help=f"the message template's id (default: ${MESSAGE_ID_ENV})",
    )  # fmt: skip


def _flat(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    pairs = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            pairs += _flat(value, f"{prefix}{key}.")
        else:
            pairs.append(f"{prefix}{key}={value}")
    return pairs


def show(result: Any, args: argparse.Namespace, out: TextIO) -> None:
    """Print a result model (or a list of them) as JSON with ``--json``, else as ``key=value`` lines."""
    from .._converter import converter

    data = converter.unstructure(result)
    if getattr(args, "json", False):
        print_line(out, json.dumps(data))
    elif isinstance(data, list):
        for item in data:
            print_line(out, " ".join(_flat(item)))
    else:
        print_line(out, " ".join(_flat(data)))


def print_error(error: InfobipError, args: argparse.Namespace | None, err: TextIO) -> None:
    """One line, or with ``--json`` one JSON object: ``{"error": {"type", "message", "maybeSent", ...}}``."""
    message = str(error)
    if isinstance(error, TransportError) and args is not None and _scheme_assumed(args):
        message += (
            " (the base URL had no scheme, so https:// was assumed; write http://... for a plain-HTTP server such "
            "as the sandbox)"
        )
    if args is not None and getattr(args, "json", False):
        described: dict[str, Any] = {"type": type(error).__name__, "message": message, "maybeSent": error.maybe_sent}
        if isinstance(error, ApiError):
            described.update(status=error.status_code, messageId=error.message_id)
        if isinstance(error, InvalidRequestError):
            described["argument"] = error.argument
        if isinstance(error, SendRefusedError):  # the rule and the country, never the number
            described.update(reason=error.reason.value, retryAfter=error.retry_after, country=error.country)
        err.write(json.dumps({"error": described}) + "\n")
    else:
        if error.maybe_sent and args is not None and getattr(args, "command", None) in ("send", "resend"):
            message += " (the PIN may have been sent: check the outcome before sending another)"
        err.write(f"infobip-2fa: {type(error).__name__}: {' '.join(message.split())}\n")  # one line, always
    err.flush()


def print_unexpected(error: BaseException, args: argparse.Namespace | None, err: TextIO) -> None:
    """A failure nobody foresaw (a bug): one line naming its type, or one JSON object with ``--json``; the API key
    and the PIN of the command line are blanked out of its message."""
    message = " ".join(str(error).split())[:500]
    from ..auth import SECRET_ENVS

    secrets = (getattr(args, "api_key", None), getattr(args, "pin", None), *map(os.environ.get, SECRET_ENVS))
    for secret in secrets:
        if secret and len(secret) >= 3:
            message = message.replace(secret, "***")
    if getattr(args, "json", False) or (_USAGE_ERRORS.get() or ("",))[0] == "json":
        described = {"type": type(error).__name__, "message": message, "maybeSent": True}
        err.write(json.dumps({"error": described}) + "\n")
    else:
        err.write(f"infobip-2fa: {type(error).__name__}: {message} (an unexpected failure: please report it)\n")
    err.flush()


def _scheme_assumed(args: argparse.Namespace) -> bool:
    raw = getattr(args, "base_url", None) or os.environ.get(BASE_URL_ENV) or ""
    return bool(raw.strip()) and "://" not in raw
