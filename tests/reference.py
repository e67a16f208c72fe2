"""An independent float64 NumPy reference of the engine's equations (DESIGN.md, "Engine contract").

Written from the equations, not from engine/: parameters are plain dicts of arrays keyed by
the contract's names (W_x, W_h, b / b_x, b_h), traces are dicts keyed by the trace fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + e^-x), without overflow


ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "sigmoid": sigmoid,
}


def f64(params: Any) -> dict[str, np.ndarray]:
    """A NamedTuple (or mapping) of arrays as a dict of float64 arrays, by field name."""
    items = params.items() if isinstance(params, Mapping) else params._asdict().items()
    return {k: np.asarray(v, np.float64) for k, v in items}


def rnn_step(p: Mapping, h: np.ndarray, x: np.ndarray, activation: str = "tanh") -> dict:
    a = p["W_x"] @ x + p["W_h"] @ h + p["b"]
    return {"a": a, "h": ACTIVATIONS[activation](a)}


def lstm_step(p: Mapping, h: np.ndarray, c: np.ndarray, x: np.ndarray) -> dict:
    H = h.shape[0]
    pre = p["W_x"] @ x + p["W_h"] @ h + p["b"]
    block = {name: pre[k * H : (k + 1) * H] for k, name in enumerate("ifgo")}
    i, f, o = sigmoid(block["i"]), sigmoid(block["f"]), sigmoid(block["o"])
    g = np.tanh(block["g"])
    c_new = f * c + i * g
    return {"i": i, "f": f, "g": g, "o": o, "c": c_new, "h": o * np.tanh(c_new)}


def gru_step(p: Mapping, h: np.ndarray, x: np.ndarray) -> dict:
    H = h.shape[0]

    def rows(M: np.ndarray, k: int) -> np.ndarray:
        return M[k * H : (k + 1) * H]

    W_x, W_h, b_x, b_h = p["W_x"], p["W_h"], p["b_x"], p["b_h"]
    r = sigmoid(rows(W_x, 0) @ x + rows(b_x, 0) + rows(W_h, 0) @ h + rows(b_h, 0))
    z = sigmoid(rows(W_x, 1) @ x + rows(b_x, 1) + rows(W_h, 1) @ h + rows(b_h, 1))
    n = np.tanh(rows(W_x, 2) @ x + rows(b_x, 2) + r * (rows(W_h, 2) @ h + rows(b_h, 2)))
    return {"r": r, "z": z, "n": n, "h": (1.0 - z) * n + z * h}


def run_stack(
    cell: str,
    layers: Sequence[Mapping],
    W_y: np.ndarray,
    b_y: np.ndarray,
    xs: np.ndarray,
    activation: str = "tanh",
) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """Run a sequence xs (T, D) through stacked layers from a zero state.

    Returns ŷ (T, O) with ŷ_t = W_y h^L_t + b_y, and per layer a dict of trace fields
    stacked over time, each (T, H).
    """
    xs = np.asarray(xs, np.float64)
    H = np.asarray(layers[0]["W_h"]).shape[1]
    hs = [np.zeros(H) for _ in layers]
    cs = [np.zeros(H) for _ in layers]
    traces: list[dict[str, list]] = [{} for _ in layers]
    ys = []
    for x in xs:
        inp = x
        for l, p in enumerate(layers):
            if cell == "rnn":
                tr = rnn_step(p, hs[l], inp, activation)
            elif cell == "lstm":
                tr = lstm_step(p, hs[l], cs[l], inp)
                cs[l] = tr["c"]
            elif cell == "gru":
                tr = gru_step(p, hs[l], inp)
            else:
                raise ValueError(cell)
            hs[l] = tr["h"]
            for k, v in tr.items():
                traces[l].setdefault(k, []).append(v)
            inp = tr["h"]
        ys.append(W_y @ inp + b_y)
    return np.array(ys), [{k: np.array(v) for k, v in tr.items()} for tr in traces]


def mse(
    cell: str,
    layers: Sequence[Mapping],
    W_y: np.ndarray,
    b_y: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
    activation: str = "tanh",
) -> float:
    """Mean squared error over a batch xs, ys (B, T, ·) of independent sequences."""
    preds = np.array([run_stack(cell, layers, W_y, b_y, seq, activation)[0] for seq in xs])
    return float(np.mean((preds - np.asarray(ys, np.float64)) ** 2))
