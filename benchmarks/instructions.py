"""Instructions per ``send_pin``, counted by callgrind: the steady measure of what the send path costs (on this shared
machine CPU time moves by ±30% from run to run; instruction counts do not).

    python benchmarks/instructions.py                                     # this checkout
    python benchmarks/instructions.py --tree /tmp/baseline --tree .       # before (``git worktree add``) and after
    python benchmarks/instructions.py --in-process ...                    # the library's own path alone
    python benchmarks/instructions.py --operation verify_pin ...          # verify_pin instead of send_pin

For each tree and each variant (no hooks; one hook that overrides every event and does nothing), a fresh client
process imports the library from that tree (``PYTHONPATH``) and sends PINs under ``valgrind --tool=callgrind``:

- by default on the default (aiohttp) backend, 64 at a time, to the benchmark server (granian, one worker pinned to
  core 0, as ``run.py`` starts it): 1,000 and 4,000 requests after the same warm-up of 640. The client process alone
  is counted. How many answers the event loop handles per wake-up depends on timing, which moves a figure by a few
  thousand instructions from run to run (more with a hook);
- with ``--in-process``, one at a time to a backend that answers at once with a canned body (it replaces the client's
  own; the only private attribute this touches), 1,000 and 3,000 requests after a warm-up of 200: what the library
  itself does per call, without aiohttp, sockets or timing.

Per request = the difference between the two sizes / their difference, so start-up, imports and the warm-up cancel
out; ``PYTHONHASHSEED=0`` keeps string hashing, and so dict layouts, the same in every run. Each figure is measured
``--repeat`` times (default 3), trees and variants interleaved, and given as the median and the range.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import start_server  # noqa: E402
from server import SENT, VERIFIED  # noqa: E402

VARIANTS = {"none": "no hooks", "noop": "a no-op hook on every event"}
#: Not the library: raw aiohttp doing the same POST and JSON parse (``contestants.raw_aiohttp``), the floor its own I/O
#: library sets. Against the server only (``--variant aiohttp``; ``run.py`` measures it beside ``none``).
RAW = {"aiohttp": "raw aiohttp, the same POST and JSON parse"}
SIZES = {"server": (1000, 4000), "in-process": (1000, 3000)}
WARM_UP = {"server": 640, "in-process": 200}
CONCURRENCY = 64
#: What is measured: the call, and the canned answer of the in-process backend.
OPERATIONS = {"send_pin": SENT, "verify_pin": VERIFIED}


class Answering:
    """A backend that answers every request at once with the canned 200 a send gets."""

    is_closed = False

    def __init__(self, raw_response: Any, body: bytes = SENT) -> None:
        self.answer = raw_response(200, {"content-type": "application/json"}, body)

    async def send(self, *request: Any) -> Any:
        return self.answer

    async def aclose(self) -> None:
        pass


async def _send(base_url: str | None, requests: int, variant: str, operation: str = "send_pin") -> None:
    """Inside the measured process: a warm-up, then ``requests`` calls of ``operation`` (to ``base_url``,
    ``CONCURRENCY`` at a time; without one, in-process one at a time)."""
    import contestants

    verify = operation == "verify_pin"
    if variant in RAW:
        assert base_url is not None, "raw aiohttp is measured against the server"
        path, body = (
            (contestants.VERIFY_PATH, contestants.VERIFY_BYTES) if verify else ("/2fa/2/pin", contestants.SEND_BYTES)
        )
        await contestants.raw_aiohttp(base_url, WARM_UP["server"] + requests, CONCURRENCY, path, body)
        return

    from infobip_2fa_async import Hook, TwoFactorClient

    class Silent(Hook):
        def on_call_started(self, event: Any) -> None: ...
        def on_request_sent(self, event: Any) -> None: ...
        def on_response_received(self, event: Any) -> None: ...
        def on_retry_scheduled(self, event: Any) -> None: ...
        def on_call_finished(self, event: Any) -> None: ...

    hooks = [Silent()] if variant == "noop" else []
    send = contestants.SEND
    async with TwoFactorClient(contestants.API_KEY, base_url, hooks=hooks) as client:

        async def one() -> None:
            if verify:
                assert (await client.verify_pin(contestants.PIN_ID, "1234")).verified
                return
            sent = await client.send_pin(application_id=send["applicationId"], message_id=send["messageId"],
                                         to=send["to"])  # fmt: skip
            assert sent.pin_id

        if base_url is None:
            from infobip_2fa_async._backends import RawResponse

            transport = client._transport
            # The client's backend, or, where respx is installed, the one inside the wrapper that watches for it.
            holder = transport.backend if hasattr(transport.backend, "backend") else transport
            holder.backend = Answering(RawResponse, OPERATIONS[operation])
            for _ in range(WARM_UP["in-process"] + requests):
                await one()
            return
        await contestants._closed_loop(WARM_UP["server"], CONCURRENCY, one)
        await contestants._closed_loop(requests, CONCURRENCY, one)


def count(tree: Path, variant: str, base_url: str | None, requests: int, operation: str = "send_pin") -> int:
    """Instructions of one client process (callgrind's total)."""
    environment = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}  # the same dict layouts each run
    server = ["--base-url", base_url] if base_url else []
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(Path(__file__)),
               "--child", variant, "--requests", str(requests), "--operation", operation, *server]  # fmt: skip
    taskset = ["taskset", "-c", "1"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    done = subprocess.run([*taskset, *command], capture_output=True, text=True, check=True, env=environment)
    return int(re.search(r"Collected : (\d+)", done.stderr)[1])  # type: ignore[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, action="append", help="a checkout to measure (repeatable)")
    parser.add_argument("--variant", choices=sorted({**VARIANTS, **RAW}), action="append", help="only these variants")
    parser.add_argument("--repeat", type=int, default=3, help="measurements of each figure")
    parser.add_argument("--in-process", action="store_true", help="the library alone, on a backend that answers")
    parser.add_argument("--operation", choices=sorted(OPERATIONS), default="send_pin", help="the call measured")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(_send(args.base_url, args.requests, args.child, args.operation))
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on PATH: apt-get install valgrind (Debian)")
    trees = [tree.resolve() for tree in args.tree or [HERE.parent]]
    chosen = [variant for variant in {**VARIANTS, **RAW} if variant in (args.variant or VARIANTS)]
    mode = "in-process" if args.in_process else "server"
    if mode == "in-process" and any(variant in RAW for variant in chosen):
        parser.error("raw aiohttp is measured against the server: leave out --in-process")
    per_request = measure(trees, chosen, mode, args.repeat, args.operation)
    print(f"| tree | variant | instructions per {args.operation} ({mode}), median (min-max) |\n|---|---|---|")
    for (tree, variant), values in per_request.items():
        label = {**VARIANTS, **RAW}[variant]
        print(f"| {tree} | {label} | {statistics.median(values):,.0f} ({min(values):,}-{max(values):,}) |")
    return 0


def measure(
    trees: list[Path], variants: list[str], mode: str, repeat: int, operation: str = "send_pin"
) -> dict[tuple[Path, str], list[int]]:
    """Instructions per request of each tree and variant (raw aiohttp: once, whatever the trees), ``repeat`` times,
    interleaved; ``mode`` is ``"server"`` or ``"in-process"``; ``operation`` the call (``OPERATIONS``)."""
    small_size, large_size = SIZES[mode]
    pairs = [(tree, variant) for tree in trees for variant in variants if variant not in RAW]
    pairs += [(trees[0], variant) for variant in variants if variant in RAW]
    per_request: dict[tuple[Path, str], list[int]] = {pair: [] for pair in pairs}
    server, base_url = start_server() if mode == "server" else (None, None)
    try:
        for _ in range(repeat):
            for tree, variant in per_request:
                small, large = (count(tree, variant, base_url, size, operation) for size in (small_size, large_size))
                per_request[tree, variant].append((large - small) // (large_size - small_size))
                print(f"{tree} {variant} {operation}: {per_request[tree, variant][-1]:,}", file=sys.stderr, flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    return per_request


if __name__ == "__main__":
    raise SystemExit(main())
