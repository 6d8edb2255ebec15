"""List pagination (``limit``/``continue``) and resourceVersion parsing."""

from __future__ import annotations

import base64
import json
from typing import Any

from modelyard.sandbox.errors import bad_request
from modelyard.sandbox.objects import meta

JsonDict = dict[str, Any]


def parse_rv(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError as exc:
        raise bad_request(f"invalid resource version: {text!r}") from exc


def sort_key(obj: JsonDict) -> str:
    md = meta(obj)
    return f"{md.get('namespace') or ''}/{md.get('name')}"


def encode_continue(key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"start": key}).encode()).decode()


def decode_continue(token: str | None) -> str:
    if not token:
        return ""
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["start"])
    except (ValueError, KeyError, TypeError) as exc:
        raise bad_request("invalid continue token") from exc
