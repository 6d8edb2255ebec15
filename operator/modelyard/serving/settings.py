"""Settings of ``modelyard serve``: flags, with environment variables as defaults. Pure parsing."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FORMATS = ("sklearn", "onnx")
DEFAULT_MAX_BODY = 16 * 1024 * 1024
DEFAULT_PVC_ROOT = "/mnt/models"
DEFAULT_TERMINATION_LOG = "/dev/termination-log"

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_SIZE = re.compile(r"^([0-9]+)([KMG]i?B?|B)?$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "ki": 1024, "m": 1000**2, "mi": 1024**2, "g": 1000**3, "gi": 1024**3}


@dataclass(frozen=True)
class ServeSettings:
    """Everything the server needs to start; built by :func:`parse_settings`."""

    model_uri: str
    digest: str
    format: str
    name: str
    version: str
    host: str = "0.0.0.0"
    port: int = 8080
    max_body_bytes: int = DEFAULT_MAX_BODY
    pvc_root: str = DEFAULT_PVC_ROOT
    cache_dir: str | None = None
    termination_log: str = DEFAULT_TERMINATION_LOG
    fault_error_rate: float | None = None
    fault_latency_seconds: float | None = None
    shutdown_timeout: float = 30.0


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration; a bare number is seconds.

    >>> parse_duration("200ms"), parse_duration("1m30s"), parse_duration("0.5")
    (0.2, 90.0, 0.5)
    """
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration such as 200ms, 2s or 1m")
    return round(sum(float(n) * _UNIT_SECONDS[u] for n, u in parts), 9)


def parse_size(text: str) -> int:
    """Bytes in a size such as ``16Mi``, ``1MB`` or ``1048576``.

    >>> parse_size("16Mi"), parse_size("2k"), parse_size("10")
    (16777216, 2000, 10)
    """
    match = _SIZE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a size such as 16Mi or 1000000")
    unit = (match.group(2) or "").lower().removesuffix("b")
    return int(match.group(1)) * _SIZE_UNITS[unit]


def parse_rate(text: str) -> float:
    """A share between 0 and 1 (``0.3``), or a percentage (``30%``)."""
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is not a share between 0 and 1")
    return value


def build_parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="modelyard serve", description=(
        "Serve one model artifact over the Open Inference Protocol v2 (REST), after checking its sha256."))
    e = env.get
    p.add_argument("--model-uri", default=e("MODELYARD_MODEL_URI"), help="file://, pvc://, http(s)://, s3://, gs://")
    p.add_argument("--digest", default=e("MODELYARD_MODEL_DIGEST"), help="expected sha256:<64 hex> of the artifact")
    p.add_argument("--format", default=e("MODELYARD_MODEL_FORMAT"), choices=FORMATS, help="artifact format")
    p.add_argument("--name", default=e("MODELYARD_MODEL_NAME"), help="model name in the protocol's URLs")
    p.add_argument("--version", default=e("MODELYARD_MODEL_VERSION", "1"), help="model version")
    p.add_argument("--host", default=e("MODELYARD_HOST", "0.0.0.0"), help="address to listen on")
    p.add_argument("--port", type=int, default=int(e("MODELYARD_PORT", "8080")), help="HTTP port")
    p.add_argument("--max-body", type=parse_size, default=parse_size(e("MODELYARD_MAX_BODY", "16Mi")),
                   help="largest request body, e.g. 16Mi (larger is refused with 413)")
    p.add_argument("--pvc-root", default=e("MODELYARD_PVC_ROOT", DEFAULT_PVC_ROOT),
                   help="where pvc://CLAIM/path is mounted: ROOT/CLAIM/path")
    p.add_argument("--cache-dir", default=e("MODELYARD_MODEL_CACHE"), help="download directory for remote URIs")
    p.add_argument("--shutdown-timeout", type=parse_duration, default=parse_duration(
        e("MODELYARD_SHUTDOWN_TIMEOUT", "30s")), help="longest wait for in-flight requests on SIGTERM")
    return p


def parse_settings(argv: Sequence[str], env: Mapping[str, str]) -> ServeSettings:
    """Flags over environment; raises SystemExit(2) with a usage message when something is missing."""
    parser = build_parser(env)
    args = parser.parse_args(list(argv))
    for flag in ("model_uri", "digest", "format", "name"):
        if not getattr(args, flag):
            parser.error(f"--{flag.replace('_', '-')} (or MODELYARD_MODEL_{flag.removeprefix('model_').upper()}) "
                         "is required")
    if args.format not in FORMATS:
        parser.error(f"--format must be one of {', '.join(FORMATS)}")
    try:
        rate = parse_rate(env["MODELYARD_FAULT_ERROR_RATE"]) if env.get("MODELYARD_FAULT_ERROR_RATE") else None
        latency = parse_duration(env["MODELYARD_FAULT_LATENCY"]) if env.get("MODELYARD_FAULT_LATENCY") else None
    except ValueError as err:
        parser.error(str(err))
    return ServeSettings(
        model_uri=args.model_uri, digest=args.digest, format=args.format, name=args.name, version=args.version,
        host=args.host, port=args.port, max_body_bytes=args.max_body, pvc_root=args.pvc_root,
        cache_dir=args.cache_dir, termination_log=env.get("MODELYARD_TERMINATION_LOG", DEFAULT_TERMINATION_LOG),
        fault_error_rate=rate, fault_latency_seconds=latency, shutdown_timeout=args.shutdown_timeout,
    )
