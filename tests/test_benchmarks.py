"""The benchmark harness runs end to end at tiny sizes, so it cannot rot. Timings are not asserted here:
speed is judged by benchmarks/run.py's own ratios, recorded in benchmarks/RESULTS.md."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"
# What the [bench] extra brings: the server the harness runs and the contestants it measures.
BENCH_MODULES = ["granian", "infobip_api_client", "httpx_aiohttp", "httpx2"]


def needs_the_bench_extra() -> None:
    """Skip with the reason without the [bench] extra; under CI=true (.ci/run installs it) that is an error."""
    missing = [name for name in BENCH_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return
    reason = f"the benchmark harness needs the [bench] extra (missing {', '.join(missing)}): pip install -e '.[bench]'"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; .ci/run installs it", pytrace=False)
    pytest.skip(reason)


def test_the_harness_smoke_run_measures_every_contestant_and_target(tmp_path: Path) -> None:
    needs_the_bench_extra()
    output = subprocess.run(  # noqa: S603
        [sys.executable, str(RUN), "--smoke", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert output.returncode == 0, output.stderr[-3000:]
    (result_file,) = tmp_path.glob("*-smoke.json")
    result = json.loads(result_file.read_text())
    from_run = {(sample["contestant"], sample["concurrency"]) for sample in result["samples"]}
    assert {("library", 64), ("library-httpcore", 64), ("raw-httpx", 64), ("raw-aiohttp", 64), ("sdk-16", 64),
            ("sdk-64", 64), ("library", 1), ("sdk-1", 1)} <= from_run  # fmt: skip
    assert all(sample["per_second"] > 0 and sample["client_cpu_us"] > 0 for sample in result["samples"])
    targets = result["evaluation"]["targets"]
    assert len(targets) == 6  # 4, and library / raw aiohttp at concurrency 64 and 1
    assert all(isinstance(check["passed"], bool) for check in targets)
    table = result_file.with_suffix(".md").read_text()
    assert table.count("| PASS |") + table.count("| FAIL |") == 6
    assert result["instructions_per_send"] is None, "callgrind is skipped in a smoke run"
    assert "Instructions per send: skipped" in output.stdout
    assert "PASS" in output.stdout or "FAIL" in output.stdout


def test_instructions_per_send_are_a_target_when_counted() -> None:
    sys.path.insert(0, str(RUN.parent))
    try:
        import report
    finally:
        sys.path.remove(str(RUN.parent))
    timings = {"library": [1.0], "raw-httpx": [1.0]}, {"infobip_2fa_async": [1.0], "httpx": [1.0]}
    within = report.evaluate([], *timings, {"none": [330_000, 320_000, 325_000], "aiohttp": [500_000],
                                            "verify_pin:none": [510_000], "verify_pin:aiohttp": [500_000]})  # fmt: skip
    grown = report.evaluate([], *timings, {"none": [530_000], "aiohttp": [500_000]})
    kept = {check["target"].split()[2]: check for check in within["targets"] if "callgrind" in check["target"]}
    (lost,) = [check for check in grown["targets"] if "callgrind" in check["target"]]
    assert kept["send_pin"]["ratio"] == 325_000 / 500_000
    assert kept["send_pin"]["passed"] is True
    assert kept["verify_pin"]["ratio"] == 510_000 / 500_000
    assert kept["verify_pin"]["passed"] is True
    assert lost["ratio"] == 530_000 / 500_000
    assert lost["passed"] is False  # 6% over raw aiohttp is past the bound (1.05)
    assert within["instructions_per_send"]["none"]["median"] == 325_000


def test_the_bulk_benchmark_runs_at_tiny_sizes(tmp_path: Path) -> None:
    output = subprocess.run(  # noqa: S603
        [sys.executable, str(RUN.with_name("bulk.py")), "--items", "300", "900", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert output.returncode == 0, output.stderr[-3000:]
    (result_file,) = tmp_path.glob("*-bulk.json")
    runs = json.loads(result_file.read_text())["runs"]
    assert [run["items"] for run in runs] == [300, 900]
    assert all(run["sent"] == run["items"] and run["peak_rss_mb"] > 0 for run in runs)
    assert "peak RSS at 900 items < 150 MB" in output.stdout


def test_the_gate_benchmark_runs_at_tiny_sizes(tmp_path: Path, redis_url: str) -> None:
    """benchmarks/gate.py starts its own redis-server: it runs where the Redis tests run (and granian: [bench])."""
    needs_the_bench_extra()
    output = subprocess.run(  # noqa: S603
        [sys.executable, str(RUN.with_name("gate.py")), "--sends", "100", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert output.returncode == 0, output.stderr[-3000:]
    (result_file,) = tmp_path.glob("*-gate.json")
    result = json.loads(result_file.read_text())
    assert result["shared"]["sends"] == 600
    assert 0 < result["shared"]["calls_per_send"] < 1.0, "slots are granted several per round trip"
    assert set(result["throughput"]) == {"no gate", "RedisGate"}
    assert "Redis calls per send through the RedisGate" in output.stdout


def _abuse(tmp_path: Path, *extra: str) -> dict[str, object]:
    output = subprocess.run(  # noqa: S603
        [sys.executable, str(RUN.with_name("abuse.py")), "--users", "800", "--out", str(tmp_path), *extra],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert output.returncode == 0, output.stderr[-3000:]
    (result_file,) = tmp_path.glob("*-abuse.json")
    result: dict[str, object] = json.loads(result_file.read_text())
    assert "| sequential burst |" in output.stdout
    return result


def test_the_abuse_benchmark_stops_the_attacks_and_lets_logins_through_at_a_small_size(tmp_path: Path) -> None:
    """A simulated day (800 users, the four attacks at full size): the shield's targets, timing aside."""
    result = _abuse(tmp_path)
    attacks = result["attacks"]
    assert isinstance(attacks, dict)
    assert set(attacks) == {"sequential burst", "slow pumping", "premium-rate range", "one victim bombed"}
    assert all(attack["stopped_share"] >= 0.95 for attack in attacks.values()), attacks
    legit = result["legitimate"]
    assert isinstance(legit, dict)
    assert legit["sends"] > 900
    assert legit["refused_share"] <= 0.005, legit
    timing = result["decision_us"]
    assert isinstance(timing, dict)
    assert timing["median"] > 0, "measured (its target is judged in RESULTS.md, not on a shared test machine)"


def test_the_abuse_benchmark_makes_one_redis_round_trip_per_decision(tmp_path: Path, redis_url: str) -> None:
    result = _abuse(tmp_path, "--redis", redis_url)
    redis = result["redis"]
    assert isinstance(redis, dict)
    assert redis["round_trips_per_decision"] == 1, "Redis's own count of script calls, less one per verified PIN"
    assert redis["sets_per_sent_pin"] == 1
    assert redis["same_outcomes_as_memory"] is True
