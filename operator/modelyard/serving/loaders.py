"""Model formats behind one small interface: load a file, describe it, predict.

A model may carry fault settings for the "bad model" demo: a scikit-learn estimator with an attribute
``modelyard_faults = {"errorRate": 0.3, "latency": "200ms"}`` (see docs/artifact-contract.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from modelyard.serving.protocol import Array, ProtocolError, TensorSpec

_ONNX_TYPES = {
    "tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(float16)": "FP16", "tensor(bool)": "BOOL",
    "tensor(int8)": "INT8", "tensor(int16)": "INT16", "tensor(int32)": "INT32", "tensor(int64)": "INT64",
    "tensor(uint8)": "UINT8", "tensor(uint16)": "UINT16", "tensor(uint32)": "UINT32", "tensor(uint64)": "UINT64",
    "tensor(string)": "BYTES",
}


class LoadError(Exception):
    """The artifact is not a loadable model of the declared format."""


class LoadedModel(Protocol):
    """A model ready to answer: what it takes, what it gives, and predict."""

    platform: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    faults: Mapping[str, Any]

    def predict(self, inputs: Mapping[str, Array], outputs: Sequence[str]) -> dict[str, Array]: ...


class SklearnModel:
    """A joblib-pickled scikit-learn estimator (or pipeline): one 2-D input, ``predict``/``predict_proba``."""

    platform = "sklearn"

    def __init__(self, estimator: Any) -> None:
        if not callable(getattr(estimator, "predict", None)):
            raise LoadError(f"the artifact holds a {type(estimator).__name__}, which has no predict()")
        self.estimator = estimator
        n_features = int(getattr(estimator, "n_features_in_", -1))
        self.inputs = [TensorSpec("input-0", "FP64", (-1, n_features))]
        self._methods: dict[str, Callable[[Array], Array]] = {"predict": estimator.predict}
        if callable(getattr(estimator, "predict_proba", None)):
            self._methods["predict_proba"] = estimator.predict_proba
        self.outputs = [TensorSpec("predict", _output_datatype(estimator), (-1,))]
        if "predict_proba" in self._methods:
            self.outputs.append(TensorSpec("predict_proba", "FP64", (-1, len(getattr(estimator, "classes_", [])))))
        raw_faults = getattr(estimator, "modelyard_faults", None)
        self.faults: Mapping[str, Any] = raw_faults if isinstance(raw_faults, Mapping) else {}

    def predict(self, inputs: Mapping[str, Array], outputs: Sequence[str]) -> dict[str, Array]:
        x = inputs["input-0"]
        names = list(outputs) or ["predict"]
        if unknown := [n for n in names if n not in self._methods]:
            raise ProtocolError(f"unknown output(s) {', '.join(unknown)}; the model gives {', '.join(self._methods)}")
        try:
            return {n: np.asarray(self._methods[n](x)) for n in names}
        except (ValueError, TypeError) as err:  # scikit-learn's input validation
            raise ProtocolError(f"the model refused the input: {err}") from err


def _output_datatype(estimator: Any) -> str:
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return "FP64"
    kind = np.asarray(classes).dtype.kind
    return {"i": "INT64", "u": "INT64", "b": "BOOL", "f": "FP64"}.get(kind, "BYTES")


class OnnxModel:
    """An ONNX graph run by onnxruntime on CPU; tensor inputs and outputs by name."""

    platform = "onnxruntime_onnx"

    def __init__(self, session: Any) -> None:
        self.session = session
        self.inputs = [_onnx_spec(i) for i in session.get_inputs() if i.type in _ONNX_TYPES]
        self.outputs = [_onnx_spec(o) for o in session.get_outputs() if o.type in _ONNX_TYPES]
        if len(self.inputs) != len(session.get_inputs()):
            raise LoadError("the ONNX model has non-tensor inputs, which the v2 protocol cannot carry")
        self.faults: Mapping[str, Any] = {}

    def predict(self, inputs: Mapping[str, Array], outputs: Sequence[str]) -> dict[str, Array]:
        names = list(outputs) or [o.name for o in self.outputs]
        known = {o.name for o in self.outputs}
        if unknown := [n for n in names if n not in known]:
            raise ProtocolError(f"unknown output(s) {', '.join(unknown)}; the model gives {', '.join(sorted(known))}")
        try:
            results = self.session.run(names, dict(inputs))
        except Exception as err:  # onnxruntime raises its own InvalidArgument etc. for bad input
            raise ProtocolError(f"the model refused the input: {err}") from err
        return {n: np.asarray(r) for n, r in zip(names, results, strict=True)}


def _onnx_spec(node: Any) -> TensorSpec:
    shape = tuple(d if isinstance(d, int) else -1 for d in node.shape)
    return TensorSpec(node.name, _ONNX_TYPES[node.type], shape)


def load_sklearn(path: Path) -> LoadedModel:
    try:
        import joblib
    except ImportError as err:
        raise LoadError("the sklearn format needs joblib and scikit-learn: pip install 'modelyard[serving]'") from err
    try:
        estimator = joblib.load(path)
    except Exception as err:  # unpickling raises anything
        raise LoadError(f"{path} is not a joblib artifact: {type(err).__name__}: {err}") from err
    return SklearnModel(estimator)


def load_onnx(path: Path) -> LoadedModel:
    try:
        import onnxruntime
    except ImportError as err:
        raise LoadError("the onnx format needs onnxruntime: pip install 'modelyard[onnx]'") from err
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime's own exception types
        raise LoadError(f"{path} is not an ONNX model: {err}") from err
    return OnnxModel(session)


LOADERS: dict[str, Callable[[Path], LoadedModel]] = {"sklearn": load_sklearn, "onnx": load_onnx}


def load_model(fmt: str, path: Path) -> LoadedModel:
    """Load ``path`` as ``fmt``; :class:`LoadError` with the reason when it cannot."""
    if fmt not in LOADERS:
        raise LoadError(f"unknown model format {fmt!r} (one of {', '.join(LOADERS)})")
    return LOADERS[fmt](path)
