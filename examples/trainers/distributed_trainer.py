"""Distributed training, PyTorch-style: WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT from the environment.

Every rank trains a softmax regression on its shard of iris (row i belongs to rank ``i % WORLD_SIZE``) and
the ranks average their gradients each epoch (synchronous data parallelism):

- with **torch.distributed** (gloo) when torch is importable, WORLD_SIZE > 1 and MASTER_ADDR resolves;
- otherwise with the **numpy fallback**: the same arithmetic, the gradients averaged over a tiny TCP
  all-reduce in which rank 0 listens on MASTER_PORT (a star, fine for a handful of ranks). With
  WORLD_SIZE = 1 there is nothing to average. ``MODELYARD_DIST_BACKEND=numpy`` forces the fallback.

Only rank 0 writes the artifact (a scikit-learn LogisticRegression carrying the learnt weights, so
``modelyard serve --format sklearn`` serves it) and the report. Hyperparameters: ``epochs`` (300), ``lr`` (0.5),
``seed`` (0), ``test_size`` (0.25).
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import time
from typing import Any

import joblib
import numpy as np
from contract import build_report, hyperparameters, output_path, write_report
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

Array = Any  # numpy arrays; the example stays free of typing noise


class StarAllReduce:
    """Average float64 vectors across ranks through rank 0 (plain sockets, no dependency)."""

    def __init__(self, rank: int, world: int, addr: str, port: int, deadline: float = 120.0) -> None:
        self.rank, self.world = rank, world
        self.peers: list[socket.socket] = []
        if rank == 0:
            server = socket.create_server(("0.0.0.0", port), reuse_port=False)
            server.settimeout(deadline)
            self.peers = [server.accept()[0] for _ in range(world - 1)]
            server.close()
        else:
            self.peers = [self._connect(addr, port, time.monotonic() + deadline)]

    @staticmethod
    def _connect(addr: str, port: int, deadline: float) -> socket.socket:
        while True:
            try:
                return socket.create_connection((addr, port), timeout=5)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # rank 0 is not listening yet

    def mean(self, vector: Array, weight: float) -> Array:
        """Weighted mean of every rank's ``vector`` (weights: shard sizes)."""
        payload = np.append(vector * weight, weight)
        if self.rank != 0:
            _send(self.peers[0], payload)
            return _recv(self.peers[0])
        total = payload + sum(_recv(p) for p in self.peers)
        result = total[:-1] / total[-1]
        for p in self.peers:
            _send(p, result)
        return result

    def close(self) -> None:
        for p in self.peers:
            p.close()


def _send(sock: socket.socket, arr: Array) -> None:
    data = np.asarray(arr, dtype="<f8").tobytes()
    sock.sendall(struct.pack("!Q", len(data)) + data)


def _recv(sock: socket.socket) -> Array:
    (size,) = struct.unpack("!Q", _exactly(sock, 8))
    return np.frombuffer(_exactly(sock, size), dtype="<f8")


def _exactly(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("a peer closed the connection")
        buf += chunk
    return buf


def softmax_gradient(w: Array, x: Array, y_onehot: Array) -> Array:
    """Mean cross-entropy gradient of a softmax regression; ``w`` has a bias row at the end."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    logits = xb @ w
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return xb.T @ (p - y_onehot) / max(len(x), 1)


def use_torch(world: int, addr: str) -> bool:
    if world <= 1 or os.environ.get("MODELYARD_DIST_BACKEND") == "numpy":
        return False
    try:
        import torch.distributed  # noqa: F401
        socket.getaddrinfo(addr, None)
    except (ImportError, OSError):
        return False
    return True


def train(rank: int, world: int, addr: str, port: int, hp: dict[str, str]) -> tuple[Array, Array, Array, Array]:
    x, y = load_iris(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=float(hp.get("test_size", "0.25")),
                                              random_state=int(hp.get("seed", "0")), stratify=y)
    mean, scale = x_tr.mean(axis=0), x_tr.std(axis=0)  # the same on every rank: all hold the full set
    shard = np.arange(len(x_tr)) % world == rank
    xs, ys = (x_tr[shard] - mean) / scale, np.eye(3)[y_tr[shard]]
    w = np.zeros((x.shape[1] + 1, 3))
    epochs, lr = int(hp.get("epochs", "300")), float(hp.get("lr", "0.5"))
    reduce = _torch_mean(world, addr, port) if use_torch(world, addr) else _numpy_mean(rank, world, addr, port)
    for _ in range(epochs):
        grad = reduce(softmax_gradient(w, xs, ys).ravel(), float(len(xs))).reshape(w.shape)
        w -= lr * grad
    coef, intercept = (w[:-1] / scale[:, None]).T, w[-1] - (w[:-1] * (mean / scale)[:, None]).sum(axis=0)
    return coef, intercept, x_te, y_te


def _numpy_mean(rank: int, world: int, addr: str, port: int) -> Any:
    if world == 1:
        return lambda v, n: v
    return StarAllReduce(rank, world, addr, port).mean


def _torch_mean(world: int, addr: str, port: int) -> Any:  # pragma: no cover - torch is not installed in CI
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://{addr}:{port}", world_size=world,
                            rank=int(os.environ["RANK"]))

    def mean(v: Array, n: float) -> Array:
        t = torch.from_numpy(np.append(v * n, n))
        dist.all_reduce(t)
        out = t.numpy()
        return out[:-1] / out[-1]
    return mean


def main() -> int:
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    addr, port = os.environ.get("MASTER_ADDR", "127.0.0.1"), int(os.environ.get("MASTER_PORT", "29500"))
    coef, intercept, x_te, y_te = train(rank, world, addr, port, hyperparameters())
    if rank != 0:
        return 0
    model = LogisticRegression()
    model.coef_, model.intercept_, model.classes_, model.n_features_in_ = coef, intercept, np.arange(3), 4
    accuracy = float((model.predict(x_te) == y_te).mean())
    path, uri = output_path(os.environ["MODELYARD_OUTPUT_URI"], "model.joblib")
    joblib.dump(model, path)
    write_report(build_report(path, uri, "sklearn", {"accuracy": accuracy, "world_size": float(world)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
