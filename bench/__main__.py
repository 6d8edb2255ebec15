"""``python -m bench``: run the benchmarks, print the table, write JSON to bench/results/.

Every figure is measured for Modelyard (``ours``: ``modelyard run``) and for the baseline (a minimal kopf
operator, bench/baseline_operator.py) in the same run, each in its own process against its own fresh
sandbox process, so the ratio means something on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import capacity, memory, rollback, throughput
from bench.procs import ROOT
from bench.report import all_rows, render

SECTIONS = ("throughput", "memory", "rollback", "capacity")


def machine() -> dict[str, Any]:
    mem_kib = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                    if line.startswith("MemTotal:")), 0)
    return {"nproc": os.cpu_count(), "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run, among {','.join(SECTIONS)}")
    p.add_argument("--sizes", default="100,1000", help="N for the throughput runs")
    p.add_argument("--kinds", default="inferenceservices,trainingjobs", help="kinds for the throughput runs")
    p.add_argument("--memory-sizes", default="0,1000,5000", help="object counts for idle RSS")
    p.add_argument("--window", type=float, default=30.0, help="steady-state window in seconds")
    p.add_argument("--stall", type=float, default=10.0, help="give up on Ready after this long without progress")
    p.add_argument("--interval", type=int, default=2, help="analysis interval (s) of the rollback scenario")
    p.add_argument("--quick", action="store_true", help="small sizes and a short window (a smoke run)")
    p.add_argument("--profile", action="store_true",
                   help="also run ours under pyinstrument for the largest InferenceService run")
    p.add_argument("--out", default=str(ROOT / "bench" / "results"), help="where to write JSON and logs")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.memory_sizes, args.window, args.stall = "20", "0,100,300", 10.0, 5.0
    return args


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


async def run_throughput(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    budget = throughput.Budget(stall=args.stall)
    for kind in args.kinds.split(","):
        for n in ints(args.sizes):
            pair = {}
            for which in ("baseline", "ours"):
                print(f"  throughput {kind} N={n} {which}", file=sys.stderr, flush=True)
                pair[which] = await throughput.measure(which, kind, n, logs / f"{kind}-{n}", budget)
            out.setdefault(kind, {})[str(n)] = pair
    return out


async def run_memory(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    sizes = ints(args.memory_sizes)
    steady_at = 1000 if 1000 in sizes else max(sizes)
    out = {}
    for which in ("baseline", "ours"):
        print(f"  memory {which} {sizes}", file=sys.stderr, flush=True)
        out[which] = await memory.measure(which, sizes, steady_at, args.window, logs / f"memory-{which}")
    return out


async def run_profile(args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    n = max(ints(args.sizes))
    target = Path(args.out) / f"profile-ours-inferenceservices-{n}.txt"
    print(f"  profile ours inferenceservices N={n} -> {target}", file=sys.stderr, flush=True)
    run = await throughput.measure("ours", "inferenceservices", n, logs / "profile", throughput.Budget(stall=5),
                                   profile=target)
    return {"file": str(target), "run": run}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    out, logs = Path(args.out), Path(args.out) / "logs"
    only = set(args.only.split(","))
    results: dict[str, Any] = {"machine": machine(), "command": " ".join(sys.argv),
                               "started": datetime.now(UTC).isoformat(timespec="seconds")}
    start = time.monotonic()
    if "capacity" in only:
        print("  capacity", file=sys.stderr, flush=True)
        results["capacity"] = await capacity.measure(logs / "capacity")
    if "throughput" in only:
        results["throughput"] = await run_throughput(args, logs)
    if "memory" in only:
        results["memory"] = await run_memory(args, logs)
    if "rollback" in only:
        print("  rollback ours", file=sys.stderr, flush=True)
        results["rollback"] = await rollback.measure("ours", logs / "rollback", args.interval)
    if args.profile:
        results["profile"] = await run_profile(args, logs)
    results["duration_s"] = time.monotonic() - start
    write_results(out, results)
    return results


def write_results(out: Path, results: dict[str, Any]) -> None:
    """A timestamped JSON file and latest.json."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for path in (out / f"bench-{stamp}.json", out / "latest.json"):
        path.write_text(json.dumps(results, indent=2, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = asyncio.run(main_async(args))
    m = results["machine"]
    print(f"\nModelyard benchmarks: {m['nproc']} CPUs, {m['memory_gib']} GiB, Python {m['python']}; "
          f"{results['duration_s']:.0f} s\n")
    print(render(all_rows(results)))
    print(f"\nJSON: {Path(args.out) / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
