"""The framework's floor: a minimal kopf operator that only writes a status on create.

    kopf run --standalone --all-namespaces bench/baseline_operator.py

It watches the same three kinds as Modelyard and, for each new object, writes observedGeneration and
Ready=True (plus Succeeded=True for a TrainingJob) in one status patch: no reads, no children, no
timers, kopf's default settings. Every figure of the benchmarks is printed beside this operator's,
measured in the same run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import kopf

GROUP, VERSION = "modelyard.io", "v1alpha1"


def _status(generation: int | None, *types: str) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    conditions = [{"type": t, "status": "True", "reason": "Done", "message": "", "lastTransitionTime": now}
                  for t in types]
    return {"observedGeneration": generation, "conditions": conditions}


@kopf.on.create(GROUP, VERSION, "inferenceservices")
@kopf.on.create(GROUP, VERSION, "modelversions")
def ready(meta: kopf.Meta, patch: kopf.Patch, **_: Any) -> None:
    patch.status.update(_status(meta.get("generation"), "Ready"))


@kopf.on.create(GROUP, VERSION, "trainingjobs")
def succeeded(meta: kopf.Meta, patch: kopf.Patch, **_: Any) -> None:
    patch.status.update(_status(meta.get("generation"), "Ready", "Succeeded"))
