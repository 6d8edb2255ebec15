"""``modelyard sandbox up``: API server, simulated controllers, local pod runtime and the operator in one
process, until Ctrl-C or SIGTERM (then everything stops and the port is freed; exit code 0)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import signal
import sys
from pathlib import Path

from modelyard.sandbox.demo import Demo, play
from modelyard.sandbox.runtime.cluster import SandboxCluster
from modelyard.sandbox.runtime.story import Pace

#: What to do with pods the local runtime cannot run: "refuse" (Pending, reason ErrImageNotRunnable) or
#: "simulate" (the programmable simulation: Running/Ready, or Succeeded for run-to-completion pods).
UNKNOWN_IMAGES_ENV = "MODELYARD_SANDBOX_UNKNOWN_IMAGES"


def main(args: argparse.Namespace) -> int:
    if args.sandbox_command == "up":
        return asyncio.run(up(args, Path(args.kubeconfig).resolve()))
    if args.sandbox_command == "demo":
        return asyncio.run(demo(args, Path(args.kubeconfig).resolve()))
    print(f"`modelyard sandbox {args.sandbox_command}` is not available yet", file=sys.stderr)
    return 2


async def up(args: argparse.Namespace, kubeconfig: Path) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    cluster = SandboxCluster(crds=Path(args.crds), operator=not args.no_operator, port=args.port,
                             kubeconfig=kubeconfig, local_runtime=True,
                             unknown_images=os.environ.get(UNKNOWN_IMAGES_ENV, "refuse"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await cluster.start()
    print(_banner(cluster, args), flush=True)
    try:
        await stop.wait()
    finally:
        print("stopping the sandbox...", flush=True)
        await cluster.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("sandbox stopped", flush=True)
    return 0


async def demo(args: argparse.Namespace, kubeconfig: Path, pace: Pace | None = None) -> int:
    """The whole lifecycle, narrated; with ``--keep`` the sandbox stays up afterwards until Ctrl-C."""
    story = await run_demo(args, kubeconfig, pace)
    return story.code if story.code is not None else 1


async def run_demo(args: argparse.Namespace, kubeconfig: Path, pace: Pace | None = None) -> Demo:
    """``demo``, returning the story played (its rows, facts, load log and exit code) for tests to check."""
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workdir = kubeconfig.parent
    prepare(workdir)
    cluster = SandboxCluster(crds=Path(getattr(args, "crds", "crds")), operator=True, kubeconfig=kubeconfig,
                             local_runtime=True, unknown_images="refuse", workdir=workdir, resync=1.0)
    story = Demo(cluster, pace or Pace(), Path.cwd(), sys.stdout)
    story.say("starting the sandbox (API server, controllers, local pod runtime, the Modelyard operator) ...")
    await cluster.start()
    story.say(f"  ✓ sandbox up at {cluster.url}; artifacts in {story.artifacts}")
    try:
        await play(story)
        if story.load is not None:
            await story.load.stop()
        print("\n" + summary(story), flush=True)
        if args.keep:
            print(_banner(cluster, argparse.Namespace(no_operator=False)), flush=True)
            await _until_signal()
    finally:
        await cluster.stop()
    return story


async def _until_signal() -> None:
    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _banner(cluster: SandboxCluster, args: argparse.Namespace) -> str:
    operator = "without the operator" if args.no_operator else "with the Modelyard operator"
    return "\n".join([
        f"sandbox cluster up at {cluster.url} ({operator})",
        f"kubeconfig: {cluster.kubeconfig}",
        "",
        f"  export KUBECONFIG={cluster.kubeconfig}",
        "  kubectl get pods,deployments,jobs -A",
        "  kubectl apply -f examples/",
        "",
        "Ctrl-C (or SIGTERM) stops it.",
    ])


def summary(demo: Demo) -> str:
    """The story's rows as a table, and the load's totals."""
    width = max(len(r.step) for r in demo.rows) if demo.rows else 10
    marks = {"ok": "✓", "failed": "✗", "unavailable": "-"}
    lines = [f"  {'step':<{width}}  {'time':>6}  outcome"]
    lines += [f"{marks[r.status]} {r.step:<{width}}  {r.seconds:5.1f}s  {r.outcome}" for r in demo.rows]
    if demo.load is not None:
        lines.append(f"  load: {demo.load.summary()}")
    return "\n".join(lines)


def prepare(workdir: Path) -> None:
    """A fresh run: last run's artifacts and pod files go; nothing is written outside ``workdir``."""
    for sub in ("artifacts", "pods"):
        shutil.rmtree(workdir / sub, ignore_errors=True)
    (workdir / "artifacts").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MODELYARD_RESYNC_SECONDS", "1")
