"""Whether an object in the cluster already is what we would apply (pure): skip writes that change nothing.

Two checks, both needed:

* **The applied hash.** Every manifest we apply carries ``modelyard.io/applied-hash``: a hash of the manifest
  itself. A live object with another hash (or none) was applied from a different manifest, e.g. one that
  still set a field we have since dropped, which only a new apply removes.
* **Derivative equality** (``is_derivative``, the rule KServe and Knative reconcile with, apimachinery's
  ``equality.Semantic.DeepDerivative``): every field we set has the same value live; fields the API server
  or other controllers filled in (defaults, status, other managers' fields) are ignored. This is what
  catches drift: someone scaled, edited or half-deleted what we own.

Numbers compare by value (``1 == 1.0``); strings exactly, so a quantity the server normalized ("0.5" ->
"500m") reads as a change and is applied again once, after which the live object carries the server's
form and the hash of ours: render quantities in their canonical form to avoid even that one write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

ANNOTATION_APPLIED_HASH = "modelyard.io/applied-hash"


def calculate_applied_hash(manifest: Mapping[str, Any]) -> str:
    """A short hash of ``manifest`` (canonical JSON, our own hash annotation left out)."""
    meta = dict(manifest.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != ANNOTATION_APPLIED_HASH}
    meta["annotations"] = annotations
    canonical = json.dumps({**manifest, "metadata": meta}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def stamp_applied_hash(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """``manifest`` with its applied hash annotation (a new dict; the input is not changed)."""
    meta = dict(manifest.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), ANNOTATION_APPLIED_HASH: calculate_applied_hash(manifest)}
    return {**manifest, "metadata": meta}


def should_apply(desired: Mapping[str, Any], live: Mapping[str, Any] | None) -> bool:
    """Apply ``desired`` (already stamped) unless ``live`` carries its hash and every field we set."""
    if live is None:
        return True
    wanted = ((desired.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_APPLIED_HASH)
    have = ((live.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_APPLIED_HASH)
    return wanted is None or wanted != have or not is_derivative(desired, live)


def is_derivative(desired: Any, live: Any) -> bool:
    """Every value set in ``desired`` is equal in ``live``; keys only ``live`` has are ignored (a ``None`` in
    ``desired`` asks for the key to be absent or null), lists must have the same length and match item by
    item."""
    if isinstance(desired, Mapping):
        return isinstance(live, Mapping) and all(
            live.get(k) is None if v is None else k in live and is_derivative(v, live[k]) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(live, list) and len(desired) == len(live) and all(
            is_derivative(d, x) for d, x in zip(desired, live, strict=True))
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if isinstance(desired, (int, float)) and isinstance(live, (int, float)):
        return desired == live
    return bool(desired == live)
