"""The simulated Job, ReplicaSet, Deployment and Endpoints controllers (I/O around the pure decisions)."""

from __future__ import annotations

from typing import Any

from modelyard.adapters.kube import DEPLOYMENTS, JOBS, MERGE, PODS, REPLICASETS, Ref
from modelyard.sandbox.controllers.base import Controller, Informers, now
from modelyard.sandbox.controllers.common import controller_uid, owned_by
from modelyard.sandbox.controllers.deployments import REVISION, calculate_deployment
from modelyard.sandbox.controllers.endpoints import build_endpoints, same_endpoints, selects
from modelyard.sandbox.controllers.informer import Key
from modelyard.sandbox.controllers.jobs import calculate_job
from modelyard.sandbox.controllers.replicasets import calculate_replicaset

JsonDict = dict[str, Any]
ENDPOINTS = Ref("", "v1", "endpoints")
SERVICES = Ref("", "v1", "services")


class OwnedController(Controller):
    """A controller of objects that own pods or ReplicaSets: a child's change enqueues its owner."""

    child: Ref
    owner_kind = ""

    def __init__(self, informers: Informers, *, resync: float = 5.0) -> None:
        super().__init__(informers, resync=resync)
        informers[self.child].listen(self._on_child)
        informers[self.child].add_index("controller", lambda o: (controller_uid(o),))

    def _on_child(self, _kind: str, obj: JsonDict) -> None:
        md = obj.get("metadata", {})
        for ref in md.get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == self.owner_kind:
                self.queue.add((md.get("namespace") or "", ref.get("name", "")))

    def live(self, key: Key) -> JsonDict | None:
        obj = self.cache.cache.get(key)
        return None if obj is None or obj["metadata"].get("deletionTimestamp") else obj

    def children(self, owner: JsonDict) -> list[JsonDict]:
        return owned_by(self.informers[self.child].indexed("controller", owner["metadata"].get("uid")), owner)


class JobController(OwnedController):
    primary, child, owner_kind, name = JOBS, PODS, "Job", "job-controller"

    async def reconcile(self, key: Key) -> float | None:
        job = self.live(key)
        if job is None:
            return None
        plan = calculate_job(job, self.children(job), now())
        if plan.delete_job:
            await self.delete(JOBS, key[0], key[1])
            return None
        for pod in plan.create:
            await self.create(PODS, pod)
        for name in plan.delete:
            await self.delete(PODS, key[0], name)
        await self.write_status(JOBS, job, plan.status)
        return plan.requeue_after


class ReplicaSetController(OwnedController):
    primary, child, owner_kind, name = REPLICASETS, PODS, "ReplicaSet", "replicaset-controller"

    async def reconcile(self, key: Key) -> float | None:
        rs = self.live(key)
        if rs is None:
            return None
        plan = calculate_replicaset(rs, self.children(rs))
        for pod in plan.create:
            await self.create(PODS, pod)
        for name in plan.delete:
            await self.delete(PODS, key[0], name)
        await self.write_status(REPLICASETS, rs, plan.status)
        return None


class DeploymentController(OwnedController):
    primary, child, owner_kind, name = DEPLOYMENTS, REPLICASETS, "Deployment", "deployment-controller"

    async def reconcile(self, key: Key) -> float | None:
        dep = self.live(key)
        if dep is None:
            return None
        plan = calculate_deployment(dep, self.children(dep), now())
        for rs in plan.apply:
            await self._apply_replicaset(rs)
        for name in plan.delete:
            await self.delete(REPLICASETS, key[0], name)
        await self.write_status(DEPLOYMENTS, dep, plan.status)
        return None

    async def _apply_replicaset(self, rs: JsonDict) -> None:
        md = rs["metadata"]
        if (md.get("namespace") or "", md["name"]) not in self.informers[REPLICASETS].cache:
            await self.create(REPLICASETS, rs)
            return
        body = {"metadata": {"annotations": {REVISION: (md.get("annotations") or {}).get(REVISION)}},
                "spec": {"replicas": rs["spec"]["replicas"]}}
        answer = await self.kube.patch(REPLICASETS, md.get("namespace"), md["name"], body, content_type=MERGE)
        self.informers[REPLICASETS].store(answer)


class EndpointsController(Controller):
    """Keeps ``Endpoints`` named like each selector Service: ready pod IPs and ports."""

    primary, name = SERVICES, "endpoints-controller"

    def __init__(self, informers: Informers, *, resync: float = 5.0) -> None:
        super().__init__(informers, resync=resync)
        informers[PODS].listen(self._on_pod)
        informers[ENDPOINTS].listen(lambda _kind, ep: None)  # registers the informer
        informers[PODS].add_index("label", _labels_of)
        self.cache.add_index("selector", _selector_of)

    def _on_pod(self, _kind: str, pod: JsonDict) -> None:
        """Only the Services that select this pod (found by one of its labels, then checked in full)."""
        ns = pod.get("metadata", {}).get("namespace") or ""
        for item in _labels_of(pod):
            for svc in self.cache.indexed("selector", item):
                if selects(svc, pod):
                    self.queue.add((ns, svc["metadata"]["name"]))

    async def reconcile(self, key: Key) -> float | None:
        service = self.cache.cache.get(key)
        current = self.informers[ENDPOINTS].cache.get(key)
        if service is None:
            if current is not None and not current["metadata"].get("ownerReferences"):
                await self.delete(ENDPOINTS, *key)
            return None
        selector = sorted(((service.get("spec") or {}).get("selector") or {}).items())
        pods = self.informers[PODS].indexed("label", (key[0], *selector[0])) if selector else []
        wanted = build_endpoints(service, pods)
        if wanted is None or same_endpoints(current, wanted):
            return None
        if current is None:
            await self.create(ENDPOINTS, wanted)
        else:
            answer = await self.kube.patch(ENDPOINTS, key[0], key[1], {"subsets": wanted["subsets"],
                                           "metadata": {"labels": wanted["metadata"]["labels"]}})
            self.informers[ENDPOINTS].store(answer)
        return None


def _labels_of(obj: JsonDict) -> list[tuple[str, str, str]]:
    md = obj.get("metadata") or {}
    return [(md.get("namespace") or "", k, v) for k, v in (md.get("labels") or {}).items()]


def _selector_of(service: JsonDict) -> list[tuple[str, str, str]]:
    ns = (service.get("metadata") or {}).get("namespace") or ""
    return [(ns, k, v) for k, v in ((service.get("spec") or {}).get("selector") or {}).items()]
