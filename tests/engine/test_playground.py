"""Module 1's hand-tuned one-unit RNN: sequences, scaling, stepping, and rnn_cell agreement."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine.playground import (
    MAX_LENGTH,
    SEQUENCES,
    Playground,
    PlaygroundConfig,
    make_sequence,
    simulate,
)

ACTIVATIONS = ("tanh", "relu", "sigmoid")
S3 = math.sqrt(3) / 2


# -- sequences and their scaling -----------------------------------------------------------


@pytest.mark.parametrize(
    "name, first",
    [
        ("fibonacci", [1, 1, 2, 3, 5, 8, 13, 21, 34, 55]),
        ("linear", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
        ("alternating", [1, -1, 1, -1, 1, -1, 1, -1, 1, -1]),
        ("exponential", [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]),
        # sin(t·π/6), t = 1…: every 30°, exact zeros at t = 6 and 12
        ("sine", [0.5, S3, 1, S3, 0.5, 0, -0.5, -S3, -1, -S3, -0.5, 0, 0.5]),
    ],
)
def test_sequences_start_with_their_textbook_values(name, first):
    seq = make_sequence(name, MAX_LENGTH)
    assert list(seq.raw[: len(first)]) == first
    assert len(seq.raw) == len(seq.x) == MAX_LENGTH


def test_sine_is_sin_of_t_pi_over_6():
    t = np.arange(1, MAX_LENGTH + 1)
    assert np.allclose(make_sequence("sine", MAX_LENGTH).raw, np.sin(t * np.pi / 6), atol=1e-14)


def test_fibonacci_of_length_30_is_scaled_by_its_largest_value():
    seq = make_sequence("fibonacci", 30)
    assert seq.raw[-1] == 832_040
    assert seq.scale == 832_040
    assert seq.x[-1] == 1.0 and seq.x[0] == pytest.approx(1 / 832_040)
    assert "832\u00a0040" in seq.description and "[0, 1]" in seq.description


@pytest.mark.parametrize("name", SEQUENCES)
@pytest.mark.parametrize("length", [2, 7, MAX_LENGTH])
def test_inputs_lie_in_the_stated_range_with_the_stated_factor(name, length):
    seq = make_sequence(name, length)
    lo, hi = seq.input_range
    assert all(lo <= x <= hi for x in seq.x)
    assert np.allclose(np.asarray(seq.x) * seq.scale, seq.raw, rtol=1e-15)
    if name in ("fibonacci", "linear", "exponential"):
        assert (lo, hi) == (0.0, 1.0) and seq.scale == max(seq.raw) and max(seq.x) == 1.0
    else:
        assert (lo, hi) == (-1.0, 1.0) and seq.scale == 1.0
    assert f"[{lo:g}, {hi:g}]".replace("-", "−") in seq.description


def test_unscaled_inputs_are_the_raw_numbers():
    seq = make_sequence("exponential", 30, scaled=False)
    assert seq.x == seq.raw and seq.scale == 1.0 and seq.input_range == (0.0, 2.0**29)


# -- stepping ----------------------------------------------------------------------------


def test_each_step_reveals_one_time_step_with_the_equation():
    cfg = PlaygroundConfig(w_x=2.0, w_h=-0.5, b=0.25, activation="tanh", sequence="linear")
    pg = Playground(cfg)
    start = pg.frame()
    assert start["t"] == 0 and start["h"] == 0.0 and start["a"] is None
    h_prev = 0.0
    for t in range(1, cfg.length + 1):
        f = pg.step()
        x = t / cfg.length
        assert f["t"] == t and f["x"] == pytest.approx(x) and f["h_prev"] == h_prev
        assert f["a"] == pytest.approx(2.0 * x - 0.5 * h_prev + 0.25, abs=1e-15)
        assert f["h"] == pytest.approx(math.tanh(f["a"]), abs=1e-15)
        assert f["history"]["t"] == list(range(1, t + 1))
        h_prev = f["h"]
    assert f["done"]
    assert pg.step() == f  # a further click stays on the last step


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("sequence", SEQUENCES)
def test_stepping_equals_running(activation, sequence):
    cfg = PlaygroundConfig(w_x=1.5, w_h=0.9, b=-0.2, activation=activation, sequence=sequence)
    stepped = Playground(cfg)
    frames = [stepped.step() for _ in range(cfg.length)]
    whole = Playground(cfg).run()
    assert frames[-1] == whole
    for f in frames:
        i = f["t"] - 1
        for key in ("raw", "x", "h_prev", "a", "h"):
            assert f[key] == whole["history"][key][i]


def test_reset_and_reconfigure_start_over_from_h0():
    pg = Playground(PlaygroundConfig(h0=0.5))
    pg.run()
    pg.reset()
    assert pg.frame()["t"] == 0 and pg.step()["h_prev"] == 0.5
    pg.configure(h0=-0.5, sequence="sine")
    assert pg.t == 0 and pg.step()["h_prev"] == -0.5 and pg.describe()["sequence"] == "sine"


def test_frames_are_plain_json():
    pg = Playground(PlaygroundConfig(sequence="exponential", length=30))
    frames = [pg.frame(), pg.step(), pg.run(), pg.describe()]
    assert json.loads(json.dumps(frames, allow_nan=False)) == frames


# -- the same equation as engine.cells.rnn_cell --------------------------------------------


@partial(jax.jit, static_argnames="activation")
def _cell_run(params: engine.RNNParams, h0: jax.Array, xs: jax.Array, activation: str):
    def step(h, x):
        return engine.rnn_cell(params, h, x, activation)

    return jax.lax.scan(step, h0, xs)[1]


def _params(cfg: PlaygroundConfig, dtype) -> engine.RNNParams:
    def m(v):
        return jnp.asarray(v, dtype)

    return engine.RNNParams(W_x=m([[cfg.w_x]]), W_h=m([[cfg.w_h]]), b=m([cfg.b]))


WEIGHTS = [(1.0, 0.5, 0.0, 0.0), (-3.0, 1.2, 0.7, 0.3), (4.5, -2.0, -1.0, -0.8), (0.3, 5, 5, 5)]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("w_x, w_h, b, h0", WEIGHTS)
def test_agrees_with_rnn_cell_in_float64(activation, w_x, w_h, b, h0):
    for sequence in SEQUENCES:
        cfg = PlaygroundConfig(w_x, w_h, b, activation, sequence, length=MAX_LENGTH, h0=h0)
        ours = simulate(cfg)
        with jax.enable_x64(True):
            xs = jnp.asarray(ours.x, jnp.float64)[:, None]
            h0_ = jnp.asarray([h0], jnp.float64)
            theirs = jax.device_get(_cell_run(_params(cfg, jnp.float64), h0_, xs, activation))
        scale = np.maximum(1.0, np.abs(ours.h))  # ReLU with w_h = 5 reaches 1e20: relative there
        assert np.all(np.abs(theirs.a[:, 0] - ours.a) <= 1e-6 * scale)
        assert np.all(np.abs(theirs.h[:, 0] - ours.h) <= 1e-6 * scale)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_agrees_with_rnn_cell_step_by_step_in_float32(activation):
    """As the Lab runs it (float32), one step at a time from our h_{t−1}."""
    cfg = PlaygroundConfig(1.3, 0.8, -0.4, activation, "sine", length=MAX_LENGTH)
    ours = simulate(cfg)
    params = _params(cfg, jnp.float32)
    for t in range(cfg.length):
        h_prev = jnp.asarray([ours.h_prev[t]], jnp.float32)
        h, trace = engine.rnn_cell(
            params, h_prev, jnp.asarray([ours.x[t]], jnp.float32), activation
        )
        assert abs(float(trace.a[0]) - ours.a[t]) <= 1e-6
        assert abs(float(h[0]) - ours.h[t]) <= 1e-6


# -- what a learner sees --------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("h0", [-2.0, 0.0, 3.0])
def test_without_recurrence_the_state_forgets_the_past(activation, h0):
    """w_h = 0: h_t depends on x_t only, so equal inputs give equal states whatever came before."""
    cfg = PlaygroundConfig(w_x=1.7, w_h=0.0, b=0.3, activation=activation, sequence="alternating")
    run = Playground(cfg).run()["history"]
    baseline = Playground(replace(cfg, h0=h0)).run()["history"]
    assert run["h"] == baseline["h"]
    odd, even = run["h"][0::2], run["h"][1::2]
    assert len(set(odd)) == 1 and len(set(even)) == 1 and odd[0] != even[0]


def test_recurrence_makes_the_state_depend_on_the_past():
    """The contrast: with w_h ≠ 0 the same input x_t = 1 gives different states."""
    cfg = PlaygroundConfig(w_x=1.0, w_h=0.8, b=0.0, sequence="alternating")
    odd = Playground(cfg).run()["history"]["h"][0::2]
    assert len(set(odd)) > 1


def test_tanh_with_full_recurrence_stays_bounded_on_alternating():
    cfg = PlaygroundConfig(w_x=1.0, w_h=1.0, b=0.0, activation="tanh", sequence="alternating")
    h = Playground(replace(cfg, length=MAX_LENGTH)).run()["history"]["h"]
    assert all(-1.0 < v < 1.0 for v in h)
    assert max(abs(v) for v in h) < 0.8  # settles into a ±cycle, never near saturation
    assert all(a * b < 0 for a, b in zip(h, h[1:], strict=False))  # follows the input's sign


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"w_x": 5.01}, "w_x must be a number between -5 and 5"),
        ({"w_h": -6}, "w_h must be"),
        ({"b": float("nan")}, "b must be"),
        ({"h0": float("inf")}, "h0 must be"),
        ({"w_x": "1"}, "w_x must be a number"),
        ({"w_h": True}, "w_h must be a number"),
        ({"sequence": "primes"}, "sequence must be one of"),
        ({"activation": "softmax"}, "activation must be one of"),
        ({"length": 1}, "length must be a whole number from 2 to 30"),
        ({"length": 31}, "length must be"),
        ({"length": 10.0}, "length must be"),
        ({"scaled": "yes"}, "scaled must be"),
    ],
)
def test_bad_settings_raise_clear_errors(changes, message):
    with pytest.raises(ValueError, match=message):
        PlaygroundConfig(**changes)


def test_make_sequence_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="sequence must be one of"):
        make_sequence("primes", 10)


# -- properties -----------------------------------------------------------------------------

weights = st.floats(-5.0, 5.0, allow_nan=False)
valid_configs = st.builds(
    PlaygroundConfig,
    w_x=weights,
    w_h=weights,
    b=weights,
    activation=st.sampled_from(ACTIVATIONS),
    sequence=st.sampled_from(SEQUENCES),
    length=st.integers(2, MAX_LENGTH),
    h0=weights,
    scaled=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(valid_configs)
def test_any_valid_config_runs_to_finite_numbers(cfg):
    pg = Playground(cfg)
    frames = [pg.step() for _ in range(cfg.length)]
    assert frames[-1] == Playground(cfg).run()
    history = frames[-1]["history"]
    for key in ("raw", "x", "h_prev", "a", "h"):
        assert len(history[key]) == cfg.length
        assert all(isinstance(v, float) and math.isfinite(v) for v in history[key])
    if cfg.activation == "tanh":
        assert all(-1.0 <= v <= 1.0 for v in history["h"])
    elif cfg.activation == "sigmoid":
        assert all(0.0 <= v <= 1.0 for v in history["h"])
    else:
        assert all(v >= 0.0 for v in history["h"])


out_of_range = st.one_of(
    st.floats(5.0, exclude_min=True), st.floats(max_value=-5.0, exclude_max=True), st.just(math.nan)
)
invalid_changes = st.one_of(
    st.builds(lambda k, v: {k: v}, st.sampled_from(["w_x", "w_h", "b", "h0"]), out_of_range),
    st.builds(lambda v: {"length": v}, st.integers().filter(lambda n: not 2 <= n <= MAX_LENGTH)),
    st.builds(lambda v: {"sequence": v}, st.text().filter(lambda s: s not in SEQUENCES)),
    st.builds(lambda v: {"activation": v}, st.text().filter(lambda s: s not in ACTIVATIONS)),
    st.builds(lambda v: {"w_x": v}, st.one_of(st.none(), st.text(), st.booleans())),
)


@settings(max_examples=300, deadline=None)
@given(valid_configs, invalid_changes)
def test_any_invalid_config_raises_value_error(cfg, changes):
    with pytest.raises(ValueError):
        replace(cfg, **changes)


@pytest.mark.parametrize("name", SEQUENCES)
def test_only_a_growing_sequence_is_scalable(name):
    """The playground's "scale inputs" switch is shown on only where it changes the
    inputs: a bounded sequence (sine, alternating) is fed as it is either way."""
    scaled, unscaled = make_sequence(name, 12, scaled=True), make_sequence(name, 12, scaled=False)
    assert scaled.scalable == PlaygroundConfig(sequence=name).scalable
    assert scaled.scalable == (scaled.x != unscaled.x)
