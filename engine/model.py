"""A stack of 1–7 recurrent layers of one cell kind plus a dense readout.

h^1_t = cell(h^1_{t-1}, x_t),  h^l_t = cell(h^{l-1}_t ... ),  ŷ_t = W_y h^L_t + b_y
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.cells import (
    ACTIVATIONS,
    GRUParams,
    LSTMParams,
    LSTMState,
    RNNParams,
    gru_cell,
    lstm_cell,
    rnn_cell,
)
from engine.checks import choice, exact_int, normalise

Array = jax.Array

CELL_KINDS = ("rnn", "lstm", "gru")
HIDDEN_SIZES = (1, 2, 4, 8, 16, 32, 64)  # buckets: each size is one compiled program
MAX_LAYERS = 7

# The compute steps a learner walks through inside one cell, in order. Each name
# is a trace field (or "x", the layer input shown with the previous state).
COMPUTE_STEPS: dict[str, tuple[str, ...]] = {
    "rnn": ("x", "a", "h"),
    "lstm": ("x", "f", "i", "o", "g", "c", "h"),
    "gru": ("x", "r", "z", "n", "h"),
}
GATE_ROWS = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a model. Frozen and hashable: it is a static argument of jitted code."""

    cell: str = "lstm"
    layers: int = 3  # exploRNN's default depth
    hidden: int = 16  # exploRNN's default width
    input_size: int = 1  # one value per time step for function data
    output_size: int = 1
    activation: str = "tanh"  # vanilla RNN only

    def __post_init__(self) -> None:
        choice("cell", self.cell, CELL_KINDS)
        normalise(self, "layers", exact_int("layers", self.layers, 1, MAX_LAYERS))
        normalise(self, "hidden", exact_int("hidden", self.hidden))
        if self.hidden not in HIDDEN_SIZES:
            raise ValueError(f"hidden must be one of {HIDDEN_SIZES}, not {self.hidden}")
        choice("activation", self.activation, tuple(ACTIVATIONS))
        if self.cell != "rnn":  # gated cells ignore it; one compiled program, not three
            normalise(self, "activation", "tanh")
        normalise(self, "input_size", exact_int("input_size", self.input_size, 1))
        normalise(self, "output_size", exact_int("output_size", self.output_size, 1))

    @property
    def steps(self) -> tuple[str, ...]:
        return COMPUTE_STEPS[self.cell]


class ModelParams(NamedTuple):
    layers: tuple[Any, ...]  # one RNNParams / LSTMParams / GRUParams per layer
    W_y: Array  # (O, H)
    b_y: Array  # (O,)


def init_params(config: ModelConfig, *, key: int) -> ModelParams:
    """Initial weights, drawn with NumPy from the seed ``key`` (fast: no JAX dispatch).

    Every entry is U(−1/√H, 1/√H), as PyTorch's recurrent layers; LSTM forget-gate
    biases start at 1 so that the cell remembers by default (Jozefowicz et al., 2015).
    """
    rng = np.random.default_rng(key)
    H = config.hidden
    s = 1.0 / np.sqrt(H)

    def u(*shape: int) -> Array:
        return jax.device_put(rng.uniform(-s, s, shape).astype(np.float32))

    layers: list[Any] = []
    for layer in range(config.layers):
        D = config.input_size if layer == 0 else H
        rows = GATE_ROWS[config.cell] * H
        if config.cell == "rnn":
            layers.append(RNNParams(W_x=u(H, D), W_h=u(H, H), b=u(H)))
        elif config.cell == "lstm":
            b = rng.uniform(-s, s, rows).astype(np.float32)
            b[H : 2 * H] = 1.0  # forget block
            layers.append(LSTMParams(W_x=u(rows, D), W_h=u(rows, H), b=jax.device_put(b)))
        else:
            layers.append(GRUParams(W_x=u(rows, D), W_h=u(rows, H), b_x=u(rows), b_h=u(rows)))
    return ModelParams(
        layers=tuple(layers), W_y=u(config.output_size, H), b_y=u(config.output_size)
    )


