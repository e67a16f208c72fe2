"""The heatmap of the cell view: every unit of every quantity of the cell shown, so
the chosen unit's numbers in the diagram can be seen against the rest of the layer.
"""

from __future__ import annotations

from typing import Any

from bokeh.models import ColumnDataSource, FactorRange, HoverTool, LinearColorMapper, Range1d
from bokeh.plotting import figure

from course.figures.palette import DIVERGING, INK

# The quantities shown, top to bottom: the engine's trace names, as in the diagram.
HEAT_ROWS = {
    "lstm": ["h_prev", "c_prev", "f", "i", "o", "g", "c", "h"],
    "gru": ["h_prev", "r", "z", "n", "h"],
    "rnn": ["h_prev", "a", "h"],
}


def heatmap_figure(cell: str, hidden: int) -> Any:
    """Every unit of the cell at once: a row per quantity, a column per unit, the
    chosen unit outlined."""
    rows = HEAT_ROWS[cell]
    p = figure(
        name="fig_heatmap",
        x_range=Range1d(start=-0.5, end=hidden - 0.5),
        y_range=FactorRange(factors=list(reversed(rows))),
        height=40 + 26 * len(rows),
        sizing_mode="stretch_width",
        tools="",
        toolbar_location=None,
        x_axis_label="unit",
    )
    p.grid.visible = False
    p.outline_line_color = None
    p.background_fill_color = None
    p.border_fill_color = None
    mapper = LinearColorMapper(palette=DIVERGING, low=-1, high=1)
    cells = ColumnDataSource(name="cell_heatmap", data=heatmap_data(cell, hidden, {}, 0))
    r = p.rect(
        x="unit",
        y="row",
        width=0.94,
        height=0.9,
        source=cells,
        fill_color={"field": "value", "transform": mapper},
        fill_alpha="alpha",
        line_color="outline",
        line_width=2,
    )
    p.add_tools(HoverTool(renderers=[r], tooltips=[("", "@row[@unit] = @text")]))
    return p


# Columns that change only with the cell, its size and the unit chosen: sent with the
# first frame and when those change (the page merges a source's columns).
HEATMAP_FIXED = ("row", "unit", "outline")


def heatmap_data(
    cell: str,
    hidden: int,
    values: dict[str, list[float | None]],
    unit: int,
    *,
    gradient: bool = False,
) -> dict[str, list[Any]]:
    """Columns of the ``cell_heatmap`` source: one rect per (quantity, unit).

    Activations are coloured on [−1, 1]; gradients, being far smaller, relative to
    the largest |gradient| shown (the hover gives the true value)."""
    scale = 1.0
    if gradient:
        sizes = [abs(v) for vector in values.values() for v in vector if v is not None]
        scale = max(sizes, default=0.0) or 1.0
    rows = HEAT_ROWS[cell]
    units = range(hidden)
    shown = [values.get(row) or [None] * hidden for row in rows]
    return {
        "row": [row for row in rows for _ in units],
        "unit": [k for _ in rows for k in units],
        "value": [
            0.0 if v is None else max(-1.0, min(1.0, v / scale))
            for vector in shown
            for v in vector[:hidden]
        ],
        "alpha": [0.12 if v is None else 1.0 for vector in shown for v in vector[:hidden]],
        "text": [
            "not yet computed" if v is None else f"{v:+.4g}"
            for vector in shown
            for v in vector[:hidden]
        ],
        "outline": [INK if k == unit else None for _ in rows for k in units],
    }
