"""A process that sends PINs, through a shared RedisGate or none, for the gate benchmark (gate.py) and the
multi-process gate tests:

    python benchmarks/gate_sender.py BASE_URL REDIS_URL KEY RATE BURST COUNT CONCURRENCY APP_ID MESSAGE_ID PREFIX

RATE and BURST may be "none"; REDIS_URL "none" sends without a gate. Prints one JSON line: how many were sent and
failed, the gate's Redis calls, the seconds it took, the slot the gate granted each request (Redis's clock) and
when each actually went out (this machine's clock).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from infobip_2fa_async import SendPinRequest, TwoFactorClient
from infobip_2fa_async.redis import RedisGate


async def main(argv: list[str]) -> dict[str, object]:
    base_url, redis_url, key, rate, burst, count, concurrency, app, message, prefix = argv
    gate = None
    if redis_url != "none":
        limit = None if rate == "none" else float(rate)
        gate = RedisGate.from_url(redis_url, key=key, rate=limit, burst=None if burst == "none" else float(burst))
    requests = (SendPinRequest(app, message, f"{prefix}{n:06d}") for n in range(1, int(count) + 1))
    sent = failed = 0
    out_at: list[float] = []
    slots: list[float] = []

    def went_out(*_: object) -> None:
        out_at.append(time.time())
        slots.append(0.0 if gate is None or gate.last_slot is None else gate.last_slot)

    started = time.perf_counter()
    async with TwoFactorClient("sandbox-key", base_url) as client:
        async for result in client.send_many(requests, concurrency=int(concurrency), gate=gate, before_send=went_out):
            sent += result.ok
            failed += not result.ok
    seconds = time.perf_counter() - started
    calls = 0
    if gate is not None:
        calls = gate.calls
        await gate.aclose()
    return {"sent": sent, "failed": failed, "calls": calls, "seconds": seconds, "slots": slots, "out_at": out_at}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
