"""The TrainingJob tests' API: the shared in-memory fake, with ``put(ref, namespace, body)``."""

from __future__ import annotations

import copy
from typing import Any

from modelyard.adapters.kube import Ref
from tests.unit.fake_api import FakeApi, merge

__all__ = ["FakeKube", "merge"]


class FakeKube(FakeApi):
    def put(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> None:
        self.store(ref, copy.deepcopy(body), namespace)
