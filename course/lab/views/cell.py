"""The cell view's diagram: one cell with the current compute step highlighted and
its numbers for a chosen unit, its neighbours drawn as pictograms around it (see
``neighbours``); where things sit is in ``cell_layout``, the heatmap of every unit
in ``heatmap``.

The diagram is drawn twice, wide and narrow (symbols for labels, staggered gates,
for phones); each figure's own stylesheet shows one by the viewport's width. A media
query rather than a CustomJS callback: the page's Content-Security-Policy forbids
the eval that CustomJS needs.

Box names are the engine's trace names (``f`` is the forget gate everywhere), and
their labels the quantities' of ``course.lab.steps``.
"""

from __future__ import annotations

from typing import Any

from bokeh.models import ColumnDataSource, Range1d
from bokeh.models.annotations.arrows import Arrow, VeeHead
from bokeh.plotting import figure

from course.figures.palette import GREY, INK, LIGHT, ORANGE
from course.lab.steps import QUANTITIES, gradient_of
from course.lab.views.cell_layout import (
    BOX_H,
    BOX_W,
    LAYOUTS,
    NARROW,
    OPERATIONS,
    WIDE,
    Sizes,
    arrow_data,
    edge_data,
    placed,
    plane,
)
from course.lab.views.neighbours import draw_neighbours, neighbour_data

# Bokeh's type stubs name the arrow's line ``body_line_*``; at run time it is ``line_*``.
BODY: dict[str, Any] = {"line_color": GREY, "line_width": 2}


def diagram_figures(cell: str) -> dict[str, Any]:
    """The wide and the narrow diagram, by role. Both go to the page; the browser
    builds only the one whose ``media`` tag matches (static/js/views.js), in the slot
    named by its ``slot`` tag, and swaps them if the window crosses the width."""
    return {"cell": _diagram(cell, WIDE), "cell_narrow": _diagram(cell, NARROW)}


def _diagram(cell: str, sizes: Sizes) -> Any:
    boxes = ColumnDataSource(name="cell_boxes", data=box_data(cell, {}, None, 0))
    neighbours = ColumnDataSource(name="cell_neighbours", data=neighbour_data(cell))
    (x0, x1), (y0, y1) = plane(cell, sizes)
    p = figure(
        name="fig_cell" if sizes is WIDE else "fig_cell_narrow",
        x_range=Range1d(start=x0, end=x1),
        y_range=Range1d(start=y0, end=y1),
        height=sizes.height,
        sizing_mode="stretch_width",
        tools="",
        toolbar_location=None,
        tags=[{"media": sizes.shown, "slot": "cell"}],
    )
    p.axis.visible = False
    p.grid.visible = False
    p.outline_line_color = None
    p.background_fill_color = None
    p.border_fill_color = None
    e = edge_data(cell, sizes)
    p.segment(x0=e["x0"], y0=e["y0"], x1=e["x1"], y1=e["y1"], line_color=GREY, line_width=2)
    arrows = ColumnDataSource(data=arrow_data(cell, sizes))
    head = VeeHead(size=8, line_color=GREY, fill_color=GREY)
    p.add_layout(
        Arrow(
            end=head,
            x_start="x0",
            y_start="y0",
            x_end="x1",
            y_end="y1",
            source=arrows,
            **BODY,
        )
    )
    draw_neighbours(p, sizes, neighbours)
    ops = OPERATIONS[cell]
    p.scatter(
        x=[o[0] for o in ops],
        y=[o[1] for o in ops],
        size=26 if sizes is WIDE else 22,
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
        text_font_size="11px" if sizes is WIDE else "9px",
        text_color=INK,
    )
    y = "y" if sizes is WIDE else "y_narrow"
    p.rect(
        x="x",
        y=y,
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
        y=y,
        text=sizes.label,
        source=boxes,
        text_align="center",
        text_baseline="bottom",
        y_offset=-4,
        text_font_size="11px",
        text_color="text_color",
    )
    p.text(
        x="x",
        y=y,
        text=sizes.value,
        source=boxes,
        text_align="center",
        text_baseline="top",
        y_offset=4,
        text_font_size=sizes.value_px,
        text_font_style="bold",
        text_color="text_color",
    )
    return p


def box_data(
    cell: str,
    values: dict[str, list[float | None]],
    current: str | None,
    unit: int,
    *,
    gradient: bool = False,
) -> dict[str, list[Any]]:
    """Columns of the ``cell_boxes`` source: one row per quantity of the cell, with a
    short label (its symbol), a shorter gradient and a staggered y for the narrow figure.

    With ``gradient``, ``values`` are ∂L/∂(quantity) keyed by the quantity's name,
    and the boxes are labelled as such.
    """
    narrow = placed(cell, NARROW)
    columns = (
        "name",
        "x",
        "y",
        "y_narrow",
        "label",
        "label_short",
        "value",
        "value_short",
        "fill",
        "line",
        "line_width",
        "text_color",
    )
    data: dict[str, list[Any]] = {k: [] for k in columns}
    for name, (x, y) in LAYOUTS[cell].items():
        vector = values.get(name)
        shown = vector is not None
        number = None if vector is None else vector[min(unit, len(vector) - 1)]
        is_current = name == current or (current == "x" and name in ("h_prev", "c_prev"))
        label, short = QUANTITIES[name].box, QUANTITIES[name].symbol
        data["name"].append(name)
        data["x"].append(x)
        data["y"].append(y)
        data["y_narrow"].append(narrow[name][1])
        if gradient:
            if name in values:
                label = short = gradient_of(short)
            text = "…" if number is None else f"{number:+.2e}"
            brief = "…" if number is None else _compact(f"{number:+.1e}")
        else:
            text = brief = "…" if number is None else f"{number:+.3f}"
        data["label"].append(label)
        data["label_short"].append(short)
        data["value"].append(text)
        data["value_short"].append(brief)
        data["fill"].append(ORANGE if is_current else ("white" if shown else LIGHT))
        data["line"].append(INK if is_current else (ORANGE if shown else GREY))
        data["line_width"].append(3.5 if is_current else 1.5)
        data["text_color"].append(INK if shown else GREY)
    return data


def _compact(number: str) -> str:
    """``+5.8e-04`` as ``+5.8e-4``: two characters fewer where a phone has none to spare."""
    mantissa, exponent = number.split("e")
    return f"{mantissa}e{int(exponent)}"
