"""The sandbox cluster for the benchmarks, in its own process: API server + simulated controllers, no operator.

    python -m bench.sandbox_server --kubeconfig /tmp/kc --url-file /tmp/url --crds crds

Stops on SIGTERM/SIGINT. Besides the sandbox's own admin API it serves ``GET /bench/requests?since=N``:
the requests served from position ``N`` of the request log, counted by who sent them (``operator``,
``controllers`` or ``bench``, told apart by User-Agent), by verb/resource, with writes apart.

Simulated pods behave as the defaults of the sandbox (Deployment pods Running and Ready, run-to-completion
pods Succeeded), and trainer pods report an artifact and metrics, so a TrainingJob can succeed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web
from bench.stats import CONTROLLERS_AGENT, agent_class

from modelyard.sandbox.apiserver import make_app
from modelyard.sandbox.controllers import Outcome, PodBehaviours, SimulatedControllers, Timing
from modelyard.sandbox.faults import RequestLog
from modelyard.sandbox.server import SandboxAPI, write_kubeconfig

DIGEST = "sha256:" + "0123456789abcdef" * 4
TRAINER_REPORT = json.dumps({"artifact": {"uri": "s3://bench/model.joblib", "digest": DIGEST, "format": "sklearn",
                                          "sizeBytes": 2048}, "metrics": {"accuracy": 0.97}})
TRAINER_IMAGE = "ghcr.io/modelyard/trainers:*"
REQUEST_LOG_LIMIT = 2_000_000


def summarize_requests(log: RequestLog, since: int, by_name: bool = False) -> dict[str, Any]:
    """Counts of the requests from position ``since``, by agent class, verb/resource and write-or-not
    (and by object name with ``by_name``)."""
    out: dict[str, Any] = {"mark": len(log.records)}
    by_agent: dict[str, Counter[str]] = {}
    for r in log.records[since:]:
        counts = by_agent.setdefault(agent_class(r.user_agent), Counter())
        counts["total"] += 1
        counts["writes"] += r.is_write
        what = f"{r.verb} {r.plural}{'/' + r.subresource if r.subresource else ''}"
        counts[f"{what} {r.name}" if by_name else what] += 1
    out["agents"] = {agent: dict(counts) for agent, counts in by_agent.items()}
    return out


async def serve(args: argparse.Namespace) -> None:
    api = SandboxAPI([args.crds], bookmark_interval=10.0)
    api.ctx.requests = RequestLog(limit=REQUEST_LOG_LIMIT)
    app = make_app(api.ctx)

    async def bench_requests(request: web.Request) -> web.Response:
        return web.json_response(summarize_requests(
            api.ctx.requests, int(request.query.get("since", "0")), request.query.get("by_name") == "1"))

    app.router.add_get("/bench/requests", bench_requests)
    runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}"
    api.ctx.server_address = f"127.0.0.1:{port}"
    write_kubeconfig(args.kubeconfig, url)
    controllers = await start_controllers(url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    Path(args.url_file).write_text(url)  # noqa: ASYNC240 (once, tiny)
    await stop.wait()
    await controllers.stop()
    for watcher in api.store.storage.watchers():
        api.store.unwatch(watcher)
    await runner.cleanup()


async def start_controllers(url: str) -> SimulatedControllers:
    behaviours = PodBehaviours(Timing())
    behaviours.add(Outcome(exit_code=0, message=TRAINER_REPORT), image=TRAINER_IMAGE)
    controllers = SimulatedControllers(url, behaviours, resync=5.0)
    controllers.conn.headers["User-Agent"] = CONTROLLERS_AGENT
    await controllers.start()
    return controllers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--url-file", required=True)
    parser.add_argument("--crds", default="crds")
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
