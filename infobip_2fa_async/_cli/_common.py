"""What every command shares: printing, the connection options, and JSON or text output of results."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from .._config import API_KEY_ENV, BASE_URL_ENV

__all__ = ["add_connection_options", "print_line", "show"]


def print_line(out: TextIO, text: str = "") -> None:
    """Write one line and flush it, so that a reader on a pipe sees it at once."""
    out.write(text + "\n")
    out.flush()


def add_connection_options(command: argparse.ArgumentParser, *, json_output: bool = True) -> None:
    """``--base-url`` and ``--api-key`` (and ``--json``) for a command that calls the API."""
    command.add_argument("--base-url", help=f"the API's base URL (default: ${BASE_URL_ENV}, then api.infobip.com)")
    command.add_argument("--api-key", help=f"the API key (default: ${API_KEY_ENV})")
    if json_output:
        command.add_argument("--json", action="store_true", help="print machine-readable JSON")


def show(result: Any, args: argparse.Namespace, out: TextIO) -> None:
    """Print a result model (or a list of them) as JSON with ``--json``, else as ``key=value`` lines."""
    from .._converter import converter

    data = converter.unstructure(result)
    if args.json:
        print_line(out, json.dumps(data))
    elif isinstance(data, list):
        for item in data:
            print_line(out, " ".join(f"{key}={value}" for key, value in item.items()))
    else:
        print_line(out, " ".join(f"{key}={value}" for key, value in data.items()))
