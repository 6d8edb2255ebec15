"""Label and field selectors, parsed and matched like ``k8s.io/apimachinery/pkg/labels``/``fields``.

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``.
Field selectors: ``path=v``, ``path==v``, ``path!=v``. A real server accepts only a few fields per kind
(``metadata.name``, ``metadata.namespace`` everywhere, ``status.phase`` for pods, ``involvedObject.*`` for
events...); we accept any dotted path into the object and compare it as a string (a missing field is "").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from modelyard.sandbox.errors import bad_request

JsonDict = dict[str, Any]

_SET_RE = re.compile(r"^\s*(?P<key>[^\s!=,()]+)\s+(?P<op>in|notin)\s*\((?P<vals>[^)]*)\)\s*$")
_CMP_RE = re.compile(r"^\s*(?P<key>[^\s!=,()]+)\s*(?P<op>==|=|!=)\s*(?P<val>[^\s,()=!]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(?P<neg>!?)\s*(?P<key>[^\s!=,()]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    """One selector term: key, operator (``=``, ``!=``, ``in``, ``notin``, ``exists``, ``!``), values."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies this requirement."""
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        # != and notin match objects without the label too, like the real server.
        return not present or value not in self.values


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += ch
    terms.append(current)
    return [t for t in terms if t.strip()]


def _parse_term(term: str) -> Requirement:
    if m := _SET_RE.match(term):
        vals = tuple(v.strip() for v in m["vals"].split(",") if v.strip())
        return Requirement(m["key"], "in" if m["op"] == "in" else "notin", vals)
    if m := _CMP_RE.match(term):
        return Requirement(m["key"], "!=" if m["op"] == "!=" else "=", (m["val"],))
    if m := _EXISTS_RE.match(term):
        return Requirement(m["key"], "!" if m["neg"] else "exists")
    raise bad_request(f"unable to parse requirement: {term!r}")


def parse_label_selector(text: str | None) -> tuple[Requirement, ...]:
    """Parse a label selector string; empty means everything. Raises 400 on bad syntax."""
    return tuple(_parse_term(t) for t in _split_terms(text or ""))


def parse_field_selector(text: str | None) -> tuple[Requirement, ...]:
    """Parse a field selector: only ``=``, ``==`` and ``!=`` are allowed."""
    reqs = []
    for term in _split_terms(text or ""):
        m = _CMP_RE.match(term)
        if not m:
            raise bad_request(f"invalid selector: {term!r}; can't understand {term!r}")
        reqs.append(Requirement(m["key"], "!=" if m["op"] == "!=" else "=", (m["val"],)))
    return tuple(reqs)


def _field_value(obj: JsonDict, path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def field_set(obj: JsonDict, reqs: tuple[Requirement, ...]) -> dict[str, str]:
    """The object's values for the fields a field selector names."""
    return {r.key: _field_value(obj, r.key) for r in reqs}


def compile_selectors(label: str | None, field: str | None) -> Callable[[JsonDict], bool]:
    """A predicate over objects combining a label and a field selector."""
    label_reqs = parse_label_selector(label)
    field_reqs = parse_field_selector(field)

    def predicate(obj: JsonDict) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if not all(r.matches(labels) for r in label_reqs):
            return False
        fields = field_set(obj, field_reqs)
        return all(r.matches(fields) for r in field_reqs)

    return predicate


def match_label_selector(selector: JsonDict | None, labels: Mapping[str, str]) -> bool:
    """Match a structured ``LabelSelector`` (``matchLabels``/``matchExpressions``) against labels."""
    if not selector:
        return True
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    reqs = [Requirement(k, "=", (v,)) for k, v in (selector.get("matchLabels") or {}).items()]
    reqs += [
        Requirement(e["key"], ops[e["operator"]], tuple(e.get("values") or ()))
        for e in selector.get("matchExpressions") or ()
    ]
    return all(r.matches(labels) for r in reqs)
