"""All simulated controllers of a sandbox cluster, started and stopped together."""

from __future__ import annotations

import asyncio
import logging

from modelyard.adapters.kube import Connection, KubeClient
from modelyard.sandbox.controllers.base import Controller, Informers, cancel_all
from modelyard.sandbox.controllers.behaviour import PodBehaviours
from modelyard.sandbox.controllers.kubelet import Kubelet, PodRuntime
from modelyard.sandbox.controllers.workloads import (
    DeploymentController,
    EndpointsController,
    JobController,
    ReplicaSetController,
)

log = logging.getLogger(__name__)


class SimulatedControllers:
    """Deployment -> ReplicaSet -> Pods, Job -> Pods, Service -> Endpoints, and the kubelet.

    HPAs are not acted on (no metrics pipeline): their spec is stored and ignored.
    """

    def __init__(self, server: str, behaviours: PodBehaviours | None = None, *, runtime: PodRuntime | None = None,
                 unknown_images: str = "simulate", resync: float = 5.0) -> None:
        self.conn = Connection(server=server.rstrip("/"))
        self.kube = KubeClient(self.conn, retries=8, backoff=0.05)
        self.behaviours = behaviours or PodBehaviours()
        self.informers = Informers(self.kube, self.conn)
        self.controllers: list[Controller] = [
            cls(self.informers, resync=resync)
            for cls in (JobController, ReplicaSetController, DeploymentController, EndpointsController)
        ]
        self.kubelet = Kubelet(self.informers, self.behaviours, runtime=runtime, unknown_images=unknown_images)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, sync_seconds: float = 30.0) -> None:
        self._tasks = self.informers.start()
        async with asyncio.timeout(sync_seconds):
            await self.informers.wait_synced()
        self._tasks += [asyncio.create_task(c.run(), name=c.name) for c in self.controllers]

    async def stop(self) -> None:
        await self.kubelet.stop()
        await cancel_all(self._tasks)
        self._tasks = []
        await self.kube.close()
