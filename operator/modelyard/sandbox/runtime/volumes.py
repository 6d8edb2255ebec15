"""Volumes of a local pod: ConfigMap and Secret volumes are written out, emptyDirs created, under the pod's
sandbox directory; env values and arguments naming a mount path are pointed there. Other volume kinds
(PVCs, hostPath...) are not mounted: their paths stay as written.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelyard.adapters.kube import CONFIGMAPS, SECRETS, ApiError, KubeClient

JsonDict = dict[str, Any]


def remap(text: str, mounts: Mapping[str, Path]) -> str:
    """A path under a mounted directory, moved to the local copy.

    >>> remap("/etc/hp/hp.json", {"/etc/hp": Path("/sb/v/hp")}), remap("/other", {"/etc/hp": Path("/x")})
    ('/sb/v/hp/hp.json', '/other')
    """
    for mount, local in mounts.items():
        if text == mount or text.startswith(mount.rstrip("/") + "/"):
            return str(local) + text[len(mount.rstrip("/")):]
    return text


async def materialize(kube: KubeClient | None, pod: JsonDict, container: JsonDict, pdir: Path) -> dict[str, Path]:
    """Write the container's ConfigMap/Secret/emptyDir mounts under ``pdir/volumes``: mount path -> local dir."""
    volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
    namespace = pod["metadata"].get("namespace")
    out: dict[str, Path] = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes.get(mount["name"], {})
        local = pdir / "volumes" / mount["name"]
        files = await _files(kube, namespace, volume)
        if files is None:
            continue
        local.mkdir(parents=True, exist_ok=True)
        for key, data in files.items():
            (local / key).write_bytes(data)
        out[mount["mountPath"]] = local
    return out


async def _files(kube: KubeClient | None, namespace: str | None, volume: JsonDict) -> dict[str, bytes] | None:
    if "emptyDir" in volume:
        return {}
    source = volume.get("configMap") or volume.get("secret")
    if source is None or kube is None:
        return None
    is_cm = "configMap" in volume
    try:
        name = source.get("name") or source.get("secretName")
        obj = await kube.get(CONFIGMAPS if is_cm else SECRETS, namespace, name)
    except ApiError:
        return {}
    if is_cm:
        return {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
    return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
