"""The sequence plot: input, target, prediction, error bars and the warm-up window."""

from __future__ import annotations

from typing import Any

from bokeh.models import ColumnDataSource, Range1d
from bokeh.plotting import figure

from course.figures.base import TEXT, add_key
from course.figures.palette import BLUE, GREY, INK, ORANGE, PURPLE

SOURCES = ("seq_input", "seq_target", "seq_prediction", "seq_window", "seq_error", "seq_cursor")


def sequence_figure() -> Any:
    p = figure(
        name="fig_sequence",
        height=250,
        sizing_mode="stretch_width",
        tools="",
        toolbar_location=None,
        x_axis_label="x",
        y_range=Range1d(start=-1.6, end=1.6),
    )
    src = {name: ColumnDataSource(name=name) for name in SOURCES}
    src["seq_window"].data = {"left": [], "right": [], "bottom": [], "top": []}
    src["seq_error"].data = {"x": [], "y0": [], "y1": []}
    for name in ("seq_input", "seq_target", "seq_prediction", "seq_cursor"):
        src[name].data = {"x": [], "y": []}
    p.quad(
        left="left",
        right="right",
        bottom="bottom",
        top="top",
        source=src["seq_window"],
        fill_color=GREY,
        fill_alpha=0.15,
        line_color=None,
    )
    p.line("x", "y", source=src["seq_target"], line_color=INK, line_dash="dashed", line_width=1.5)
    p.segment(
        x0="x",
        y0="y0",
        x1="x",
        y1="y1",
        source=src["seq_error"],
        line_color=PURPLE,
        line_width=2,
        line_alpha=0.9,
    )
    p.line("x", "y", source=src["seq_prediction"], line_color=ORANGE, line_width=3)
    p.scatter("x", "y", source=src["seq_input"], size=7, fill_color=BLUE, line_color=BLUE)
    p.scatter(
        "x",
        "y",
        source=src["seq_cursor"],
        size=16,
        marker="circle",
        fill_color=None,
        line_color=INK,
        line_width=2.5,
    )
    add_key(
        p,
        [
            ("input", "dot", BLUE),
            ("target", "dashed", TEXT),
            ("prediction", "line", ORANGE),
            ("error", "bar", PURPLE),
            ("warm-up window", "band", GREY),
            ("current step", "ring", TEXT),
        ],
    )
    p.background_fill_color = None
    p.border_fill_color = None
    return p


def sequence_data(seq: dict[str, Any], window: int) -> dict[str, dict[str, list[Any]]]:
    """Source columns from ``Lab.sequence()``; error bars span the window's predictions."""
    left, right = seq["window"]
    xs, target, pred = seq["x_target"], seq["target"], seq["prediction"]
    return {
        "seq_input": {"x": seq["x_input"], "y": seq["input"]},
        "seq_target": {"x": xs, "y": target},
        "seq_prediction": {"x": xs, "y": pred},
        "seq_window": {"left": [left], "right": [right], "bottom": [-1.6], "top": [1.6]},
        "seq_error": {"x": xs[:window], "y0": target[:window], "y1": pred[:window]},
    }


def cursor_data(seq: dict[str, Any], t: int | None) -> dict[str, list[Any]]:
    """The prediction ŷ_t made at the current time step, circled."""
    if t is None:
        return {"x": [], "y": []}
    return {"x": [seq["x_target"][t]], "y": [seq["prediction"][t]]}
