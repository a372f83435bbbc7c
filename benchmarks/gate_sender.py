"""A process that sends PINs, through a shared RedisGate or none, for the gate benchmark (gate.py) and the
multi-process gate tests:

    python benchmarks/gate_sender.py BASE_URL REDIS_URL KEY RATE BURST COUNT CONCURRENCY APP_ID MESSAGE_ID PREFIX

RATE and BURST may be "none"; REDIS_URL "none" sends without a gate. Prints one JSON line: how many were sent and
failed, the gate's Redis calls, the seconds it took, the slots the gate was granted (Redis's clock) and when each
request actually went out (this machine's clock).

The calls and the slots are read on the way between the gate and Redis (``Counted``, around the gate's script), not
from the gate, which keeps no counters for benchmarks.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from infobip_2fa_async import SendPinRequest, TwoFactorClient
from infobip_2fa_async.redis import RedisGate, connect


class Counted:
    """The gate's Lua script, counted: each call, and the slots each call granted. For the arguments ``[operation,
    interval µs, ...]`` the script answers ``[wait µs, granted, pause ms, Redis's time µs]``; granted slot j opens at
    time + max(0, wait + j * interval)."""

    def __init__(self, script: Any) -> None:
        self.script = script
        self.calls = 0
        self.slots: list[float] = []

    async def __call__(self, *, keys: list[str], args: list[Any]) -> Any:
        self.calls += 1
        answer = await self.script(keys=keys, args=args)
        if args[0] == "enter":
            wait, granted, _pause, now = (int(value) for value in answer)
            interval = int(args[1])
            self.slots += [(now + max(0, wait + j * interval)) / 1e6 for j in range(granted)]
        return answer


def counted_redis(url: str) -> tuple[Any, list[Counted]]:
    """A Redis client whose registered scripts are counted, connected as ``RedisGate.from_url`` connects (any URL
    ``connect`` takes: a cluster, TLS with ``?ssl_ca_certs=``)."""
    redis = connect(url)
    register = redis.register_script
    scripts: list[Counted] = []

    def counting(script: Any) -> Counted:
        scripts.append(Counted(register(script)))
        return scripts[-1]

    redis.register_script = counting
    return redis, scripts


async def main(argv: list[str]) -> dict[str, object]:
    base_url, redis_url, key, rate, burst, count, concurrency, app, message, prefix = argv
    gate = redis = None
    scripts: list[Counted] = []
    if redis_url != "none":
        limit = None if rate == "none" else float(rate)
        redis, scripts = counted_redis(redis_url)
        gate = RedisGate(redis, key=key, rate=limit, burst=None if burst == "none" else float(burst))
    requests = (SendPinRequest(app, message, f"{prefix}{n:06d}") for n in range(1, int(count) + 1))
    sent = failed = 0
    out_at: list[float] = []

    def went_out(*_: object) -> None:
        out_at.append(time.time())

    started = time.perf_counter()
    async with TwoFactorClient("sandbox-key", base_url) as client:
        async for result in client.send_many(requests, concurrency=int(concurrency), gate=gate, before_send=went_out):
            sent += result.ok
            failed += not result.ok
    seconds = time.perf_counter() - started
    if redis is not None:
        await redis.aclose()
    calls = sum(script.calls for script in scripts)
    slots = [slot for script in scripts for slot in script.slots]
    return {"sent": sent, "failed": failed, "calls": calls, "seconds": seconds, "slots": slots, "out_at": out_at}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1:]))))
