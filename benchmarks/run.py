"""Benchmark runner: every comparison in one go, with PASS/FAIL per target.

    python benchmarks/run.py                      # the full run (about 5 minutes on 2 cores)
    python benchmarks/run.py --smoke              # tiny sizes, to check the harness works (the test suite runs this)

What it measures (``measure.py``), each as a ratio against a baseline measured in the same run (``report.py``):
1. throughput and client CPU per request of each contestant against a canned 2FA server (granian, one worker,
   pinned to core 0; the client pinned to core 1), at concurrency 1 and 64; contestants interleaved
   A B C A B C ... over several rounds; median and min-max reported; the server's CPU use noted so a saturated
   server is visible;
2. the library's own CPU per ``send_pin`` on an in-process ``httpx.MockTransport`` against raw httpx doing the
   same request and JSON parse;
3. ``import infobip_2fa_async`` against ``import httpx`` (``python -X importtime``, fresh interpreters);
4. instructions per ``send_pin`` and per ``verify_pin`` at concurrency 64 against raw aiohttp doing the same POST and
   JSON parse, counted by callgrind (``instructions.py``): the one figure here that does not move with the machine's
   noise. It needs valgrind (``apt-get install valgrind``); without it, or with ``--smoke``, it is skipped with a note.

Writes ``benchmarks/results/<date>.json`` (``<date>-<time>.json`` when that day already has one) and a markdown
table, and puts the table in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import instructions  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000, help="requests per sample")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; results are not written to RESULTS.md")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="where the JSON and markdown go")
    parser.add_argument("--only", nargs="*", choices=sorted(measure.CONTESTANTS), help="run only these contestants")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure.run_child(args.child, args.base_url, args.requests, args.concurrency)))
        return 0
    if args.smoke:
        args.requests, args.rounds = 64, 1
    names = args.only or list(measure.CONTESTANTS)
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if ROOT in script.parents else script
    command = " ".join(["python", str(shown), *sys.argv[1:]])
    print(f"HTTP: {args.requests} requests per sample, {args.rounds} rounds", flush=True)
    http = measure.measure_http(args.requests, args.rounds, names)
    print("MockTransport overhead", flush=True)
    overhead = measure.measure_overhead(200 if args.smoke else 20000, args.rounds if args.smoke else 5)
    print("Import time", flush=True)
    imports = measure.measure_import(1 if args.smoke else 7)
    counted = None
    if args.smoke:
        print("Instructions per send: skipped (--smoke; counting takes minutes)", flush=True)
    elif shutil.which("valgrind") is None:
        print("Instructions per send: skipped, valgrind is not installed (apt-get install valgrind)", flush=True)
    else:
        print("Instructions per send (callgrind)", flush=True)
        counted = {}
        for operation, prefix in (("send_pin", ""), ("verify_pin", "verify_pin:")):
            repeat = 1 if args.rounds < 3 else 3
            per_request = instructions.measure([ROOT], ["none", "aiohttp"], "server", repeat, operation)
            counted.update({prefix + variant: values for (_, variant), values in per_request.items()})
    now = datetime.now(timezone.utc)
    date = now.strftime("%Y-%m-%d")
    result = {
        "date": date,
        "command": command,
        "requests": args.requests,
        "rounds": args.rounds,
        "machine": report.machine(),
        "samples": http,
        "overhead_us": overhead,
        "import_ms": imports,
        "instructions_per_send": counted,
    }
    if set(names) == set(measure.CONTESTANTS):
        result["evaluation"] = report.evaluate(http, overhead, imports, counted)
        table = report.markdown(result, command)
        print("\n" + table)
        for check in result["evaluation"]["targets"]:
            print(f"{'PASS' if check['passed'] else 'FAIL'}  {check['target']}: {check['ratio']:.2f}")
    else:
        table = ""
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{date}-smoke" if args.smoke else date
    if not args.smoke and (args.out / f"{stem}.json").exists():  # an earlier run that day stays
        stem = now.strftime("%Y-%m-%d-%H%M")
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2))
    if table:
        (args.out / f"{stem}.md").write_text(table)
        if not args.smoke:
            report.update_results(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
