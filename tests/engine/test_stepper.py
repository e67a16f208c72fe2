"""The stepper: frames read the same numbers as running the window, in the contract's order."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import reference as ref

import engine
from engine import Lab, LabConfig, ModelConfig, TrainSpec

TOL = 1e-5
TRACE_FIELDS = {
    "rnn": {"a", "h"},
    "lstm": {"i", "f", "g", "o", "c", "h"},
    "gru": {"r", "z", "n", "h"},
}


def small_config(cell: str, **kw) -> LabConfig:
    model = ModelConfig(cell=cell, layers=2, hidden=4, activation=kw.pop("activation", "tanh"))
    return LabConfig(
        model=model, train=TrainSpec(window=5, sequences=10, batch_size=5), continuation=8, **kw
    )


CONFIGS = {
    "rnn": small_config("rnn"),
    "rnn-relu": small_config("rnn", activation="relu"),
    "lstm": small_config("lstm"),
    "gru": small_config("gru", noise=0.1),
    "default": LabConfig(),
}
SMALL = ("rnn", "rnn-relu", "lstm", "gru")


def walk(lab: Lab) -> list[dict]:
    """Every frame of the forward pass, one compute step at a time, then the validate frame."""
    return [lab.frame()] + [lab.advance("compute") for _ in range(lab.forward_positions)]


def manual_values(lab: Lab) -> tuple[dict, dict]:
    """Call the engine's cells by hand per time step and layer; also the float64 reference.

    Returns ({(t, layer): values}, {(t, layer): values}) plus predictions under key ("y", t).
    """
    model = lab.config.model
    H, L, T = model.hidden, model.layers, lab.config.train.window
    xs = lab.trace.xs
    zeros = np.zeros(H, np.float32)
    carries = [engine.LSTMState(h=zeros, c=zeros) if model.cell == "lstm" else zeros] * L
    engine_vals: dict = {}
    for t in range(T):
        inp = xs[t]
        for l in range(L):
            p, carry = lab.params.layers[l], carries[l]
            vals = {"x": inp}
            if model.cell == "lstm":
                vals |= {"h_prev": carry.h, "c_prev": carry.c}
                carry, trace = engine.lstm_cell(p, carry, inp)
            elif model.cell == "gru":
                vals["h_prev"] = carry
                carry, trace = engine.gru_cell(p, carry, inp)
            else:
                vals["h_prev"] = carry
                carry, trace = engine.rnn_cell(p, carry, inp, model.activation)
            carries[l] = carry
            vals |= trace._asdict()
            engine_vals[t, l] = vals
            inp = trace.h
        engine_vals["y", t] = lab.params.W_y @ inp + lab.params.b_y

    ref_ys, ref_traces = ref.run_stack(
        model.cell,
        [ref.f64(p) for p in lab.params.layers],
        np.asarray(lab.params.W_y, np.float64),
        np.asarray(lab.params.b_y, np.float64),
        xs,
        model.activation,
    )
    ref_vals: dict = {}
    for t in range(T):
        for l in range(L):
            tr = ref_traces[l]
            vals = {"x": xs[t] if l == 0 else ref_traces[l - 1]["h"][t]}
            vals["h_prev"] = tr["h"][t - 1] if t else np.zeros(H)
            if model.cell == "lstm":
                vals["c_prev"] = tr["c"][t - 1] if t else np.zeros(H)
            ref_vals[t, l] = vals | {k: v[t] for k, v in tr.items()}
        ref_vals["y", t] = ref_ys[t]
    return engine_vals, ref_vals


def assert_wire(obj) -> None:
    """Plain JSON data whose every number is a finite float (or an int counter) or None."""
    if isinstance(obj, dict):
        assert all(isinstance(k, str) for k in obj)
        for v in obj.values():
            assert_wire(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_wire(v)
    elif isinstance(obj, float):
        assert type(obj) is float and math.isfinite(obj)
    else:
        assert obj is None or type(obj) in (str, bool, int), repr(obj)


def close(got: list, expected) -> bool:
    expected = np.asarray(expected, np.float64).ravel()
    return len(got) == expected.size and np.max(np.abs(np.asarray(got) - expected)) <= TOL


@pytest.mark.parametrize("name", [*SMALL, "default"])
def test_compute_steps_give_the_numbers_of_the_run(name):
    lab = Lab(CONFIGS[name])
    model, T = lab.config.model, lab.config.train.window
    steps = lab.steps
    engine_vals, ref_vals = manual_values(lab)
    frames = walk(lab)
    forward = [f for f in frames if f["phase"] == "forward"]
    # time-major order: t, then layer, then the cell's steps in lab.steps order
    order = [(t, l, s) for t in range(T) for l in range(model.layers) for s in range(len(steps))]
    assert [(f["t"], f["layer"], f["step_index"]) for f in forward] == order
    assert [f["position"] for f in frames] == list(range(lab.forward_positions + 1))
    assert frames[-1]["phase"] == "validate" and len(forward) == len(frames) - 1
    for f in forward:
        t, l, s = f["t"], f["layer"], f["step_index"]
        assert f["step"] == steps[s] and f["steps"] == list(steps)
        shown = {"x", "h_prev", *steps[1 : s + 1]} | ({"c_prev"} if model.cell == "lstm" else set())
        assert set(f["values"]) == shown
        for key, got in f["values"].items():
            assert close(got, engine_vals[t, l][key]), (t, l, key)
            assert close(got, ref_vals[t, l][key]), (t, l, key)
        assert abs(f["prediction"] - float(engine_vals["y", t][0])) <= TOL
        assert abs(f["prediction"] - ref_vals["y", t][0]) <= TOL


@pytest.mark.parametrize("cell", ("rnn", "lstm", "gru"))
def test_steps_are_input_then_trace_fields_ending_in_output(cell):
    lab = Lab(CONFIGS[cell])
    steps = lab.steps
    assert steps == lab.config.model.steps
    assert steps[0] == "x" and steps[-1] == "h"
    assert set(steps[1:]) == TRACE_FIELDS[cell] and len(steps) == len(set(steps))
    if cell == "lstm":  # gates, then the cell update, then the output
        assert steps.index("c") == len(steps) - 2


@pytest.mark.parametrize("name", ("lstm", "gru"))
def test_timestep_lands_on_last_layer_last_step_then_validate_then_backward(name):
    lab = Lab(CONFIGS[name])
    T, L, last = lab.config.train.window, lab.config.model.layers, lab.steps[-1]
    frames = [lab.advance("timestep") for _ in range(T + 2)]
    for t, f in enumerate(frames[:T]):
        assert (f["phase"], f["t"], f["layer"], f["step"]) == ("forward", t, L - 1, last)
    assert frames[T]["phase"] == "validate"
    back = frames[T + 1]  # backward runs t = T−1…0 and layer L…1: a time step ends at layer 1
    assert (back["phase"], back["t"], back["layer"]) == ("backward", T - 1, 0)
    assert back["step"] == lab.backward_steps[-1]


def test_timestep_from_mid_cell_finishes_that_timestep():
    lab = Lab(CONFIGS["lstm"])
    for _ in range(3):
        lab.advance("compute")
    f = lab.advance("timestep")
    assert (f["t"], f["layer"], f["step"]) == (0, lab.config.model.layers - 1, lab.steps[-1])


def test_an_epoch_ends_on_the_validated_window():
    """After training, the new weights' window is computed and checked: the cursor is at
    validate (what the sequence plot shows is then true), and stepping goes backward."""
    lab = Lab(CONFIGS["gru"])
    for _ in range(4):
        lab.advance("compute")
    for epoch in (1, 2):
        f = lab.advance("epoch")
        assert lab.epoch == f["epoch"] == epoch
        assert lab.position == f["position"] == lab.phase_start("validate")
        assert (f["phase"], f["t"], f["layer"]) == ("validate", None, None)
        assert len(f["error"]) == lab.config.train.window
        assert isinstance(f["loss"], float)
    assert lab.advance("compute")["phase"] == "backward"


@pytest.mark.parametrize("name", SMALL)
def test_every_frame_is_finite_json(name):
    lab = Lab(CONFIGS[name])
    lab.train(2)
    frames = walk(lab) + [lab.advance("timestep"), lab.advance("epoch")]
    for f in frames:
        assert_wire(f)
        json.dumps(f, allow_nan=False)
    assert_wire(lab.sequence())
    json.dumps(lab.sequence(), allow_nan=False)


def test_reset_returns_to_identical_numbers():
    config = CONFIGS["lstm"]
    lab = Lab(config)
    first = walk(lab)
    lab.train(3)
    assert walk(lab) != first  # training changed the numbers
    lab.reset()
    assert lab.epoch == 0 and lab.position == 0
    assert walk(lab) == first
    assert walk(Lab(config)) == first  # same seed, same frames


def test_different_seed_gives_different_numbers():
    a = Lab(CONFIGS["gru"])
    b = Lab(
        LabConfig(model=a.config.model, train=a.config.train, continuation=8, noise=0.1, seed=1)
    )
    assert walk(a) != walk(b)


@pytest.mark.parametrize("name", ("lstm", "rnn"))
def test_validate_error_is_prediction_minus_target(name):
    lab = Lab(CONFIGS[name])
    lab.train(1)
    lab.jump("forward")
    frames = walk(lab)
    validate = frames[-1]
    T = lab.config.train.window
    data_fn = np.sin  # sine dataset: target_t = sin(x_{t+1}), x_t = start + t·dx
    dx = 0.2
    targets = data_fn(lab.config.start + dx * np.arange(1, T + 1))
    preds = {f["t"]: f["prediction"] for f in frames if f["phase"] == "forward"}
    frame_targets = {f["t"]: f["target"] for f in frames if f["phase"] == "forward"}
    assert len(validate["error"]) == T
    for t in range(T):
        assert abs(frame_targets[t] - targets[t]) <= TOL
        assert abs(validate["error"][t] - (preds[t] - frame_targets[t])) <= TOL
    assert abs(validate["mse"] - np.mean(np.square(validate["error"]))) <= TOL


def test_advance_rejects_unknown_granularity():
    lab = Lab(CONFIGS["rnn"])
    with pytest.raises(ValueError):
        lab.advance("backward-ish")
