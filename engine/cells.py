"""Recurrent cells as pure functions with the `lax.scan` shape.

Every cell is ``cell(params, carry, x) -> (carry, trace)`` on a single input
vector ``x`` of shape ``(D,)``; ``jax.vmap`` lifts it to a batch. ``params``,
``carry`` and ``trace`` are NamedTuples (pytrees) whose field names are the
lessons' notation, so the trace field ``f`` is the lesson's forget gate ``f``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

Array = jax.Array

ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
}


class RNNParams(NamedTuple):
    W_x: Array  # (H, D)
    W_h: Array  # (H, H)
    b: Array  # (H,)


class RNNTrace(NamedTuple):
    a: Array  # (H,) pre-activation
    h: Array  # (H,)


class LSTMParams(NamedTuple):
    W_x: Array  # (4H, D), row blocks i, f, g, o
    W_h: Array  # (4H, H)
    b: Array  # (4H,)


class LSTMState(NamedTuple):
    h: Array  # (H,)
    c: Array  # (H,)


class LSTMTrace(NamedTuple):
    i: Array
    f: Array
    g: Array
    o: Array
    c: Array
    h: Array


class GRUParams(NamedTuple):
    W_x: Array  # (3H, D), row blocks r, z, n
    W_h: Array  # (3H, H)
    b_x: Array  # (3H,)
    b_h: Array  # (3H,)


class GRUTrace(NamedTuple):
    r: Array
    z: Array
    n: Array
    h: Array


def rnn_cell(
    params: RNNParams, h: Array, x: Array, activation: str = "tanh"
) -> tuple[Array, RNNTrace]:
    """Vanilla RNN step.

    a_t = W_x x_t + W_h h_{t-1} + b
    h_t = act(a_t),  act in {tanh, relu, sigmoid}
    """
    a = params.W_x @ x + params.W_h @ h + params.b
    h_new = ACTIVATIONS[activation](a)
    return h_new, RNNTrace(a=a, h=h_new)


def lstm_cell(params: LSTMParams, state: LSTMState, x: Array) -> tuple[LSTMState, LSTMTrace]:
    """LSTM step; gate rows are stacked in the order i, f, g, o.

    i = σ(W_xi x + W_hi h_{t-1} + b_i)      input gate
    f = σ(W_xf x + W_hf h_{t-1} + b_f)      forget gate
    g = tanh(W_xg x + W_hg h_{t-1} + b_g)   candidate
    o = σ(W_xo x + W_ho h_{t-1} + b_o)      output gate
    c_t = f ⊙ c_{t-1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)
    """
    z = params.W_x @ x + params.W_h @ state.h + params.b  # (4H,)
    zi, zf, zg, zo = jnp.split(z, 4)
    i, f, o = jax.nn.sigmoid(zi), jax.nn.sigmoid(zf), jax.nn.sigmoid(zo)
    g = jnp.tanh(zg)
    c = f * state.c + i * g
    h = o * jnp.tanh(c)
    return LSTMState(h=h, c=c), LSTMTrace(i=i, f=f, g=g, o=o, c=c, h=h)


def gru_cell(params: GRUParams, h: Array, x: Array) -> tuple[Array, GRUTrace]:
    """GRU step; rows are stacked in the order r, z, n.

    r = σ(W_xr x + b_xr + W_hr h_{t-1} + b_hr)          reset gate
    z = σ(W_xz x + b_xz + W_hz h_{t-1} + b_hz)          update gate
    n = tanh(W_xn x + b_xn + r ⊙ (W_hn h_{t-1} + b_hn))  candidate
    h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
    """
    gx = params.W_x @ x + params.b_x  # (3H,)
    gh = params.W_h @ h + params.b_h  # (3H,)
    xr, xz, xn = jnp.split(gx, 3)
    hr, hz, hn = jnp.split(gh, 3)
    r = jax.nn.sigmoid(xr + hr)
    z = jax.nn.sigmoid(xz + hz)
    n = jnp.tanh(xn + r * hn)
    h_new = (1.0 - z) * n + z * h
    return h_new, GRUTrace(r=r, z=z, n=n, h=h_new)
