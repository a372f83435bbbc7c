"""Benchmark runner: every comparison in one go, with PASS/FAIL per target.

    python benchmarks/run.py                      # the full run (about 5 minutes on 2 cores)
    python benchmarks/run.py --smoke              # tiny sizes, to check the harness works (the test suite runs this)

What it measures, each as a ratio against a baseline measured in the same run:
1. throughput and client CPU per request of each contestant against a canned 2FA server (granian, one worker,
   pinned to core 0; the client pinned to core 1), at concurrency 1 and 64; contestants interleaved
   A B C A B C ... over several rounds; median and min-max reported; the server's CPU use noted so a saturated
   server is visible;
2. the library's own CPU per ``send_pin`` on an in-process ``httpx.MockTransport`` against raw httpx doing the
   same request and JSON parse;
3. ``import infobip_2fa_async`` against ``import httpx`` (``python -X importtime``, fresh interpreters).

Writes ``benchmarks/results/<date>.json`` and a markdown table, and puts the table in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

# name -> (description, concurrencies it runs at)
CONTESTANTS: dict[str, tuple[str, tuple[int, ...]]] = {
    "library": ("infobip_2fa_async, default transport", (1, 64)),
    "library-httpcore": ("infobip_2fa_async on httpx's own transport (httpcore)", (1, 64)),
    "raw-httpx": ("raw httpx.AsyncClient", (1, 64)),
    "raw-aiohttp": ("raw aiohttp.ClientSession", (1, 64)),
    "httpx-on-aiohttp": ("candidate: httpx.AsyncClient on httpx-aiohttp's transport", (1, 64)),
    "raw-httpx2": ("candidate: raw httpx2.AsyncClient (the fork)", (1, 64)),
    "sdk-1": ("official SDK, 1 thread", (1,)),
    "sdk-16": ("official SDK, 16 threads", (64,)),
    "sdk-64": ("official SDK, 64 threads", (64,)),
}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(name: str, base_url: str, requests: int, concurrency: int) -> dict[str, float]:
    """Inside the client process: warm up, then time ``requests`` sends. Returns wall and CPU seconds."""
    import contestants

    def call(count: int) -> None:
        if name.startswith("sdk-"):
            contestants.official_sdk(base_url, count, concurrency, threads=int(name.split("-")[1]))
        elif name == "raw-httpx":
            asyncio.run(contestants.raw_httpx(base_url, count, concurrency))
        elif name == "raw-aiohttp":
            asyncio.run(contestants.raw_aiohttp(base_url, count, concurrency))
        elif name == "httpx-on-aiohttp":
            asyncio.run(contestants.httpx_on_aiohttp(base_url, count, concurrency))
        elif name == "raw-httpx2":
            asyncio.run(contestants.raw_httpx(base_url, count, concurrency, package="httpx2"))
        else:
            transport = "httpcore" if name == "library-httpcore" else "default"
            asyncio.run(contestants.library(base_url, count, concurrency, transport))

    call(max(concurrency, requests // 10))  # warm-up: imports, connections, code paths
    cpu, wall = _cpu_seconds(), time.perf_counter()
    call(requests)
    return {"wall": time.perf_counter() - wall, "cpu": _cpu_seconds() - cpu}


def _taskset(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(value) for value in fields[11:15]) / ticks


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    """granian with the canned app, one worker, pinned to core 0."""
    port = _free_port()
    command = [
        *_taskset(0),
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asginl",
        "--workers",
        "1",
        "--runtime-threads",
        "1",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-ws",
        "--http",
        "1",
        "--log-level",
        "warning",
        "server:app",
    ]
    server = subprocess.Popen(command, cwd=HERE, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, f"http://127.0.0.1:{port}"
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("the benchmark server did not start") from None
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the benchmark server did not start listening within 20 s")


def _server_pids(server: subprocess.Popen[bytes]) -> list[int]:
    """granian runs its worker as a child process: count both."""
    pids = [server.pid]
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    return pids


def measure_http(requests: int, rounds: int, names: list[str]) -> list[dict[str, Any]]:
    """Every contestant at every concurrency it runs at, interleaved, ``rounds`` times."""
    server, base_url = start_server()
    samples: list[dict[str, Any]] = []
    try:
        for concurrency in (1, 64):
            lineup = [name for name in names if concurrency in CONTESTANTS[name][1]]
            for round_number in range(rounds):
                for name in lineup:
                    pids = _server_pids(server)
                    server_cpu = sum(_process_cpu(pid) for pid in pids)
                    command = [
                        *_taskset(1),
                        sys.executable,
                        str(HERE / "run.py"),
                        "--child",
                        name,
                        "--base-url",
                        base_url,
                        "--requests",
                        str(requests),
                        "--concurrency",
                        str(concurrency),
                    ]
                    output = subprocess.run(command, capture_output=True, text=True, check=False)
                    if output.returncode != 0:
                        raise RuntimeError(f"{name} failed:\n{output.stderr}")
                    result = json.loads(output.stdout.strip().splitlines()[-1])
                    server_cpu = sum(_process_cpu(pid) for pid in pids) - server_cpu
                    samples.append(
                        {
                            "contestant": name,
                            "concurrency": concurrency,
                            "round": round_number,
                            "requests": requests,
                            "per_second": requests / result["wall"],
                            "client_cpu_us": result["cpu"] / requests * 1e6,
                            "server_cpu_share": server_cpu / result["wall"],
                        }
                    )
                    print(
                        f"  c={concurrency:<3} {name:<18} {samples[-1]['per_second']:8.0f}/s "
                        f"{samples[-1]['client_cpu_us']:7.0f} us CPU/req  server CPU "
                        f"{samples[-1]['server_cpu_share']:.0%}",
                        flush=True,
                    )
    finally:
        server.terminate()
        server.wait(timeout=10)
    return samples


def measure_overhead(calls: int, rounds: int) -> dict[str, list[float]]:
    """CPU microseconds per send on an in-process MockTransport: the library against raw httpx."""
    import httpx

    from infobip_2fa_async import TwoFactorClient

    sent = json.dumps(
        {
            "pinId": "9C817C6F8AF3D48F9FE553282AFA2B67",
            "to": "41793026727",
            "ncStatus": "NC_DESTINATION_REACHABLE",
            "smsStatus": "MESSAGE_SENT",
        }
    ).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=sent, headers={"content-type": "application/json"})

    body = {"applicationId": "APP", "messageId": "MSG", "to": "41793026727"}

    async def library() -> float:
        async with TwoFactorClient("k", transport=httpx.MockTransport(handler)) as client:
            start = time.process_time()
            for _ in range(calls):
                await client.send_pin(application_id="APP", message_id="MSG", to="41793026727")
            return (time.process_time() - start) / calls * 1e6

    async def raw() -> float:
        headers = {"Authorization": "App k", "Content-Type": "application/json", "Accept": "application/json"}
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(handler), base_url="https://api.infobip.com", headers=headers
        ) as client:
            start = time.process_time()
            for _ in range(calls):
                response = await client.post("/2fa/2/pin", content=json.dumps(body).encode())
                response.raise_for_status()
                assert json.loads(response.content)["pinId"]
            return (time.process_time() - start) / calls * 1e6

    results: dict[str, list[float]] = {"library": [], "raw-httpx": []}
    asyncio.run(library())  # warm-up
    asyncio.run(raw())
    for _ in range(rounds):
        results["library"].append(asyncio.run(library()))
        results["raw-httpx"].append(asyncio.run(raw()))
    return results


def measure_import(repeats: int) -> dict[str, list[float]]:
    """Cumulative import time (ms) of each module in fresh interpreters, from ``python -X importtime``."""
    results: dict[str, list[float]] = {"infobip_2fa_async": [], "httpx": []}
    for _ in range(repeats):
        for module in results:
            output = subprocess.run(
                [sys.executable, "-X", "importtime", "-c", f"import {module}"],
                capture_output=True,
                text=True,
                check=True,
            )
            for line in output.stderr.splitlines():
                parts = [part.strip() for part in line.split("|")]
                if len(parts) == 3 and parts[2] == module:
                    results[module].append(int(parts[1]) / 1000)
    return results


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _machine() -> dict[str, Any]:
    versions = {}
    for package in (
        "infobip-2fa-async",
        "httpx",
        "httpcore",
        "anyio",
        "sniffio",
        "aiohttp",
        "httpx-aiohttp",
        "httpx2",
        "attrs",
        "cattrs",
        "tenacity",
        "granian",
        "infobip-api-python-client",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "packages": versions,
    }


def evaluate(
    http: list[dict[str, Any]], overhead: dict[str, list[float]], imports: dict[str, list[float]]
) -> dict[str, Any]:
    """Medians per contestant and concurrency, the target ratios, and PASS/FAIL."""
    table: dict[str, dict[str, Any]] = {}
    for sample in http:
        key = f"{sample['contestant']}@{sample['concurrency']}"
        table.setdefault(key, {"rates": [], "cpu": [], "server": []})
        table[key]["rates"].append(sample["per_second"])
        table[key]["cpu"].append(sample["client_cpu_us"])
        table[key]["server"].append(sample["server_cpu_share"])
    rows = {
        key: {
            "per_second": _summary(v["rates"]),
            "client_cpu_us": _summary(v["cpu"]),
            "server_cpu_share": max(v["server"]),
        }
        for key, v in table.items()
    }

    def rate(key: str) -> float:
        return float(rows[key]["per_second"]["median"]) if key in rows else float("nan")

    sdk_64 = max(rate("sdk-16@64"), rate("sdk-64@64"))
    overhead_ratio = statistics.median(overhead["library"]) / statistics.median(overhead["raw-httpx"])
    import_ratio = statistics.median(imports["infobip_2fa_async"]) / statistics.median(imports["httpx"])
    targets = [
        ("concurrency 64: library / best official SDK thread pool >= 1.5", rate("library@64") / sdk_64, 1.5, True),
        ("concurrency 1: library / official SDK >= 1.0", rate("library@1") / rate("sdk-1@1"), 1.0, True),
        ("CPU per send_pin on MockTransport: library / raw httpx <= 1.3", overhead_ratio, 1.3, False),
        ("import time: infobip_2fa_async / httpx <= 1.5", import_ratio, 1.5, False),
    ]
    checks = [
        {"target": text, "ratio": ratio, "passed": ratio >= bound if at_least else ratio <= bound}
        for text, ratio, bound, at_least in targets
    ]
    notes = {
        "library / raw aiohttp at concurrency 64 (aim: 0.9)": rate("library@64") / rate("raw-aiohttp@64"),
        "library / raw aiohttp at concurrency 1": rate("library@1") / rate("raw-aiohttp@1"),
        "library / raw httpx at concurrency 64": rate("library@64") / rate("raw-httpx@64"),
    }
    return {
        "rows": rows,
        "targets": checks,
        "notes": notes,
        "overhead_us": {k: _summary(v) for k, v in overhead.items()},
        "import_ms": {k: _summary(v) for k, v in imports.items()},
    }


def markdown(result: dict[str, Any], command: str) -> str:
    """The results as a markdown section."""
    machine = result["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in machine["packages"].items() if v)
    lines = [
        f"Run on {result['date']} with `{command}` ({result['requests']} requests per sample, "
        f"{result['rounds']} interleaved rounds).",
        f"Machine: {machine['cores']} cores ({machine['processor']}), Python {machine['python']}, "
        f"{machine['platform']}.",
        f"Packages: {packages}.",
        "",
        "| contestant | concurrency | requests/s median (min-max) | client CPU µs/request median | server CPU (max) |",
        "|---|---|---|---|---|",
    ]
    for key, row in sorted(result["evaluation"]["rows"].items(), key=lambda kv: (int(kv[0].split("@")[1]), kv[0])):
        name, concurrency = key.split("@")
        rate, cpu = row["per_second"], row["client_cpu_us"]
        lines.append(
            f"| {CONTESTANTS[name][0]} | {concurrency} | {rate['median']:,.0f} ({rate['min']:,.0f}-"
            f"{rate['max']:,.0f}) | {cpu['median']:,.0f} | {row['server_cpu_share']:.0%} |"
        )
    evaluation = result["evaluation"]
    lines += ["", "| target | measured | result |", "|---|---|---|"]
    for check in evaluation["targets"]:
        lines.append(f"| {check['target']} | {check['ratio']:.2f} | {'PASS' if check['passed'] else 'FAIL'} |")
    lines += ["", "| also reported | ratio |", "|---|---|"]
    lines += [f"| {text} | {ratio:.2f} |" for text, ratio in evaluation["notes"].items()]
    overhead, imports = evaluation["overhead_us"], evaluation["import_ms"]
    lines += [
        "",
        f"CPU per send on MockTransport: library {overhead['library']['median']:.0f} µs, raw httpx "
        f"{overhead['raw-httpx']['median']:.0f} µs (medians). Import: infobip_2fa_async "
        f"{imports['infobip_2fa_async']['median']:.0f} ms, httpx {imports['httpx']['median']:.0f} ms (medians).",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000, help="requests per sample")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; results are not written to RESULTS.md")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where the JSON and markdown go")
    parser.add_argument("--only", nargs="*", choices=sorted(CONTESTANTS), help="run only these contestants")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(HERE))
        print(json.dumps(run_child(args.child, args.base_url, args.requests, args.concurrency)))
        return 0
    if args.smoke:
        args.requests, args.rounds = 64, 1
    names = args.only or list(CONTESTANTS)
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if ROOT in script.parents else script
    command = " ".join(["python", str(shown), *sys.argv[1:]])
    print(f"HTTP: {args.requests} requests per sample, {args.rounds} rounds", flush=True)
    http = measure_http(args.requests, args.rounds, names)
    print("MockTransport overhead", flush=True)
    overhead = measure_overhead(200 if args.smoke else 20000, args.rounds if args.smoke else 5)
    print("Import time", flush=True)
    imports = measure_import(1 if args.smoke else 7)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    result = {
        "date": date,
        "command": command,
        "requests": args.requests,
        "rounds": args.rounds,
        "machine": _machine(),
        "samples": http,
        "overhead_us": overhead,
        "import_ms": imports,
    }
    if set(names) == set(CONTESTANTS):
        result["evaluation"] = evaluate(http, overhead, imports)
        table = markdown(result, command)
        print("\n" + table)
        for check in result["evaluation"]["targets"]:
            print(f"{'PASS' if check['passed'] else 'FAIL'}  {check['target']}: {check['ratio']:.2f}")
    else:
        table = ""
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{date}-smoke" if args.smoke else date
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2))
    if table:
        (args.out / f"{stem}.md").write_text(table)
        if not args.smoke:
            _update_results(table)
    return 0


def _update_results(table: str) -> None:
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n\n## Latest run\n\n<!-- latest -->\n"
    head, _, _ = text.partition("<!-- latest -->")
    tail = text.split("<!-- /latest -->", 1)[1] if "<!-- /latest -->" in text else ""
    path.write_text(f"{head}<!-- latest -->\n{table}<!-- /latest -->{tail}")


if __name__ == "__main__":
    raise SystemExit(main())
