"""What every command shares: printing, the connection and id options, output of results and of errors.

Exit codes of the one-shot commands (``bulk`` has its own table, in ``_journal``):

====  ================================================================================
0     done
1     an error: the message (or, with ``--json``, one JSON object) is on stderr
2     usage error (argparse)
3     ``verify``: the PIN was not verified (wrong, expired, no attempts left)
4     ``send``/``resend``: answered, but not sent (``MESSAGE_NOT_SENT``: number lookup found the number unreachable)
====  ================================================================================
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from typing import Any, TextIO

from .._config import API_KEY_ENV, BASE_URL_ENV
from .._exceptions import ApiError, InfobipError, InvalidRequestError, TransportError

__all__ = [
    "APPLICATION_ID_ENV",
    "EXIT_CODES",
    "MESSAGE_ID_ENV",
    "add_application_id",
    "add_connection_options",
    "add_message_id",
    "print_error",
    "print_line",
    "show",
]

APPLICATION_ID_ENV = "INFOBIP_APPLICATION_ID"
MESSAGE_ID_ENV = "INFOBIP_MESSAGE_ID"
EXIT_CODES = (
    "exit status: 0 done; 1 an error (on stderr, as JSON with --json); 2 usage error; 3 verify: not verified; "
    "4 send/resend: answered but not sent (MESSAGE_NOT_SENT)"
)


def print_line(out: TextIO, text: str = "") -> None:
    """Write one line and flush it, so that a reader on a pipe sees it at once."""
    out.write(text + "\n")
    out.flush()


def add_connection_options(command: argparse.ArgumentParser, *, json_output: bool = True) -> None:
    """``--base-url`` and ``--api-key`` (and ``--json``) for a command that calls the API."""
    command.add_argument(
        "--base-url", help=f"the API's base URL (default: ${BASE_URL_ENV}, then https://api.infobip.com)"
    )
    command.add_argument("--api-key", help=f"the API key (default: ${API_KEY_ENV})")
    if json_output:
        command.add_argument(
            "--json", action="store_true", help="print the result as JSON on stdout, and errors as JSON on stderr"
        )


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
        err.write(json.dumps({"error": described}) + "\n")
    else:
        err.write(f"infobip-2fa: {type(error).__name__}: {message}\n")
    err.flush()


def _scheme_assumed(args: argparse.Namespace) -> bool:
    raw = getattr(args, "base_url", None) or os.environ.get(BASE_URL_ENV) or ""
    return bool(raw.strip()) and "://" not in raw
