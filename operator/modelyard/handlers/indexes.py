"""In-memory indexes kopf keeps from its watches; lookups without list calls."""

from __future__ import annotations

from typing import Any

import kopf

from modelyard.core.registry import VersionRecord, record_from_body


@kopf.index("modelyard.io", "v1alpha1", "modelversions")
def modelversions_by_model(body: kopf.Body, **_: Any) -> dict[tuple[str, str], VersionRecord] | None:
    record = record_from_body(body)
    return None if record is None else {(record.namespace, record.model): record}
