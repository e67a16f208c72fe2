"""The code of each compute step: the few lines of JAX (or NumPy) that compute it.

The cell view's code panel shows them beside the diagram, so a learner sees how the
quantity highlighted at the current compute step is *implemented*. The lines form
one runnable program, a cell at a time, inside the loops of the stepper's phases::

    for t in range(T):                 # forward: every layer at each time step
        for l in range(L):
            <the cell's forward lines>
    <validate: the loss and ∂L/∂ŷ>
    for t in reversed(range(T)):       # backward: back through time, top layer first
        for l in reversed(range(L)):
            <the cell's backward lines>

with the state set up before them (``SETUP``). Names are the view's: ``x``,
``h_prev``, ``c_prev``, each gate by its letter, ``W_x``, ``W_h``, ``b`` (``b_x``,
``b_h`` for the GRU), row blocks in the engine's order (i, f, g, o; r, z, n).

They never drift from the engine: tests/engine/test_snippets.py runs them, JAX and
NumPy, through whole windows of RNN, LSTM and GRU labs and compares every variable
the panel shows with the engine's trace, gradients (``engine.backward``) and loss,
and the summed dW with the engine's ∂L/∂W. The forward equations are those of
``engine.cells``; the backward ones those of ``engine.backward``:

    LSTM: δc_t = f_{t+1} δc_{t+1} + δh_t o (1 − tanh² c_t), δpre = (δi i(1−i), δf f(1−f),
          δg (1−g²), δo o(1−o)); δh_{t−1} += W_hᵀ δpre; the layer below's δh_t += W_xᵀ δpre
    GRU:  δpre_x = (δr r(1−r), δz z(1−z), δn (1−n²)), δpre_h = the same with r δn (1−n²);
          δh_{t−1} += z δh_t + W_hᵀ δpre_h; below: W_xᵀ δpre_x
    RNN:  δa = δh act′(a); δh_{t−1} += W_hᵀ δa; below: W_xᵀ δa
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FLAVOURS = ("jax", "numpy")


@dataclass(frozen=True)
class Line:
    """One line of code, and the variables whose value the panel writes beside it."""

    code: str
    shows: tuple[str, ...] = ()  # each a name (a vector: shown at the chosen unit) or,
    # in SCALARS, an expression with one number


def _lines(*specs: str | tuple[str, tuple[str, ...]]) -> tuple[Line, ...]:
    return tuple(Line(s) if isinstance(s, str) else Line(s[0], s[1]) for s in specs)


def _gate(name: str, rows: str, act: str) -> tuple[Line, ...]:
    """An LSTM gate: its block of rows, then its activation."""
    return _lines(
        (f"pre_{name} = W_x[{rows}] @ x + W_h[{rows}] @ h_prev + b[{rows}]", (f"pre_{name}",)),
        (f"{name} = {act}(pre_{name})", (name,)),
    )


def _gru_gate(name: str, rows: str) -> tuple[Line, ...]:
    return _lines(
        (f"pre_{name} = W_x[{rows}] @ x + b_x[{rows}] + W_h[{rows}] @ h_prev + b_h[{rows}]",
         (f"pre_{name}",)),
        (f"{name} = sigmoid(pre_{name})", (name,)),
    )  # fmt: skip


_READ = ("x = xs[t] if l == 0 else hs[l - 1]", ("x",))

# Forward: the lines of each compute step (engine.model.COMPUTE_STEPS), in its order.
FORWARD: dict[str, dict[str, tuple[Line, ...]]] = {
    "lstm": {
        "x": _lines(
            "W_x, W_h, b = layers[l]  # rows: blocks i, f, g, o of H each",
            _READ,
            ("h_prev, c_prev = hs[l], cs[l]", ("h_prev", "c_prev")),
        ),
        "f": _gate("f", "H:2*H", "sigmoid"),
        "i": _gate("i", ":H", "sigmoid"),
        "o": _gate("o", "3*H:", "sigmoid"),
        "g": _gate("g", "2*H:3*H", "np.tanh"),
        "c": _lines(("c = f * c_prev + i * g", ("c",))),
        "h": _lines(
            ("h = o * np.tanh(c)", ("h",)),
            "hs[l], cs[l] = h, c  # to t + 1, and h up to the next layer",
            "saved[t, l] = x, h_prev, c_prev, i, f, g, o, c  # for the backward pass",
        ),
    },
    "gru": {
        "x": _lines(
            "W_x, W_h, b_x, b_h = layers[l]  # rows: blocks r, z, n of H each",
            _READ,
            ("h_prev = hs[l]", ("h_prev",)),
        ),
        "r": _gru_gate("r", ":H"),
        "z": _gru_gate("z", "H:2*H"),
        "n": _lines(
            (
                "pre_n = W_x[2*H:] @ x + b_x[2*H:] + r * (W_h[2*H:] @ h_prev + b_h[2*H:])",
                ("pre_n",),
            ),
            ("n = np.tanh(pre_n)", ("n",)),
        ),  # fmt: skip
        "h": _lines(
            ("h = (1 - z) * n + z * h_prev", ("h",)),
            "hs[l] = h  # to t + 1, and up to the next layer",
            "saved[t, l] = x, h_prev, r, z, n  # for the backward pass",
        ),
    },
    "rnn": {
        "x": _lines("W_x, W_h, b = layers[l]", _READ, ("h_prev = hs[l]", ("h_prev",))),
        "a": _lines(("a = W_x @ x + W_h @ h_prev + b", ("a",))),
        "h": _lines(
            ("h = ACT(a)", ("h",)),
            "hs[l] = h  # to t + 1, and up to the next layer",
            "saved[t, l] = x, h_prev, a, h  # for the backward pass",
        ),
    },
}
# After the top layer's h: the readout ŷ_t (one output).
READOUT = _lines(("y_hat[t] = (W_y @ h + b_y)[0]", ("y_hat[t]",)))
# The validate phase: the window's loss, and where its gradient starts.
VALIDATE = _lines(
    "e = np.array(y_hat) - y  # the one-step error at each of the T points",
    ("L = np.mean(e ** 2)", ("L",)),
    "dy = 2 * e / T  # ∂L/∂ŷ_t: where the backward pass starts",
)

WEIGHTS = {"lstm": ("W_x", "W_h", "b"), "gru": ("W_x", "W_h", "b_x", "b_h"),
           "rnn": ("W_x", "W_h", "b")}  # fmt: skip
_LOAD = {
    "lstm": "x, h_prev, c_prev, i, f, g, o, c = saved[t, l]",
    "gru": "x, h_prev, r, z, n = saved[t, l]",
    "rnn": "x, h_prev, a, h = saved[t, l]",
}
# ∂L/∂h_t: the readout's error (top layer) or the layer above, plus h_{t+1}.
DH_TOP = ("dh = W_y[0] * dy[t] + from_next[l]", ("dh",))
DH_BELOW = ("dh = from_above + from_next[l]", ("dh",))
# The derivative of the vanilla cell's activation, from its output h (or a).
ACT_SLOPE = {"tanh": "(1 - h ** 2)", "relu": "(a > 0)", "sigmoid": "h * (1 - h)"}

# Backward: the lines of each backward step (engine.backward.BACKWARD_STEPS) after dh.
BACKWARD: dict[str, dict[str, tuple[Line, ...]]] = {
    "lstm": {
        "dc": _lines(("dc = dc_next[l] + dh * o * (1 - np.tanh(c) ** 2)", ("dc",))),
        "do": _lines(("do = dh * np.tanh(c)", ("do",))),
        "df": _lines(("df = dc * c_prev", ("df",))),
        "di": _lines(("di = dc * g", ("di",))),
        "dg": _lines(
            ("dg = dc * i", ("dg",)),
            "dpre = np.concatenate([di * i * (1 - i), df * f * (1 - f),"
            " dg * (1 - g ** 2), do * o * (1 - o)])  # at the pre-activations",
            "dW_x[l] += np.outer(dpre, x); dW_h[l] += np.outer(dpre, h_prev); db[l] += dpre",
            "from_above, from_next[l], dc_next[l] = W_x.T @ dpre, W_h.T @ dpre, dc * f",
        ),
    },
    "gru": {
        "dz": _lines(("dz = dh * (h_prev - n)", ("dz",))),
        "dn": _lines(("dn = dh * (1 - z)", ("dn",))),
        "dr": _lines(
            ("hn = W_h[2*H:] @ h_prev + b_h[2*H:]", ("hn",)),
            ("dr = dn * (1 - n ** 2) * hn", ("dr",)),
            "dpre_r, dpre_z, dpre_n = dr * r * (1 - r), dz * z * (1 - z), dn * (1 - n ** 2)",
            "dgx = np.concatenate([dpre_r, dpre_z, dpre_n])  # at W_x x + b_x",
            "dgh = np.concatenate([dpre_r, dpre_z, r * dpre_n])  # at W_h h_prev + b_h",
            "dW_x[l] += np.outer(dgx, x); dW_h[l] += np.outer(dgh, h_prev)",
            "db_x[l] += dgx; db_h[l] += dgh",
            "from_above, from_next[l] = W_x.T @ dgx, z * dh + W_h.T @ dgh",
        ),
    },
    "rnn": {
        "da": _lines(
            ("da = dh * SLOPE", ("da",)),
            "dW_x[l] += np.outer(da, x); dW_h[l] += np.outer(da, h_prev); db[l] += da",
            "from_above, from_next[l] = W_x.T @ da, W_h.T @ da",
        ),
    },
}


def _setup(cell: str) -> tuple[str, ...]:
    grads = ", ".join(f"d{w}" for w in WEIGHTS[cell])
    zeros = ", ".join(f"[np.zeros_like(p.{w}) for p in layers]" for w in WEIGHTS[cell])
    lstm = cell == "lstm"
    return (
        "H, L, T = layers[0].W_h.shape[1], len(layers), len(xs)  # units, layers, steps",
        "hs = [np.zeros(H) for _ in range(L)]  # each layer's h, h₋₁ = 0",
        *(("cs = [np.zeros(H) for _ in range(L)]  # each layer's c, c₋₁ = 0",) if lstm else ()),
        "saved, y_hat = {}, [0.0] * T  # what the forward pass keeps",
        "from_next = [np.zeros(H) for _ in range(L)]  # ∂L/∂h_t via h_{t+1}",
        *(("dc_next = [np.zeros(H) for _ in range(L)]  # ∂L/∂c_t via c_{t+1}",) if lstm else ()),
        f"{grads} = {zeros}",
    )


# Before the loops: the state each layer carries, what the forward pass keeps, the
# gradients' accumulators. ``layers`` holds each layer's weights; xs (T, 1), y (T,).
SETUP: dict[str, tuple[str, ...]] = {cell: _setup(cell) for cell in WEIGHTS}

SCALARS = frozenset({"y_hat[t]", "L"})

FORWARD_LOOP = ("for t in range(T):", "for l in range(L):")
BACKWARD_LOOP = ("for t in reversed(range(T)):", "for l in reversed(range(L)):")

_SIGMOID = re.compile(r"sigmoid\((\w+)\)")
_RELU = re.compile(r"relu\((\w+)\)")


def spell(code: str, flavour: str, activation: str = "tanh") -> str:
    """``code`` as the flavour writes it: ``np.`` is ``jnp.`` in JAX; σ is
    ``jax.nn.sigmoid`` there and ``1 / (1 + np.exp(-·))`` in NumPy; ``ACT``, ``SLOPE``
    are the vanilla cell's activation and its derivative."""
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour: {flavour!r} is not one of {FLAVOURS}")
    code = code.replace("ACT(", f"{activation}(" if activation != "tanh" else "np.tanh(")
    code = code.replace("SLOPE", ACT_SLOPE[activation])
    if flavour == "jax":
        code = re.sub(r"\bnp\.", "jnp.", code)
        code = _SIGMOID.sub(r"jax.nn.sigmoid(\1)", code)
        return _RELU.sub(r"jax.nn.relu(\1)", code)
    code = _SIGMOID.sub(r"1 / (1 + np.exp(-\1))", code)
    return _RELU.sub(r"np.maximum(\1, 0)", code)


def forward_lines(cell: str, step: str, *, top: bool) -> tuple[Line, ...]:
    """The lines of forward compute step ``step`` (the readout after the top layer's h)."""
    lines = FORWARD[cell][step]
    return lines + READOUT if step == "h" and top else lines


def backward_lines(cell: str, step: str, *, top: bool) -> tuple[Line, ...]:
    """The lines of backward step ``step``: dh loads what the forward pass kept."""
    if step == "dh":
        return _lines(
            _LOAD[cell], f"{', '.join(WEIGHTS[cell])} = layers[l]", DH_TOP if top else DH_BELOW
        )
    return BACKWARD[cell][step]
