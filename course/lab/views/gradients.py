"""Gradient through time: the norm of ∂L/∂h_t per layer and time step, log scale.

Solid lines are the stepper's backward pass, ``Lab.gradients().dh``: each h_t
collects the gradient of its own error and of every later error it influenced.
Dashed lines keep only what the *last* prediction's error sends back, which is
where vanishing shows: each step back multiplies it by the recurrent Jacobian.
They come from the same engine backward pass run against targets that equal the
predictions everywhere but at the last step, so every other error is exactly 0.

The lines appear in the backward phase (which is when they are computed); the
time steps the backward pass has not reached yet lie under the fog.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, DataRange1d, FixedTicker, Range1d

from course.figures.base import add_key, plain_figure
from course.figures.palette import GREY, LAYERS, ORANGE
from course.lab.views.cursor import Cursor, positive
from course.lab.views.logaxis import log_axis, tick_data
from course.lab.views.unrolled import FOG, FOG_ALPHA
from engine import Lab, LabConfig
from engine.backward import window_gradients

QUAD = ("left", "right", "bottom", "top")
# The fog and the cursor band span any plausible gradient; they do not set the range.
LOW, HIGH = 1e-30, 1e30
HINT = "Computed in the backward pass:\nstep to it, or choose phase → backward"


def gradient_figure(config: LabConfig) -> Any:
    T, L = config.train.window, config.model.layers
    p = plain_figure(
        "fig_gradients",
        x_range=Range1d(start=0.5, end=T + 0.5),
        height=300,
        y_axis_type="log",
        x_axis_label="time step t",
        y_axis_label="‖∂L/∂hₜ‖",
    )
    p.xaxis.ticker = FixedTicker(ticks=list(range(1, T + 1)))
    log_axis(p, "grad_ticks")  # powers of ten while the range spans two decades or more
    columns: dict[str, list[Any]] = {"t": [], **{f"h{layer + 1}": [] for layer in range(L)}}
    total = ColumnDataSource(name="grad_total", data=dict(columns))
    last = ColumnDataSource(name="grad_last", data=dict(columns))
    fog = ColumnDataSource(name="grad_fog", data={k: [] for k in QUAD})
    band = ColumnDataSource(name="grad_band", data={k: [] for k in QUAD})
    p.quad(*QUAD, source=band, fill_color=ORANGE, fill_alpha=0.18, line_color=None)
    ranged: list[Any] = []
    for layer in range(L):
        colour, y = LAYERS[layer % len(LAYERS)], f"h{layer + 1}"
        solid = p.line("t", y, source=total, line_color=colour, line_width=2.5)
        dots = p.scatter("t", y, source=total, size=5, fill_color=colour, line_color=colour)
        dashed = p.line("t", y, source=last, line_color=colour, line_width=2, line_dash="dashed")
        ranged += [solid, dashed, dots]
    layers = [(f"layer {layer + 1}", "line", LAYERS[layer % len(LAYERS)]) for layer in range(L)]
    add_key(p, [*layers, ("last error only", "dashed", GREY)])
    p.quad(*QUAD, source=fog, fill_color=FOG, fill_alpha=FOG_ALPHA, line_color=None)
    hint = ColumnDataSource(name="grad_hint", data=hint_data(False, T))
    ranged.append(
        p.text(
            "x",
            "y",
            text="text",
            source=hint,
            text_align="center",
            text_baseline="middle",
            text_color=GREY,
            text_font_size="13px",
        )
    )
    p.y_range = DataRange1d(renderers=ranged, range_padding=0.15)
    return p


def hint_data(shown: bool, T: int) -> dict[str, list[Any]]:
    if shown:
        return {"x": [], "y": [], "text": []}
    return {"x": [(T + 1) / 2], "y": [1.0], "text": [HINT]}


def last_error_dh(lab: Lab) -> np.ndarray:
    """∂(ê²_{T−1}/T)/∂h_t: the part of ∂L/∂h_t that the last prediction's error sends. (L, T, H)"""
    T = lab.config.train.window
    targets = np.array(lab.trace.ys[:, 0], np.float32)  # zero error at every step…
    targets[T - 1] = lab.targets()[T - 1]  # …but the last
    return window_gradients(lab.config.model, lab.params, lab.trace.xs, targets).dh


def line_data(dh: np.ndarray) -> dict[str, list[Any]]:
    """Columns ``t`` (1-based) and ``h1 … hL``: the norm over units, per layer and step."""
    norms = np.linalg.norm(np.asarray(dh, np.float64), axis=2)  # (L, T)
    out: dict[str, list[Any]] = {"t": list(range(1, norms.shape[1] + 1))}
    for layer, row in enumerate(norms):
        out[f"h{layer + 1}"] = positive(row)
    return out


def ticks_of(*lines: dict[str, list[Any]]) -> dict[str, list[float]]:
    """The y ticks for the lines drawn (powers of ten wherever two fit in their range)."""
    values = [v for line in lines for name, col in line.items() if name != "t" for v in col]
    return tick_data(values, least=2)


def empty_lines(config: LabConfig) -> dict[str, list[Any]]:
    return {"t": [], **{f"h{layer + 1}": [] for layer in range(config.model.layers)}}


def fog_data(config: LabConfig, cursor: Cursor) -> dict[str, list[float]]:
    """In the backward pass, the time steps it has not reached yet (t' < t)."""
    if cursor.phase != "backward" or cursor.t is None or cursor.t == 0:
        return {k: [] for k in QUAD}
    return {"left": [0.5], "right": [cursor.t + 0.5], "bottom": [LOW], "top": [HIGH]}


def band_data(cursor: Cursor) -> dict[str, list[float]]:
    """The time step the backward pass is at."""
    if cursor.phase != "backward" or cursor.t is None:
        return {k: [] for k in QUAD}
    x = cursor.t + 1
    return {"left": [x - 0.5], "right": [x + 0.5], "bottom": [LOW], "top": [HIGH]}
