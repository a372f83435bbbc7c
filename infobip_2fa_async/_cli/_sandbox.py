"""``infobip-2fa sandbox``: serve the sandbox 2FA API over HTTP until interrupted."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, TextIO

from .._config import API_KEY_ENV, BASE_URL_ENV
from ._common import print_line

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    """Register ``sandbox``."""
    command = commands.add_parser("sandbox", help="serve the sandbox 2FA API over HTTP")
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=int, default=8080, help="the port to listen on; 0 picks a free one")
    command.add_argument("--api-key", default="sandbox-key", help="the API key clients must send")
    command.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Serve until interrupted."""
    return asyncio.run(serve(args, out))


async def serve(args: argparse.Namespace, out: TextIO) -> int:
    """Serve the sandbox over HTTP until cancelled."""
    from ..sandbox import Sandbox

    sandbox = Sandbox(api_keys=(args.api_key,))
    async with sandbox.serve(args.host, args.port) as server:
        print_line(out, f"Sandbox 2FA API listening on {server.base_url}")
        print_line(out, f"  {BASE_URL_ENV}={server.base_url}")
        print_line(out, f"  {API_KEY_ENV}={server.api_key}")
        print_line(out, f"  delivered messages: GET {server.base_url}/sandbox/outbox")
        print_line(out, "Press Ctrl-C to stop.")
        await asyncio.Event().wait()
    return 0
