"""CEL ``x-kubernetes-validations`` rules, evaluated with cel-python (``celpy``).

Like the real server: rules run with ``self`` bound to the value at the schema node that carries them;
a rule that mentions ``oldSelf`` is a transition rule and runs only on update when the old value exists;
a failed rule yields a cause at the node's path (or ``fieldPath``) with the rule's ``message``,
``messageExpression`` or ``failed rule: <rule>``, and its ``reason`` (default ``FieldValueInvalid``).

Where we are lenient: a rule that does not compile, or whose evaluation errors (a missing key, a type
mismatch), is skipped with a log line instead of failing the request; if ``celpy`` is not installed all
rules are skipped (logged once). Old values are correlated through object properties only, not through
list items (``x-kubernetes-list-type: map`` correlation is not done).
"""

from __future__ import annotations

import functools
import importlib
import logging
from typing import Any

from modelyard.sandbox.schema import ROOT_KEEP, child_path, item_path
from modelyard.sandbox.validation import Cause, cause, type_name

JsonDict = dict[str, Any]
RULES = "x-kubernetes-validations"
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


def _check_rule(rule: JsonDict, value: Any, old: Any, path: str) -> Cause | None:
    expr = str(rule.get("rule", ""))
    if "oldSelf" in expr and old is None:
        return None
    result = evaluate(expr, value, old)
    if result is None or bool(result):
        return None
    message = rule.get("message") or f"failed rule: {expr}"
    if rule.get("messageExpression"):
        custom = evaluate(str(rule["messageExpression"]), value, old)
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
    """Evaluate every CEL rule in the schema tree against ``value`` (and ``old`` for transition rules)."""
    if value is None:
        return []
    errors = [c for rule in schema.get(RULES) or [] if (c := _check_rule(rule, value, old, path))]
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        old_map = old if isinstance(old, dict) else {}
        for key, item in value.items():
            if not path and key in ROOT_KEEP:
                continue
            if key in props:
                errors += check_rules(props[key], item, old_map.get(key), child_path(path, key))
            elif isinstance(extra, dict):
                errors += check_rules(extra, item, old_map.get(key), item_path(path, key))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            errors += check_rules(schema["items"], item, None, item_path(path, index))
    return errors
