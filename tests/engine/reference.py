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


def text_run(
    cell: str, params: Any, ids: np.ndarray, vocab_size: int
) -> tuple[np.ndarray, np.ndarray, list[dict[str, np.ndarray]]]:
    """The next-character model on character ids: x_t = onehot(c_t) (size ``vocab_size``)
    when ``params.embedding`` is None, else the embedding row E[c_t]; then the stack and
    the readout. Returns (x_t (T, D), ŷ_t (T, V), per-layer traces), unmasked."""
    if params.embedding is None:
        xs = np.eye(vocab_size)[ids]
    else:
        xs = np.asarray(params.embedding, np.float64)[ids]
    m = params.model
    layers = [f64(p) for p in m.layers]
    W_y, b_y = np.asarray(m.W_y, np.float64), np.asarray(m.b_y, np.float64)
    ys, traces = run_stack(cell, layers, W_y, b_y, xs)
    return xs, ys, traces


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


def bptt(
    cell: str,
    layers: Sequence[Mapping],
    W_y: np.ndarray,
    b_y: np.ndarray,
    xs: np.ndarray,
    targets: np.ndarray,
    activation: str = "tanh",
) -> dict[str, Any]:
    """Backpropagation through time, derived by hand, for one sequence xs (T, D).

    Loss L = (1/T) Σ_t Σ_o (ŷ_t − y_t)² with ŷ_t = W_y h^L_t + b_y and targets (T,) or (T, O).
    Walks t = T−1…0 and, inside each t, the layers from the top down; the gradient of a
    layer's output h^l_t collects the readout (top layer), the layer above at t and h^l_{t+1}.

    Returns a dict with
      loss       the window loss,
      dh         (L, T, H) total ∂L/∂h^l_t,
      dc_future  (L, T, H) ∂L/∂c^l_t through c^l_{t+1} only (zeros unless LSTM),
      gates      per layer {name: (T, H)}: the gradient reaching each gate value —
                 LSTM dh, dc (total), do, df, di, dg; GRU dh, dz, dn, dr; vanilla dh, da,
      grads      {"layers": [{W_x, W_h, b | b_x, b_h}], "W_y", "b_y"}: ∂L/∂θ.
    """
    xs = np.asarray(xs, np.float64)
    W_y, b_y = np.asarray(W_y, np.float64), np.asarray(b_y, np.float64)
    ps = [{k: np.asarray(v, np.float64) for k, v in p.items()} for p in layers]
    ys, traces = run_stack(cell, ps, W_y, b_y, xs, activation)
    T, L = xs.shape[0], len(ps)
    H = ps[0]["W_h"].shape[1]
    targets = np.asarray(targets, np.float64).reshape(T, -1)
    err = ys - targets
    loss = float(np.sum(err**2) / T)
    dy = 2.0 * err / T  # (T, O)

    def rows(M: np.ndarray, k: int) -> np.ndarray:
        return M[k * H : (k + 1) * H]

    names = {"rnn": ("dh", "da"), "lstm": ("dh", "dc", "do", "df", "di", "dg"),
             "gru": ("dh", "dz", "dn", "dr")}[cell]  # fmt: skip
    gates = [{n: np.zeros((T, H)) for n in names} for _ in range(L)]
    grads = {
        "layers": [{k: np.zeros_like(v) for k, v in p.items()} for p in ps],
        "W_y": np.zeros_like(W_y),
        "b_y": np.zeros_like(b_y),
    }
    dh_all = np.zeros((L, T, H))
    dc_future_all = np.zeros((L, T, H))
    dh_next = [np.zeros(H) for _ in range(L)]  # ∂L/∂h^l_t through h^l_{t+1}
    dc_next = [np.zeros(H) for _ in range(L)]  # ∂L/∂c^l_t through c^l_{t+1}
    for t in reversed(range(T)):
        top = traces[L - 1]["h"][t]
        grads["W_y"] += np.outer(dy[t], top)
        grads["b_y"] += dy[t]
        from_above = W_y.T @ dy[t]  # ∂L/∂h^{L}_t through the readout
        for l in reversed(range(L)):
            p, tr, g, gl = ps[l], traces[l], grads["layers"][l], gates[l]
            x = xs[t] if l == 0 else traces[l - 1]["h"][t]
            h_prev = tr["h"][t - 1] if t else np.zeros(H)
            dh = from_above + dh_next[l]
            dh_all[l, t] = dh
            gl["dh"][t] = dh
            if cell == "rnn":
                h = tr["h"][t]
                slope = {"tanh": 1.0 - h**2, "relu": (tr["a"][t] > 0).astype(float),
                         "sigmoid": h * (1.0 - h)}[activation]  # fmt: skip
                da = dh * slope
                gl["da"][t] = da
                g["W_x"] += np.outer(da, x)
                g["W_h"] += np.outer(da, h_prev)
                g["b"] += da
                dx, dh_next[l] = p["W_x"].T @ da, p["W_h"].T @ da
            elif cell == "lstm":
                i, f, gg, o, c = (tr[k][t] for k in ("i", "f", "g", "o", "c"))
                c_prev = tr["c"][t - 1] if t else np.zeros(H)
                dc_future_all[l, t] = dc_next[l]
                dc = dc_next[l] + dh * o * (1.0 - np.tanh(c) ** 2)
                do, df, di, dg = dh * np.tanh(c), dc * c_prev, dc * gg, dc * i
                for k, v in zip(("dc", "do", "df", "di", "dg"), (dc, do, df, di, dg), strict=True):
                    gl[k][t] = v
                dpre = np.concatenate(
                    [di * i * (1 - i), df * f * (1 - f), dg * (1 - gg**2), do * o * (1 - o)]
                )  # row blocks i, f, g, o
                g["W_x"] += np.outer(dpre, x)
                g["W_h"] += np.outer(dpre, h_prev)
                g["b"] += dpre
                dx, dh_next[l] = p["W_x"].T @ dpre, p["W_h"].T @ dpre
                dc_next[l] = dc * f
            else:  # gru
                r, z, n = tr["r"][t], tr["z"][t], tr["n"][t]
                hn = rows(p["W_h"], 2) @ h_prev + rows(p["b_h"], 2)
                dz, dn = dh * (h_prev - n), dh * (1.0 - z)
                dn_pre = dn * (1.0 - n**2)
                dr = dn_pre * hn
                gl["dz"][t], gl["dn"][t], gl["dr"][t] = dz, dn, dr
                dr_pre, dz_pre = dr * r * (1.0 - r), dz * z * (1.0 - z)
                dgx = np.concatenate([dr_pre, dz_pre, dn_pre])  # rows r, z, n
                dgh = np.concatenate([dr_pre, dz_pre, dn_pre * r])
                g["W_x"] += np.outer(dgx, x)
                g["b_x"] += dgx
                g["W_h"] += np.outer(dgh, h_prev)
                g["b_h"] += dgh
                dx = p["W_x"].T @ dgx
                dh_next[l] = p["W_h"].T @ dgh + dh * z
            from_above = dx  # flows into h^{l-1}_t
    return {"loss": loss, "dh": dh_all, "dc_future": dc_future_all, "gates": gates,
            "grads": grads}  # fmt: skip


def finite_difference(f: Any, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function f at x (float64), same shape as x."""
    x = np.asarray(x, np.float64)
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        out[idx] = (f(x + step) - f(x - step)) / (2 * eps)
    return out
