"""One cell's arithmetic for one unit, term by term, so a learner can check it by hand.

Forward, each gate (or candidate) of unit k is a sum of terms, then an activation:

LSTM, q in i, f, g, o (row k of q's block):
    pre = W_x[q,k]·x_t + W_h[q,k]·h_{t−1} + b[q,k],   q = σ(pre) (g: tanh(pre))
    c_t = f·c_{t−1} + i·g        h_t = o·tanh(c_t)
GRU, q in r, z:
    pre = W_x[q,k]·x_t + b_x[q,k] + W_h[q,k]·h_{t−1} + b_h[q,k],   q = σ(pre)
    n:  pre = W_x[n,k]·x_t + b_x[n,k] + r·(W_h[n,k]·h_{t−1} + b_h[n,k]),   n = tanh(pre)
    h_t = (1 − z)·n + z·h_{t−1}
Vanilla:
    a = W_x[k]·x_t + W_h[k]·h_{t−1} + b[k],   h_t = act(a)

Backward, each gradient of ``engine.backward.gate_gradients`` as the product of the
factors it is made of (∂L/∂f = ∂L/∂c_t · c_{t−1}, …).

Every term is a float64 product of the float32 weights and the trace the stepper shows,
and ``pre`` is exactly their sum; ``value`` is the trace's own number (the engine's
float32 result, equal to act(pre) up to ~1e-7).
"""

from __future__ import annotations

from typing import Any

import numpy as np

Terms = dict[str, float]  # term name -> number, in the order the equation writes them

# The row blocks of W_x, W_h and b, in the engine's order (DESIGN.md, "Engine contract").
BLOCKS: dict[str, tuple[str, ...]] = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n"),
                                      "rnn": ("a",)}  # fmt: skip
# The activation each forward quantity applies to its pre-activation.
ACTIVATION = {"i": "sigmoid", "f": "sigmoid", "o": "sigmoid", "g": "tanh", "r": "sigmoid",
              "z": "sigmoid", "n": "tanh"}  # fmt: skip


def _f64(value: Any) -> np.ndarray:
    return np.asarray(value, np.float64)


def _row(name: str, cell: str, unit: int, hidden: int) -> int:
    return BLOCKS[cell].index(name) * hidden + unit


def forward_terms(
    cell: str,
    params: Any,
    inputs: dict[str, Any],
    values: dict[str, Any],
    names: tuple[str, ...],
    unit: int,
) -> dict[str, Terms]:
    """The terms of each quantity in ``names`` (compute-step names, "x" excluded) for
    ``unit``. ``inputs`` holds the cell's x, h_prev (and c_prev) vectors; ``values`` the
    trace's vector of every quantity named."""
    x, h_prev = _f64(inputs["x"]), _f64(inputs["h_prev"])
    H = h_prev.shape[0]
    W_x, W_h = _f64(params.W_x), _f64(params.W_h)
    at = {name: float(_f64(values[name])[unit]) for name in names}
    out: dict[str, Terms] = {}
    for name in names:
        if name in BLOCKS[cell]:
            k = _row(name, cell, unit, H)
            wx, wh = float(W_x[k] @ x), float(W_h[k] @ h_prev)
            if cell == "gru":
                b_x, b_h = float(_f64(params.b_x)[k]), float(_f64(params.b_h)[k])
                terms = {"wx": wx, "b_x": b_x, "wh": wh, "b_h": b_h}
                if name == "n":
                    r = float(_f64(values["r"])[unit])
                    terms |= {"r": r, "r_h": r * (wh + b_h), "pre": wx + b_x + r * (wh + b_h)}
                else:
                    terms["pre"] = wx + b_x + wh + b_h
            else:
                b = float(_f64(params.b)[k])
                terms = {"wx": wx, "wh": wh, "b": b, "pre": wx + wh + b}
            out[name] = terms | {"value": at[name]}
        elif cell == "lstm" and name == "c":
            c_prev = float(_f64(inputs["c_prev"])[unit])
            f, i, g = (float(_f64(values[q])[unit]) for q in "fig")
            out[name] = {"f": f, "c_prev": c_prev, "i": i, "g": g, "fc": f * c_prev,
                         "ig": i * g, "value": at[name]}  # fmt: skip
        elif cell == "lstm":  # h
            o, c = float(_f64(values["o"])[unit]), float(_f64(values["c"])[unit])
            out[name] = {"o": o, "tanh_c": float(np.tanh(c)), "value": at[name]}
        elif cell == "gru":  # h
            z, n = float(_f64(values["z"])[unit]), float(_f64(values["n"])[unit])
            out[name] = {"z": z, "n": n, "h_prev": float(h_prev[unit]), "zn": (1.0 - z) * n,
                         "zh": z * float(h_prev[unit]), "value": at[name]}  # fmt: skip
        else:  # the vanilla cell's h = act(a)
            out[name] = {"pre": float(_f64(values["a"])[unit]), "value": at[name]}
    return out


def backward_terms(
    cell: str,
    activation: str,
    params: Any,
    inputs: dict[str, Any],
    trace: dict[str, Any],
    gradients: dict[str, Any],
    dc_future: Any,
    names: tuple[str, ...],
    unit: int,
) -> dict[str, Terms]:
    """The factors of each backward quantity in ``names`` (``engine.backward``'s names:
    dh, dc, df, …) for ``unit``: ``trace`` holds the cell's forward vectors, ``gradients``
    gate_gradients' vectors, ``dc_future`` ∂L/∂c_t through c_{t+1} (LSTM)."""

    def at(vectors: dict[str, Any], name: str) -> float:
        return float(_f64(vectors[name])[unit])

    h_prev = float(_f64(inputs["h_prev"])[unit])
    out: dict[str, Terms] = {}
    for name in names:
        value = at(gradients, name)
        if name == "dh":
            terms: Terms = {}
        elif cell == "lstm":
            dc, tanh_c = at(gradients, "dc"), float(np.tanh(at(trace, "c")))
            terms = {
                "dc": {"dc_next": float(_f64(dc_future)[unit]), "dh": at(gradients, "dh"),
                       "o": at(trace, "o"), "slope": 1.0 - tanh_c**2},
                "do": {"dh": at(gradients, "dh"), "tanh_c": tanh_c},
                "df": {"dc": dc, "c_prev": float(_f64(inputs["c_prev"])[unit])},
                "di": {"dc": dc, "g": at(trace, "g")},
                "dg": {"dc": dc, "i": at(trace, "i")},
            }[name]  # fmt: skip
        elif cell == "gru":
            H = _f64(inputs["h_prev"]).shape[0]
            k = 2 * H + unit  # row of unit k in the n block
            hn = float(_f64(params.W_h)[k] @ _f64(inputs["h_prev"]) + _f64(params.b_h)[k])
            n = at(trace, "n")
            terms = {
                "dz": {"dh": at(gradients, "dh"), "h_prev": h_prev, "n": n},
                "dn": {"dh": at(gradients, "dh"), "z": at(trace, "z")},
                "dr": {"dn": at(gradients, "dn"), "slope": 1.0 - n**2, "hn": hn},
            }[name]
        else:  # da = dh · act′(a)
            a, h = at(trace, "a"), at(trace, "h")
            slope = {"tanh": 1.0 - h**2, "relu": float(a > 0), "sigmoid": h * (1.0 - h)}
            terms = {"dh": at(gradients, "dh"), "slope": slope[activation]}
        out[name] = terms | {"value": value}
    return out
