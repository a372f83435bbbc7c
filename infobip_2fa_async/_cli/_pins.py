"""``infobip-2fa send``, ``resend``, ``verify`` and ``status``: one PIN operation each, against a real account or
the sandbox (``INFOBIP_BASE_URL`` or ``--base-url``)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from .._client import TwoFactorClient
from .._exceptions import SendRefusedError
from .._hooks import Hook
from .._models import PinSent
from ._common import (
    EXIT_CODES,
    EXIT_REFUSED,
    add_application_id,
    add_connection_options,
    add_message_id,
    base_url,
    flag,
    print_error,
    print_line,
    show,
)
from ._shield import MonitorReport, add_shield_options, build_shield

if TYPE_CHECKING:
    from ..shield import Shield

__all__ = ["add_parsers"]

_CHANNELS = ("sms", "voice", "email")


def _placeholder(text: str) -> tuple[str, str]:
    """An argparse type: ``KEY=VALUE`` (a usage error otherwise; the library checks the key and the value)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"takes KEY=VALUE, not {text!r}")
    return key, value


def _placeholders(pairs: Sequence[tuple[str, str]] | None) -> dict[str, str] | None:
    return dict(pairs) if pairs else None


def add_parsers(commands: Any) -> None:
    """Register ``send``, ``resend``, ``verify`` and ``status``."""
    send = commands.add_parser("send", help="send a PIN by SMS, voice or e-mail", epilog=EXIT_CODES)
    add_connection_options(send, insecure_http=True)
    add_application_id(send)
    add_message_id(send)
    send.add_argument("--to", required=True, help="phone number (or e-mail address with --channel email)")
    send.add_argument("--from", dest="sender", help="sender id overriding the template's")
    send.add_argument("--channel", choices=_CHANNELS, default="sms", help="how to send the PIN (default sms)")
    send.add_argument(
        "--placeholder", action="append", type=_placeholder, metavar="KEY=VALUE", help="fill {{KEY}} in the template"
    )
    send.add_argument("--no-number-lookup", action="store_true", help="send with ncNeeded=false")
    add_shield_options(send)
    send.set_defaults(run=run, parser=send)

    resend = commands.add_parser("resend", help="send the same PIN again", epilog=EXIT_CODES)
    add_connection_options(resend, insecure_http=True)
    resend.add_argument("pin_id", help="the pinId the send answered")
    resend.add_argument("--channel", choices=_CHANNELS, default="sms", help="how to send the PIN (default sms)")
    resend.add_argument(
        "--placeholder", action="append", type=_placeholder, metavar="KEY=VALUE", help="fill {{KEY}} in the template"
    )
    resend.set_defaults(run=run)

    verify = commands.add_parser("verify", help="verify a PIN (exit 3 when it is not verified)", epilog=EXIT_CODES)
    add_connection_options(verify, insecure_http=True)
    verify.add_argument("pin_id", help="the pinId the send answered")
    verify.add_argument("pin", help="the PIN the user typed")
    verify.set_defaults(run=run)

    status = commands.add_parser("status", help="show verification status of a phone number", epilog=EXIT_CODES)
    add_connection_options(status, insecure_http=True)
    add_application_id(status)
    status.add_argument("--msisdn", required=True, help="the phone number")
    status.add_argument("--verified", type=flag, help="only entries verified (true) or not (false)")
    status.add_argument("--sent", type=flag, help="only entries sent (true) or not (false)")
    status.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one PIN command; a send the abuse shield refused exits 5, with the error on stderr."""
    shield = build_shield(args, args.parser) if args.command == "send" else None
    hooks: list[Hook] = []
    if shield is not None and shield.mode == "monitor":
        hooks.append(MonitorReport(err, as_json=args.json))
    try:
        return asyncio.run(run_pin_command(args, out, shield, hooks))
    except SendRefusedError as refused:
        print_error(refused, args, err)
        return EXIT_REFUSED


async def run_pin_command(
    args: argparse.Namespace, out: TextIO, shield: Shield | None = None, hooks: Sequence[Hook] = ()
) -> int:
    """send / resend / verify / status against INFOBIP_BASE_URL or --base-url."""
    async with TwoFactorClient(
        args.api_key, base_url(args), allow_insecure_http=args.allow_insecure_http, shield=shield, hooks=hooks
    ) as client:
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
    if args.command == "status" and not result and not args.json:
        print_line(out, f"no verifications of {args.msisdn} under application {args.application_id}")
        return 0
    show(result, args, out)
    if args.command == "verify" and not result.verified:
        return 3  # a wrong or expired PIN: a clear answer, but not a success
    if isinstance(result, PinSent) and not result.message_sent:
        return 4  # answered, but not sent: MESSAGE_NOT_SENT
    return 0
