"""``modelyard serve``: fetch, verify, load, then serve until SIGTERM; fail closed on a bad artifact.

Exit codes: 0 after a graceful shutdown, 2 bad usage, 3 digest mismatch, 4 artifact not fetched,
5 artifact not loadable. On 3-5 the reason is logged and written to the termination-message file
(``MODELYARD_TERMINATION_LOG``, default ``/dev/termination-log``), and the server never reports ready.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from aiohttp import web
from prometheus_client import disable_created_metrics

from modelyard.serving.app import ServerState, build_app
from modelyard.serving.artifacts import ArtifactError, DigestMismatch, fetch, verify_digest
from modelyard.serving.faults import resolve_faults
from modelyard.serving.loaders import LoadedModel, LoadError, load_model
from modelyard.serving.settings import ServeSettings, parse_settings
from modelyard.serving.telemetry import ServerMetrics

log = logging.getLogger("modelyard.serving")
EXIT_CODES: dict[type[Exception], int] = {DigestMismatch: 3, ArtifactError: 4, LoadError: 5}
TERMINATION_MESSAGE_LIMIT = 4096


def prepare_model(settings: ServeSettings) -> LoadedModel:
    """Fetch, check the digest (before anything unpickles the file), then load. Blocking."""
    path = fetch(settings.model_uri, pvc_root=settings.pvc_root, cache_dir=settings.cache_dir)
    verify_digest(path, settings.digest)
    log.info("artifact %s matches %s", settings.model_uri, settings.digest)
    return load_model(settings.format, path)


def write_termination_message(path: str, message: str) -> None:
    """Best effort: the kubelet shows it in the pod status; an unwritable path is ignored."""
    try:
        Path(path).write_text(message[:TERMINATION_MESSAGE_LIMIT], encoding="utf-8")
    except OSError as err:
        log.debug("cannot write the termination message to %s: %s", path, err)


async def serve(settings: ServeSettings) -> int:
    """Listen at once (live, not ready), load the model in a thread, serve until SIGTERM or SIGINT."""
    state = ServerState(settings.name, settings.version, ServerMetrics(settings.name, settings.version),
                        max_body_bytes=settings.max_body_bytes)
    runner = web.AppRunner(build_app(state), access_log=None, shutdown_timeout=settings.shutdown_timeout)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        log.info("listening on %s:%d", settings.host, settings.port)
        stop = _stop_on_signals()
        loading = asyncio.ensure_future(asyncio.to_thread(prepare_model, settings))
        await asyncio.wait([loading, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        if not loading.done():
            loading.cancel()
            return 0
        if (code := _install(state, settings, loading)) != 0:
            return code
        await stop.wait()
        log.info("SIGTERM: draining in-flight requests (up to %.0fs)", settings.shutdown_timeout)
        state.draining = True
        return 0
    finally:
        await runner.cleanup()


def _install(state: ServerState, settings: ServeSettings, loading: asyncio.Future[LoadedModel]) -> int:
    """Put the loaded model in service, or report why not and choose the exit code."""
    err = loading.exception()
    if err is not None:
        code = next((c for t, c in EXIT_CODES.items() if isinstance(err, t)), 1)
        message = f"{type(err).__name__}: {err}"
        log.error("refusing to serve %s: %s", settings.model_uri, message)
        write_termination_message(settings.termination_log, message)
        return code
    model = loading.result()
    state.faults = resolve_faults(settings.fault_error_rate, settings.fault_latency_seconds, model.faults)
    if state.faults.active:
        log.warning("fault injection on: error rate %.3f, latency %.3fs",
                    state.faults.error_rate, state.faults.latency_seconds)
    state.metrics.loaded(settings.digest, settings.format)
    state.model = model
    log.info("serving %s version %s (%s)", settings.name, settings.version, settings.format)
    return 0


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Entry point of ``modelyard serve``; ``argv`` excludes the program and the ``serve`` word."""
    environ = os.environ if env is None else env
    try:
        settings = parse_settings(sys.argv[1:] if argv is None else argv, environ)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
    logging.basicConfig(level=environ.get("MODELYARD_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(serve(settings))


if __name__ == "__main__":
    sys.exit(main())
