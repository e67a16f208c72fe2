"""Frames: what the views show of a lab at its cursor, as plain data.

The stepper (``engine.stepper.Lab``) owns the weights, the trace of the displayed
window and the cursor; the functions here only read them. Every number leaves as a
plain float, and a non-finite one as None (never NaN on the wire).

- forward: the quantities of cell (t, layer) revealed so far, with ŷ_t and y_t;
- validate: the error per point e_t = ŷ_t − y_t and mse = (1/T) Σ_t e_t²;
- backward: the gradients reaching each gate of cell (t, layer), and ‖∂L/∂h_t‖ per
  layer and time step;
- update: the weight change ΔW = W′ − W the optimiser would make, per layer, then
  for the readout (W_y, b_y).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from engine import arithmetic
from engine.backward import gate_gradients
from engine.data import FUNCTIONS, positions

Terms = dict[str, float | None]  # a quantity's terms; a non-finite one is None

if TYPE_CHECKING:
    from engine.lab_config import LabConfig
    from engine.model import ModelConfig, ModelParams
    from engine.stepper import Lab
    from engine.window import WindowTrace


class _Trace(Protocol):
    @property
    def xs(self) -> Any: ...  # (T, D) the data x_t fed to layer 1

    @property
    def traces(self) -> tuple[Any, ...]: ...  # per layer, each field (T, H)


class _Configured(Protocol):
    @property
    def model(self) -> ModelConfig: ...


class Traced(Protocol):
    """What a cell's values and arithmetic are read from: a function lab
    (``engine.stepper.Lab``) or a letter walk (``engine.letter.LetterWalk``) alike."""

    @property
    def steps(self) -> tuple[str, ...]: ...

    @property
    def trace(self) -> _Trace: ...

    @property
    def config(self) -> _Configured: ...

    @property
    def host_params(self) -> ModelParams: ...


def finite_list(values: Any) -> list[float | None]:
    """Plain floats; a non-finite entry becomes None (never NaN on the wire)."""
    array = np.asarray(values, np.float64).ravel()
    plain: list[float] = array.tolist()
    if np.isfinite(array).all():
        return plain  # type: ignore[return-value]  # list is invariant; no None here
    return [v if math.isfinite(v) else None for v in plain]


def finite_rows(values: Any) -> list[list[float | None]]:
    matrix = np.atleast_2d(np.asarray(values, np.float64))
    return [finite_list(row) for row in matrix]


def norm(values: Any) -> float | None:
    """‖v‖₂, or None if it is not finite."""
    n = float(np.linalg.norm(np.asarray(values, np.float64)))
    return n if math.isfinite(n) else None


def norms(vectors: Any) -> list[list[float | None]]:
    """‖v‖₂ of each vector along the last axis (rows of layers × time steps here), None
    where it is not finite."""
    return finite_rows(np.linalg.norm(np.asarray(vectors, np.float64), axis=-1))


def frame(lab: Lab) -> dict[str, Any]:
    """The frame at ``lab``'s cursor: where it is and the numbers computed so far there."""
    phase, t, layer, step = lab.locate(lab.position)
    base = {
        "epoch": lab.epoch,
        "updates": lab.updates,
        "phase": phase,
        "status": lab.status,
        "loss": lab.losses[-1] if lab.losses else None,
        "position": lab.position,
        "positions": lab.total_positions,
        "steps": list(lab.steps if phase == "forward" else lab.backward_steps),
        "t": t,
        "layer": layer,
        "step": None,
    }
    if phase == "forward":
        assert t is not None and layer is not None and step is not None
        return base | {
            "step": lab.steps[step],
            "step_index": step,
            "values": cell_values(lab, t, layer, step),
            "prediction": finite_list(lab.trace.ys[t])[0],
            "target": finite_list(lab.targets()[t : t + 1])[0],
        }
    if phase == "validate":
        return base | validate_frame(lab)
    if phase == "backward":
        assert t is not None and layer is not None and step is not None
        return base | backward_frame(lab, t, layer, step)
    assert layer is not None
    return base | update_frame(lab, layer)


def cell_values(lab: Traced, t: int, layer: int, upto: int) -> dict[str, list[float | None]]:
    """The quantities of cell (t, layer) revealed by compute steps 0…upto.

    Step "x" reveals the layer input x_t (the data for layer 0, h_t of the layer
    below otherwise) with the previous state h_{t-1} (and c_{t-1} for an LSTM);
    h_{−1} = c_{−1} = 0.
    """
    here = lab.trace.traces[layer]
    x = lab.trace.xs[t] if layer == 0 else lab.trace.traces[layer - 1].h[t]
    H = lab.config.model.hidden
    values = {"x": finite_list(x), "h_prev": finite_list(here.h[t - 1] if t else np.zeros(H))}
    if lab.config.model.cell == "lstm":
        values["c_prev"] = finite_list(here.c[t - 1] if t else np.zeros(H))
    for name in lab.steps[1 : upto + 1]:
        values[name] = finite_list(getattr(here, name)[t])
    return values


