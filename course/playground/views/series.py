"""The sequence over time: the inputs above (raw value and what the unit is fed, xₜ),
the hidden state hₜ below, both on the same t columns so a step reads straight down.

Every step refills the named ``pg_*`` sources; the invisible ``*_extent`` ones fix the
axes to the whole run from the start, so nothing jumps while stepping.
"""

from __future__ import annotations

from typing import Any

from bokeh.layouts import column
from bokeh.models import (
    ColumnDataSource,
    DataRange1d,
    HoverTool,
    LinearAxis,
    NumeralTickFormatter,
)
from bokeh.models.annotations import Legend, LegendItem

from course.figures.base import plain_figure
from course.figures.palette import BLUE, GREY, INK, ORANGE
from course.playground.views.text import number, raw_number
from engine.playground import Playground

Columns = dict[str, list[Any]]

BOUNDS = {"tanh": [-1.0, 1.0], "sigmoid": [0.0, 1.0], "relu": [0.0]}  # of h_t, drawn dashed


def _time_range(extent: Any) -> DataRange1d:
    # Both plots span t = 0…T from their own invisible extent, so their columns line up.
    return DataRange1d(renderers=[extent], range_padding=0.6, range_padding_units="absolute")


def series_figure() -> Any:
    """Inputs above, hₜ below, in one column named ``fig_pg_series``."""
    empty_xy: Columns = {"t": [], "y": []}
    src = {
        name: ColumnDataSource(name=name, data=dict(empty_xy))
        for name in ("pg_x_extent", "pg_raw_extent", "pg_input_now", "pg_h_now")
    }
    src["pg_h"] = ColumnDataSource(name="pg_h", data={"t": [], "y": [], "text": []})
    src["pg_inputs"] = ColumnDataSource(
        name="pg_inputs", data={"t": [], "x": [], "raw": [], "alpha": [], "text": [], "text_x": []}
    )
    src["pg_h_extent"] = ColumnDataSource(name="pg_h_extent", data=dict(empty_xy))
    src["pg_h_bounds"] = ColumnDataSource(name="pg_h_bounds", data={"y": []})

    inputs = plain_figure(
        "fig_pg_inputs", outline=False, height=190, y_axis_label="xₜ (fed to the unit)"
    )
    x_extent = inputs.scatter("t", "y", source=src["pg_x_extent"], alpha=0)
    inputs.x_range = _time_range(x_extent)
    inputs.y_range = DataRange1d(renderers=[x_extent], range_padding=0.2)
    raw_extent = inputs.scatter("t", "y", source=src["pg_raw_extent"], alpha=0, y_range_name="raw")
    inputs.extra_y_ranges = {"raw": DataRange1d(renderers=[raw_extent], range_padding=0.2)}
    inputs.add_layout(LinearAxis(y_range_name="raw", axis_label="raw value"), "right")
    bars = inputs.vbar(
        x="t",
        top="raw",
        width=0.55,
        source=src["pg_inputs"],
        y_range_name="raw",
        fill_color=GREY,
        fill_alpha="alpha",
        line_color=None,
    )
    inputs.line("t", "x", source=src["pg_inputs"], line_color=BLUE, line_alpha=0.35, line_width=1.5)
    dots = inputs.scatter(
        "t",
        "x",
        source=src["pg_inputs"],
        size=8,
        fill_color=BLUE,
        line_color=BLUE,
        fill_alpha="alpha",
        line_alpha="alpha",
    )
    now = inputs.scatter(
        "t",
        "y",
        source=src["pg_input_now"],
        size=17,
        fill_color=None,
        line_color=INK,
        line_width=2.5,
    )
    # short enough for a phone (changing a legend's labels in the browser leaves stray paint)
    _legend(inputs, [("raw (right axis)", bars), ("xₜ (left axis)", dots), ("now", now)])
    inputs.xaxis.visible = False

    hidden = plain_figure(
        "fig_pg_h", outline=False, height=210, x_axis_label="time step t", y_axis_label="hₜ"
    )
    h_extent = hidden.scatter("t", "y", source=src["pg_h_extent"], alpha=0)
    hidden.x_range = _time_range(h_extent)
    hidden.y_range = DataRange1d(renderers=[h_extent], range_padding=0.2)
    hidden.hspan(y="y", source=src["pg_h_bounds"], line_color=GREY, line_dash="dashed")
    hidden.line("t", "y", source=src["pg_h"], line_color=ORANGE, line_width=3)
    states = hidden.scatter("t", "y", source=src["pg_h"], size=8, fill_color=ORANGE, line_color=INK)
    h_now = hidden.scatter(
        "t", "y", source=src["pg_h_now"], size=17, fill_color=None, line_color=INK, line_width=2.5
    )
    _legend(hidden, [("hₜ so far", states), ("now", h_now)])
    hidden.add_tools(HoverTool(renderers=[states], tooltips="h@t = @text"))
    inputs.add_tools(HoverTool(renderers=[dots], tooltips="x@t = @text_x (raw @text)"))
    for p in (inputs, hidden):
        # plain numbers with thousands separators: BasicTickFormatter writes 2.000e+5
        for axis in p.yaxis:
            axis.formatter = NumeralTickFormatter(format="0,0.[000]")
        p.xaxis.ticker.desired_num_ticks = 10
        p.min_border_left = p.min_border_right = 64  # equal borders keep the t columns aligned
    return column(inputs, hidden, sizing_mode="stretch_width", name="fig_pg_series")


def _legend(p: Any, items: list[tuple[str, Any]]) -> None:
    legend = Legend(
        items=[LegendItem(label=label, renderers=[renderer]) for label, renderer in items],
        orientation="horizontal",
        location="top_left",
        label_text_font_size="11px",
        background_fill_alpha=0.7,
        border_line_color=None,
        glyph_width=14,
        spacing=10,
    )
    p.add_layout(legend, "above")


def series_data(pg: Playground) -> dict[str, Columns]:
    """Every named source of the two plots at the current step (at most 30 steps: all of it)."""
    frame, c, seq, trace = pg.frame(), pg.config, pg.sequence, pg.trace
    t, T = frame["t"], c.length
    times = list(range(1, T + 1))
    lo, hi = seq.input_range
    ends = [0, T]
    h_seen = [c.h0, *frame["history"]["h"]]
    every_h = [c.h0, *(float(v) for v in trace.h), *BOUNDS[c.activation]]
    return {
        "pg_inputs": {
            "t": times,
            "x": list(seq.x),
            "raw": list(seq.raw),
            "alpha": [1.0 if k <= t else 0.25 for k in times],
            "text": [raw_number(v) for v in seq.raw],
            "text_x": [number(v) for v in seq.x],
        },
        "pg_x_extent": {"t": ends, "y": [lo, hi]},
        "pg_raw_extent": {"t": ends, "y": [lo * seq.scale, hi * seq.scale]},
        "pg_input_now": {"t": [t], "y": [frame["x"]]} if t else {"t": [], "y": []},
        "pg_h": {"t": list(range(t + 1)), "y": h_seen, "text": [number(v) for v in h_seen]},
        "pg_h_now": {"t": [t], "y": [frame["h"]]},
        # the whole run's range from the start, so the axis does not jump while stepping
        "pg_h_extent": {"t": ends, "y": [min(every_h), max(every_h)]},
        "pg_h_bounds": {"y": BOUNDS[c.activation]},
    }