def initial_carry(config: ModelConfig) -> tuple[Any, ...]:
    """Zero state for every layer: ``h`` (rnn, gru) or ``LSTMState(h, c)``."""
    zeros = jnp.zeros((config.hidden,), jnp.float32)
    if config.cell == "lstm":
        return tuple(LSTMState(h=zeros, c=zeros) for _ in range(config.layers))
    return tuple(zeros for _ in range(config.layers))


def cell_step(config: ModelConfig, params: Any, carry: Any, x: Array) -> tuple[Any, Any]:
    """One cell of the configured kind."""
    if config.cell == "lstm":
        return lstm_cell(params, carry, x)
    if config.cell == "gru":
        return gru_cell(params, carry, x)
    return rnn_cell(params, carry, x, config.activation)


def model_step(
    config: ModelConfig, params: ModelParams, carries: tuple[Any, ...], x: Array
) -> tuple[tuple[Any, ...], tuple[tuple[Any, ...], Array]]:
    """One time step through every layer, then the readout ŷ_t = W_y h^L_t + b_y."""
    new_carries, traces = [], []
    inp = x
    for layer_params, carry in zip(params.layers, carries, strict=True):
        carry, trace = cell_step(config, layer_params, carry, inp)
        new_carries.append(carry)
        traces.append(trace)
        inp = trace.h
    y = params.W_y @ inp + params.b_y
    return tuple(new_carries), (tuple(traces), y)


def run(
    config: ModelConfig, params: ModelParams, xs: Array
) -> tuple[Array, tuple[Any, ...], tuple[Any, ...]]:
    """Run a sequence ``xs`` (T, D) from a zero state: (ŷ (T, O), traces, final carries).

    Each trace field is stacked over time: ``traces[layer].f`` has shape (T, H).
    """

    def step(carries: tuple[Any, ...], x: Array) -> tuple[tuple[Any, ...], Any]:
        return model_step(config, params, carries, x)

    carries, (traces, ys) = jax.lax.scan(step, initial_carry(config), xs)
    return ys, traces, carries


def continue_sequence(
    config: ModelConfig, params: ModelParams, carries: tuple[Any, ...], y_last: Array, n: int
) -> Array:
    """Predict ``n`` more steps by feeding each prediction back as the next input: (n, O)."""

    def step(state: tuple[tuple[Any, ...], Array], unused: None) -> tuple[Any, Array]:
        carries, y = state
        carries, (_, y_next) = model_step(config, params, carries, y)
        return (carries, y_next), y_next

    _, ys = jax.lax.scan(step, (carries, y_last), None, length=n)
    return ys


def top_h(carry: Any) -> Array:
    return carry.h if isinstance(carry, LSTMState) else carry


def masked_run(
    config: ModelConfig, params: ModelParams, xs: Array, mask: Array
) -> tuple[Array, tuple[Any, ...], tuple[Any, ...]]:
    """Run xs (T, D) from a zero state, skipping the steps where ``mask`` (T,) is False.

        s_t = cell(s_{t−1}, x_t) if m_t else s_{t−1}     (s = h, or (h, c) for the LSTM)
        ŷ_t = W_y h^L_t + b_y

    A right-padded sentence thus ends in the state of its last real word and a
    left-padded prefix starts from zero. Returns (ŷ (T, O), traces, final carries);
    trace entries at masked steps belong to the discarded update: read real steps only.
    """

    def step(carries: tuple[Any, ...], inp: tuple[Array, Array]) -> tuple[Any, Any]:
        x, m = inp
        new, (traces, _) = model_step(config, params, carries, x)
        carries = jax.tree_util.tree_map(lambda a, b: jnp.where(m, a, b), new, carries)
        return carries, (traces, params.W_y @ top_h(carries[-1]) + params.b_y)

    carries, (traces, ys) = jax.lax.scan(step, initial_carry(config), (xs, mask))
    return ys, traces, carries
