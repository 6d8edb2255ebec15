"""Open Inference Protocol v2 (REST) bodies: decode and check requests, encode responses. Pure.

Every problem with a request is a :class:`ProtocolError` carrying the HTTP status the server answers
with, and the message goes back as ``{"error": "..."}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

#: v2 datatype -> numpy dtype. BYTES travels as UTF-8 strings in JSON.
DATATYPES: dict[str, Any] = {
    "BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
    "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
    "FP16": np.float16, "FP32": np.float32, "FP64": np.float64, "BYTES": np.object_,
}
_KIND_TO_DATATYPE = {"b": "BOOL", "O": "BYTES", "U": "BYTES", "S": "BYTES"}


class ProtocolError(Exception):
    """A request the server refuses; ``status`` is the HTTP status (4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a model, as in the model metadata (-1 is any size)."""

    name: str
    datatype: str
    shape: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


@dataclass(frozen=True)
class InferRequest:
    """A decoded request: arrays by the model's input names, and the outputs asked for (all if empty)."""

    inputs: dict[str, Array]
    outputs: list[str] = field(default_factory=list)
    id: str | None = None


def datatype_of(array: Array) -> str:
    """The v2 datatype name of a numpy array.

    >>> datatype_of(np.zeros(2, dtype=np.float32)), datatype_of(np.array(["a"]))
    ('FP32', 'BYTES')
    """
    kind = array.dtype.kind
    if kind in _KIND_TO_DATATYPE:
        return _KIND_TO_DATATYPE[kind]
    return str(array.dtype.name).upper().replace("FLOAT", "FP")


def decode_infer_request(body: bytes, specs: Sequence[TensorSpec]) -> InferRequest:
    """Parse and check an infer request against the model's inputs."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise ProtocolError(f"invalid JSON: {err}") from err
    if not isinstance(doc, dict):
        raise ProtocolError("the request body must be a JSON object with an 'inputs' list")
    raw_inputs = doc.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise ProtocolError("'inputs' must be a non-empty list of tensors")
    tensors = [_decode_tensor(t, i) for i, t in enumerate(raw_inputs)]
    inputs = _match_inputs(tensors, specs)
    request_id = doc.get("id")
    return InferRequest(inputs=inputs, outputs=_requested_outputs(doc.get("outputs")),
                        id=str(request_id) if request_id is not None else None)


def _decode_tensor(raw: Any, index: int) -> tuple[str, Array]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"inputs[{index}] must be an object with name, shape, datatype and data")
    name, shape, datatype, data = (raw.get(k) for k in ("name", "shape", "datatype", "data"))
    if not isinstance(name, str) or not name:
        raise ProtocolError(f"inputs[{index}].name must be a non-empty string")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise ProtocolError(f"input {name!r}: shape must be a list of non-negative integers")
    if datatype not in DATATYPES:
        raise ProtocolError(f"input {name!r}: unknown datatype {datatype!r} (one of {', '.join(DATATYPES)})")
    if not isinstance(data, list):
        raise ProtocolError(f"input {name!r}: data must be a list")
    return name, _to_array(name, data, datatype, shape)


def _to_array(name: str, data: list[Any], datatype: str, shape: list[int]) -> Array:
    try:
        array = np.asarray(data, dtype=DATATYPES[datatype])
    except (ValueError, TypeError, OverflowError) as err:
        raise ProtocolError(f"input {name!r}: data does not fit datatype {datatype}: {err}") from err
    if datatype == "BYTES" and not all(isinstance(v, str) for v in array.flat):
        raise ProtocolError(f"input {name!r}: BYTES data must be strings")
    expected = math.prod(shape)
    if array.size != expected:
        raise ProtocolError(f"input {name!r}: {array.size} elements do not fill shape {shape} ({expected})")
    return array.reshape(shape)


def _match_inputs(tensors: list[tuple[str, Array]], specs: Sequence[TensorSpec]) -> dict[str, Array]:
    if len(specs) == 1 and len(tensors) == 1:  # one input: the name is a label, not a key
        return {specs[0].name: _check_against(specs[0], tensors[0][1], tensors[0][0])}
    by_name = dict(tensors)
    known = {s.name for s in specs}
    if unknown := sorted(set(by_name) - known):
        raise ProtocolError(f"unknown input(s) {', '.join(unknown)}; the model takes {', '.join(sorted(known))}")
    if missing := sorted(known - set(by_name)):
        raise ProtocolError(f"missing input(s) {', '.join(missing)}")
    return {s.name: _check_against(s, by_name[s.name], s.name) for s in specs}


def _check_against(spec: TensorSpec, array: Array, given: str) -> Array:
    """Check rank, fixed dimensions and datatype kind; cast numbers to the model's datatype."""
    if len(spec.shape) != array.ndim:
        raise ProtocolError(f"input {given!r}: rank {array.ndim} (shape {list(array.shape)}), "
                            f"the model takes shape {list(spec.shape)}")
    for want, got in zip(spec.shape, array.shape, strict=True):
        if want >= 0 and want != got:
            raise ProtocolError(f"input {given!r}: shape {list(array.shape)}, the model takes {list(spec.shape)}")
    numeric = array.dtype.kind in "biuf"
    if spec.datatype == "BYTES" or not numeric:
        if (spec.datatype == "BYTES") != (not numeric):
            raise ProtocolError(f"input {given!r}: datatype {datatype_of(array)}, the model takes {spec.datatype}")
        return array
    want_dtype = DATATYPES[spec.datatype]
    return array if array.dtype == want_dtype else array.astype(want_dtype)


def _requested_outputs(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in raw):
        raise ProtocolError("'outputs' must be a list of objects with a name")
    return [o["name"] for o in raw]


def encode_tensor(name: str, array: Array) -> dict[str, Any]:
    """One output tensor, row-major flattened."""
    datatype = datatype_of(array)
    flat = array.reshape(-1)
    data = [str(v) for v in flat] if datatype == "BYTES" else flat.tolist()
    return {"name": name, "datatype": datatype, "shape": list(array.shape), "data": data}


def encode_infer_response(
    model: str, version: str, outputs: Mapping[str, Array], request_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"model_name": model, "model_version": version,
                            "outputs": [encode_tensor(n, a) for n, a in outputs.items()]}
    if request_id is not None:
        body["id"] = request_id
    return body
