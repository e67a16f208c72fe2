"""The cell view: a diagram of one cell with the current compute step highlighted
and its numbers for a chosen unit, and a heatmap of every unit.

Box names are the engine's trace names (``f`` is the forget gate everywhere).
"""

from __future__ import annotations

from typing import Any

from bokeh.models import ColumnDataSource, FactorRange, HoverTool, LinearColorMapper, Range1d
from bokeh.plotting import figure

from course.views.palette import DIVERGING, GREY, INK, LIGHT, ORANGE

# name -> (x, y, label) on a 10 × 6 plane, drawn like the textbook diagrams.
LAYOUTS: dict[str, dict[str, tuple[float, float, str]]] = {
    "lstm": {
        "c_prev": (0.9, 5.0, "cₜ₋₁ cell state"),
        "h_prev": (0.9, 2.2, "hₜ₋₁ previous output"),
        "x": (0.9, 0.6, "xₜ layer input"),
        "f": (3.0, 3.3, "f forget gate"),
        "i": (4.6, 3.3, "i input gate"),
        "g": (6.2, 3.3, "g candidate"),
        "o": (7.8, 3.3, "o output gate"),
        "c": (9.3, 5.0, "cₜ cell state"),
        "h": (9.3, 0.6, "hₜ output"),
    },
    "gru": {
        "h_prev": (0.9, 5.0, "hₜ₋₁ previous output"),
        "x": (0.9, 0.6, "xₜ layer input"),
        "r": (3.4, 2.6, "r reset gate"),
        "z": (5.4, 2.6, "z update gate"),
        "n": (7.2, 2.6, "n candidate"),
        "h": (9.3, 5.0, "hₜ output"),
    },
    "rnn": {
        "h_prev": (0.9, 4.2, "hₜ₋₁ previous output"),
        "x": (0.9, 1.4, "xₜ layer input"),
        "a": (5.0, 2.8, "a pre-activation"),
        "h": (9.0, 2.8, "hₜ output"),
    },
}

# Edges of each diagram, as (from, to) pairs of box names or (x, y) points.
EDGES: dict[str, list[tuple[Any, Any]]] = {
    "lstm": [
        ("c_prev", (3.0, 5.0)),
        ((3.0, 5.0), (6.2, 5.0)),
        ((6.2, 5.0), "c"),
        ("f", (3.0, 5.0)),
        ("i", (5.4, 4.3)),
        ("g", (5.4, 4.3)),
        ((5.4, 4.3), (6.2, 5.0)),
        ("c", (9.3, 3.3)),
        ("o", (9.3, 2.2)),
        ((9.3, 3.3), (9.3, 2.2)),
        ((9.3, 2.2), "h"),
        # h_{t-1} and x_t join a bus that feeds every gate
        ("h_prev", (2.0, 2.2)),
        ("x", (2.0, 0.6)),
        ((2.0, 0.6), (2.0, 2.2)),
        ((2.0, 2.2), (7.8, 2.2)),
        ((3.0, 2.2), "f"),
        ((4.6, 2.2), "i"),
        ((6.2, 2.2), "g"),
        ((7.8, 2.2), "o"),
    ],
    "gru": [
        ("h_prev", (2.2, 1.6)),
        ("x", (2.2, 1.6)),
        ((2.2, 1.6), "r"),
        ((2.2, 1.6), "z"),
        ((2.2, 1.6), "n"),
        ("r", "n"),
        ("h_prev", (8.2, 5.0)),
        ("z", (8.2, 5.0)),
        ("n", (8.2, 5.0)),
        ((8.2, 5.0), "h"),
    ],
    "rnn": [("h_prev", "a"), ("x", "a"), ("a", "h")],
}

# Operation nodes drawn on the edges: (x, y, symbol).
OPERATIONS: dict[str, list[tuple[float, float, str]]] = {
    "lstm": [
        (3.0, 5.0, "×"),
        (6.2, 5.0, "+"),
        (5.4, 4.3, "×"),
        (9.3, 3.3, "tanh"),
        (9.3, 2.2, "×"),
    ],  # fmt: skip
    "gru": [(8.2, 5.0, "mix")],
    "rnn": [(7.0, 2.8, "act")],
}

HEAT_ROWS = {
    "lstm": ["h_prev", "c_prev", "f", "i", "o", "g", "c", "h"],
    "gru": ["h_prev", "r", "z", "n", "h"],
    "rnn": ["h_prev", "a", "h"],
}
BOX_W, BOX_H = 1.45, 0.95


def _point(layout: dict[str, tuple[float, float, str]], end: Any) -> tuple[float, float]:
    return end if isinstance(end, tuple) else layout[end][:2]


