"""Requests/s and latency of our model server vs MLServer 1.7.1 (mlserver-sklearn), same artifact, same load.

    python bench/serving/bench_server.py [--concurrency 16] [--duration 10] [--warmup 2]

Both servers run one process on loopback (MLServer with ``parallel_workers: 0``), serve the iris
LogisticRegression trained by examples/trainers/sklearn_trainer.py, and get the same v2 REST request from a
bounded async load generator (aiohttp, fixed concurrency, fixed duration). Prints a table and the ratio
ours/MLServer; writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
BODY = json.dumps({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64",
                               "data": [5.1, 3.5, 1.4, 0.2]}]}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def train(out: Path) -> dict[str, Any]:
    env = {**os.environ, "MODELYARD_OUTPUT_URI": f"file://{out}", "MODELYARD_TERMINATION_LOG": str(out / "r.json")}
    subprocess.run([sys.executable, str(ROOT / "examples/trainers/sklearn_trainer.py")], env=env, check=True,
                   capture_output=True)
    return dict(json.loads((out / "r.json").read_text())["artifact"])


def start_ours(artifact: dict[str, Any], port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "modelyard.serving.cli", "--model-uri", artifact["uri"], "--digest",
           artifact["digest"], "--format", "sklearn", "--name", "iris", "--version", "v1", "--host", "127.0.0.1",
           "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "operator"), "MODELYARD_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_mlserver(artifact: dict[str, Any], port: int, workdir: Path) -> subprocess.Popen[bytes]:
    models = workdir / "mlserver"
    (models / "iris").mkdir(parents=True)
    shutil.copy(artifact["uri"].removeprefix("file://"), models / "iris" / "model.joblib")
    (models / "settings.json").write_text(json.dumps({
        "parallel_workers": 0, "http_port": port, "grpc_port": free_port(), "metrics_port": free_port(),
        "host": "127.0.0.1", "debug": False}))
    (models / "iris" / "model-settings.json").write_text(json.dumps({
        "name": "iris", "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": "v1"}}))
    mlserver = shutil.which("mlserver") or str(Path(sys.executable).parent / "mlserver")
    return subprocess.Popen([mlserver, "start", str(models)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(port: int, proc: subprocess.Popen[bytes], path: str = "/v2/models/iris/ready") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} not ready in 60s")


async def load(port: int, concurrency: int, duration: float, warmup: float) -> dict[str, float]:
    """Closed-loop load: ``concurrency`` workers, each sends the next request when the last one is answered."""
    url = f"http://127.0.0.1:{port}/v2/models/iris/infer"
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        measure_from, end = start + warmup, start + warmup + duration

        async def worker() -> None:
            nonlocal errors
            while (t0 := time.perf_counter()) < end:
                async with session.post(url, data=BODY, headers=headers) as resp:
                    await resp.read()
                    ok = resp.status == 200
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0) if ok else None
                    errors += 0 if ok else 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")
    return {"rps": len(latencies) / duration, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "errors": errors,
            "requests": len(latencies)}


def check_same_answer(ports: dict[str, int]) -> None:
    answers = {}
    for name, port in ports.items():
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v2/models/iris/infer", data=BODY,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            answers[name] = json.load(r)["outputs"][0]["data"]
    if len(set(map(str, answers.values()))) != 1:
        raise SystemExit(f"the servers disagree: {answers}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def run(args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    with tempfile.TemporaryDirectory() as tmp:
        artifact = train(Path(tmp) / "artifact")
        ports = {"modelyard": free_port(), "mlserver": free_port()}
        procs = {"modelyard": start_ours(artifact, ports["modelyard"]),
                 "mlserver": start_mlserver(artifact, ports["mlserver"], Path(tmp))}
        try:
            for name, proc in procs.items():
                wait_ready(ports[name], proc)
            check_same_answer(ports)
            results: dict[str, list[dict[str, float]]] = {n: [] for n in ports}
            for _ in range(args.rounds):  # interleaved, so drift on the machine hits both alike
                for name, port in ports.items():
                    results[name].append(asyncio.run(load(port, args.concurrency, args.duration, args.warmup)))
        finally:
            for proc in procs.values():
                stop(proc)
    return results


def best(rounds: list[dict[str, float]]) -> dict[str, float]:
    """The median round by requests/s."""
    return sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = run(args)
    figures = {name: best(r) for name, r in rounds.items()}
    ours, theirs = figures["modelyard"], figures["mlserver"]
    print(f"{'server':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, f in figures.items():
        print(f"{name:<10} {f['rps']:>9.0f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {f['errors']:>7.0f}")
    ratio = {"rps": ours["rps"] / theirs["rps"], "p99": ours["p99_ms"] / theirs["p99_ms"]}
    print(f"ours/mlserver: {ratio['rps']:.2f}x requests/s, {ratio['p99']:.2f}x p99 latency "
          f"(median of {args.rounds} interleaved rounds; per round: "
          + ", ".join(f"{a['rps'] / b['rps']:.2f}x" for a, b in zip(rounds["modelyard"], rounds["mlserver"],
                                                                    strict=True)) + ")")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"serving-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"args": vars(args), "figures": figures, "rounds": rounds, "ratio": ratio, "machine": {
        "cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
        "processor": platform.processor()}}, indent=2))
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
