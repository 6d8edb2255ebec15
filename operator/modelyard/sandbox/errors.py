"""Kubernetes ``Status`` errors, shaped like the ones kube-apiserver sends.

Every failure the sandbox reports is an :class:`ApiError`; the HTTP layer renders it as a ``kind: Status``
document with ``code``, ``reason``, ``message`` and ``details`` (``name``, ``group``, ``kind``,
``causes[]``), which is what kubectl and client libraries parse.
"""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

REASONS = {
    400: "BadRequest",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Gone",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """An error that becomes a ``Status`` response (or a watch ``ERROR`` event)."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str | None = None,
        details: JsonDict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details
        self.headers = headers or {}

    def status(self) -> JsonDict:
        """The ``Status`` document for this error."""
        doc: JsonDict = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            doc["details"] = self.details
        return doc


def group_resource(plural: str, group: str) -> str:
    """``widgets.example.io`` or plain ``pods`` for the core group, as messages name resources."""
    return f"{plural}.{group}" if group else plural


def not_found(plural: str, group: str, name: str) -> ApiError:
    """404 NotFound: ``pods "x" not found``."""
    details = {"name": name, "group": group, "kind": plural}
    return ApiError(404, f'{group_resource(plural, group)} "{name}" not found', details=details)


def already_exists(plural: str, group: str, name: str) -> ApiError:
    """409 AlreadyExists on create of an existing name."""
    details = {"name": name, "group": group, "kind": plural}
    msg = f'{group_resource(plural, group)} "{name}" already exists'
    return ApiError(409, msg, reason="AlreadyExists", details=details)


def conflict(plural: str, group: str, name: str, why: str | None = None) -> ApiError:
    """409 Conflict on a stale resourceVersion (optimistic concurrency)."""
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    details = {"name": name, "group": group, "kind": plural}
    msg = f'Operation cannot be fulfilled on {group_resource(plural, group)} "{name}": {why}'
    return ApiError(409, msg, reason="Conflict", details=details)


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, message)


def gone(requested: int, oldest: int) -> ApiError:
    """410 Gone: the watch asked for history that was compacted away."""
    return ApiError(410, f"too old resource version: {requested} ({oldest})", reason="Expired")


def invalid(kind: str, group: str, name: str, causes: list[JsonDict]) -> ApiError:
    """422 Invalid with ``details.causes``; the message joins causes like the real server."""
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    body = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    qualified = f"{kind}.{group}" if group else kind
    details = {"name": name, "group": group, "kind": kind, "causes": causes}
    return ApiError(422, f'{qualified} "{name}" is invalid: {body}', details=details)
