"""Backpropagation through time on the displayed window, and the weight update.

The window's loss is the mean squared next-point error, L = (1/T) Σ_t (ŷ_t − y_t)².
``δh_t`` is the *total* gradient ∂L/∂h_t of a layer's output at time t: through the
readout (top layer), through the layer above, and through h_{t+1}. JAX gives it by
differentiating with respect to zero "taps" added to every h_t (and c_t), so it is
the same number autodiff uses for the weight gradients.

From δh_t and the trace, the gradient reaching each gate (∂L/∂gate value):

LSTM, with the total δc_t = δc_t^{(from c_{t+1})} + δh_t ⊙ o ⊙ (1 − tanh² c_t):
    δo = δh_t ⊙ tanh(c_t)    δf = δc_t ⊙ c_{t−1}    δi = δc_t ⊙ g    δg = δc_t ⊙ i
GRU, h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}:
    δz = δh_t ⊙ (h_{t−1} − n)    δn = δh_t ⊙ (1 − z)    δr = δn ⊙ (1 − n²) ⊙ (W_hn h_{t−1} + b_hn)
Vanilla, h_t = act(a):
    δa = δh_t ⊙ act′(a)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from engine.cells import LSTMState
from engine.model import ModelConfig, ModelParams, cell_step, initial_carry
from engine.programs import PROGRAMS, WINDOW_BUCKETS, ProgramKey, bucket, program_key
from engine.train import apply_update, clip_norm, make_transform

Array = jax.Array

# Backward compute steps inside one cell, in the order the gradient reaches them.
BACKWARD_STEPS: dict[str, tuple[str, ...]] = {
    "lstm": ("dh", "dc", "do", "df", "di", "dg"),
    "gru": ("dh", "dz", "dn", "dr"),
    "rnn": ("dh", "da"),
}


class WindowGradients(NamedTuple):
    """Host copies of one backward pass over the window."""

    loss: float
    grads: ModelParams  # ∂L/∂θ for every weight
    dh: np.ndarray  # (L, T, H) total ∂L/∂h_t per layer
    dc_future: np.ndarray  # (L, T, H) ∂L/∂c_t through c_{t+1} only (zeros unless LSTM)


def _tapped_run(
    config: ModelConfig,
    params: ModelParams,
    xs: Array,
    taps_h: Array,
    taps_c: Array,
    mask: Array,
) -> Array:
    """``run`` with h_t ← h_t + e_h[t] and c_t ← c_t + e_c[t] after every cell: (T, O).
    Where ``mask`` is False (a window's padding) the state stays as it was, so nothing
    there can overflow and send 0·∞ into the gradients of the real steps."""

    def step(carries: tuple[Any, ...], inputs: tuple[Array, ...]) -> tuple[Any, Array]:
        x, eh, ec, m = inputs  # eh, ec: (L, H)
        new, inp = [], x
        for layer, (layer_params, carry) in enumerate(zip(params.layers, carries, strict=True)):
            carry, _ = cell_step(config, layer_params, carry, inp)
            if config.cell == "lstm":
                carry = LSTMState(h=carry.h + eh[layer], c=carry.c + ec[layer])
                inp = carry.h
            else:
                carry = carry + eh[layer]
                inp = carry
            new.append(carry)
        kept = jax.tree_util.tree_map(lambda a, b: jnp.where(m, a, b), tuple(new), carries)
        return kept, params.W_y @ inp + params.b_y

    _, ys = jax.lax.scan(step, initial_carry(config), (xs, taps_h, taps_c, mask))
    return ys


def _gradients(
    params: ModelParams, xs: Array, targets: Array, length: Array, *, config: ModelConfig
) -> tuple[Array, ModelParams, Array, Array]:
    """The window's loss over its first ``length`` steps (xs, targets padded to a bucket)
    and its gradients: for the weights, and for the taps on every h_t and c_t."""
    T = xs.shape[0]
    mask = jnp.arange(T) < length
    zeros = jnp.zeros((T, config.layers, config.hidden), jnp.float32)

    def loss_fn(params: ModelParams, eh: Array, ec: Array) -> Array:
        ys = _tapped_run(config, params, xs, eh, ec, mask)
        return jnp.sum(jnp.where(mask, ys[:, 0] - targets, 0.0) ** 2) / length

    loss, (gp, geh, gec) = jax.value_and_grad(loss_fn, argnums=(0, 1, 2))(params, zeros, zeros)
    return loss, gp, jnp.swapaxes(geh, 0, 1), jnp.swapaxes(gec, 0, 1)


def gradients_key(config: ModelConfig, window: int) -> ProgramKey:
    """The backward pass's program for a window bucket."""
    return program_key(_windowed_gradients, config=config, window=window)


def window_gradients(
    config: ModelConfig, params: ModelParams, xs: np.ndarray, targets: np.ndarray
) -> WindowGradients:
    """One backward pass over the window ``xs`` (T, 1) against ``targets`` (T,)."""
    T = len(xs)
    window = bucket(T, WINDOW_BUCKETS)
    padded_xs = np.zeros((window, 1), np.float32)
    padded_xs[:T] = xs
    padded_targets = np.zeros(window, np.float32)
    padded_targets[:T] = targets
    loss, grads, dh, dc = jax.device_get(
        PROGRAMS.call(
            _windowed_gradients, params, jax.device_put(padded_xs),
            jax.device_put(padded_targets), np.float32(T), config=config, window=window,
        )
    )  # fmt: skip
    dh, dc = np.asarray(dh)[:, :T], np.asarray(dc)[:, :T]
    if config.cell != "lstm":
        dc = np.zeros_like(dc)
    return WindowGradients(float(loss), grads, dh, dc)


def _windowed_gradients(
    params: ModelParams,
    xs: Array,
    targets: Array,
    length: Array,
    *,
    config: ModelConfig,
    window: int,
) -> tuple[Array, ModelParams, Array, Array]:
    del window  # part of the program's key: xs is (window, 1)
    return _gradients(params, xs, targets, length, config=config)


def gate_gradients(
    config: ModelConfig,
    layer_params: Any,
    trace: Any,
    grads: WindowGradients,
    layer: int,
    t: int,
) -> dict[str, np.ndarray]:
    """Every backward quantity of cell (t, layer), named as in BACKWARD_STEPS."""
    H = config.hidden
    dh = grads.dh[layer, t]
    h_prev = trace.h[t - 1] if t else np.zeros(H, np.float32)
    if config.cell == "lstm":
        c, o, i, g = trace.c[t], trace.o[t], trace.i[t], trace.g[t]
        c_prev = trace.c[t - 1] if t else np.zeros(H, np.float32)
        dc = grads.dc_future[layer, t] + dh * o * (1.0 - np.tanh(c) ** 2)
        return {"dh": dh, "dc": dc, "do": dh * np.tanh(c), "df": dc * c_prev,
                "di": dc * g, "dg": dc * i}  # fmt: skip
    if config.cell == "gru":
        z, n = trace.z[t], trace.n[t]
        W_hn = np.asarray(layer_params.W_h)[2 * H :]
        b_hn = np.asarray(layer_params.b_h)[2 * H :]
        dn = dh * (1.0 - z)
        dr = dn * (1.0 - n**2) * (W_hn @ h_prev + b_hn)
        return {"dh": dh, "dz": dh * (h_prev - n), "dn": dn, "dr": dr}
    a, h = trace.a[t], trace.h[t]
    slope = {"tanh": 1.0 - h**2, "relu": (a > 0).astype(np.float32), "sigmoid": h * (1.0 - h)}
    return {"dh": dh, "da": dh * slope[config.activation]}


def _update(
    params: ModelParams,
    opt_state: Any,
    grads: ModelParams,
    loss: Array,
    learning_rate: Array,
    max_norm: Array,
    *,
    optimizer: str,
    shape: ModelConfig,
) -> tuple[ModelParams, Any, Array]:
    del shape  # part of the program's key: the weights' shapes
    transform = make_transform(optimizer)
    return apply_update(params, opt_state, grads, loss, transform, learning_rate, max_norm)


def update_key(config: ModelConfig, optimizer: str) -> ProgramKey:
    """The weight update's program: one per optimiser and shape of the weights."""
    return program_key(_update, optimizer=optimizer, shape=_shape(config))


def _shape(config: ModelConfig) -> ModelConfig:
    """The config with what does not change the weights' shapes (the activation) fixed."""
    return replace(config, activation="tanh")


def weight_update(
    params: ModelParams,
    opt_state: Any,
    grads: WindowGradients,
    learning_rate: float,
    optimizer: str,
    config: ModelConfig,
    clip: bool = True,
) -> tuple[ModelParams, Any, bool]:
    """The optimiser's step on this window's gradient (clipped unless ``clip`` is
    off, as an epoch's): (new params, new state, skipped)."""
    lr = jax.device_put(np.float32(learning_rate))
    loss = jax.device_put(np.float32(grads.loss))
    new_params, new_state, skipped = PROGRAMS.call(
        _update, params, opt_state, grads.grads, loss, lr, clip_norm(clip),
        optimizer=optimizer, shape=_shape(config),
    )  # fmt: skip
    return new_params, new_state, bool(skipped)
