"""CEL ``x-kubernetes-validations`` rules, evaluated with cel-python (``celpy``).

Like the real server: rules run with ``self`` bound to the value at the schema node that carries them;
a rule that mentions ``oldSelf`` is a transition rule and runs only on update when the old value exists;
a failed rule yields a cause at the node's path (or ``fieldPath``) with the rule's ``message``,
``messageExpression`` or ``failed rule: <rule>``, and its ``reason`` (default ``FieldValueInvalid``).

Ratcheting, as kube-apiserver since 1.30 (KEP-4008 "CRD Validation Ratcheting", feature gate
``CRDValidationRatcheting``: beta and on by default in 1.30, GA in 1.33; what a 1.34 server does): on an
update, a rule that does not use ``oldSelf`` and sits on a value that is correlated with the old object
(through object properties, ``additionalProperties`` and the items of ``x-kubernetes-list-type: map``
lists, by their ``x-kubernetes-list-map-keys``) and deep-equal to it has its error ignored. We go one step
further in cost, not in outcome: such rules are not evaluated at all, and an unchanged subtree holding
nothing else to evaluate is not walked (a real server evaluates them and returns a ratcheted error as a
warning; we return no warning). Transition rules (``oldSelf``) are never ratcheted, and rules under the
items of atomic or set lists (not correlatable) always run, as on the real server.

Results are pure functions of (rule, self, oldSelf): compiled programs are cached per rule text, and
results in a bounded LRU keyed on the rule and the canonical JSON of ``self`` and ``oldSelf``.

Where we are lenient: a rule that does not compile, or whose evaluation errors (a missing key, a type
mismatch), is skipped with a log line instead of failing the request; if ``celpy`` is not installed all
rules are skipped (logged once).
"""

from __future__ import annotations

import collections
import functools
import importlib
import json
import logging
import threading
from typing import Any

from modelyard.sandbox.schema import ROOT_KEEP, child_path, item_path
from modelyard.sandbox.validation import Cause, cause, type_name

JsonDict = dict[str, Any]
RULES = "x-kubernetes-validations"
RESULT_CACHE_SIZE = 2048
log = logging.getLogger(__name__)

celpy: Any
try:
    celpy = importlib.import_module("celpy")
except ImportError:  # pragma: no cover - depends on the environment
    celpy = None


@functools.lru_cache(maxsize=512)
def _program(expr: str) -> Any:
    """Compile a CEL expression once; None if it doesn't compile."""
    if celpy is None:
        log.warning("cel-python is not installed: CEL rules are skipped")
        return None
    try:
        env = celpy.Environment()
        return env.program(env.compile(expr))
    except Exception as exc:
        log.warning("sandbox: CEL rule %r does not compile, skipped: %s", expr, exc)
        return None


def evaluate(expr: str, self_value: Any, old_value: Any = None) -> Any:
    """Evaluate an expression; returns a Python value, or None when it can't be evaluated."""
    program = _program(expr)
    if program is None:
        return None
    activation = {"self": celpy.json_to_cel(self_value)}
    if old_value is not None:
        activation["oldSelf"] = celpy.json_to_cel(old_value)
    try:
        result = program.evaluate(activation)
    except Exception as exc:
        log.info("sandbox: CEL rule %r failed to evaluate, skipped: %s", expr, exc)
        return None
    if isinstance(result, celpy.CELEvalError):
        log.info("sandbox: CEL rule %r failed to evaluate, skipped: %s", expr, result)
        return None
    return result


