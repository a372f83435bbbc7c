"""The shared gate (RedisGate): Redis round trips per send, how well 4 processes hold one rate, and what the gate
costs in throughput.

    python benchmarks/gate.py                 # needs redis-server on PATH (Debian: apt-get install redis-server)
    python benchmarks/gate.py --sends 300     # a quick look

It starts a redis-server on a free loopback port and the benchmark server (granian, as run.py does), then runs 4
sender processes (``gate_sender.py``, 25 concurrent sends each):

1. rate 200/s, burst 1: Redis calls per send, the busiest second (by the slots the gate granted, and by when the
   requests left), and the rate reached in steady state;
2. unlimited: the same 4 processes with no gate, and with a RedisGate whose rate is far above what they can send
   (so the gate only costs its round trips: slots for all of a process's waiting sends in one), interleaved over 3
   rounds; requests per second and Redis calls per send, medians.

Results go to ``results/<date>-gate.json`` and the "Shared gate" part of RESULTS.md.
"""

from __future__ import annotations

import argparse
import bisect
import json
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import _free_port, start_server  # noqa: E402

PROCESSES, CONCURRENCY = 4, 25


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    """A throwaway redis-server on a free loopback port."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not on PATH: apt-get install redis-server (Debian), or brew install redis")
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    return server, f"redis://127.0.0.1:{port}/0"


def senders(base_url: str, redis_url: str, rate: str, burst: str, count: int) -> list[dict[str, Any]]:
    """4 sender processes at once; their JSON results."""
    key = f"bench-{uuid.uuid4().hex}"
    command = [sys.executable, str(HERE / "gate_sender.py"), base_url, redis_url, key, rate, burst, str(count),
               str(CONCURRENCY), "APP", "MSG"]  # fmt: skip
    processes = [
        subprocess.Popen([*command, f"41{n}7"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        for n in range(PROCESSES)
    ]
    return [json.loads(process.communicate(timeout=600)[0].splitlines()[-1]) for process in processes]


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(bisect.bisect_left(times, start + 1.0) - index for index, start in enumerate(times))


def steady_rate(times: list[float]) -> float:
    times = sorted(times)
    steady = times[len(times) // 10 : -len(times) // 10]
    return (len(steady) - 1) / (steady[-1] - steady[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sends", type=int, default=1500, help="sends per process in the unlimited runs")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where the JSON goes")
    args = parser.parse_args(argv)
    redis, redis_url = start_redis()
    server, base_url = start_server()
    try:
        limited = senders(base_url, redis_url, "200", "1", 150)
        slots = [slot for result in limited for slot in result["slots"]]
        out_at = [at for result in limited for at in result["out_at"]]
        sends = sum(result["sent"] for result in limited)
        shared = {
            "sends": sends,
            "calls_per_send": sum(result["calls"] for result in limited) / sends,
            "busiest_second_slots": busiest_second(slots),
            "busiest_second_sent": busiest_second(out_at),
            "steady_rate_slots": steady_rate(slots),
            "steady_rate_sent": steady_rate(out_at),
        }
        print(json.dumps(shared), flush=True)
        throughput: dict[str, list[float]] = {"no gate": [], "RedisGate": []}
        unlimited_calls: list[float] = []
        for _ in range(3):
            for name, url, rate in (("no gate", "none", "none"), ("RedisGate", redis_url, "1000000")):
                results = senders(base_url, url, rate, "none", args.sends)
                rate_reached = sum(r["sent"] for r in results) / max(r["seconds"] for r in results)
                throughput[name].append(rate_reached)
                if url != "none":
                    unlimited_calls.append(sum(r["calls"] for r in results) / sum(r["sent"] for r in results))
                print(f"  {name}: {rate_reached:,.0f} sends/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        redis.terminate()
        redis.wait(timeout=10)
    medians = {name: statistics.median(values) for name, values in throughput.items()}
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    command = "python benchmarks/gate.py" + ("" if not (argv or sys.argv[1:]) else " " + " ".join(argv or sys.argv[1:]))
    table = "\n".join([
        f"Run on {date} with `{command}`: {PROCESSES} processes x {CONCURRENCY} concurrent sends, a redis-server and "
        "the benchmark server on this machine.",
        "",
        "| shared rate 200/s, burst 1 | measured |",
        "|---|---|",
        f"| Redis calls per send | {shared['calls_per_send']:.2f} |",
        f"| busiest second, by the slots the gate granted | {shared['busiest_second_slots']} |",
        f"| busiest second, by when requests left the processes | {shared['busiest_second_sent']} |",
        f"| steady rate, granted / left | {shared['steady_rate_slots']:.1f} / {shared['steady_rate_sent']:.1f} per s |",
        "",
        "| 4 processes, unlimited | sends/s, median of 3 (min-max) |",
        "|---|---|",
        *(f"| {name} | {medians[name]:,.0f} ({min(v):,.0f}-{max(v):,.0f}) |" for name, v in throughput.items()),
        f"| Redis calls per send through the RedisGate | {statistics.median(unlimited_calls):.2f} "
        f"({min(unlimited_calls):.2f}-{max(unlimited_calls):.2f}) |",
        "",
        f"The gate's round trip costs {1 - medians['RedisGate'] / medians['no gate']:.0%} of the unlimited throughput.",
    ]) + "\n"  # fmt: skip
    print("\n" + table)
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"date": date, "command": command, "shared": shared, "throughput": throughput,
              "unlimited_calls_per_send": unlimited_calls}  # fmt: skip
    (args.out / f"{date}-gate.json").write_text(json.dumps(result, indent=2))
    if not argv and not sys.argv[1:]:
        path = HERE / "RESULTS.md"
        text = path.read_text()
        if "<!-- gate -->" not in text:
            text += "\n## Shared gate (Redis)\n\n<!-- gate -->\n<!-- /gate -->\n"
        head, rest = text.split("<!-- gate -->", 1)
        tail = rest.split("<!-- /gate -->", 1)[1]
        path.write_text(f"{head}<!-- gate -->\n{table}<!-- /gate -->{tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
