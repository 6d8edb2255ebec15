"""The artifact contract, as small helpers an example trainer can copy (see docs/artifact-contract.md).

A trainer:
1. reads hyperparameters from ``MODELYARD_HYPERPARAMETERS_FILE`` (JSON) and ``HP_<NAME>`` env vars,
2. writes ONE artifact file under ``MODELYARD_OUTPUT_URI`` (``file://`` or ``pvc://``),
3. writes ONE JSON report to ``MODELYARD_TERMINATION_LOG`` (default ``/dev/termination-log``), at most
   4096 bytes: ``{"artifact": {"uri", "digest", "format", "sizeBytes"}, "metrics": {name: number}}``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPORT_LIMIT = 4096


def hyperparameters(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The file's values, overridden by ``HP_<NAME>`` variables (names lower-cased), all as strings."""
    env = os.environ if env is None else env
    params: dict[str, str] = {}
    if path := env.get("MODELYARD_HYPERPARAMETERS_FILE"):
        params.update({k.lower(): str(v) for k, v in json.loads(Path(path).read_text()).items()})
    params.update({k[3:].lower(): v for k, v in env.items() if k.startswith("HP_")})
    return params


def output_path(uri: str, filename: str, env: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """Local path to write and the artifact URI to report, for a ``file://`` or ``pvc://`` output URI.

    ``pvc://CLAIM/dir`` is mounted at ``$MODELYARD_PVC_ROOT/CLAIM/dir`` (default ``/mnt/models``).
    """
    env = os.environ if env is None else env
    parts = urlsplit(uri)
    if parts.scheme == "file":
        base = Path(unquote(parts.path))
    elif parts.scheme == "pvc":
        base = Path(env.get("MODELYARD_PVC_ROOT", "/mnt/models")) / parts.netloc / unquote(parts.path).lstrip("/")
    else:
        raise SystemExit(f"output URI {uri!r}: this example writes file:// or pvc:// only")
    base.mkdir(parents=True, exist_ok=True)
    return base / filename, uri.rstrip("/") + "/" + filename


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def build_report(path: Path, uri: str, fmt: str, metrics: Mapping[str, float]) -> str:
    """The report as one compact JSON line, metrics dropped from the end if it would exceed 4096 bytes."""
    artifact = {"uri": uri, "digest": sha256_file(path), "format": fmt, "sizeBytes": path.stat().st_size}
    kept: dict[str, Any] = {k: round(float(v), 6) for k, v in metrics.items()}
    while True:
        text = json.dumps({"artifact": artifact, "metrics": kept}, separators=(",", ":"))
        if len(text.encode()) <= REPORT_LIMIT or not kept:
            return text
        kept.pop(next(reversed(kept)))


def write_report(report: str, env: Mapping[str, str] | None = None) -> None:
    """To the termination-message file (what the operator reads) and to stdout (for humans)."""
    env = os.environ if env is None else env
    Path(env.get("MODELYARD_TERMINATION_LOG", "/dev/termination-log")).write_text(report)
    print(report, flush=True)
