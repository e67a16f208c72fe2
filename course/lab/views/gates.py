"""Gates and states over time: for the layer the stepper is at, every gate (and h,
and c for an LSTM) as a heatmap of units × time steps, filling in as the forward
pass computes it. Colours are those of the cell heatmap: blue −1 … orange +1."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, FixedTicker, HoverTool, LinearColorMapper, Range1d

from course.figures.base import plain_figure
from course.figures.palette import DIVERGING, INK, ORANGE
from course.lab.steps import QUANTITIES
from course.lab.views.cursor import Cursor, finite
from course.lab.views.unrolled import FOG, FOG_ALPHA
from engine import LabConfig

# Top to bottom, gates in the engine's block order, then the states.
ROWS = {
    "lstm": ("i", "f", "g", "o", "c", "h"),
    "gru": ("r", "z", "n", "h"),
    "rnn": ("a", "h"),
}
# A row spans every time step: its symbol is the plain trace name, "c", not "cₜ".
NAMES = {name: f"{name} {QUANTITIES[name].name}" for rows in ROWS.values() for name in rows}
QUAD = ("left", "right", "bottom", "top")


def _gap(hidden: int) -> int:
    return max(1, math.ceil(hidden / 4))


def _base(cell: str, hidden: int, name: str) -> float:
    """y of unit 0 of quantity ``name``'s block."""
    rows = ROWS[cell]
    return float((len(rows) - 1 - rows.index(name)) * (hidden + _gap(hidden)))


def shown_layer(cursor: Cursor, layers: int) -> int:
    """The layer the stepper is at (the top layer between passes; the readout shows the top)."""
    if cursor.layer is None:
        return layers - 1
    return min(cursor.layer, layers - 1)


def gates_figure(config: LabConfig) -> Any:
    cell, H, T = config.model.cell, config.model.hidden, config.train.window
    rows = ROWS[cell]
    top = _base(cell, H, rows[0]) + H - 0.5
    p = plain_figure(
        "fig_gates",
        grid=False,
        outline=False,
        x_range=Range1d(start=0.5, end=T + 0.5),
        y_range=Range1d(start=-0.5, end=top + 2.5 + H * 0.25),  # room for the layer label
        frame_height=int(min(420, max(170, 18 * len(rows) + 3 * len(rows) * H))),
        x_axis_label="time step t",
    )
    p.xaxis.ticker = FixedTicker(ticks=list(range(1, T + 1)))
    centres = {_base(cell, H, name) + (H - 1) / 2: NAMES[name] for name in rows}
    p.yaxis.ticker = FixedTicker(ticks=sorted(centres))
    p.yaxis.major_label_overrides = centres  # type: ignore[assignment]
    p.yaxis.major_tick_line_color = None
    mapper = LinearColorMapper(palette=DIVERGING, low=-1, high=1, nan_color="#D9DEE3")
    images = ColumnDataSource(
        name="gates_images",
        data={"image": [], "x": [], "y": [], "dw": [], "dh": [], "name": []},
    )
    r = p.image(image="image", x="x", y="y", dw="dw", dh="dh", source=images, color_mapper=mapper)  # type: ignore[call-arg]
    p.add_tools(HoverTool(renderers=[r], tooltips=[("", "@name at t = $x{0}: @image{+0.000}")]))
    fog = ColumnDataSource(name="gates_fog", data={k: [] for k in QUAD})
    p.quad(*QUAD, source=fog, fill_color=FOG, fill_alpha=FOG_ALPHA, line_color=None)
    cursor = ColumnDataSource(name="gates_cursor", data={k: [] for k in QUAD})
    p.quad(*QUAD, source=cursor, fill_color=None, line_color=ORANGE, line_width=3)
    label = ColumnDataSource(name="gates_label", data={"x": [], "y": [], "text": []})
    p.text(
        "x",
        "y",
        text="text",
        source=label,
        text_color=INK,
        text_font_size="12px",
        text_baseline="bottom",
        text_font_style="bold",
    )
    return p


def image_data(config: LabConfig, trace: Any, layer: int) -> dict[str, list[Any]]:
    """One (H, T) image per quantity of ``layer``; image rows are units, bottom first."""
    cell, H, T = config.model.cell, config.model.hidden, config.train.window
    here = trace.traces[layer]
    rows = ROWS[cell]
    return {
        "image": [finite(np.asarray(getattr(here, name)).T, 3) for name in rows],
        "x": [0.5] * len(rows),
        "y": [_base(cell, H, name) - 0.5 for name in rows],
        "dw": [T] * len(rows),
        "dh": [H] * len(rows),
        "name": list(rows),
    }


def label_data(config: LabConfig, layer: int) -> dict[str, list[Any]]:
    cell, H = config.model.cell, config.model.hidden
    y = _base(cell, H, ROWS[cell][0]) + H
    return {"x": [0.55], "y": [y], "text": [f"layer {layer + 1} of {config.model.layers}"]}


def fog_data(config: LabConfig, cursor: Cursor) -> dict[str, list[float]]:
    """Boxes over what the forward pass has not computed: later time steps, and in the
    current time step the quantities after the current compute step."""
    cell, H, T = config.model.cell, config.model.hidden, config.train.window
    boxes: list[tuple[float, float, float, float]] = []
    if cursor.forward:
        assert cursor.t is not None
        column = cursor.t + 1
        rows = ROWS[cell]
        top = _base(cell, H, rows[0]) + H + 2
        if column < T:
            boxes.append((column + 0.5, T + 0.5, -0.5, top))
        done = set(cursor.revealed())
        for name in rows:
            if name not in done:
                base = _base(cell, H, name)
                boxes.append((column - 0.5, column + 0.5, base - 0.5, base + H - 0.5))
    return {k: [b[n] for b in boxes] for n, k in enumerate(QUAD)}


def cursor_data(config: LabConfig, cursor: Cursor) -> dict[str, list[float]]:
    """The current time step outlined; in the forward pass, the quantity just computed."""
    cell, H = config.model.cell, config.model.hidden
    if cursor.phase not in ("forward", "backward") or cursor.t is None:
        return {k: [] for k in QUAD}
    column = cursor.t + 1
    rows = ROWS[cell]
    name = cursor.steps[cursor.step] if cursor.forward and cursor.step is not None else None
    if name in rows:
        base = _base(cell, H, name)
        box = (column - 0.5, column + 0.5, base - 0.5, base + H - 0.5)
    else:
        box = (column - 0.5, column + 0.5, -0.5, _base(cell, H, rows[0]) + H - 0.5)
    return {k: [v] for k, v in zip(QUAD, box, strict=True)}
