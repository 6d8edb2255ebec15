"""The ``modelyard`` command: run the operator, generate CRDs, run the sandbox, serve a model."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from modelyard.config import Settings


def _repo_root() -> Path:
    """The checkout this package lives in (for generated files), else the working directory."""
    here = Path(__file__).resolve().parents[2]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


def cmd_crds(args: argparse.Namespace) -> int:
    from modelyard.codegen.argocd import EXAMPLE_PATCH
    from modelyard.codegen.generate import CHART_DIR, render_all, stale_files, write_files

    root = Path(args.root)
    files = render_all(with_chart=(root / CHART_DIR / "Chart.yaml").exists(),
                       with_examples=(root / EXAMPLE_PATCH).parent.is_dir())
    if args.check:
        stale = stale_files(root, files)
        for rel in stale:
            print(f"out of date: {rel} (run `modelyard crds` and commit the result)", file=sys.stderr)
        if not stale:
            print(f"{len(files)} generated files are up to date")
        return 1 if stale else 0
    for rel in write_files(root, files):
        print(f"wrote {rel}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from modelyard.runner import run

    settings = Settings.from_env()
    if args.namespace:
        settings.namespaces = args.namespace
    if args.peering:
        settings.standalone = False
        settings.peering_name = args.peering
    settings.priority = args.priority if args.priority is not None else settings.priority
    settings.liveness_endpoint = None if args.liveness_port == 0 else f"http://0.0.0.0:{args.liveness_port}/healthz"
    settings.metrics_port = args.metrics_port if args.metrics_port is not None else settings.metrics_port
    settings.log_format = args.log_format or settings.log_format
    settings.log_level = "DEBUG" if args.verbose else settings.log_level
    run(settings)
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    try:
        from modelyard.sandbox.cli import main as sandbox_main  # type: ignore[import-not-found,unused-ignore]
    except ImportError as e:  # the sandbox extra is not installed
        print(f"the sandbox is not available: {e}; install with `pip install modelyard[sandbox]`", file=sys.stderr)
        return 2
    code: int = sandbox_main(args)
    return code


def cmd_serve(args: argparse.Namespace) -> int:
    from modelyard.serving.cli import main as serve_main

    code: int = serve_main(args.rest)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelyard",
        description="Modelyard: train, register and serve ML models on Kubernetes, with analysed canaries.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the operator", description=(
        "Run the Modelyard operator against the cluster of the current kubeconfig context, or the one it "
        "runs in. Watches all namespaces unless --namespace is given."))
    run.add_argument("-n", "--namespace", action="append", default=[],
                     help="watch this namespace (repeat for several; glob patterns allowed); default all")
    run.add_argument("--peering", metavar="NAME", default=None,
                     help="run as one of several replicas, coordinated through this kopf peering object")
    run.add_argument("--priority", type=int, default=None,
                     help="peering priority; give every replica a distinct one (highest is active)")
    run.add_argument("--liveness-port", type=int, default=8081, help="port of /healthz (0 disables)")
    run.add_argument("--metrics-port", type=int, default=None, help="port of Prometheus /metrics (0 disables)")
    run.add_argument("--log-format", choices=["plain", "json"], default=None, help="log line format")
    run.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    run.set_defaults(func=cmd_run)

    crds = sub.add_parser("crds", help="generate CRDs and API docs from the models", description=(
        "Write crds/*.yaml, the chart's CRD templates and docs/api.md from the API models, and the Argo CD "
        "health checks (chart and examples) from operator/modelyard/codegen/health/. "
        "With --check, write nothing and exit 1 naming each file that is out of date."))
    crds.add_argument("--check", action="store_true", help="fail if a generated file is out of date")
    crds.add_argument("--root", default=str(_repo_root()), help="repository root (default: this checkout)")
    crds.set_defaults(func=cmd_crds)

    sandbox = sub.add_parser("sandbox", help="a local Kubernetes API emulator with the operator inside",
                             description="Run the sandbox cluster: an in-process Kubernetes API emulator with "
                             "simulated controllers and the operator, for kubectl on a laptop.")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True, metavar="SUBCOMMAND")
    up = sandbox_sub.add_parser("up", help="start the sandbox and the operator until Ctrl-C")
    up.add_argument("--kubeconfig", default=".sandbox/kubeconfig", help="where to write the kubeconfig")
    up.add_argument("--port", type=int, default=0, help="API port (default: a free one)")
    up.add_argument("--crds", default=str(_repo_root() / "crds"), help="directory of CRDs to load")
    up.add_argument("--no-operator", action="store_true", help="start the API and controllers only")
    demo = sandbox_sub.add_parser("demo", help="walk the whole lifecycle in the sandbox")
    demo.add_argument("--keep", action="store_true", help="keep the sandbox running afterwards")
    demo.add_argument("--kubeconfig", default=".sandbox/kubeconfig", help="where to write the kubeconfig")
    sandbox.set_defaults(func=cmd_sandbox)

    serve = sub.add_parser("serve", add_help=False, help="serve one model artifact (Open Inference Protocol v2)",
                           description="The reference model server; `modelyard serve --help` lists its options.")
    serve.add_argument("rest", nargs=argparse.REMAINDER, help="options of the model server")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # the model server parses its own options (argparse would eat --help)
        return cmd_serve(argparse.Namespace(rest=argv[1:]))
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
