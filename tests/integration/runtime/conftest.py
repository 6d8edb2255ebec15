"""Make ``tests.unit.serving.helpers`` importable however pytest is started (tests/integration has no
``__init__.py``); harmless once the repository root is on pytest's ``pythonpath``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[3])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
