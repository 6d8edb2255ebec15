"""The latest-version lookup among Ready, Rejected, Retired and duplicate versions, on the records of the
live objects as the operator's index holds them (``record_from_body``, the index function's own code)."""

from __future__ import annotations

from modelyard.adapters.kube import INFERENCESERVICES, MODELVERSIONS
from modelyard.core.registry import VersionRecord, record_from_body, select_latest
from tests.integration.conftest import SandboxHandle
from tests.integration.registry.registry_helpers import (
    NS,
    create_all,
    event_reasons,
    inferenceservice,
    modelversion,
    report_isvc_status,
    wait_for_event,
    wait_for_mv,
)

REJECTED_AT = "2026-01-02T03:04:05Z"


async def records(sandbox: SandboxHandle) -> list[VersionRecord]:
    items = await sandbox.kube.list(MODELVERSIONS, NS)
    return [r for r in map(record_from_body, items) if r is not None]


async def test_latest_skips_rejected_retired_and_duplicate_versions(sandbox: SandboxHandle) -> None:
    lanes = {1: "a", 2: "b", 3: "a", 4: "b"}
    await create_all(sandbox, *(modelversion(f"iris-v{i}", f"v{i}", tags={"lane": lane}) for i, lane in lanes.items()))
    await sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice("web", "iris-v4"))
    history = [{"modelVersion": "iris-v5", "outcome": "RolledBack", "message": "errorRate 0.2 > 0.05",
                "time": REJECTED_AT}]
    await report_isvc_status(sandbox, "web", stable="iris-v4", rejected=["iris-v5"], history=history)
    await create_all(sandbox, modelversion("iris-v5", "v5", keep_last=3, tags={"lane": "a"}),
                     modelversion("iris-v6", "v4", tags={"lane": "b"}))  # a second claim on v4

    rejected = await wait_for_mv(sandbox, "iris-v5", phase="Rejected", reason="Rejected")
    assert rejected["status"]["rejections"] == [{"inferenceService": "web", "reason": "RolledBack",
                                                 "message": "errorRate 0.2 > 0.05", "time": REJECTED_AT,
                                                 "measurements": {}}]
    await wait_for_event(sandbox, "iris-v5", "RejectedBy")
    await wait_for_mv(sandbox, "iris-v6", phase="Pending", reason="DuplicateVersion")
    for i in (1, 2):  # keepLast 3 of v5 keeps v3, v4, v5 (the rejected v5 still counts)
        await wait_for_mv(sandbox, f"iris-v{i}", phase="Retired")
    await wait_for_mv(sandbox, "iris-v3", phase="Ready", reason="Registered")
    await wait_for_mv(sandbox, "iris-v4", phase="Ready", reason="Serving")

    rs = await records(sandbox)

    def latest(**kw: object) -> str | None:
        found = select_latest(rs, "iris", **kw)  # type: ignore[arg-type]
        return None if found is None else found.name
    web = {"iris-v5"}  # what web rejected (its status.rejected); a rejection counts for its own service only
    assert latest(rejected=web) == "iris-v4"  # for web: not v6 (duplicate), not v5 (rejected by web)
    assert latest() == "iris-v5"  # for another service: web's rejection does not exclude it
    assert latest(tags={"lane": "a"}, rejected=web) == "iris-v3"  # and v1 is retired
    assert latest(tags={"lane": "b"}) == "iris-v4"  # not the duplicate v6
    assert latest(tags={"lane": "b"}, rejected={"iris-v4"}) is None  # v2 is retired, v6 a duplicate
    assert latest(rejected={"iris-v4", *web}) == "iris-v3"
    assert latest(where=lambda r: r.name != "iris-v3", tags={"lane": "a"}, rejected=web) is None
    assert select_latest(rs, "other") is None


async def test_a_rejection_outlives_its_service(sandbox: SandboxHandle) -> None:
    await create_all(sandbox, modelversion("iris-v1", "v1"), modelversion("iris-v2", "v2"))
    await sandbox.kube.create(INFERENCESERVICES, NS, inferenceservice("web", "iris-v1"))
    await report_isvc_status(sandbox, "web", stable="iris-v1", canary="iris-v2")
    await wait_for_mv(sandbox, "iris-v2", phase="Ready", reason="Serving")
    await report_isvc_status(sandbox, "web", stable="iris-v1", rejected=["iris-v2"])  # no details: stamped now
    first = await wait_for_mv(sandbox, "iris-v2", phase="Rejected", reason="Rejected")
    assert [(r["inferenceService"], r["reason"]) for r in first["status"]["rejections"]] == [("web", "Rejected")]

    await sandbox.kube.delete(INFERENCESERVICES, NS, "web")
    await wait_for_mv(sandbox, "iris-v1", phase="Ready", reason="Registered")
    after = await wait_for_mv(sandbox, "iris-v2", phase="Rejected", reason="Rejected")
    assert after["status"]["rejections"] == first["status"]["rejections"]  # append-only, written once
    assert (await event_reasons(sandbox, "iris-v2")).count("RejectedBy") == 1
