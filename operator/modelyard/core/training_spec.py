"""What a TrainingJob's spec means beyond its schema (pure): child names, env names, fingerprints, references.

The schema refuses what it can; the checks here are the rest, each naming the field, reported by the
operator as ``Stalled=True, reason=InvalidSpec``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelyard.api.trainingjob import TrainingJobSpec

_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
#: Longest child name that still leaves room for ``-<index>`` in an Indexed Job's pod hostnames.
MAX_CHILD_NAME = 52
#: Env vars the operator sets; the user may not set them too.
RESERVED_ENV = frozenset({
    "MODELYARD_OUTPUT_URI", "MODELYARD_HYPERPARAMETERS_FILE", "MODELYARD_TERMINATION_LOG", "WORLD_SIZE", "RANK",
    "MASTER_ADDR", "MASTER_PORT", "PET_NNODES", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT",
})
RESERVED_VOLUMES = frozenset({"tmp", "hyperparameters"})
GPU = "nvidia.com/gpu"
#: Spec fields that may change while the run goes on; every other field is fixed once the Job exists.
MUTABLE_FIELDS = frozenset({"suspend", "ttlSecondsAfterFinished", "registerModel"})


def calculate_child_name(name: str) -> str:
    """The name of the Job, Service and label value for a TrainingJob: its own when short and DNS-1035 safe.

    >>> calculate_child_name("iris-train")
    'iris-train'
    >>> calculate_child_name("1st.run")
    'tj-1st-run-a37582f8'
    >>> len(calculate_child_name("a" * 100))
    52
    """
    if len(name) <= MAX_CHILD_NAME and _LABEL.match(name):
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    safe = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")
    if not safe[:1].isalpha():
        safe = "tj-" + safe
    return f"{safe[:MAX_CHILD_NAME - 9].rstrip('-')}-{digest}"


def calculate_hp_env_name(name: str) -> str:
    """``HP_<NAME>``: upper case, anything but letters, digits and ``_`` becomes ``_``.

    >>> calculate_hp_env_name("learning-rate")
    'HP_LEARNING_RATE'
    """
    return "HP_" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def calculate_version(spec: TrainingJobSpec, job_name: str) -> str:
    """The version to register: the spec's, else the TrainingJob's name."""
    return spec.version or job_name


def calculate_modelversion_name(spec: TrainingJobSpec, job_name: str) -> str:
    """``<model>-<version>``: deterministic, so a restart can never create a second one."""
    return f"{spec.model}-{calculate_version(spec, job_name)}"


def calculate_spec_fingerprint(spec: TrainingJobSpec) -> dict[str, str]:
    """A short hash of every fixed spec field, to tell which ones changed after the Job was created.

    >>> fp = calculate_spec_fingerprint(TrainingJobSpec(model="iris", image="t:1"))
    >>> "image" in fp and "suspend" not in fp
    True
    """
    wire = spec.model_dump(by_alias=True, mode="json")
    return {
        key: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:10]
        for key, value in sorted(wire.items()) if key not in MUTABLE_FIELDS
    }


def calculate_changed_fields(applied: Mapping[str, str] | None, desired: Mapping[str, str]) -> list[str]:
    """The fixed fields whose value differs from the one the Job was created with (none if unknown).

    >>> calculate_changed_fields({"image": "a", "args": "b"}, {"image": "c", "args": "b"})
    ['spec.image']
    """
    if not applied:
        return []
    return [f"spec.{key}" for key, value in desired.items() if applied.get(key, value) != value]


def assess_spec(spec: TrainingJobSpec, job_name: str) -> list[str]:
    """What is wrong with the spec that the schema could not refuse, one message per problem."""
    return [
        *_version_problems(spec, job_name), *_env_problems(spec), *_hp_problems(spec),
        *_volume_problems(spec), *_gpu_problems(spec),
    ]


def _version_problems(spec: TrainingJobSpec, job_name: str) -> list[str]:
    version = calculate_version(spec, job_name)
    valid = re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", version) and len(version) <= 63
    if spec.version is None and not valid:
        return [f"spec.version: unset, and the TrainingJob name {job_name!r} is not a valid version "
                "(lowercase letters, digits and '-', at most 63); set spec.version"]
    return []


def _env_problems(spec: TrainingJobSpec) -> list[str]:
    return [
        f"spec.env[{i}].name: {e.name} is set by the operator" for i, e in enumerate(spec.env)
        if e.name in RESERVED_ENV or e.name.startswith("HP_")
    ]


def _hp_problems(spec: TrainingJobSpec) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for name in spec.hyperparameters:
        env = calculate_hp_env_name(name)
        if not name or env in seen:
            problems.append(f"spec.hyperparameters.{name}: maps to {env}, as {seen.get(env)!r} does")
        seen[env] = name
    return problems


def _volume_problems(spec: TrainingJobSpec) -> list[str]:
    problems = []
    for i, volume in enumerate(spec.pod.volumes):
        if volume.get("name") in RESERVED_VOLUMES:
            problems.append(f"spec.pod.volumes[{i}].name: {volume.get('name')} is reserved by the operator")
        elif not isinstance(volume.get("name"), str):
            problems.append(f"spec.pod.volumes[{i}].name: required")
    names = {v.get("name") for v in spec.pod.volumes}
    for i, mount in enumerate(spec.pod.volume_mounts):
        if mount.get("name") not in names or not mount.get("mountPath"):
            problems.append(f"spec.pod.volumeMounts[{i}]: needs mountPath and the name of a spec.pod.volumes entry")
    return problems


def _gpu_problems(spec: TrainingJobSpec) -> list[str]:
    requests, limits = spec.resources.requests, spec.resources.limits
    if GPU in requests and str(requests[GPU]) != str(limits.get(GPU, requests[GPU])):
        return [f"spec.resources: requests[{GPU}] must equal limits[{GPU}] (GPUs cannot be overcommitted)"]
    return []


@dataclass(frozen=True)
class Reference:
    """An object the pods need, by kind and name, and the field that names it."""

    kind: str  # Secret | ConfigMap | PersistentVolumeClaim | ServiceAccount
    name: str
    field: str


def calculate_references(spec: TrainingJobSpec) -> list[Reference]:
    """Every object the training pods name that must exist before they can start (optional ones left out)."""
    refs = [Reference("Secret", s.name, f"spec.pod.imagePullSecrets[{i}]")
            for i, s in enumerate(spec.pod.image_pull_secrets)]
    if spec.pod.service_account_name:
        refs.append(Reference("ServiceAccount", spec.pod.service_account_name, "spec.pod.serviceAccountName"))
    for i, volume in enumerate(spec.pod.volumes):
        refs.extend(_volume_references(volume, f"spec.pod.volumes[{i}]"))
    for i, env in enumerate(spec.env):
        refs.extend(_env_references(env.value_from or {}, f"spec.env[{i}].valueFrom"))
    return refs


def _volume_references(volume: Mapping[str, Any], path: str) -> list[Reference]:
    found = [("Secret", "secret", "secretName"), ("ConfigMap", "configMap", "name"),
             ("PersistentVolumeClaim", "persistentVolumeClaim", "claimName")]
    return [
        Reference(kind, volume[key][name_key], f"{path}.{key}.{name_key}") for kind, key, name_key in found
        if isinstance(volume.get(key), dict) and volume[key].get(name_key) and not volume[key].get("optional")
    ]


def _env_references(value_from: Mapping[str, Any], path: str) -> list[Reference]:
    found = [("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")]
    return [
        Reference(kind, value_from[key]["name"], f"{path}.{key}.name") for kind, key in found
        if isinstance(value_from.get(key), dict) and value_from[key].get("name") and not value_from[key].get("optional")
    ]
