"""Services and HTTPRoutes get local endpoints that forward to real local pods, honouring route weights."""

from __future__ import annotations

from collections import Counter
from typing import Any

import aiohttp

from modelyard.adapters.kube import DEPLOYMENTS, HTTPROUTES, SERVICES
from modelyard.sandbox.runtime.proxy import POD_HEADER, SERVICE_HEADER, UNAVAILABLE
from modelyard.sandbox.runtime.traffic import URL
from tests.integration.conftest import SandboxHandle
from tests.integration.sandbox_runtime.conftest import (
    NS,
    echo_deployment,
    httproute,
    port_open,
    ready_pods,
    service,
)


async def _url_of(sandbox: SandboxHandle, ref: Any, name: str) -> str:
    async def annotated() -> str | None:
        obj = await sandbox.kube.get(ref, NS, name)
        url: str | None = (obj["metadata"].get("annotations") or {}).get(URL)
        return url
    return await sandbox.wait_for(annotated, timeout=10, message=f"{ref.plural}/{name} annotated with its URL")


async def _serving(sandbox: SandboxHandle, svc: str, count: int) -> None:
    endpoints = sandbox.cluster.endpoints
    await sandbox.wait_for(lambda: len(endpoints.backends(NS, svc)) == count, timeout=20,
                           message=f"{count} ready local pods behind {svc}")


async def _send(url: str, n: int) -> list[tuple[int, str, str, str]]:
    """(status, pod header, service header, body) of ``n`` sequential requests."""
    out = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        for _ in range(n):
            async with http.get(url + "/v2/models/x") as resp:
                out.append((resp.status, resp.headers.get(POD_HEADER, ""), resp.headers.get(SERVICE_HEADER, ""),
                            await resp.text()))
    return out


async def test_service_round_robins_over_its_ready_pods(local_sandbox: SandboxHandle) -> None:
    await local_sandbox.kube.create(DEPLOYMENTS, NS, echo_deployment("echo", 2, {"app": "echo"}))
    await local_sandbox.kube.create(SERVICES, NS, service("echo", {"app": "echo"}))
    url = await _url_of(local_sandbox, SERVICES, "echo")
    await _serving(local_sandbox, "echo", 2)
    answers = await _send(url, 10)
    pods = sorted(p["metadata"]["name"] for p in await ready_pods(local_sandbox, "app=echo"))
    assert all(status == 200 and body == pod for status, pod, _, body in answers), answers  # the pod answered
    assert [pod for _, pod, _, _ in answers] == pods * 5  # strict alternation in pod-name order
    async with aiohttp.ClientSession() as http, http.post(url + "/echo", data=b"payload") as resp:
        assert (await resp.text()).endswith(":payload")  # method and body forwarded


async def test_httproute_splits_exactly_by_weight(local_sandbox: SandboxHandle) -> None:
    kube = local_sandbox.kube
    await kube.create(DEPLOYMENTS, NS, echo_deployment("stable", 2, {"app": "m", "track": "stable"}))
    await kube.create(DEPLOYMENTS, NS, echo_deployment("canary", 1, {"app": "m", "track": "canary"}))
    await kube.create(SERVICES, NS, service("m-stable", {"app": "m", "track": "stable"}))
    await kube.create(SERVICES, NS, service("m-canary", {"app": "m", "track": "canary"}))
    await kube.create(HTTPROUTES, NS, httproute("m", {"m-stable": 80, "m-canary": 20}))
    url = await _url_of(local_sandbox, HTTPROUTES, "m")
    await _serving(local_sandbox, "m-stable", 2)
    await _serving(local_sandbox, "m-canary", 1)
    answers = await _send(url, 100)
    assert {status for status, *_ in answers} == {200}
    shares = Counter(svc for _, _, svc, _ in answers)
    assert shares == {f"{NS}/m-stable": 80, f"{NS}/m-canary": 20}
    assert sum(svc.endswith("canary") for _, _, svc, _ in answers[:5]) == 1  # one in every five, not a burst
    assert Counter(pod for _, pod, svc, _ in answers if svc.endswith("stable")).most_common()[0][1] == 40

    route = await kube.get(HTTPROUTES, NS, "m")
    route["spec"]["rules"][0]["backendRefs"][1]["weight"] = 0  # the router rolls back: all to stable
    await kube.request("PUT", HTTPROUTES.path(NS, "m"), body=route)
    await local_sandbox.wait_for(lambda: _all_stable(url), timeout=10, message="weights followed")


async def _all_stable(url: str) -> bool:
    return all(svc.endswith("stable") for _, _, svc, _ in await _send(url, 10))


async def test_unready_pod_leaves_the_rotation(local_sandbox: SandboxHandle) -> None:
    await local_sandbox.kube.create(DEPLOYMENTS, NS, echo_deployment("echo", 2, {"app": "echo"}))
    await local_sandbox.kube.create(SERVICES, NS, service("echo", {"app": "echo"}))
    url = await _url_of(local_sandbox, SERVICES, "echo")
    await _serving(local_sandbox, "echo", 2)
    sick, healthy = local_sandbox.cluster.endpoints.backends(NS, "echo")
    async with aiohttp.ClientSession() as http, http.post(sick.url + "/sick") as resp:
        assert resp.status == 200
    await _serving(local_sandbox, "echo", 1)
    assert {pod for _, pod, _, _ in await _send(url, 6)} == {healthy.pod}
    assert [p["metadata"]["name"] for p in await ready_pods(local_sandbox, "app=echo")] == [healthy.pod]


async def test_no_ready_pod_is_a_prompt_503_with_a_reason(local_sandbox: SandboxHandle) -> None:
    await local_sandbox.kube.create(SERVICES, NS, service("empty", {"app": "nobody"}))
    url = await _url_of(local_sandbox, SERVICES, "empty")
    [(status, _, _, body)] = await _send(url, 1)
    assert status == 503 and "no ready pod behind service default/empty" in body
    assert local_sandbox.cluster.endpoints.stats(SERVICES, NS, "empty")[UNAVAILABLE] == 1


async def test_proxies_close_their_ports_with_the_sandbox(local_sandbox: SandboxHandle) -> None:
    await local_sandbox.kube.create(SERVICES, NS, service("a", {"app": "a"}))
    await local_sandbox.kube.create(SERVICES, NS, service("b", {"app": "b"}))
    await local_sandbox.kube.create(HTTPROUTES, NS, httproute("ab", {"a": 1, "b": 1}))
    urls = [await _url_of(local_sandbox, SERVICES, "a"), await _url_of(local_sandbox, SERVICES, "b"),
            await _url_of(local_sandbox, HTTPROUTES, "ab")]
    ports = [int(u.rsplit(":", 1)[1]) for u in urls]
    assert all(port_open(p) for p in ports)
    await local_sandbox.cluster.stop()
    await local_sandbox.wait_for(lambda: not any(port_open(p) for p in ports), timeout=5, message="ports closed")
