"""Pure helpers for writing only what changed."""

from __future__ import annotations

from typing import Any


def calculate_merge_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The RFC 7386 merge patch that turns ``old`` into ``new``; empty when nothing changed.

    >>> calculate_merge_patch({"a": 1, "b": {"c": 2, "d": 3}}, {"a": 1, "b": {"c": 2}, "e": [1]})
    {'b': {'d': None}, 'e': [1]}
    >>> calculate_merge_patch({"a": 1}, {"a": 1})
    {}
    """
    patch: dict[str, Any] = {}
    for key in old.keys() - new.keys():
        patch[key] = None
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            sub = calculate_merge_patch(before, value)
            if sub:
                patch[key] = sub
        elif key not in old or before != value:
            patch[key] = value
    return patch
