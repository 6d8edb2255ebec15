"""The reconcile loop every simulated controller shares: shared informers, a work queue, one worker.

One worker per controller means one key is never reconciled twice at once; writes are taken into the
cache at once (``Informer.store``), which stands in for client-go's "expectations".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Iterable
from datetime import UTC, datetime
from typing import Any

from modelyard.adapters.kube import MERGE, ApiError, Connection, KubeClient, Ref
from modelyard.sandbox.controllers.informer import Informer, Key, WorkQueue, key_of

JsonDict = dict[str, Any]
log = logging.getLogger(__name__)


class Informers:
    """One shared informer per resource."""

    def __init__(self, kube: KubeClient, conn: Connection) -> None:
        self.kube, self.conn = kube, conn
        self._by_ref: dict[Ref, Informer] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def __getitem__(self, ref: Ref) -> Informer:
        if ref not in self._by_ref:
            self._by_ref[ref] = Informer(self.kube, self.conn, ref)
        return self._by_ref[ref]

    def start(self) -> list[asyncio.Task[None]]:
        new = [asyncio.create_task(i.run(), name=f"informer-{r.plural}") for r, i in self._by_ref.items()]
        self._tasks.extend(new)
        return new

    async def wait_synced(self) -> None:
        await asyncio.gather(*(i.synced.wait() for i in self._by_ref.values()))


class Controller:
    """Subclasses set ``primary`` and implement :meth:`reconcile` (return seconds to look again, or None)."""

    primary: Ref
    name = "controller"

    def __init__(self, informers: Informers, *, resync: float = 5.0) -> None:
        self.kube = informers.kube
        self.informers = informers
        self.queue = WorkQueue()
        self.resync = resync
        self._failures: dict[Hashable, int] = {}
        informers[self.primary].listen(lambda _kind, obj: self.queue.add(key_of(obj)))

    @property
    def cache(self) -> Informer:
        return self.informers[self.primary]

    async def run(self) -> None:
        ticker = asyncio.create_task(self._resync_forever(), name=f"{self.name}-resync")
        try:
            while True:
                key = await self.queue.get()
                delay = await self._reconcile_safely(key)
                if delay is not None:
                    self.queue.add_after(key, delay)
        finally:
            ticker.cancel()
            self.queue.close()

    async def _resync_forever(self) -> None:
        while True:
            await asyncio.sleep(self.resync)
            for key in list(self.cache.cache):
                self.queue.add(key)

    async def _reconcile_safely(self, key: Hashable) -> float | None:
        try:
            delay = await self.reconcile(key)  # type: ignore[arg-type]
        except ApiError as e:
            failures = self._failures[key] = self._failures.get(key, 0) + 1
            log.debug("%s: %s: %s (retry %d)", self.name, key, e, failures)
            return min(0.05 * 2**failures, 5.0) if not e.not_found else None
        except Exception:
            log.exception("%s: reconciling %s failed", self.name, key)
            return 5.0
        self._failures.pop(key, None)
        return delay

    async def reconcile(self, key: Key) -> float | None:
        raise NotImplementedError

    # helpers for the subclasses' writes

    async def create(self, ref: Ref, body: JsonDict) -> None:
        try:
            created = await self.kube.create(ref, body["metadata"].get("namespace"), body)
        except ApiError as e:
            if e.conflict:  # AlreadyExists: an earlier pass made it
                return
            raise
        self.informers[ref].store(created)

    async def delete(self, ref: Ref, namespace: str, name: str) -> None:
        await self.kube.delete(ref, namespace, name)
        self.informers[ref].forget((namespace, name))

    async def write_status(self, ref: Ref, obj: JsonDict, status: JsonDict) -> None:
        """Merge-patch ``status`` onto the object's (keys it dropped are removed), only if it changed."""
        old = obj.get("status") or {}
        if old == status:
            return
        body = {"status": {**{k: None for k in old if k not in status}, **status}}
        md = obj["metadata"]
        answer = await self.kube.patch(ref, md.get("namespace"), md["name"], body, content_type=MERGE,
                                       subresource="status")
        self.informers[ref].store(answer)


def now() -> datetime:
    return datetime.now(UTC)


async def cancel_all(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel background tasks and wait until each has ended (whatever it ended with)."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
