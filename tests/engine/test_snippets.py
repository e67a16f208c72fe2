"""The code panel's lines (engine.snippets) run: JAX and NumPy, through a whole window
of RNN (tanh, relu), LSTM and GRU labs of two layers, forward then backward, in the
stepper's order, and every variable the panel shows beside a line equals the engine's
number there: the trace's gates and states, the arithmetic's pre-activations, the
prediction, the window's loss, each gradient of ``gate_gradients``; at the end the
summed dW_x, dW_h, db are the engine's ∂L/∂W.

Tolerance: relative 1e-4 plus 1e-6 absolute (float32 runs against float32 engine)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.backward import gate_gradients
from engine.frames import validate_frame
from engine.snippets import (
    BACKWARD_LOOP,
    FLAVOURS,
    SETUP,
    VALIDATE,
    WEIGHTS,
    Line,
    backward_lines,
    forward_lines,
    spell,
)

T, L, H = 5, 2, 4


def lab_of(cell: str, activation: str = "tanh", **kw: Any) -> Lab:
    model = ModelConfig(cell=cell, layers=L, hidden=H, activation=activation)
    train = TrainSpec(window=T, sequences=10, batch_size=5)
    return Lab(LabConfig(model=model, train=train, continuation=8, **kw))


LABS = {
    "rnn": lambda: lab_of("rnn"),
    "rnn-relu": lambda: lab_of("rnn", "relu", seed=3),
    "rnn-sigmoid": lambda: lab_of("rnn", "sigmoid", seed=4),
    "lstm": lambda: lab_of("lstm", seed=1, noise=0.1),
    "gru": lambda: lab_of("gru", seed=2, noise=0.1, start=1.3),
}


@pytest.fixture(scope="module", params=list(LABS))
def lab(request: pytest.FixtureRequest) -> Lab:
    return LABS[request.param]()


def close(got: Any, expected: Any, what: str) -> None:
    got = np.asarray(got, np.float64)
    expected = np.asarray(expected, np.float64)
    assert got.shape == expected.shape, what
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6, err_msg=what)


class Program:
    """The panel's lines run one after another in one namespace, as a learner would
    type them into a notebook."""

    def __init__(self, lab: Lab, flavour: str) -> None:
        self.flavour = flavour
        self.activation = lab.config.model.activation
        params = lab.host_params
        as_array = jnp.asarray if flavour == "jax" else np.asarray
        self.scope: dict[str, Any] = {
            "np": np,
            "jnp": jnp,
            "jax": jax,
            "layers": [jax.tree_util.tree_map(as_array, p) for p in params.layers],
            "W_y": as_array(params.W_y),
            "b_y": as_array(params.b_y),
            "xs": as_array(lab.trace.xs),
            "y": as_array(lab.targets()[:T]),
        }
        self.lines_run = 0
        for code in SETUP[lab.config.model.cell]:
            self.run(Line(code))

    def run(self, line: Line) -> None:
        exec(spell(line.code, self.flavour, self.activation), self.scope)  # noqa: S102
        self.lines_run += 1

    def __getitem__(self, name: str) -> Any:
        return eval(name, self.scope)  # noqa: S307 (a name, or y_hat[t])


def expected_forward(lab: Lab, t: int, layer: int, unit_terms: list[dict]) -> dict[str, Any]:
    """What the engine has for every variable a forward line can show."""
    trace = lab.trace.traces[layer]
    values = lab.cell_values(t, layer, len(lab.steps) - 1)
    out: dict[str, Any] = {name: getattr(trace, name)[t] for name in trace._fields}
    out |= {name: values[name] for name in ("x", "h_prev", "c_prev") if name in values}
    for name in unit_terms[0]:
        if "pre" in unit_terms[0][name]:
            out[f"pre_{name}"] = [terms[name]["pre"] for terms in unit_terms]
    out["y_hat[t]"] = lab.trace.ys[t, 0]
    return out


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_lines_run_and_give_the_engines_numbers(lab: Lab, flavour: str) -> None:
    program = Program(lab, flavour)
    cell, steps = lab.config.model.cell, lab.steps
    shown = 0
    for t in range(T):
        for layer in range(L):
            program.scope |= {"t": t, "l": layer}
            terms = [lab.cell_terms(t, layer, len(steps) - 1, k) for k in range(H)]
            expected = expected_forward(lab, t, layer, terms)
            for step in steps:
                for line in forward_lines(cell, step, top=layer == L - 1):
                    program.run(line)
                    for name in line.shows:
                        close(program[name], expected[name], f"{name} at t={t}, layer={layer}")
                        shown += 1
    for line in VALIDATE:
        program.run(line)
    close(program["L"], validate_frame(lab)["mse"], "the loss")
    grads = lab.gradients()
    for t in reversed(range(T)):
        for layer in reversed(range(L)):
            program.scope |= {"t": t, "l": layer}
            params, trace = lab.host_params.layers[layer], lab.trace.traces[layer]
            expected = gate_gradients(lab.config.model, params, trace, grads, layer, t)
            if cell == "gru":
                h_prev = trace.h[t - 1] if t else np.zeros(H, np.float32)
                expected["hn"] = params.W_h[2 * H :] @ h_prev + params.b_h[2 * H :]
            for step in lab.backward_steps:
                for line in backward_lines(cell, step, top=layer == L - 1):
                    program.run(line)
                    for name in line.shows:
                        close(program[name], expected[name], f"{name} at t={t}, layer={layer}")
                        shown += 1
    for layer in range(L):
        for w in WEIGHTS[cell]:
            engine = getattr(grads.grads.layers[layer], w)
            close(program[f"d{w}"][layer], engine, f"d{w} of layer {layer}")
    assert shown >= T * L * (len(steps) + len(lab.backward_steps)) - 1
    assert BACKWARD_LOOP  # the loops the panel writes around these lines


def test_each_flavour_spells_its_own_library() -> None:
    line = "f = sigmoid(pre_f); h = o * np.tanh(c)"
    assert spell(line, "jax") == "f = jax.nn.sigmoid(pre_f); h = o * jnp.tanh(c)"
    assert spell(line, "numpy") == "f = 1 / (1 + np.exp(-pre_f)); h = o * np.tanh(c)"
    assert spell("h = ACT(a)", "jax", "relu") == "h = jax.nn.relu(a)"
    assert spell("h = ACT(a)", "numpy", "relu") == "h = np.maximum(a, 0)"
    with pytest.raises(ValueError, match="flavour"):
        spell(line, "torch")
