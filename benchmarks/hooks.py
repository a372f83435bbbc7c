"""What instrumentation costs: CPU per ``send_pin`` on an in-process MockTransport with no hooks, with a hook that
watches nothing, with a hook that does nothing on every event, and with OpenTelemetryHooks on the OpenTelemetry SDK.

    python benchmarks/hooks.py                  # 20,000 calls per sample, 5 interleaved rounds
    python benchmarks/hooks.py --calls 2000     # a quick look

Each variant is measured two ways: CPU microseconds per call in the same process, interleaved round by round
(median, and the ratio to "no hooks"); and, when valgrind is installed, instructions per call counted by callgrind
(the difference between a 3,000- and a 1,000-call run of each variant in a fresh process, ``PYTHONHASHSEED=0``), which
the machine's noise does not move. Results go to ``results/<date>-hooks.json`` and the "Hooks" part of RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from infobip_2fa_async import Hook, TwoFactorClient  # noqa: E402

SENT = json.dumps({"pinId": "9C817C6F8AF3D48F9FE553282AFA2B67", "to": "41793026727", "smsStatus": "MESSAGE_SENT"})


class Silent(Hook):
    """Overrides every event and does nothing: the cost of calling hooks at all."""

    def on_call_started(self, event: Any) -> None: ...
    def on_request_sent(self, event: Any) -> None: ...
    def on_response_received(self, event: Any) -> None: ...
    def on_retry_scheduled(self, event: Any) -> None: ...
    def on_call_finished(self, event: Any) -> None: ...


def variants() -> dict[str, list[Hook]]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    from infobip_2fa_async.otel import OpenTelemetryHooks

    otel = OpenTelemetryHooks(TracerProvider(), MeterProvider(metric_readers=[InMemoryMetricReader()]))
    return {"no hooks": [], "a hook watching nothing": [Hook()], "a hook on every event": [Silent()],
            "OpenTelemetryHooks (SDK)": [otel]}  # fmt: skip


def instructions_per_call(name: str) -> int:
    """Instructions per call of one variant, counted by callgrind in fresh processes."""
    counts = []
    for calls in (1000, 3000):
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(Path(__file__)),
             "--child", name, "--calls", str(calls)],
            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        counts.append(int(re.search(r"Collected : (\d+)", done.stderr)[1]))  # type: ignore[index]
    return (counts[1] - counts[0]) // 2000


async def cpu_per_call(hooks: list[Hook], calls: int) -> float:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=SENT.encode(), headers={"content-type": "application/json"})

    async with TwoFactorClient("k", transport=httpx.MockTransport(handler), hooks=hooks) as client:
        start = time.process_time()
        for _ in range(calls):
            await client.send_pin(application_id="APP", message_id="MSG", to="41793026727")
        return (time.process_time() - start) / calls * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    hooks = variants()
    if args.child:
        asyncio.run(cpu_per_call(hooks[args.child], args.calls))
        return 0
    instructions = {name: instructions_per_call(name) for name in hooks} if shutil.which("valgrind") else {}
    samples: dict[str, list[float]] = {name: [] for name in hooks}
    for chosen in hooks.values():  # warm-up
        asyncio.run(cpu_per_call(chosen, min(args.calls, 1000)))
    for _ in range(args.rounds):
        for name, chosen in hooks.items():
            samples[name].append(asyncio.run(cpu_per_call(chosen, args.calls)))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    base = medians["no hooks"]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    command = " ".join(["python benchmarks/hooks.py", *(argv if argv is not None else sys.argv[1:])])
    lines = [
        f"Run on {date} with `{command}`: {args.calls:,} calls per sample, {args.rounds} interleaved rounds.",
        "",
        "| hooks | CPU µs per send_pin, median (min-max) | vs no hooks | instructions per call | vs no hooks |",
        "|---|---|---|---|---|",
        *(f"| {name} | {medians[name]:.1f} ({min(v):.1f}-{max(v):.1f}) | {medians[name] / base:.2f} | "
          + (f"{instructions[name]:,} | {instructions[name] / instructions['no hooks']:.3f} |" if instructions
             else "(no valgrind) | |")
          for name, v in samples.items()),
    ]  # fmt: skip
    table = "\n".join(lines) + "\n"
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"date": date, "command": command, "samples": samples, "instructions": instructions}
    (args.out / f"{date}-hooks.json").write_text(json.dumps(result))
    if argv is None and not sys.argv[1:]:
        path = HERE / "RESULTS.md"
        text = path.read_text()
        if "<!-- hooks -->" not in text:
            text += "\n## Hooks\n\n<!-- hooks -->\n<!-- /hooks -->\n"
        head, rest = text.split("<!-- hooks -->", 1)
        path.write_text(f"{head}<!-- hooks -->\n{table}<!-- /hooks -->{rest.split('<!-- /hooks -->', 1)[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
