"""The ``infobip-2fa`` command: a demo against the sandbox, the sandbox server, and one-shot API calls."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TextIO

from ._admin_models import ApplicationConfiguration
from ._client import TwoFactorClient
from ._config import API_KEY_ENV, BASE_URL_ENV
from ._converter import converter
from ._exceptions import InfobipError
from ._models import CallStatus, PinError, SmsStatus
from ._version import __version__

__all__ = ["main"]


def _print(out: TextIO, text: str = "") -> None:
    out.write(text + "\n")
    out.flush()


async def run_demo(out: TextIO) -> int:
    """Walk through the PIN life cycle against the in-process sandbox; 0 only if every step behaved."""
    from .sandbox import Sandbox

    sandbox = Sandbox()
    checks: list[tuple[str, bool]] = []

    def check(step: str, passed: bool) -> None:
        checks.append((step, passed))
        _print(out, f"  [{'ok' if passed else 'FAILED'}] {step}")

    phone = "+41 79 302 67 27"
    _print(out, "infobip-2fa demo: the 2FA PIN life cycle against the in-process sandbox (no network)\n")
    async with sandbox.client() as client:
        application = await client.applications.create(
            name="Demo login",
            configuration=ApplicationConfiguration(
                pin_attempts=3, pin_time_to_live=timedelta(minutes=10), verify_pin_limit=(5, timedelta(seconds=1))
            ),
        )
        _print(out, f"1. Created application {application.name!r} ({application.application_id})")
        config = application.configuration
        check(
            "3 attempts, PINs live 10 minutes",
            config is not None and config.pin_attempts == 3 and config.pin_time_to_live_delta == timedelta(minutes=10),
        )

        template = await client.templates.create(
            application.application_id,
            message_text="Your {{service}} code is {{pin}}. It expires in 10 minutes.",
            pin_type="NUMERIC",
            pin_length=6,
        )
        _print(out, f"2. Created an SMS/voice template ({template.message_id}): {template.message_text!r}")
        check("the template has a {{pin}} placeholder", template.pin_placeholder == "{{pin}}")

        sent = await client.send_pin(
            application_id=application.application_id,
            message_id=template.message_id,
            to=phone,
            placeholders={"service": "Demo"},
        )
        _print(out, f"3. Sent a PIN by SMS to {phone}: pin_id={sent.pin_id}, {sent.nc_status}, {sent.sms_status}")
        check("the SMS was sent", sent.sms_status is SmsStatus.MESSAGE_SENT)

        delivered = sandbox.outbox[-1]
        _print(out, f"4. The phone {delivered.to} received by {delivered.channel}: {delivered.text!r}")
        check("the message carries a 6-digit PIN", len(delivered.pin) == 6 and delivered.pin in delivered.text)

        wrong_pin = "000000" if delivered.pin != "000000" else "111111"
        wrong = await client.verify_pin(sent.pin_id, wrong_pin)
        _print(
            out,
            f"5. Verified a wrong PIN: verified={wrong.verified}, pin_error={wrong.pin_error}, "
            f"attempts left={wrong.attempts_remaining}",
        )
        refused = not wrong.verified and wrong.pin_error is PinError.WRONG_PIN
        check("a wrong PIN is refused and costs an attempt", refused and wrong.attempts_remaining == 2)

        right = await client.verify_pin(sent.pin_id, sandbox.last_pin(phone))
        _print(out, f"6. Verified the right PIN: verified={right.verified}")
        check("the right PIN verifies", right.verified)

        call = await client.send_voice_pin(
            application_id=application.application_id,
            message_id=template.message_id,
            to=phone,
            placeholders={"service": "Demo"},
        )
        spoken = sandbox.outbox[-1]
        _print(out, f"7. Sent a PIN by voice: call_status={call.call_status}; the call says {spoken.text!r}")
        check("the call is accepted", call.call_status is CallStatus.PENDING_ACCEPTED and spoken.channel == "voice")

    passed = sum(ok for _, ok in checks)
    _print(out, f"\nSummary: {passed} of {len(checks)} checks passed; {len(sandbox.outbox)} messages delivered.")
    return 0 if passed == len(checks) else 1


async def run_sandbox(args: argparse.Namespace, out: TextIO) -> int:
    """Serve the sandbox over HTTP until interrupted."""
    from .sandbox import Sandbox

    sandbox = Sandbox(api_keys=(args.api_key,))
    async with sandbox.serve(args.host, args.port) as server:
        _print(out, f"Sandbox 2FA API listening on {server.base_url}")
        _print(out, f"  {BASE_URL_ENV}={server.base_url}")
        _print(out, f"  {API_KEY_ENV}={server.api_key}")
        _print(out, f"  delivered messages: GET {server.base_url}/sandbox/outbox")
        _print(out, "Press Ctrl-C to stop.")
        await asyncio.Event().wait()
    return 0


def _placeholders(pairs: Sequence[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"infobip-2fa: error: --placeholder takes KEY=VALUE, not {pair!r}")
        result[key] = value
    return result


def _show(result: Any, args: argparse.Namespace, out: TextIO) -> None:
    data = converter.unstructure(result)
    if args.json:
        _print(out, json.dumps(data))
    elif isinstance(data, list):
        for item in data:
            _print(out, " ".join(f"{key}={value}" for key, value in item.items()))
    else:
        _print(out, " ".join(f"{key}={value}" for key, value in data.items()))


async def run_api_command(args: argparse.Namespace, out: TextIO) -> int:
    """send / resend / verify / status against INFOBIP_BASE_URL or --base-url."""
    async with TwoFactorClient(args.api_key, args.base_url) as client:
        result: Any
        if args.command == "send":
            common = {
                "application_id": args.application_id,
                "message_id": args.message_id,
                "to": args.to,
                "from_": args.sender,
                "placeholders": _placeholders(args.placeholder),
            }
            if args.channel == "voice":
                result = await client.send_voice_pin(**common)
            elif args.channel == "email":
                result = await client.send_email_pin(**common)
            else:
                result = await client.send_pin(**common, nc_needed=False if args.no_number_lookup else None)
        elif args.command == "resend":
            resend: dict[str, Callable[..., Awaitable[Any]]] = {
                "sms": client.resend_pin,
                "voice": client.resend_voice_pin,
                "email": client.resend_email_pin,
            }
            result = await resend[args.channel](args.pin_id, placeholders=_placeholders(args.placeholder))
        elif args.command == "verify":
            result = await client.verify_pin(args.pin_id, args.pin)
        else:
            result = await client.verification_status(
                args.application_id, msisdn=args.msisdn, verified=args.verified, sent=args.sent
            )
    _show(result, args, out)
    if args.command == "verify" and not result.verified:
        return 3  # a wrong or expired PIN: a clear answer, but not a success
    return 0


def _flag(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def build_parser() -> argparse.ArgumentParser:
    """The command line: demo, sandbox, send, resend, verify, status."""
    parser = argparse.ArgumentParser(prog="infobip-2fa", description="Infobip 2FA from the command line.")
    parser.add_argument("--version", action="version", version=f"infobip-2fa-async {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="walk through send, verify and voice against the in-process sandbox")

    serve = commands.add_parser("sandbox", help="serve the sandbox 2FA API over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--api-key", default="sandbox-key")

    def api_command(name: str, help_text: str, *, json_output: bool = True) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--base-url", help=f"the API's base URL (default: ${BASE_URL_ENV}, then api.infobip.com)")
        command.add_argument("--api-key", help=f"the API key (default: ${API_KEY_ENV})")
        if json_output:
            command.add_argument("--json", action="store_true", help="print machine-readable JSON")
        return command

    send = api_command("send", "send a PIN by SMS, voice or e-mail")
    send.add_argument("--application-id", required=True)
    send.add_argument("--message-id", required=True)
    send.add_argument("--to", required=True, help="phone number (or e-mail address with --channel email)")
    send.add_argument("--from", dest="sender", help="sender id overriding the template's")
    send.add_argument("--channel", choices=("sms", "voice", "email"), default="sms")
    send.add_argument("--placeholder", action="append", metavar="KEY=VALUE")
    send.add_argument("--no-number-lookup", action="store_true", help="send with ncNeeded=false")

    resend = api_command("resend", "send the same PIN again")
    resend.add_argument("pin_id")
    resend.add_argument("--channel", choices=("sms", "voice", "email"), default="sms")
    resend.add_argument("--placeholder", action="append", metavar="KEY=VALUE")

    verify = api_command("verify", "verify a PIN (exit 3 when it is not verified)")
    verify.add_argument("pin_id")
    verify.add_argument("pin")

    bulk = api_command(
        "bulk", "send a PIN to every row of a CSV file; rerunning resumes without texting twice", json_output=False
    )
    bulk.add_argument("--in", dest="input", required=True, metavar="CSV", help="a CSV file with a 'to' column")
    bulk.add_argument("--application-id", required=True)
    bulk.add_argument("--message-id", required=True)
    bulk.add_argument("--out", required=True, metavar="JSONL", help="the results, and the journal reruns resume from")
    bulk.add_argument("--channel", choices=("sms", "voice"), default="sms")
    bulk.add_argument("--rate", type=float, help="at most this many requests per second")
    bulk.add_argument("--concurrency", type=int, default=50, help="sends in flight at once (default 50)")
    bulk.add_argument("--retry-unknown", action="store_true", help="also send rows that may have been sent before")

    status = api_command("status", "show verification status of a phone number")
    status.add_argument("--application-id", required=True)
    status.add_argument("--msisdn", required=True)
    status.add_argument("--verified", type=_flag)
    status.add_argument("--sent", type=_flag)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of ``infobip-2fa`` and ``python -m infobip_2fa_async``."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return asyncio.run(run_demo(out))
        if args.command == "sandbox":
            return asyncio.run(run_sandbox(args, out))
        if args.command == "bulk":
            from ._bulk_cli import run_bulk

            return asyncio.run(run_bulk(args, out, sys.stderr))
        return asyncio.run(run_api_command(args, out))
    except InfobipError as error:
        sys.stderr.write(f"infobip-2fa: {type(error).__name__}: {error}\n")
        return 1
    except KeyboardInterrupt:
        return 130
