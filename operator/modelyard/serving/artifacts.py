"""Fetch an artifact by URI to a local file and check its sha256 before anything loads it.

URI schemes:

- ``file:///abs/path`` — a local file (the sandbox, tests).
- ``pvc://CLAIM/path`` — a PersistentVolumeClaim the pod mounts at ``{pvc_root}/CLAIM`` (default
  ``/mnt/models/CLAIM``); the file is ``{pvc_root}/CLAIM/path``.
- ``http://`` / ``https://`` — downloaded with the standard library into the cache directory.
- ``s3://bucket/key`` — boto3 (extra ``modelyard[s3]``); credentials from the usual AWS chain.
- ``gs://bucket/object`` — google-cloud-storage (extra ``modelyard[gcs]``); application default credentials.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

DIGEST_PATTERN = re.compile(r"^sha256:[a-f0-9]{64}$")
_CHUNK = 1024 * 1024


class ArtifactError(Exception):
    """The artifact could not be fetched (bad URI, missing file, download failed, missing extra)."""


class DigestMismatch(Exception):
    """The artifact's sha256 is not the expected one: never load it."""


def sha256_file(path: Path) -> str:
    """``sha256:<hex>`` of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def verify_digest(path: Path, expected: str) -> str:
    """Return the digest when it matches ``expected``; raise :class:`DigestMismatch` otherwise."""
    if not DIGEST_PATTERN.match(expected):
        raise DigestMismatch(f"expected digest {expected!r} is not sha256:<64 lowercase hex>")
    actual = sha256_file(path)
    if actual != expected:
        raise DigestMismatch(f"artifact digest mismatch: expected {expected}, got {actual} ({path})")
    return actual


def pvc_path(uri: str, pvc_root: str) -> Path:
    """Where ``pvc://CLAIM/path`` is mounted.

    >>> str(pvc_path("pvc://models/iris/v1/model.joblib", "/mnt/models"))
    '/mnt/models/models/iris/v1/model.joblib'
    """
    parts = urlsplit(uri)
    rel = PurePosixPath(unquote(parts.path).lstrip("/"))
    if not parts.netloc or ".." in rel.parts or not rel.parts:
        raise ArtifactError(f"{uri!r} is not pvc://CLAIM/path/to/artifact")
    return Path(pvc_root) / parts.netloc / rel


def fetch(uri: str, *, pvc_root: str, cache_dir: str | None = None) -> Path:
    """A local path holding the artifact; remote artifacts are downloaded into ``cache_dir``."""
    scheme = urlsplit(uri).scheme
    if scheme == "file":
        path = Path(unquote(urlsplit(uri).path))
    elif scheme == "pvc":
        path = pvc_path(uri, pvc_root)
    elif scheme in ("http", "https", "s3", "gs"):
        target = _download_target(uri, cache_dir)
        {"http": _download_http, "https": _download_http, "s3": _download_s3, "gs": _download_gcs}[scheme](uri, target)
        path = target
    else:
        raise ArtifactError(f"unsupported artifact URI scheme {scheme!r} in {uri!r} (file, pvc, http(s), s3, gs)")
    if not path.is_file():
        raise ArtifactError(f"artifact {uri!r} not found: {path} is not a file")
    return path


def _download_target(uri: str, cache_dir: str | None) -> Path:
    base = Path(cache_dir) if cache_dir else Path(tempfile.mkdtemp(prefix="modelyard-model-"))
    base.mkdir(parents=True, exist_ok=True)
    name = PurePosixPath(urlsplit(uri).path).name or "artifact"
    return base / name


def _download_http(uri: str, target: Path) -> None:
    try:
        with urllib.request.urlopen(uri, timeout=60) as resp, target.open("wb") as out:
            shutil.copyfileobj(resp, out, _CHUNK)
    except OSError as err:  # URLError and HTTPError are OSErrors
        raise ArtifactError(f"download of {uri} failed: {err}") from err


def _bucket_key(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    key = parts.path.lstrip("/")
    if not parts.netloc or not key:
        raise ArtifactError(f"{uri!r} is not {parts.scheme}://BUCKET/KEY")
    return parts.netloc, key


def _download_s3(uri: str, target: Path) -> None:
    try:
        import boto3
    except ImportError as err:
        raise ArtifactError("s3:// artifacts need boto3: pip install 'modelyard[s3]'") from err
    bucket, key = _bucket_key(uri)
    try:
        boto3.client("s3").download_file(bucket, key, str(target))
    except Exception as err:  # botocore raises many unrelated types
        raise ArtifactError(f"download of {uri} failed: {err}") from err


def _download_gcs(uri: str, target: Path) -> None:
    try:
        from google.cloud import storage
    except ImportError as err:
        raise ArtifactError("gs:// artifacts need google-cloud-storage: pip install 'modelyard[gcs]'") from err
    bucket, key = _bucket_key(uri)
    try:
        storage.Client().bucket(bucket).blob(key).download_to_filename(str(target))
    except Exception as err:  # google.api_core raises many types
        raise ArtifactError(f"download of {uri} failed: {err}") from err
