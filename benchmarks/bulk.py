"""Bulk dispatch benchmark: peak memory and items per second of ``send_many`` at 100k and 1M items.

    python benchmarks/bulk.py                 # 100,000 and 1,000,000 items (a few minutes)
    python benchmarks/bulk.py --items 2000    # a quick look

Each size runs in a fresh process, so each peak RSS is that run's own. The requests are generated lazily and the
answers come from an in-process ``httpx.MockTransport`` (no sockets), so what is measured is the library: the
bulk machinery, validation, JSON and the converter. Targets: peak RSS under 150 MB at 1M items, and growing less
than 20% from 100k to 1M. Results go to ``results/<date>-bulk.json`` and the "Bulk dispatch" part of RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SENT = json.dumps(
    {
        "pinId": "9C817C6F8AF3D48F9FE553282AFA2B67",
        "to": "41793026727",
        "ncStatus": "NC_DESTINATION_REACHABLE",
        "smsStatus": "MESSAGE_SENT",
    }
).encode()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


async def _child(items: int, concurrency: int) -> dict[str, Any]:
    import httpx

    from infobip_2fa_async import SendPinRequest, TwoFactorClient

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=SENT, headers={"content-type": "application/json"})

    def requests() -> Any:
        for number in range(items):
            yield SendPinRequest("APP", "MSG", f"4179{number % 10_000_000:07d}", placeholders={"n": str(number)})

    async with TwoFactorClient("k", transport=httpx.MockTransport(handler)) as client:
        # warm up: hooks generated, modules loaded, so the starting RSS is the library at rest
        async for _ in client.send_many(requests_prefix(200), concurrency=concurrency):
            pass
        start_rss = _rss_mb()
        started = time.perf_counter()
        sent = failed = 0
        async for result in client.send_many(requests(), concurrency=concurrency):
            sent += result.ok
            failed += not result.ok
        seconds = time.perf_counter() - started
    return {
        "items": items,
        "sent": sent,
        "failed": failed,
        "seconds": seconds,
        "items_per_second": items / seconds,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _rss_mb(),
        "concurrency": concurrency,
    }


def requests_prefix(count: int) -> Any:
    from infobip_2fa_async import SendPinRequest

    return (SendPinRequest("APP", "MSG", f"4179{n:07d}") for n in range(count))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where the JSON goes")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child, args.concurrency))))
        return 0
    runs = []
    for items in args.items:
        output = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                str(items),
                "--concurrency",
                str(args.concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(output.stdout.strip().splitlines()[-1]))
        run = runs[-1]
        print(
            f"{items:>9,} items: {run['items_per_second']:,.0f} items/s, peak RSS {run['peak_rss_mb']:.1f} MB "
            f"(at rest before the run: {run['start_rss_mb']:.1f} MB)",
            flush=True,
        )
    command = "python benchmarks/bulk.py" + (
        "" if argv is None and len(sys.argv) == 1 else " " + " ".join(sys.argv[1:])
    )
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        f"Run on {date} with `{command}`: concurrency {args.concurrency}, an in-process MockTransport.",
        "",
        "| items | items/s | peak RSS | RSS at rest before the run |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['items']:,} | {r['items_per_second']:,.0f} | {r['peak_rss_mb']:.1f} MB | {r['start_rss_mb']:.1f} MB |"
        for r in runs
    ]
    if len(runs) >= 2:
        small, large = runs[0], runs[-1]
        growth = large["peak_rss_mb"] / small["peak_rss_mb"] - 1
        checks = [
            (
                f"peak RSS at {large['items']:,} items < 150 MB",
                large["peak_rss_mb"] < 150,
                f"{large['peak_rss_mb']:.1f} MB",
            ),
            (f"growth from {small['items']:,} to {large['items']:,} items < 20%", growth < 0.20, f"{growth:.1%}"),
        ]
        lines += ["", "| target | measured | result |", "|---|---|---|"]
        lines += [f"| {text} | {value} | {'PASS' if ok else 'FAIL'} |" for text, ok, value in checks]
        for text, ok, value in checks:
            print(f"{'PASS' if ok else 'FAIL'}  {text}: {value}")
    table = "\n".join(lines) + "\n"
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{date}-bulk.json").write_text(json.dumps({"date": date, "command": command, "runs": runs}, indent=2))
    if args.items == [100_000, 1_000_000]:
        path = HERE / "RESULTS.md"
        text = path.read_text() if path.exists() else "# Benchmark results\n"
        if "<!-- bulk -->" not in text:
            text += "\n## Bulk dispatch\n\n<!-- bulk -->\n<!-- /bulk -->\n"
        head, rest = text.split("<!-- bulk -->", 1)
        tail = rest.split("<!-- /bulk -->", 1)[1]
        path.write_text(f"{head}<!-- bulk -->\n{table}<!-- /bulk -->{tail}")
    print("\n" + table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
