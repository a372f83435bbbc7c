"""Send, resend and verify a PIN with TwoFactorClient, against a tiny local stand-in for the 2FA API.

Run: python examples/quickstart.py   (no credentials, no network)
"""

from __future__ import annotations

import asyncio
import json
import secrets

import httpx

from infobip_2fa_async import PinError, TwoFactorClient

PINS: dict[str, str] = {}  # pinId -> PIN, as the stand-in "delivered" it
ATTEMPTS: dict[str, int] = {}


def stand_in(request: httpx.Request) -> httpx.Response:
    """Just enough of the 2FA API for this walk-through: send, resend and verify."""
    path = request.url.path
    if path in ("/2fa/2/pin", "/2fa/2/pin/voice"):
        body = json.loads(request.content)
        pin_id = secrets.token_hex(16).upper()
        PINS[pin_id], ATTEMPTS[pin_id] = f"{secrets.randbelow(10**4):04d}", 3
        print(f"  [stand-in] texted {body['to']}: your code is {PINS[pin_id]}")
        status = {"callStatus": "PENDING_ACCEPTED"} if path.endswith("voice") else {"smsStatus": "MESSAGE_SENT"}
        return httpx.Response(
            200, json={"pinId": pin_id, "to": body["to"], "ncStatus": "NC_DESTINATION_REACHABLE", **status}
        )
    pin_id = path.split("/")[4]
    if path.endswith("/resend"):
        print(f"  [stand-in] texted again: your code is {PINS[pin_id]}")
        return httpx.Response(200, json={"pinId": pin_id, "to": "41793026727", "smsStatus": "MESSAGE_SENT"})
    typed = json.loads(request.content)["pin"]
    ATTEMPTS[pin_id] -= 1
    answer = {"pinId": pin_id, "msisdn": "41793026727", "attemptsRemaining": ATTEMPTS[pin_id]}
    if typed == PINS[pin_id]:
        return httpx.Response(200, json={**answer, "verified": True})
    return httpx.Response(200, json={**answer, "verified": False, "pinError": "WRONG_PIN"})


async def main() -> int:
    async with TwoFactorClient("demo-key", transport=httpx.MockTransport(stand_in)) as client:
        sent = await client.send_pin(application_id="APP", message_id="MSG", to="+41 79 302 67 27")
        print(f"sent pin_id={sent.pin_id} sms_status={sent.sms_status}")
        await client.resend_pin(sent.pin_id)
        wrong = await client.verify_pin(sent.pin_id, "not-it")
        print(f"wrong PIN: verified={wrong.verified} pin_error={wrong.pin_error} left={wrong.attempts_remaining}")
        right = await client.verify_pin(sent.pin_id, PINS[sent.pin_id])
        print(f"right PIN: verified={right.verified}")
        return 0 if (right.verified and wrong.pin_error is PinError.WRONG_PIN) else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
