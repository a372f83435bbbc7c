"""``infobip-2fa sandbox``: serve the sandbox 2FA API over HTTP until interrupted.

``--demo`` creates an application and a template at start and prints what to export so that the other commands
run as written; the demo application's limits (``DEMO_LIMITS``) are loose enough that a person trying things
never meets a 429, unlike Infobip's defaults (3 sends a day per number) that applications created otherwise keep.
``--json`` prints one JSON line once ready (for scripts); ``--fault-rate`` injects faults so that clients in any
language can test their retry code against it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import secrets
import sys
from typing import Any, TextIO

from .._config import API_KEY_ENV, BASE_URL_ENV, is_loopback
from ._common import APPLICATION_ID_ENV, MESSAGE_ID_ENV, print_line

__all__ = ["DEMO_LIMITS", "add_parser", "parse_fault_rates", "parse_port"]

#: The demo application's configuration: Infobip's defaults allow 3 sends a day per number and one verification
#: every 3 seconds, which running the README's command-line block twice, or a third "send me a code" in an example,
#: would break with a day-long 429. Applications created any other way keep the defaults.
DEMO_LIMITS = {"send_pin_per_phone_number_limit": "1000/1d", "verify_pin_limit": "100/1s"}

FAULT_HELP = (
    "inject faults into a share of the requests, e.g. 429=0.1,500=0.01: comma-separated KIND=PROBABILITY, where "
    "KIND is 429 or 429:SECONDS (with Retry-After), a 5xx status (500, 502, 503, 504), html, malformed, drop, or "
    "slow:SECONDS; add :after to 5xx, html or drop to spoil the answer after the request was carried out"
)


def parse_fault_rates(text: str) -> list[tuple[Any, float]]:
    """``"429=0.1,500:after=0.01"`` -> [(Fault, probability), ...]; argparse-friendly errors."""
    from ..sandbox import Fault

    faults = []
    for item in (part.strip() for part in text.split(",") if part.strip()):
        kind, sep, probability = item.partition("=")
        try:
            share = float(probability)
        except ValueError:
            share = -1.0
        if not sep or not 0.0 <= share <= 1.0:
            raise argparse.ArgumentTypeError(f"{item!r}: write KIND=PROBABILITY with a probability from 0 to 1")
        name, _, argument = kind.partition(":")
        after = argument == "after"
        try:
            seconds = float(argument) if name in ("429", "slow") and argument else None
        except ValueError:
            raise argparse.ArgumentTypeError(f"{kind!r}: SECONDS must be a number, e.g. {name}:2") from None
        try:
            if name == "429":
                fault = Fault.rate_limit(seconds)
            elif name.isdigit() and 500 <= int(name) <= 599 and argument in ("", "after"):
                fault = Fault.server_error(int(name), after_processing=after)
            elif name == "html" and argument in ("", "after"):
                fault = Fault.html(after_processing=after)
            elif name == "drop" and argument in ("", "after"):
                fault = Fault.drop(after_processing=after)
            elif name == "malformed" and not argument:
                fault = Fault.malformed()
            elif name == "slow" and seconds is not None:
                fault = Fault.slow(seconds)
            else:
                raise argparse.ArgumentTypeError(f"{kind!r} is not a fault kind: {FAULT_HELP}")
        except ValueError:  # the fault refused its seconds: NaN, infinite or negative
            raise argparse.ArgumentTypeError(
                f"{kind!r}: SECONDS must be a finite number, 0 or more (a Retry-After or a wait that can be served)"
            ) from None
        faults.append((fault, share))
    return faults


def parse_port(text: str) -> int:
    """A TCP port, 0 to 65535 (0 picks a free one); argparse-friendly errors."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 0 to 65535 (0 picks a free one)")
    return port


