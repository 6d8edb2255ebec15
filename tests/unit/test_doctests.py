"""The worked examples in the docstrings of the pure modules are tests too."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import modelyard.codegen
import modelyard.core

MODULES = [
    m.name
    for pkg in (modelyard.core, modelyard.codegen)
    for m in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + ".")
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
