"""Fixtures for the sandbox store tests: a fresh store serving the Widget test CRD."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from modelyard.sandbox.cluster import new_store
from modelyard.sandbox.resources import ResourceInfo
from modelyard.sandbox.store import Store

WIDGET_CRD = Path(__file__).parent / "fixtures" / "widget-crd.yaml"
T0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(clock: FakeClock) -> Store:
    return new_store([WIDGET_CRD], clock=clock, history_size=50)


def info(store: Store, group: str, version: str, plural: str) -> ResourceInfo:
    found = store.registry.get(group, version, plural)
    assert found is not None
    return found


@pytest.fixture
def widgets(store: Store) -> ResourceInfo:
    return info(store, "example.modelyard.io", "v1", "widgets")


@pytest.fixture
def configmaps(store: Store) -> ResourceInfo:
    return info(store, "", "v1", "configmaps")


@pytest.fixture
def namespaces(store: Store) -> ResourceInfo:
    return info(store, "", "v1", "namespaces")
