"""``infobip-2fa applications`` and ``infobip-2fa templates``: list, create, get and update the application and
the SMS/voice templates that ``send`` needs, against a real account or the sandbox."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, TextIO

from .._client import TwoFactorClient
from ._common import EXIT_CODES, add_application_id, add_connection_options, base_url, flag, show

__all__ = ["add_parsers"]

# Application settings: option -> (ApplicationConfiguration field, help)
_CONFIGURATION = {
    "--pin-attempts": ("pin_attempts", "how many verifications a PIN allows (server default 10)"),
    "--pin-time-to-live": ("pin_time_to_live", "how long a PIN lives, e.g. 15m (units ms, s, m, h, d)"),
    "--verify-pin-limit": ("verify_pin_limit", "verifications allowed per phone number, e.g. 1/3s"),
    "--send-pin-per-application-limit": ("send_pin_per_application_limit", "sends per application, e.g. 10000/1d"),
    "--send-pin-per-phone-number-limit": ("send_pin_per_phone_number_limit", "sends per number, e.g. 3/1d"),
    "--allow-multiple-pin-verifications": (
        "allow_multiple_pin_verifications", "whether a verified PIN may be verified again (true or false)",
    ),
}  # fmt: skip
# Template fields: option -> (Templates.create/update argument, help)
_TEMPLATE = {
    "--message-text": ("message_text", "the message, with {{pin}} where the PIN goes"),
    "--pin-type": ("pin_type", "NUMERIC, ALPHA, HEX or ALPHANUMERIC"),
    "--pin-length": ("pin_length", "how many characters the PIN has"),
    "--language": ("language", "language of a voice message, e.g. en"),
    "--sender-id": ("sender_id", "the sender shown on the SMS"),
    "--repeat-dtmf": ("repeat_dtmf", "a key that repeats a voice message, e.g. 1#"),
    "--speech-rate": ("speech_rate", "speed of a voice message, 0.5 to 2"),
    "--voice-name": ("voice_name", "the voice reading the message, e.g. Joanna"),
}
_NUMBERS = {"pin_attempts": int, "pin_length": int, "speech_rate": float}


def _command(group: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    command: argparse.ArgumentParser = group.add_parser(name, help=help_text, epilog=EXIT_CODES)
    add_connection_options(command, insecure_http=True)
    command.set_defaults(run=run)
    return command


def _options(
    command: argparse.ArgumentParser, table: dict[str, tuple[str, str]], required: tuple[str, ...] = ()
) -> None:
    for option, (field, help_text) in table.items():
        kind: Any = flag if field == "allow_multiple_pin_verifications" else _NUMBERS.get(field, str)
        command.add_argument(option, dest=field, type=kind, help=help_text, required=field in required)


def add_parsers(commands: Any) -> None:
    """Register ``applications`` and ``templates`` with their list/create/get/update."""
    applications = commands.add_parser("applications", help="list, create, read and update 2FA applications")
    verbs = applications.add_subparsers(dest="verb", required=True)
    _command(verbs, "list", "every application of the account")
    for verb in ("create", "update"):
        command = _command(verbs, verb, f"{verb} an application")
        if verb == "update":
            command.add_argument("application_id", help="the application's id")
        command.add_argument("--name", required=True, help="the application's name")
        command.add_argument("--enabled", type=flag, help="whether the application may send PINs (true or false)")
        _options(command, _CONFIGURATION)
    _command(verbs, "get", "one application").add_argument("application_id", help="the application's id")

    templates = commands.add_parser("templates", help="list, create, read and update SMS/voice message templates")
    verbs = templates.add_subparsers(dest="verb", required=True)
    add_application_id(_command(verbs, "list", "every template of an application"))
    for verb in ("create", "update"):
        command = _command(verbs, verb, f"{verb} an SMS/voice template")
        add_application_id(command)
        if verb == "update":
            command.add_argument("message_id", help="the template's id")
        _options(command, _TEMPLATE, required=("message_text", "pin_type") if verb == "create" else ())
    command = _command(verbs, "get", "one template")
    add_application_id(command)
    command.add_argument("message_id", help="the template's id")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run one management command."""
    return asyncio.run(_run(args, out))


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    from .._management_models import ApplicationConfiguration

    async with TwoFactorClient(args.api_key, base_url(args), allow_insecure_http=args.allow_insecure_http) as client:
        result: Any
        if args.command == "applications":
            if args.verb == "list":
                result = await client.applications.list()
            elif args.verb == "get":
                result = await client.applications.get(args.application_id)
            else:
                settings = {field: getattr(args, field) for field, _ in _CONFIGURATION.values()}
                given = {field: value for field, value in settings.items() if value is not None}
                configuration = ApplicationConfiguration(**given) if given else None
                common = {"name": args.name, "configuration": configuration, "enabled": args.enabled}
                if args.verb == "create":
                    result = await client.applications.create(**common)
                else:
                    result = await client.applications.update(args.application_id, **common)
        elif args.verb == "list":
            result = await client.templates.list(args.application_id)
        elif args.verb == "get":
            result = await client.templates.get(args.application_id, args.message_id)
        else:
            fields = {field: getattr(args, field) for field, _ in _TEMPLATE.values()}
            if args.verb == "create":
                result = await client.templates.create(args.application_id, **fields)
            else:
                result = await client.templates.update(args.application_id, args.message_id, **fields)
    show(result, args, out)
    return 0
