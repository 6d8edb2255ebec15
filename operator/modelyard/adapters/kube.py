"""One thin async client for the Kubernetes API, on raw dicts.

It rides on aiohttp (already a kopf dependency) and takes its credentials from the same place kopf
does (in-cluster service account or kubeconfig, through the ``kubernetes`` package's loaders).
Transient answers (429 with Retry-After, 5xx, connection errors) are retried a bounded number of
times with backoff; everything else raises an ``ApiError`` carrying the server's Status message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from modelyard.adapters.telemetry import API_ERRORS, API_RETRIES
from modelyard.core.derivative import should_apply, stamp_applied_hash

logger = logging.getLogger(__name__)

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"
FIELD_MANAGER = "modelyard"


@dataclass(frozen=True)
class Ref:
    """Where a resource lives in the API: group ('' for core), version, plural, namespaced or not."""

    group: str
    version: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None, sub: str | None = None) -> str:
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name:
            base += f"/{name}"
        if sub:
            base += f"/{sub}"
        return base


PODS = Ref("", "v1", "pods")
SERVICES = Ref("", "v1", "services")
EVENTS = Ref("", "v1", "events")
CONFIGMAPS = Ref("", "v1", "configmaps")
SECRETS = Ref("", "v1", "secrets")
DEPLOYMENTS = Ref("apps", "v1", "deployments")
REPLICASETS = Ref("apps", "v1", "replicasets")
JOBS = Ref("batch", "v1", "jobs")
HPAS = Ref("autoscaling", "v2", "horizontalpodautoscalers")
HTTPROUTES = Ref("gateway.networking.k8s.io", "v1", "httproutes")
TRAININGJOBS = Ref("modelyard.io", "v1alpha1", "trainingjobs")
MODELVERSIONS = Ref("modelyard.io", "v1alpha1", "modelversions")
INFERENCESERVICES = Ref("modelyard.io", "v1alpha1", "inferenceservices")


_BY_KIND = {
    ("v1", "Pod"): PODS, ("v1", "Service"): SERVICES, ("v1", "Event"): EVENTS, ("v1", "ConfigMap"): CONFIGMAPS,
    ("v1", "Secret"): SECRETS, ("apps/v1", "Deployment"): DEPLOYMENTS, ("apps/v1", "ReplicaSet"): REPLICASETS,
    ("batch/v1", "Job"): JOBS, ("autoscaling/v2", "HorizontalPodAutoscaler"): HPAS,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): HTTPROUTES,
    ("modelyard.io/v1alpha1", "TrainingJob"): TRAININGJOBS,
    ("modelyard.io/v1alpha1", "ModelVersion"): MODELVERSIONS,
    ("modelyard.io/v1alpha1", "InferenceService"): INFERENCESERVICES,
}


def ref_for(api_version: str, kind: str) -> Ref:
    """Where objects of this apiVersion and kind live in the API."""
    try:
        return _BY_KIND[(api_version, kind)]
    except KeyError:
        raise ValueError(f"unknown kind {kind} in {api_version}") from None


class ApiError(Exception):
    """A non-success answer from the API server."""

    def __init__(self, status: int, reason: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409


@dataclass
class Connection:
    """Where the API server is and how to authenticate."""

    server: str
    headers: dict[str, str] = field(default_factory=dict)
    ssl: ssl.SSLContext | bool = True


def connection_from_environment() -> Connection:
    """In-cluster credentials when running in a pod, else the current kubeconfig context."""
    from kubernetes import client, config  # imported late: only the edge needs it

    try:
        config.load_incluster_config()  # type: ignore[no-untyped-call]
    except config.ConfigException:
        config.load_kube_config()  # type: ignore[no-untyped-call]
    cfg = client.Configuration.get_default_copy()
    headers = {}
    token = cfg.api_key.get("authorization") or cfg.api_key.get("BearerToken")
    if token:
        prefix = cfg.api_key_prefix.get("authorization", "Bearer")
        headers["Authorization"] = token if token.startswith(prefix) else f"{prefix} {token}"
    ctx: ssl.SSLContext | bool = True
    if cfg.host.startswith("https"):
        ctx = ssl.create_default_context(cafile=cfg.ssl_ca_cert) if cfg.ssl_ca_cert else ssl.create_default_context()
        if cfg.cert_file and cfg.key_file:
            ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
        if not cfg.verify_ssl:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    return Connection(server=cfg.host.rstrip("/"), headers=headers, ssl=ctx)


class KubeClient:
    """get / list / create / patch / delete on raw dicts, with bounded retries of transient errors."""

    def __init__(self, conn: Connection, *, retries: int = 5, backoff: float = 0.2, timeout: float = 30.0) -> None:
        self._conn = conn
        self._retries = retries
        self._backoff = backoff
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0
        self.retried = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._conn.headers, timeout=self._timeout)
        return self._session

    async def request(
        self, method: str, path: str, *, body: Any = None, params: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """One call, retried on 429/5xx/connection errors; returns the decoded JSON body."""
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        for attempt in range(self._retries + 1):
            self.requests += 1
            try:
                return await self._once(method, path, data, headers, params)
            except ApiError as e:
                API_ERRORS.labels(str(e.status)).inc()
                if attempt >= self._retries or not (e.status == 429 or e.status >= 500):
                    raise
                delay = e.retry_after if e.retry_after is not None else self._backoff * 2**attempt
            except (TimeoutError, aiohttp.ClientConnectionError) as e:
                if attempt >= self._retries:
                    raise ApiError(0, "ConnectionError", str(e) or type(e).__name__) from e
                delay = self._backoff * 2**attempt
            self.retried += 1
            API_RETRIES.inc()
            logger.debug("retrying %s %s in %.2fs", method, path, delay)
            await asyncio.sleep(min(delay, 30.0))
        raise AssertionError("unreachable")

    async def _once(
        self, method: str, path: str, data: str | None, headers: dict[str, str], params: Mapping[str, str] | None
    ) -> Any:
        session = self._ensure_session()
        url = self._conn.server + path
        async with session.request(method, url, data=data, headers=headers, params=params, ssl=self._conn.ssl) as r:
            text = await r.text()
            if r.status >= 400:
                raise _error_from(r.status, text, r.headers.get("Retry-After"))
            return json.loads(text) if text else None

    async def get(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("GET", ref.path(namespace, name))
        return result

    async def get_or_none(self, ref: Ref, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return await self.get(ref, namespace, name)
        except ApiError as e:
            if e.not_found:
                return None
            raise

    async def list(
        self, ref: Ref, namespace: str | None = None, *, labels: Mapping[str, str] | None = None,
        selector: str | None = None,
    ) -> list[dict[str, Any]]:
        params = {}
        label_selector = selector or ",".join(f"{k}={v}" for k, v in (labels or {}).items())
        if label_selector:
            params["labelSelector"] = label_selector
        result = await self.request("GET", ref.path(namespace), params=params)
        items: list[dict[str, Any]] = result.get("items", [])
        return items

    async def create(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.request("POST", ref.path(namespace), body=body)
        return result

    async def patch(
        self, ref: Ref, namespace: str | None, name: str, body: Any, *, content_type: str = MERGE,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        params = {"fieldManager": FIELD_MANAGER}
        if content_type == APPLY:
            params["force"] = "true"
        result: dict[str, Any] = await self.request(
            "PATCH", ref.path(namespace, name, subresource), body=body, params=params, content_type=content_type
        )
        return result

    async def apply(self, ref: Ref, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply: create or converge ``body`` as field manager ``modelyard``."""
        return await self.patch(ref, namespace, body["metadata"]["name"], body, content_type=APPLY)

    async def converge(
        self, ref: Ref, namespace: str | None, manifest: dict[str, Any], live: dict[str, Any] | None = None,
        *, known: bool = False,
    ) -> bool:
        """Server-side apply ``manifest`` unless the object already is what it describes
        (``core.derivative``); ``live`` is the object as observed (``known``: observed absent), else it is
        read first. True when it wrote."""
        desired = stamp_applied_hash(manifest)
        if live is None and not known:
            live = await self.get_or_none(ref, namespace, manifest["metadata"]["name"])
        if not should_apply(desired, live):
            return False
        await self.apply(ref, namespace, desired)
        return True

    async def delete(self, ref: Ref, namespace: str | None, name: str, *, propagation: str = "Background") -> bool:
        """Delete; False if it was already gone."""
        try:
            await self.request("DELETE", ref.path(namespace, name), body={"propagationPolicy": propagation})
        except ApiError as e:
            if e.not_found:
                return False
            raise
        return True


def _error_from(status: int, text: str, retry_after: str | None) -> ApiError:
    reason, message = "", text[:500]
    try:
        doc = json.loads(text)
        reason, message = doc.get("reason", ""), doc.get("message", message)
    except (ValueError, AttributeError):
        pass
    delay: float | None = None
    if retry_after:
        try:
            delay = float(retry_after)
        except ValueError:
            delay = None
    return ApiError(status, reason or str(status), message, delay)