def diagram_figure(cell: str) -> Any:
    layout = LAYOUTS[cell]
    p = figure(
        name="fig_cell",
        x_range=Range1d(start=-0.2, end=10.4),
        y_range=Range1d(start=-0.1, end=5.7),
        height=330,
        sizing_mode="stretch_width",
        tools="",
        toolbar_location=None,
    )
    p.axis.visible = False
    p.grid.visible = False
    p.outline_line_color = None
    p.background_fill_color = None
    p.border_fill_color = None
    edges = [(_point(layout, a), _point(layout, b)) for a, b in EDGES[cell]]
    p.segment(
        x0=[a[0] for a, _ in edges],
        y0=[a[1] for a, _ in edges],
        x1=[b[0] for _, b in edges],
        y1=[b[1] for _, b in edges],
        line_color=GREY,
        line_width=2,
    )
    ops = OPERATIONS[cell]
    p.scatter(
        x=[o[0] for o in ops],
        y=[o[1] for o in ops],
        size=26,
        fill_color="white",
        line_color=GREY,
        line_width=2,
    )
    p.text(
        x=[o[0] for o in ops],
        y=[o[1] for o in ops],
        text=[o[2] for o in ops],
        text_align="center",
        text_baseline="middle",
        text_font_size="11px",
        text_color=INK,
    )
    boxes = ColumnDataSource(name="cell_boxes", data=box_data(cell, {}, None, 0))
    p.rect(
        x="x",
        y="y",
        width=BOX_W,
        height=BOX_H,
        source=boxes,
        fill_color="fill",
        line_color="line",
        line_width="line_width",
        fill_alpha=0.95,
    )
    p.text(
        x="x",
        y="y",
        text="label",
        source=boxes,
        text_align="center",
        text_baseline="bottom",
        y_offset=-4,
        text_font_size="11px",
        text_color="text_color",
    )
    p.text(
        x="x",
        y="y",
        text="value",
        source=boxes,
        text_align="center",
        text_baseline="top",
        y_offset=4,
        text_font_size="15px",
        text_font_style="bold",
        text_color="text_color",
    )
    return p


SYMBOLS = {"h": "hₜ", "c": "cₜ", "x": "xₜ"}


def box_data(
    cell: str,
    values: dict[str, list[float | None]],
    current: str | None,
    unit: int,
    *,
    gradient: bool = False,
) -> dict[str, list[Any]]:
    """Columns of the ``cell_boxes`` source: one row per quantity of the cell.

    With ``gradient``, ``values`` are ∂L/∂(quantity) keyed by the quantity's name,
    and the boxes are labelled as such.
    """
    layout = LAYOUTS[cell]
    columns = ("name", "x", "y", "label", "value", "fill", "line", "line_width", "text_color")
    data: dict[str, list[Any]] = {k: [] for k in columns}
    for name, (x, y, label) in layout.items():
        vector = values.get(name)
        shown = vector is not None
        number = None if vector is None else vector[min(unit, len(vector) - 1)]
        is_current = name == current or (current == "x" and name in ("h_prev", "c_prev"))
        data["name"].append(name)
        data["x"].append(x)
        data["y"].append(y)
        if gradient:
            label = f"∂L/∂{SYMBOLS.get(name, name)}" if name in values else label
            text = "…" if number is None else f"{number:+.2e}"
        else:
            text = "…" if number is None else f"{number:+.3f}"
        data["label"].append(label)
        data["value"].append(text)
        data["fill"].append(ORANGE if is_current else ("white" if shown else LIGHT))
        data["line"].append(INK if is_current else (ORANGE if shown else GREY))
        data["line_width"].append(3.5 if is_current else 1.5)
        data["text_color"].append(INK if shown else GREY)
    return data


def heatmap_figure(cell: str, hidden: int) -> Any:
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
        shown = [abs(v) for vector in values.values() for v in vector if v is not None]
        scale = max(shown, default=0.0) or 1.0
    columns = ("row", "unit", "value", "alpha", "text", "outline")
    data: dict[str, list[Any]] = {k: [] for k in columns}
    for row in HEAT_ROWS[cell]:
        vector = values.get(row)
        for k in range(hidden):
            v = None if vector is None else vector[k]
            data["row"].append(row)
            data["unit"].append(k)
            data["value"].append(0.0 if v is None else max(-1.0, min(1.0, v / scale)))
            data["alpha"].append(0.12 if v is None else 1.0)
            data["text"].append("not yet computed" if v is None else f"{v:+.4g}")
            data["outline"].append(INK if k == unit else None)
    return data
