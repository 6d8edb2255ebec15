"""What every kind's controller shares: parsing the body into the API model, the status patch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from modelyard.api.common import Resource
from modelyard.core.patches import calculate_merge_patch

R = TypeVar("R", bound=Resource)


def utcnow() -> datetime:
    """The one place the controllers read the clock (handed to the pure core as an argument)."""
    return datetime.now(UTC).replace(microsecond=0)


def parse(kind: type[R], body: dict[str, Any]) -> tuple[R | None, str | None]:
    """The body as the API model, or the reason it is not one (naming each bad field)."""
    raw = {k: body.get(k) for k in ("apiVersion", "kind", "metadata", "spec") if body.get(k) is not None}
    raw["status"] = _status_without_kopf(body.get("status") or {})
    try:
        return kind.model_validate(raw), None
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:10])
        return None, f"invalid {kind.crd.kind}: {problems}"


def parse_status(kind: type[R], body: dict[str, Any]) -> Any:
    """Only the status as the API model (for a body whose spec failed to parse); empty if unreadable."""
    status_model = kind.model_fields["status"].annotation
    try:
        return status_model.model_validate(_status_without_kopf(body.get("status") or {}))  # type: ignore[union-attr]
    except ValidationError:
        return status_model()  # type: ignore[misc]


def _status_without_kopf(status: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in status.items() if k != "kopf"}


def status_patch(body: dict[str, Any], new_status: dict[str, Any]) -> dict[str, Any]:
    """The merge patch from the stored status to ``new_status``; empty when nothing changed."""
    return calculate_merge_patch(_status_without_kopf(body.get("status") or {}), new_status)
