"""The three measurements of the benchmark: HTTP throughput against a real server, the library's own CPU per call,
and import time. Each returns plain samples; ``report`` turns them into verdicts and tables."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# name -> (description, concurrencies it runs at)
CONTESTANTS: dict[str, tuple[str, tuple[int, ...]]] = {
    "library": ("infobip_2fa_async, default backend (aiohttp)", (1, 64)),
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
            backend = "httpcore" if name == "library-httpcore" else "default"
            asyncio.run(contestants.library(base_url, count, concurrency, backend))

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