class _Results:
    """A bounded LRU of evaluation results keyed on (rule, canonical JSON of self, of oldSelf): CEL is pure."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: collections.OrderedDict[tuple[str, str, str | None], Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def evaluate(self, expr: str, value: Any, old: Any) -> Any:
        """``evaluate(expr, value, old)``, from the cache when the same inputs were seen recently."""
        key = (expr, _canonical(value), None if old is None else _canonical(old))
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        result = evaluate(expr, value, old)
        with self._lock:
            self._data[key] = result
            if len(self._data) > self.size:
                self._data.popitem(last=False)
        return result

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._data.clear()


RESULTS = _Results(RESULT_CACHE_SIZE)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def is_transition(rule: JsonDict) -> bool:
    """A rule that mentions ``oldSelf``: evaluated on update only, never ratcheted."""
    return "oldSelf" in str(rule.get("rule", ""))


def _check_rule(rule: JsonDict, value: Any, old: Any, path: str) -> Cause | None:
    expr = str(rule.get("rule", ""))
    transition = is_transition(rule)
    if transition and old is None:
        return None
    result = RESULTS.evaluate(expr, value, old if transition else None)
    if result is None or bool(result):
        return None
    message = rule.get("message") or f"failed rule: {expr}"
    if rule.get("messageExpression"):
        custom = RESULTS.evaluate(str(rule["messageExpression"]), value, old)
        message = str(custom) if custom is not None else message
    field = path
    if rule.get("fieldPath"):
        field = f"{path}{rule['fieldPath']}" if str(rule["fieldPath"]).startswith((".", "[")) else path
    reason = str(rule.get("reason") or "FieldValueInvalid")
    prefix = {
        "FieldValueRequired": "Required value",
        "FieldValueForbidden": "Forbidden",
        "FieldValueDuplicate": "Duplicate value",
    }.get(reason, f'Invalid value: "{type_name(value)}"')
    return cause(reason, field, f"{prefix}: {message}")


def check_rules(schema: JsonDict, value: Any, old: Any = None, path: str = "") -> list[Cause]:
    """Evaluate the CEL rules of the schema tree against ``value``, ratcheting unchanged values.

    ``old`` is the value correlated with ``value`` in the old object (None on create, or when there is
    none): transition rules need it, and a value deep-equal to it is ratcheted (see the module docstring).
    """
    if value is None:
        return []
    unchanged = old is not None and same(value, old)
    if unchanged and not must_walk_unchanged(schema):
        return []
    rules = [r for r in schema.get(RULES) or [] if not unchanged or is_transition(r)]
    errors = [c for rule in rules if (c := _check_rule(rule, value, old, path))]
    if isinstance(value, dict):
        errors += _check_properties(schema, value, old, path)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        olds = correlate_items(schema, value, old)
        for index, item in enumerate(value):
            errors += check_rules(schema["items"], item, olds[index], item_path(path, index))
    return errors


def _check_properties(schema: JsonDict, value: JsonDict, old: Any, path: str) -> list[Cause]:
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    old_map = old if isinstance(old, dict) else {}
    errors: list[Cause] = []
    for key, item in value.items():
        if not path and key in ROOT_KEEP:
            continue
        if key in props:
            errors += check_rules(props[key], item, old_map.get(key), child_path(path, key))
        elif isinstance(extra, dict):
            errors += check_rules(extra, item, old_map.get(key), item_path(path, key))
    return errors


# ratcheting -------------------------------------------------------------------------------------------


def same(a: Any, b: Any) -> bool:
    """Deep equality of JSON values that tells ``1`` from ``1.0`` and ``true`` (Go's DeepEqual on them)."""
    return bool(a == b) and _same_types(a, b)


def _same_types(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(_same_types(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return all(map(_same_types, a, b))
    return True


def correlate_items(schema: JsonDict, value: list[Any], old: Any) -> list[Any]:
    """The old item of each item: by ``x-kubernetes-list-map-keys`` in a map list, else none (atomic, set)."""
    keys = schema.get("x-kubernetes-list-map-keys")
    if schema.get("x-kubernetes-list-type") != "map" or not keys or not isinstance(old, list):
        return [None] * len(value)
    by_key = {_map_key(item, keys): item for item in old if isinstance(item, dict)}
    return [by_key.get(_map_key(item, keys)) if isinstance(item, dict) else None for item in value]


def _map_key(item: JsonDict, keys: list[str]) -> str:
    return _canonical([item.get(k) for k in keys])


_WALK: dict[int, tuple[JsonDict, bool]] = {}


def must_walk_unchanged(schema: JsonDict) -> bool:
    """Whether an unchanged value under ``schema`` still has rules to run (memoised per schema node).

    Those are transition rules on correlatable values, and any rule under the items of a list that is
    not a map list (its items are not correlatable, so never ratcheted).
    """
    hit = _WALK.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    result = _must_walk(schema)
    if len(_WALK) > 20_000:
        _WALK.clear()
    _WALK[id(schema)] = (schema, result)
    return result


def _must_walk(schema: JsonDict) -> bool:
    if any(is_transition(r) for r in schema.get(RULES) or []):
        return True
    if any(must_walk_unchanged(child) for child in _child_schemas(schema)):
        return True
    items = schema.get("items")
    if not isinstance(items, dict):
        return False
    return must_walk_unchanged(items) if schema.get("x-kubernetes-list-type") == "map" else _has_rules(items)


def _child_schemas(schema: JsonDict) -> list[JsonDict]:
    children = list((schema.get("properties") or {}).values())
    if isinstance(schema.get("additionalProperties"), dict):
        children.append(schema["additionalProperties"])
    return children


def _has_rules(schema: JsonDict) -> bool:
    """Whether the tree holds a rule that runs without an old value (not a transition rule)."""
    if any(not is_transition(r) for r in schema.get(RULES) or []):
        return True
    items = schema.get("items")
    subtrees = [*_child_schemas(schema), *([items] if isinstance(items, dict) else [])]
    return any(_has_rules(child) for child in subtrees)
