"""The network overview (exploRNN's): the input pane, the stacked layers as glyphs,
each with its recurrence loop, and the prediction pane.

The figure is drawn in fixed coordinates (x 0…100, y 0…40, no axes, no border), so
the page can lay its buttons (add a layer between two, remove one, zoom into one)
over the glyphs at ``x``% and ``y``% of the figure; the positions come from the
sources, never from the browser's own arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, Range1d

from course.figures.base import plain_figure
from course.figures.palette import BLUE, GREY, INK, LEVELS, ORANGE
from engine import Lab
from engine.model import MAX_LAYERS

WIDTH, HEIGHT = 100.0, 40.0
INPUT_PANE = (2.0, 17.0)  # x extent
OUTPUT_PANE = (83.0, 98.0)
PANE_Y = (9.0, 31.0)  # y extent of both panes
LAYER_SPAN = (21.0, 79.0)  # x extent the layers are spread over
LAYER_W, LAYER_H, LAYER_Y = 5.0, 14.0, 17.0  # glyph size and centre height
SOURCES = (
    "overview_panes",
    "overview_layers",
    "overview_loops",
    "overview_heads",
    "overview_links",
    "overview_slots",
    "overview_input",
    "overview_target",
    "overview_prediction",
    "overview_labels",
)


def layer_x(layers: int) -> list[float]:
    """Centres of the layer glyphs, evenly spread and centred."""
    pitch = (LAYER_SPAN[1] - LAYER_SPAN[0]) / MAX_LAYERS
    middle = (LAYER_SPAN[0] + LAYER_SPAN[1]) / 2
    return [middle + (k - (layers - 1) / 2) * pitch for k in range(layers)]


def slot_x(layers: int) -> list[float]:
    """Where a new layer can go: before the first, between two, after the last."""
    if layers >= MAX_LAYERS:
        return []
    xs = layer_x(layers)
    half = (LAYER_SPAN[1] - LAYER_SPAN[0]) / MAX_LAYERS / 2
    return [xs[0] - half] + [x + half for x in xs]


def overview_figure() -> Any:
    p = plain_figure(
        "fig_overview",
        grid=False,
        outline=False,
        height=210,
        x_range=Range1d(start=0, end=WIDTH),
        y_range=Range1d(start=0, end=HEIGHT),
        min_border=0,
    )
    p.axis.visible = False
    src = {name: ColumnDataSource(name=name) for name in SOURCES}
    p.quad(
        left="left",
        right="right",
        bottom="bottom",
        top="top",
        source=src["overview_panes"],
        fill_color=GREY,
        fill_alpha=0.08,
        line_color=GREY,
        line_alpha=0.5,
    )
    p.segment(
        x0="x0",
        y0="y0",
        x1="x1",
        y1="y1",
        source=src["overview_links"],
        line_color=INK,
        line_width=1.5,
        line_alpha=0.6,
    )
    p.multi_line("xs", "ys", source=src["overview_loops"], line_color=BLUE, line_width=2)
    p.scatter(
        "x",
        "y",
        source=src["overview_heads"],
        marker="triangle",
        angle=np.pi,
        size=9,
        fill_color=BLUE,
        line_color=BLUE,
    )
    p.rect(
        "x",
        "y",
        "width",
        "height",
        source=src["overview_layers"],
        fill_color=BLUE,
        fill_alpha="fill_alpha",
        line_color="line_color",
        line_width="line_width",
    )
    p.text(
        "x",
        "y",
        text="text",
        source=src["overview_slots"],
        text_align="center",
        text_baseline="middle",
        text_color=GREY,
        text_font_size="16px",
    )
    p.line("x", "y", source=src["overview_target"], line_color=INK, line_dash="dashed")
    p.line("x", "y", source=src["overview_prediction"], line_color=ORANGE, line_width=2)
    p.scatter("x", "y", source=src["overview_input"], size=4, fill_color=BLUE, line_color=BLUE)
    p.text(
        "x",
        "y",
        text="text",
        source=src["overview_labels"],
        text_align="center",
        text_baseline="top",
        text_color=INK,
        text_font_size="12px",
    )
    return p


def _pane(
    values: np.ndarray, pane: tuple[float, float], *, known: bool = False
) -> dict[str, list[float]]:
    """A curve squeezed into a pane: index along x, value (−1.6…1.6) along y. ``known``:
    only the points that are numbers (a learner's series has no targets past its end)."""
    given = np.asarray(values, np.float64)
    values = np.clip(np.nan_to_num(given, nan=0.0), -1.6, 1.6)
    n = max(len(values) - 1, 1)
    left, right = pane[0] + 1, pane[1] - 1
    xs = [left + (right - left) * k / n for k in range(len(values))]
    low, high = PANE_Y[0] + 2, PANE_Y[1] - 2
    ys = [low + (high - low) * (v + 1.6) / 3.2 for v in values]
    if known:
        keep = np.isfinite(given)
        xs, ys = (
            [x for x, k in zip(xs, keep, strict=True) if k],
            [y for y, k in zip(ys, keep, strict=True) if k],
        )
    return {"x": xs, "y": ys}


def overview_data(lab: Lab, frame: dict[str, Any], selected: int | None) -> dict[str, Any]:
    """Every overview source: the layers (the selected one outlined in the layer
    colour, the one the stepper is in filled darker), loops, links and panes."""
    model = lab.config.model
    xs = layer_x(model.layers)
    top = LAYER_Y + LAYER_H / 2
    busy = frame["layer"] if frame["phase"] in ("forward", "backward") else None
    loops: dict[str, list[Any]] = {"xs": [], "ys": []}
    angles = np.linspace(0.0, np.pi, 16)
    for x in xs:
        loops["xs"].append(list(x + 1.6 * np.cos(angles)))
        loops["ys"].append(list(top + 5.5 * np.sin(angles)))
    chain = [INPUT_PANE[1], *[v for x in xs for v in (x - LAYER_W / 2, x + LAYER_W / 2)]]
    chain.append(OUTPUT_PANE[0])
    seq = lab.sequence()
    T = lab.config.train.window
    labels = {
        "x": [sum(INPUT_PANE) / 2, *xs, sum(OUTPUT_PANE) / 2],
        "y": [PANE_Y[0] - 1, *[LAYER_Y - LAYER_H / 2 - 1] * len(xs), PANE_Y[0] - 1],
        "text": ["input", *[f"layer {k + 1}" for k in range(len(xs))], "prediction"],
    }
    slots = slot_x(model.layers)
    return {
        "overview_panes": {
            "left": [INPUT_PANE[0], OUTPUT_PANE[0]],
            "right": [INPUT_PANE[1], OUTPUT_PANE[1]],
            "bottom": [PANE_Y[0]] * 2,
            "top": [PANE_Y[1]] * 2,
        },
        "overview_layers": {
            "x": xs,
            "y": [LAYER_Y] * len(xs),
            "width": [LAYER_W] * len(xs),
            "height": [LAYER_H] * len(xs),
            "fill_alpha": [0.75 if k == busy else 0.35 for k in range(len(xs))],
            "line_color": [LEVELS["layer"] if k == selected else BLUE for k in range(len(xs))],
            "line_width": [4 if k == selected else 1.5 for k in range(len(xs))],
            "units": [model.hidden] * len(xs),
        },
        "overview_loops": loops,
        "overview_heads": {"x": [x - 1.6 for x in xs], "y": [top + 0.6] * len(xs)},
        "overview_links": {
            "x0": chain[0::2],
            "y0": [LAYER_Y] * (len(chain) // 2),
            "x1": chain[1::2],
            "y1": [LAYER_Y] * (len(chain) // 2),
        },
        "overview_slots": {"x": slots, "y": [LAYER_Y] * len(slots), "text": ["+"] * len(slots)},
        "overview_input": _pane(np.asarray(seq["input"], np.float64)[:T], INPUT_PANE),
        "overview_target": _pane(np.asarray(seq["target"], np.float64), OUTPUT_PANE, known=True),
        "overview_prediction": _pane(np.asarray(seq["prediction"], np.float64), OUTPUT_PANE),
        "overview_labels": labels,
    }
