"""The subset of kubectl/client-go JSONPath that printer columns use.

Supported: ``.a.b``, ``['a.b']``, ``[0]``, ``[-1]``, ``[*]``, ``..`` is not; filters
``[?(@.type=="Ready")]`` with ``==``/``!=`` against a quoted string or a number, ``[?(@.x)]`` for
presence. Braces (``{.spec.x}``) are accepted. Anything else evaluates to no result.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_\-/]+(?:\\\.[A-Za-z0-9_\-/]+)*)"""
    r"""|\[\s*'(?P<quoted>[^']*)'\s*\]"""
    r"""|\[(?P<index>-?\d+)\]"""
    r"""|\[(?P<star>\*)\]"""
    r"""|\[\?\(@\.(?P<fpath>[A-Za-z0-9_.\-]+)\s*(?:(?P<op>==|!=)\s*(?P<fval>"[^"]*"|'[^']*'|-?[\d.]+|true|false))?\)\]"""
)


def parse(path: str) -> list[tuple[str, Any]] | None:
    """Tokens of a path, or None if it uses something unsupported."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            return None
        pos = m.end()
        if m["field"] is not None:
            tokens.append(("field", m["field"].replace("\\.", ".")))
        elif m["quoted"] is not None:
            tokens.append(("field", m["quoted"]))
        elif m["index"] is not None:
            tokens.append(("index", int(m["index"])))
        elif m["star"]:
            tokens.append(("star", None))
        else:
            tokens.append(("filter", (m["fpath"], m["op"], _literal(m["fval"]))))
    return tokens


def _literal(text: str | None) -> Any:
    if text is None:
        return None
    if text[:1] in "\"'":
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return float(text) if "." in text else int(text)


def _get_path(value: Any, dotted: str) -> tuple[bool, Any]:
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _step(values: list[Any], kind: str, arg: Any) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if (kind == "field" and isinstance(value, dict) and arg in value) or (
            kind == "index" and isinstance(value, list) and -len(value) <= arg < len(value)
        ):
            out.append(value[arg])
        elif kind == "star":
            out += (
                list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
            )
        elif kind == "filter" and isinstance(value, list):
            out += [item for item in value if _passes(item, arg)]
    return out


def _passes(item: Any, condition: tuple[str, str | None, Any]) -> bool:
    path, op, expected = condition
    found, actual = _get_path(item, path)
    if op is None:
        return found
    equal = found and (actual == expected or str(actual) == str(expected))
    return equal if op == "==" else not equal


def find(obj: Any, path: str) -> list[Any]:
    """All values the path selects (empty when none, or the path is unsupported)."""
    tokens = parse(path)
    if tokens is None:
        return []
    values = [obj]
    for kind, arg in tokens:
        values = _step(values, kind, arg)
    return values
