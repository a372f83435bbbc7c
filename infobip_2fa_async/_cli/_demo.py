"""``infobip-2fa demo``: the PIN life cycle against the in-process sandbox, each step checked."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any, TextIO

from .._management_models import ApplicationConfiguration
from .._models import CallStatus, PinError, SmsStatus
from ._common import print_line as _print

__all__ = ["add_parser"]


def add_parser(commands: Any) -> None:
    """Register ``demo``."""
    command = commands.add_parser("demo", help="walk through send, verify and voice against the in-process sandbox")
    command.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the demo; 0 only if every step behaved."""
    return asyncio.run(run_demo(out))


async def run_demo(out: TextIO) -> int:
    """Walk through the PIN life cycle against the in-process sandbox; 0 only if every step behaved."""
    from ..sandbox import Sandbox

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