def _inputs(lab: Traced, t: int, layer: int) -> dict[str, np.ndarray]:
    """x_t, h_{t−1} (and c_{t−1}) of cell (t, layer), as the trace holds them."""
    here = lab.trace.traces[layer]
    H = lab.config.model.hidden
    zeros = np.zeros(H, np.float32)
    inputs = {
        "x": lab.trace.xs[t] if layer == 0 else lab.trace.traces[layer - 1].h[t],
        "h_prev": here.h[t - 1] if t else zeros,
    }
    if lab.config.model.cell == "lstm":
        inputs["c_prev"] = here.c[t - 1] if t else zeros
    return inputs


def cell_terms(lab: Traced, t: int, layer: int, upto: int, unit: int) -> dict[str, Terms]:
    """The arithmetic of ``unit`` in cell (t, layer) for the quantities compute steps
    1…upto revealed (``engine.arithmetic.forward_terms``); nothing for one not computed."""
    names = lab.steps[1 : upto + 1]
    here = lab.trace.traces[layer]
    values = {name: getattr(here, name)[t] for name in here._fields}
    cell = lab.config.model.cell
    terms = arithmetic.forward_terms(
        cell, lab.host_params.layers[layer], _inputs(lab, t, layer), values, names, unit
    )
    return {name: _finite_terms(v) for name, v in terms.items()}


def backward_terms(lab: Lab, t: int, layer: int, step: int, unit: int) -> dict[str, Terms]:
    """The factors of ``unit``'s gradients in cell (t, layer) revealed by backward
    steps 0…step (``engine.arithmetic.backward_terms``)."""
    model = lab.config.model
    grads = lab.gradients()
    layer_params, trace = lab.host_params.layers[layer], lab.trace.traces[layer]
    vectors = gate_gradients(model, layer_params, trace, grads, layer, t)
    terms = arithmetic.backward_terms(
        model.cell,
        model.activation,
        layer_params,
        _inputs(lab, t, layer),
        {name: getattr(trace, name)[t] for name in trace._fields},
        vectors,
        grads.dc_future[layer, t],
        lab.backward_steps[: step + 1],
        unit,
    )
    return {name: _finite_terms(v) for name, v in terms.items()}


def _finite_terms(terms: dict[str, float]) -> Terms:
    return {k: v if math.isfinite(v) else None for k, v in terms.items()}


def validate_frame(lab: Lab) -> dict[str, Any]:
    """The one-step predictions against the targets: e_t = ŷ_t − y_t, mse = mean e_t²."""
    error = lab.trace.ys[:, 0] - lab.targets()[: lab.config.train.window]
    mse = float(np.mean(np.asarray(error, np.float64) ** 2))
    return {"error": finite_list(error), "mse": mse if math.isfinite(mse) else None}


def backward_frame(lab: Lab, t: int, layer: int, step: int) -> dict[str, Any]:
    """The gradients at cell (t, layer) revealed by backward steps 0…step (∂L/∂h_t,
    then ∂L/∂c_t, then each gate's), with ‖∂L/∂h_t‖ for every layer and time step."""
    grads = lab.gradients()
    names = lab.backward_steps[: step + 1]
    values = gate_gradients(
        lab.config.model, lab.host_params.layers[layer], lab.trace.traces[layer], grads, layer, t
    )
    return {
        "step": lab.backward_steps[step],
        "step_index": step,
        "values": {name: finite_list(values[name]) for name in names},
        "grad_norms": norms(grads.dh),
        "window_loss": grads.loss if math.isfinite(grads.loss) else None,
    }


def update_frame(lab: Lab, layer: int) -> dict[str, Any]:
    """The change ΔW = W′ − W that stepping past ``update`` applies to ``layer``'s
    weights (layer L: the readout W_y, b_y), with ‖ΔW‖ per matrix."""
    new_params, _, skipped = lab.pending_update()
    if layer < lab.config.model.layers:
        old, new = lab.host_params.layers[layer], new_params.layers[layer]
        pairs = [(name, getattr(old, name), getattr(new, name)) for name in old._fields]
    else:
        pairs = [
            ("W_y", lab.host_params.W_y, new_params.W_y),
            ("b_y", lab.host_params.b_y, new_params.b_y),
        ]
    deltas = {name: np.asarray(b) - np.asarray(a) for name, a, b in pairs}
    return {
        "step": "readout" if layer == lab.config.model.layers else "update",
        "delta": {name: finite_rows(d) for name, d in deltas.items()},
        "delta_norms": {name: norm(d) for name, d in deltas.items()},
        "skipped": skipped,
        "learning_rate": lab.config.learning_rate,
    }


def sequence(config: LabConfig, trace: WindowTrace, targets: np.ndarray) -> dict[str, Any]:
    """Input, target and prediction on their x positions, for the sequence plot: the
    window's T inputs x_t, the T + C targets f(x_{t+1}), and the T one-step
    predictions followed by the C fed-back ones."""
    T, C = config.train.window, config.continuation
    if config.series is not None:  # its positions (or point numbers), continued
        xpos = config.series.axis_positions(T + C + 1)
    else:
        data = FUNCTIONS[config.train.dataset]
        xpos = np.asarray(positions(data, config.start, T + C + 1), np.float64)
    prediction = np.concatenate([trace.ys[:, 0], trace.continuation[:, 0]])
    return {
        "x_input": finite_list(xpos[:T]),
        "input": finite_list(trace.xs[:, 0]),
        "x_target": finite_list(xpos[1:]),
        "target": finite_list(targets),
        "prediction": finite_list(prediction),
        "window": [float(xpos[0]), float(xpos[T - 1])],
    }