def add_parser(commands: Any) -> None:
    """Register ``sandbox``."""
    command = commands.add_parser("sandbox", help="serve the sandbox 2FA API over HTTP")
    command.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    command.add_argument("--port", type=parse_port, default=8080, help="the port to listen on; 0 picks a free one")
    command.add_argument(
        "--api-key",
        help="the API key clients must send (default: sandbox-key on loopback; off loopback a random key, printed)",
    )
    command.add_argument("--demo", action="store_true", help="create an application and a template at start")
    command.add_argument("--json", action="store_true", help="print one JSON line once ready, for scripts")
    command.add_argument("--fault-rate", type=parse_fault_rates, help=FAULT_HELP)
    command.add_argument("--seed", type=int, help="seed for --fault-rate, to make the faults repeatable")
    command.set_defaults(run=run, sandbox_parser=command)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Serve until interrupted."""
    from ..sandbox import DEFAULT_API_KEY

    if args.api_key == DEFAULT_API_KEY and not is_loopback(args.host):  # a usage error: exits 2, as argparse does
        args.sandbox_parser.error(
            f"--host {args.host} is off loopback, where the well-known key {DEFAULT_API_KEY!r} would let anyone on "
            "the network in: give --api-key a key of your own, or leave --api-key out for a random one"
        )
    return asyncio.run(serve(args, out, err))


async def serve(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Serve the sandbox over HTTP until cancelled; 1 (and one line on ``err``) when it cannot listen."""
    from ..sandbox import DEFAULT_API_KEY, Sandbox

    # Hex, not token_urlsafe: a key starting with "-" (1 in 64) would read as an option in `--api-key KEY`.
    key = args.api_key or (DEFAULT_API_KEY if is_loopback(args.host) else secrets.token_hex(24))
    sandbox = Sandbox(api_keys=(key,), seed=args.seed)
    async with contextlib.AsyncExitStack() as stack:
        try:
            server = await stack.enter_async_context(sandbox.serve(args.host, args.port))
        except OSError as error:  # the port is taken, the address is not this machine's, the name does not resolve
            reason = error.strerror or str(error)
            print_line(
                err or sys.stderr, f"infobip-2fa sandbox: error: cannot listen on {args.host}:{args.port}: {reason}"
            )
            return 1
        ready: dict[str, Any] = {"base_url": server.base_url, "api_key": server.api_key}
        if args.demo:
            ready.update(await _demo_resources(sandbox))
        for fault, share in args.fault_rate or ():  # after the demo resources, which must not meet them
            sandbox.faults.rate(fault, share)
        if args.json:
            print_line(out, json.dumps(ready))
        else:
            _describe(ready, args, out)
        await asyncio.Event().wait()
    return 0


async def _demo_resources(sandbox: Any) -> dict[str, str]:
    from .._management_models import ApplicationConfiguration

    async with sandbox.client() as client:
        application = await client.applications.create(
            name="Demo",
            configuration=ApplicationConfiguration(
                send_pin_per_phone_number_limit=DEMO_LIMITS["send_pin_per_phone_number_limit"],
                verify_pin_limit=DEMO_LIMITS["verify_pin_limit"],
            ),
        )
        template = await client.templates.create(
            application.application_id, message_text="Your demo code is {{pin}}", pin_type="NUMERIC", pin_length=6
        )
    return {"application_id": application.application_id, "message_id": template.message_id}


def _describe(ready: dict[str, Any], args: argparse.Namespace, out: TextIO) -> None:
    print_line(out, f"Sandbox 2FA API listening on {ready['base_url']} (Ctrl-C to stop)")
    if not is_loopback(args.host) and not args.api_key:
        print_line(out, f"Listening off loopback: clients need the generated key {ready['api_key']}")
    exports = [f"{BASE_URL_ENV}={ready['base_url']}", f"{API_KEY_ENV}={ready['api_key']}"]
    if "application_id" in ready:
        exports += [f"{APPLICATION_ID_ENV}={ready['application_id']}", f"{MESSAGE_ID_ENV}={ready['message_id']}"]
        print_line(
            out,
            "Created a demo application (loose limits: 1000 sends a day per number, 100 verifications a second)"
            " and SMS/voice template. For the other commands, run:",
        )
    else:
        print_line(out, "For the other commands, run:")
    print_line(out, f"  export {' '.join(exports)}")
    print_line(out, f"Delivered messages: GET {ready['base_url']}/sandbox/outbox")
    if args.fault_rate:
        print_line(
            out, f"Injecting faults: {', '.join(f'{fault.kind.value} {share:g}' for fault, share in args.fault_rate)}"
        )
