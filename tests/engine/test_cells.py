"""Cells and the stacked model against the float64 NumPy reference (tests/engine/reference.py)."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference as ref

import engine
from engine import cells
from engine.model import ModelConfig, init_params, run

TOL = 1e-5
HIDDEN = (1, 4, 16)
INPUTS = (1, 3)
SEEDS = (0, 1, 2)
CELLS = ("rnn-tanh", "rnn-relu", "rnn-sigmoid", "lstm", "gru")


def _arr(rng: np.random.Generator, *shape: int, scale: float = 0.5) -> jax.Array:
    return jnp.asarray(rng.normal(0.0, scale, shape).astype(np.float32))


def make_cell(kind: str, H: int, D: int, seed: int):
    """(cell function, params, carry, x) with random weights, state and input."""
    rng = np.random.default_rng(seed)
    x, h = _arr(rng, D, scale=1.0), _arr(rng, H, scale=1.0)
    if kind.startswith("rnn"):
        params = engine.RNNParams(W_x=_arr(rng, H, D), W_h=_arr(rng, H, H), b=_arr(rng, H))
        return partial(engine.rnn_cell, activation=kind.split("-")[1]), params, h, x
    if kind == "lstm":
        R = 4 * H
        params = engine.LSTMParams(W_x=_arr(rng, R, D), W_h=_arr(rng, R, H), b=_arr(rng, R))
        return engine.lstm_cell, params, engine.LSTMState(h=h, c=_arr(rng, H, scale=1.0)), x
    R = 3 * H
    params = engine.GRUParams(
        W_x=_arr(rng, R, D), W_h=_arr(rng, R, H), b_x=_arr(rng, R), b_h=_arr(rng, R)
    )
    return engine.gru_cell, params, h, x


def reference_step(kind: str, params, carry, x) -> dict:
    p, x = ref.f64(params), np.asarray(x, np.float64)
    if kind.startswith("rnn"):
        return ref.rnn_step(p, np.asarray(carry, np.float64), x, kind.split("-")[1])
    if kind == "lstm":
        h, c = (np.asarray(v, np.float64) for v in (carry.h, carry.c))
        return ref.lstm_step(p, h, c, x)
    return ref.gru_step(p, np.asarray(carry, np.float64), x)


def max_err(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


# -- the contract's names ---------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, fields",
    [
        ("RNNParams", ("W_x", "W_h", "b")),
        ("LSTMParams", ("W_x", "W_h", "b")),
        ("LSTMState", ("h", "c")),
        ("GRUParams", ("W_x", "W_h", "b_x", "b_h")),
        ("RNNTrace", ("a", "h")),
        ("LSTMTrace", ("i", "f", "g", "o", "c", "h")),
        ("GRUTrace", ("r", "z", "n", "h")),
    ],
)
def test_namedtuple_fields_are_the_contract(cls, fields):
    t = getattr(cells, cls)
    assert issubclass(t, tuple)
    assert t._fields == fields
    assert getattr(engine, cls) is t
    assert cls in engine.__all__


def test_engine_reexports_cells():
    for name in ("rnn_cell", "lstm_cell", "gru_cell"):
        assert getattr(engine, name) is getattr(cells, name)


# -- one cell step -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("D", INPUTS)
@pytest.mark.parametrize("H", HIDDEN)
@pytest.mark.parametrize("kind", CELLS)
def test_cell_matches_reference(kind, H, D, seed):
    fn, params, carry, x = make_cell(kind, H, D, seed)
    new_carry, trace = fn(params, carry, x)
    expected = reference_step(kind, params, carry, x)
    trace_type = {"rnn": engine.RNNTrace, "lstm": engine.LSTMTrace, "gru": engine.GRUTrace}
    assert isinstance(trace, trace_type[kind.split("-")[0]])
    assert set(trace._fields) == set(expected)
    for name in trace._fields:
        value = getattr(trace, name)
        assert value.shape == (H,), name
        assert max_err(value, expected[name]) <= TOL, name
    if kind == "lstm":
        assert isinstance(new_carry, engine.LSTMState)
        assert max_err(new_carry.h, expected["h"]) <= TOL
        assert max_err(new_carry.c, expected["c"]) <= TOL
    else:
        assert max_err(new_carry, expected["h"]) <= TOL


@pytest.mark.parametrize("kind", CELLS)
def test_cell_vmap_equals_per_example(kind):
    B, H, D = 5, 4, 3
    fn, params, _, _ = make_cell(kind, H, D, seed=7)
    rng = np.random.default_rng(8)
    xs = _arr(rng, B, D, scale=1.0)
    hs = _arr(rng, B, H, scale=1.0)
    carries = engine.LSTMState(h=hs, c=_arr(rng, B, H, scale=1.0)) if kind == "lstm" else hs
    batch_carry, batch_trace = jax.vmap(fn, in_axes=(None, 0, 0))(params, carries, xs)
    for n in range(B):
        carry_n = jax.tree_util.tree_map(lambda a, n=n: a[n], carries)
        one_carry, one_trace = fn(params, carry_n, xs[n])
        expected = jax.tree_util.tree_leaves((one_carry, one_trace))
        got = jax.tree_util.tree_leaves((batch_carry, batch_trace))
        assert len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert max_err(g[n], e) <= 1e-6


# -- the stacked model -------------------------------------------------------------------


_run = jax.jit(run, static_argnums=0)


@pytest.mark.parametrize("layers", (1, 2, 3))
@pytest.mark.parametrize("kind", ("rnn", "lstm", "gru"))
def test_model_run_matches_stacked_reference(kind, layers):
    T, D, O = 6, 2, 2
    config = ModelConfig(cell=kind, layers=layers, hidden=4, input_size=D, output_size=O)
    params = init_params(config, key=layers)
    xs = np.random.default_rng(layers).normal(size=(T, D)).astype(np.float32)
    ys, traces, carries = _run(config, params, jnp.asarray(xs))
    ref_ys, ref_traces = ref.run_stack(
        kind,
        [ref.f64(p) for p in params.layers],
        np.asarray(params.W_y, np.float64),
        np.asarray(params.b_y, np.float64),
        xs,
        config.activation,
    )
    assert ys.shape == (T, O)
    assert max_err(ys, ref_ys) <= TOL
    assert len(traces) == layers
    for trace, expected in zip(traces, ref_traces, strict=True):
        assert set(trace._fields) == set(expected)
        for name in trace._fields:
            assert getattr(trace, name).shape == (T, 4)
            assert max_err(getattr(trace, name), expected[name]) <= TOL, name
    for carry, expected in zip(carries, ref_traces, strict=True):
        if kind == "lstm":
            assert max_err(carry.h, expected["h"][-1]) <= TOL
            assert max_err(carry.c, expected["c"][-1]) <= TOL
        else:
            assert max_err(carry, expected["h"][-1]) <= TOL


@pytest.mark.parametrize("activation", ("relu", "sigmoid"))
def test_model_run_uses_rnn_activation(activation):
    config = ModelConfig(
        cell="rnn", layers=2, hidden=4, input_size=2, output_size=2, activation=activation
    )
    params = init_params(config, key=3)
    xs = np.random.default_rng(3).normal(size=(6, 2)).astype(np.float32)
    ys, _, _ = _run(config, params, jnp.asarray(xs))
    ref_ys, _ = ref.run_stack(
        "rnn",
        [ref.f64(p) for p in params.layers],
        np.asarray(params.W_y, np.float64),
        np.asarray(params.b_y, np.float64),
        xs,
        activation,
    )
    assert max_err(ys, ref_ys) <= TOL


@pytest.mark.parametrize(
    "kwargs",
    [{"layers": 0}, {"layers": 8}, {"hidden": 3}, {"cell": "transformer"}, {"activation": "gelu"}],
)
def test_model_config_rejects_invalid(kwargs):
    with pytest.raises(ValueError):
        ModelConfig(**kwargs)


@pytest.mark.parametrize("kwargs", [{"layers": 1}, {"layers": 7}, {"hidden": 1}, {"hidden": 64}])
def test_model_config_accepts_bounds(kwargs):
    ModelConfig(**kwargs)
