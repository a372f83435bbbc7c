"""The ``infobip-2fa`` command. One module per command group:

- ``_demo``: ``demo``, the PIN life cycle against the in-process sandbox;
- ``_sandbox``: ``sandbox``, the sandbox over HTTP;
- ``_pins``: ``send``, ``resend``, ``verify``, ``status``;
- ``_manage``: ``applications`` and ``templates`` (list, create, get, update);
- ``_bulk``: ``bulk``, a CSV file with a journal that makes reruns safe;
- ``_distributed``: ``bulk-submit``, ``bulk-worker``, ``bulk-report``, a campaign split across machines (Redis);
- ``_shield``: the abuse shield's options (``--shield``, ...), which ``send`` and ``bulk`` share.

Each registers its parsers and sets ``run(args, out, err) -> exit code`` on them. ``main`` is the last net: whatever
escapes a command is one line on stderr (one JSON object with ``--json``), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from .._exceptions import InfobipError
from .._version import __version__
from . import _bulk, _demo, _distributed, _manage, _pins, _sandbox
from ._common import Parser, one_line_errors, print_error, print_unexpected

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = Parser(prog="infobip-2fa", description="Infobip 2FA from the command line.")
    parser.add_argument("--version", action="version", version=f"infobip-2fa-async {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _demo.add_parser(commands)
    _sandbox.add_parser(commands)
    _pins.add_parsers(commands)
    _manage.add_parsers(commands)
    _bulk.add_parser(commands)
    _distributed.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``infobip-2fa`` and ``python -m infobip_2fa_async``."""
    out = out or sys.stdout
    err = err or sys.stderr
    for stream in (out, err):  # text that is not valid Unicode (an answer's lone surrogate) is shown, not a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    argv = sys.argv[1:] if argv is None else list(argv)
    args: argparse.Namespace | None = None
    with one_line_errors(argv):
        try:
            args = build_parser().parse_args(argv)
            return int(args.run(args, out, err))
        except InfobipError as error:
            print_error(error, args, err)
            return 1
        except KeyboardInterrupt:
            return 130
        except Exception as error:  # a bug: still one line, never a traceback
            print_unexpected(error, args, err)
            return 1
