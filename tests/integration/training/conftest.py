"""The TrainingJob integration tests need the sandbox (API emulator + simulated controllers) and the shared
fixtures of tests/integration/conftest.py; until both are on the branch, they are not collected."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_READY = (importlib.util.find_spec("modelyard.sandbox.controllers") is not None
          and (Path(__file__).parents[1] / "conftest.py").exists())
collect_ignore_glob = [] if _READY else ["test_*.py"]
