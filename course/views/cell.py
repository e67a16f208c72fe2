"""The cell view: a diagram of one cell with the current compute step highlighted
and its numbers for a chosen unit, its neighbours drawn as pictograms (the same
layer one step before and after, the layers below and above), and a heatmap of
every unit.

The diagram is drawn twice, wide and narrow (symbols for labels, staggered gates,
for phones); each figure's own stylesheet shows one by the viewport's width. A media
query rather than a CustomJS callback: the page's Content-Security-Policy forbids
the eval that CustomJS needs.

Box names are the engine's trace names (``f`` is the forget gate everywhere).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bokeh.layouts import column
from bokeh.models import (
    ColumnDataSource,
    FactorRange,
    HoverTool,
    InlineStyleSheet,
    LinearColorMapper,
    Range1d,
)
from bokeh.models.annotations.arrows import Arrow, VeeHead
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


SHORT = {"c_prev": "cₜ₋₁", "h_prev": "hₜ₋₁", "x": "xₜ", "c": "cₜ", "h": "hₜ"}

# On a phone the gates of a row sit closer than their numbers are wide: every other
# one drops a little, so neighbouring numbers are never on the same line.
STAGGER = {"lstm": ("i", "o"), "gru": ("z",), "rnn": ()}
DROP = 0.4


@dataclass(frozen=True)
class Sizes:
    """How the diagram is drawn at one width: fonts in px, pictograms in plane units."""

    name: str
    height: int  # px
    label: str  # the ``cell_boxes`` column of box labels
    value: str  # … and of their numbers
    value_px: str
    side_w: float  # width of the t−1 and t+1 pictograms
    gap: float  # between a pictogram and the box it feeds or reads
    stack_w: float  # width of the pictograms below and above
    side_angle: float  # of the t−1 and t+1 titles: upright in a narrow strip
    shown: str  # media query under which this figure is the one displayed


# Under 64rem the wide figure's long labels come too close (seen in screenshots).
WIDE = Sizes("wide", 440, "label", "value", "15px", 1.4, 0.6, 1.9, 0.0, "(min-width: 64.01rem)")
NARROW = Sizes(
    "narrow", 340, "label_short", "value_short", "10px", 0.8, 0.4, 2.2, math.pi / 2,
    "(max-width: 64rem)",
)  # fmt: skip
STACK_H = 0.8  # height of the pictograms below and above
RISE = 0.3  # hₜ rises to the layer above this far right of a box in its way


def placed(cell: str, sizes: Sizes) -> dict[str, tuple[float, float, str]]:
    """The boxes of ``cell`` as drawn at ``sizes``: staggered when narrow."""
    drop = STAGGER[cell] if sizes is NARROW else ()
    return {n: (x, y - DROP if n in drop else y, lb) for n, (x, y, lb) in LAYOUTS[cell].items()}


def _point(layout: dict[str, tuple[float, float, str]], end: Any) -> tuple[float, float]:
    return end if isinstance(end, tuple) else layout[end][:2]


def _riser(layout: dict[str, tuple[float, float, str]]) -> tuple[float, bool]:
    """x where hₜ goes up to the layer above, and whether a box sits in its way (the
    LSTM's cₜ above hₜ): then it goes up just right of the boxes."""
    hx, hy, _ = layout["h"]
    blocked = any(abs(x - hx) < BOX_W and y > hy for n, (x, y, _) in layout.items() if n != "h")
    return (hx + BOX_W / 2 + RISE, True) if blocked else (hx, False)


def neighbour_boxes(cell: str, sizes: Sizes) -> dict[str, tuple[float, float, float, float]]:
    """Centre and size (x, y, w, h) of each neighbour's pictogram around the diagram:
    t−1 left of the state it hands over, t+1 right of the state it takes, the layer
    below under xₜ, the layer above over where hₜ rises."""
    layout = placed(cell, sizes)
    xs = [x for x, _, _ in layout.values()]
    ys = [y for _, y, _ in layout.values()]
    left, right = min(xs) - BOX_W / 2, max(xs) + BOX_W / 2
    bottom, top = min(ys) - BOX_H / 2, max(ys) + BOX_H / 2
    riser, blocked = _riser(layout)
    next_left = riser + sizes.gap if blocked else right + sizes.gap

    def span(names: tuple[str, ...]) -> tuple[float, float]:
        at = [layout[n][1] for n in names if n in layout]
        return (min(at) + max(at)) / 2, max(at) - min(at) + BOX_H + 0.1

    w = sizes.side_w
    (prev_y, prev_h), (next_y, next_h) = span(("c_prev", "h_prev")), span(("c", "h"))
    return {
        "prev": (left - sizes.gap - w / 2, prev_y, w, prev_h),
        "next": (next_left + w / 2, next_y, w, next_h),
        "below": (layout["x"][0], bottom - sizes.gap - STACK_H / 2, sizes.stack_w, STACK_H),
        "above": (riser, top + sizes.gap + STACK_H / 2, sizes.stack_w, STACK_H),
    }


def _arrows(cell: str, sizes: Sizes) -> dict[str, list[float]]:
    """Arrows between the pictograms and the boxes they feed or read."""
    layout, pics = placed(cell, sizes), neighbour_boxes(cell, sizes)
    px, _, pw, _ = pics["prev"]
    nx, _, nw, _ = pics["next"]
    bx, by, _, bh = pics["below"]
    ax, ay, _, ah = pics["above"]
    arrows = []
    for name, (x, y, _) in layout.items():
        if name in ("c_prev", "h_prev"):
            arrows.append((px + pw / 2, y, x - BOX_W / 2, y))
        elif name in ("c", "h"):
            arrows.append((x + BOX_W / 2, y, nx - nw / 2, y))
    xx, xy, _ = layout["x"]
    arrows.append((bx, by + bh / 2, xx, xy - BOX_H / 2))
    hx, hy, _ = layout["h"]
    start = (ax, hy) if _riser(layout)[1] else (hx, hy + BOX_H / 2)
    arrows.append((*start, ax, ay - ah / 2))
    x0, y0, x1, y1 = (list(c) for c in zip(*arrows, strict=True))
    return {"x0": x0, "y0": y0, "x1": x1, "y1": y1}


HIDE = "display: none !important;"
# Bokeh's type stubs name the arrow's line ``body_line_*``; at run time it is ``line_*``.
BODY: dict[str, Any] = {"line_color": GREY, "line_width": 2}


def diagram_figure(cell: str) -> Any:
    """The wide and the narrow diagram, drawing the same sources; the page shows one."""
    boxes = ColumnDataSource(name="cell_boxes", data=box_data(cell, {}, None, 0))
    neighbours = ColumnDataSource(name="cell_neighbours", data=neighbour_data(cell))
    figures = [_diagram(cell, sizes, boxes, neighbours) for sizes in (WIDE, NARROW)]
    return column(*figures, sizing_mode="stretch_width")


def _diagram(cell: str, sizes: Sizes, boxes: Any, neighbours: Any) -> Any:
    layout = placed(cell, sizes)
    pics = neighbour_boxes(cell, sizes).values()
    p = figure(
        name="fig_cell" if sizes is WIDE else "fig_cell_narrow",
        x_range=Range1d(
            start=min(x - w / 2 for x, _, w, _ in pics) - 0.15,
            end=max(x + w / 2 for x, _, w, _ in pics) + 0.15,
        ),
        y_range=Range1d(
            start=min(y - h / 2 for _, y, _, h in pics) - 0.1,
            end=max(y + h / 2 for _, y, _, h in pics) + 0.1,
        ),
        height=sizes.height,
        sizing_mode="stretch_width",
        tools="",
        toolbar_location=None,
        stylesheets=[InlineStyleSheet(css=f"@media not {sizes.shown} {{ :host {{ {HIDE} }} }}")],
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
    arrows = ColumnDataSource(data=_arrows(cell, sizes))
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
    _neighbours(p, sizes, neighbours)
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


def _neighbours(p: Any, sizes: Sizes, source: Any) -> None:
    """The neighbours' pictograms: a rounded box and its title (and, when wide, what it is)."""
    s = "" if sizes is WIDE else "_narrow"
    p.rect(
        x="x" + s,
        y="y" + s,
        width="w" + s,
        height="h" + s,
        source=source,
        fill_color="fill",
        line_color="line",
        line_dash="dash",
        line_width=1.5,
        border_radius=8,
    )
    if sizes is WIDE:
        p.text(
            x="x",
            y="y",
            text="title",
            source=source,
            text_align="center",
            text_baseline="bottom",
            y_offset=-1,
            text_font_size="13px",
            text_font_style="bold",
            text_color="text_color",
        )
        p.text(
            x="x",
            y="y",
            text="note",
            source=source,
            text_align="center",
            text_baseline="top",
            y_offset=3,
            text_font_size="10px",
            text_color=GREY,
        )
    else:
        p.text(
            x="x_narrow",
            y="y_narrow",
            text="title",
            source=source,
            angle="angle_narrow",
            text_align="center",
            text_baseline="middle",
            text_font_size="11px",
            text_font_style="bold",
            text_color="text_color",
        )


def neighbour_data(
    cell: str,
    t: int | None = None,
    layer: int | None = None,
    *,
    window: int = 1,
    layers: int = 1,
) -> dict[str, list[Any]]:
    """Columns of the ``cell_neighbours`` source: one pictogram per neighbour of cell
    (``t``, ``layer``), both 0-based, titled as the readout counts (from 1). A neighbour
    that does not exist (before the first step, after the last) is greyed; with no
    cell (validate, update) all four are, titled by their role."""
    rows = {  # name -> (title, note, exists)
        "prev": ("t − 1", "", False),
        "next": ("t + 1", "", False),
        "below": ("layer below", "", False),
        "above": ("layer above", "", False),
    }
    if t is not None and layer is not None and layer < layers:
        first, last, bottom, top = t == 0, t == window - 1, layer == 0, layer == layers - 1
        rows = {
            "prev": ("h₀, c₀ = 0" if cell == "lstm" else "h₀ = 0", "nothing yet", False)
            if first
            else (f"t = {t}", "previous step", True),
            "next": ("end", "last step", False) if last else (f"t = {t + 2}", "next step", True),
            "below": ("input xₜ", "the data", True)
            if bottom
            else (f"layer {layer}", "layer below", True),
            "above": ("readout ŷₜ", "prediction", True)
            if top
            else (f"layer {layer + 2}", "layer above", True),
        }
    wide, narrow = neighbour_boxes(cell, WIDE), neighbour_boxes(cell, NARROW)
    columns = (
        "name",
        "x",
        "y",
        "w",
        "h",
        "x_narrow",
        "y_narrow",
        "w_narrow",
        "h_narrow",
        "angle_narrow",
        "title",
        "note",
        "fill",
        "line",
        "dash",
        "text_color",
    )
    data: dict[str, list[Any]] = {k: [] for k in columns}
    for name, (title, note, exists) in rows.items():
        side = name in ("prev", "next")
        values = (
            name,
            *wide[name],
            *narrow[name],
            NARROW.side_angle if side else 0.0,
            title,
            note,
            "white" if exists else LIGHT,
            GREY,
            [] if exists else [4, 3],
            INK if exists else GREY,
        )
        for k, v in zip(columns, values, strict=True):
            data[k].append(v)
    return data


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
    for name, (x, y, label) in LAYOUTS[cell].items():
        vector = values.get(name)
        shown = vector is not None
        number = None if vector is None else vector[min(unit, len(vector) - 1)]
        is_current = name == current or (current == "x" and name in ("h_prev", "c_prev"))
        short = SHORT.get(name, name)
        data["name"].append(name)
        data["x"].append(x)
        data["y"].append(y)
        data["y_narrow"].append(narrow[name][1])
        if gradient:
            if name in values:
                label = short = f"∂L/∂{short}"
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
