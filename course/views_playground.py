"""Views of module 1's playground: a diagram of the one unit with its current numbers,
and the input sequence above the hidden state over time.

Figures are built here and embedded with ``json_item``; every step replaces the data
of their named ``pg_*`` sources. Names follow the lesson: x, h_prev, a, h, w_x, w_h, b.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from bokeh.embed import json_item
from bokeh.layouts import column
from bokeh.models import (
    ColumnDataSource,
    DataRange1d,
    HoverTool,
    LinearAxis,
    NumeralTickFormatter,
    Range1d,
)
from bokeh.models.annotations import Arrow, Legend, LegendItem, NormalHead

from course.views.base import plain_figure
from course.views.palette import BLUE, DIVERGING, GREY, INK, LIGHT, ORANGE
from engine.playground import Playground

Columns = dict[str, list[Any]]

# The unit on a 12.3 × 6.8 plane: x_t enters on the left, h_t leaves on the right and
# loops back over the top to be multiplied by w_h at the next step.
Y, TOP = 2.4, 4.9  # the main line and the loop
BOXES: dict[str, tuple[float, float, str]] = {
    "x": (1.0, Y, "xₜ input"),
    "b": (5.2, 0.45, "b bias"),
    "h_prev": (7.9, TOP, "hₜ₋₁ previous state"),
    "h": (10.6, Y, "hₜ new state"),
}
OPS: dict[str, tuple[float, float]] = {
    "mul_x": (3.1, Y),
    "sum": (5.2, Y),
    "act": (7.6, Y),
    "mul_h": (5.2, TOP),
}
BOX_W, BOX_H = 1.8, 0.9
OP_R = 0.3  # radius of an operation circle, in plane units (for arrow ends)
ACT_W, ACT_H = 1.4, 0.75
ACT_NAMES = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid"}
# (x0, y0, x1, y1) of the lines, then of the arrows that end at a node's edge.
LINES = [
    (10.6, Y + BOX_H / 2, 10.6, TOP),  # h_t up…
    (10.6, TOP, 7.9 + BOX_W / 2, TOP),  # …and back along the top to h_{t−1}
]
ARROWS = [
    (1.0 + BOX_W / 2, Y, 3.1 - OP_R, Y),  # x_t → ×w_x
    (3.1 + OP_R, Y, 5.2 - OP_R, Y),  # w_x·x_t → +
    (7.9 - BOX_W / 2, TOP, 5.2 + OP_R, TOP),  # h_{t−1} → ×w_h
    (5.2, TOP - OP_R, 5.2, Y + OP_R),  # w_h·h_{t−1} → +
    (5.2, 0.45 + BOX_H / 2, 5.2, Y - OP_R),  # b → +
    (5.2 + OP_R, Y, 7.6 - ACT_W / 2, Y),  # a_t → act
    (7.6 + ACT_W / 2, Y, 10.6 - BOX_W / 2, Y),  # act → h_t
    (10.6 + BOX_W / 2, Y, 12.2, Y),  # h_t → out
]
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
BOUNDS = {"tanh": [-1.0, 1.0], "sigmoid": [0.0, 1.0], "relu": [0.0]}  # of h_t, drawn dashed


def number(value: float | None, digits: int = 3) -> str:
    """How the playground prints a value: 3 decimals, or ×10ⁿ when large; a real minus sign."""
    if value is None:
        return "–"
    if abs(value) >= 1e4:
        mantissa, exponent = f"{value:.2e}".split("e")
        text = f"{mantissa}×10{str(int(exponent)).translate(SUP)}"
    else:
        text = f"{value:.{digits}f}"
        if float(text) == 0.0:
            text = text.lstrip("-")  # no "−0.000"
    return text.replace("-", "−")


def raw_number(value: float) -> str:
    """A raw input: whole numbers as written (832 040), others as ``number``."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", "\u202f").replace("-", "−")
    return number(value)


def sub(t: int) -> str:
    return str(t).translate(SUB)


def _paren(value: float, digits: int) -> str:
    text = number(value, digits)
    return f"({text})" if text.startswith("−") else text


def equation(pg: Playground) -> str:
    """The step just computed, written out with its numbers; before the first, h₀."""
    frame, c = pg.frame(), pg.config
    t = frame["t"]
    if t == 0:
        return f"h₀ = {number(c.h0)}: nothing has been fed in yet."
    act = ACT_NAMES[c.activation]
    inner = (
        f"{_paren(c.w_x, 2)}·{_paren(frame['x'], 3)} + {_paren(c.w_h, 2)}·"
        f"{_paren(frame['h_prev'], 3)} + {_paren(c.b, 2)}"
    )
    return f"h{sub(t)} = {act}({inner}) = {act}({number(frame['a'])}) = {number(frame['h'])}"


def _shade(value: float | None) -> tuple[str, str]:
    """Fill and text colour of a value box: blue negative, orange positive (as in every view)."""
    if value is None:
        return LIGHT, GREY
    if abs(value) < 0.0005:  # prints as 0.000: neither blue nor orange
        return "white", INK
    clipped = max(-1.0, min(1.0, value))
    index = round((clipped + 1.0) / 2.0 * (len(DIVERGING) - 1))
    dark = index <= 2 or index >= len(DIVERGING) - 2
    return DIVERGING[index], ("white" if dark else INK)


def _blank_figure(name: str, height: int, **kwargs: Any) -> Any:
    return plain_figure(name, outline=False, height=height, **kwargs)


# -- the diagram ---------------------------------------------------------------------------


def diagram_figure() -> Any:
    p = _blank_figure(
        "fig_pg_diagram",
        330,
        x_range=Range1d(start=-0.1, end=12.3),
        y_range=Range1d(start=-0.2, end=5.95),
    )
    p.axis.visible = False
    p.grid.visible = False
    p.segment(
        x0=[s[0] for s in LINES],
        y0=[s[1] for s in LINES],
        x1=[s[2] for s in LINES],
        y1=[s[3] for s in LINES],
        line_color=GREY,
        line_width=2,
    )
    arrows = ColumnDataSource(
        data={k: [a[i] for a in ARROWS] for i, k in enumerate(("x0", "y0", "x1", "y1"))}
    )
    p.add_layout(
        Arrow(  # type: ignore[call-arg]  # bokeh's stubs name them body_line_*; it takes line_*
            x_start="x0",
            y_start="y0",
            x_end="x1",
            y_end="y1",
            source=arrows,
            line_color=GREY,
            line_width=2,
            end=NormalHead(size=9, fill_color=GREY, line_color=GREY),
        )
    )
    ops = ColumnDataSource(name="pg_ops", data=ops_data("tanh"))
    circles = [name for name in OPS if name != "act"]
    p.scatter(
        x=[OPS[n][0] for n in circles],
        y=[OPS[n][1] for n in circles],
        size=30,
        fill_color="white",
        line_color=GREY,
        line_width=2,
    )
    ax, ay = OPS["act"]
    p.rect(
        x=[ax],
        y=[ay],
        width=ACT_W,
        height=ACT_H,
        fill_color="white",
        line_color=INK,
        line_width=2,
    )
    p.text(
        x="x",
        y="y",
        text="text",
        source=ops,
        text_align="center",
        text_baseline="middle",
        text_font_size="text_size",
        text_color=INK,
    )
    boxes = ColumnDataSource(name="pg_boxes", data=box_data(Playground()))
    p.rect(
        x="x",
        y="y",
        width=BOX_W,
        height=BOX_H,
        source=boxes,
        fill_color="fill",
        line_color="line",
        line_width="line_width",
    )
    p.text(
        x="x",
        y="y",
        text="value",
        source=boxes,
        text_align="center",
        text_baseline="middle",
        text_font_size="17px",
        text_font_style="bold",
        text_color="text_color",
    )
    for field, y in (("label", "label_y"), ("note", "note_y")):
        p.text(
            x="label_x",
            y=y,
            text=field,
            source=boxes,
            text_align="label_align",
            text_baseline="middle",
            text_font_size="13px",
            text_color=INK,
        )
    terms = ColumnDataSource(name="pg_terms", data=terms_data(Playground()))
    p.text(
        x="x",
        y="y",
        text="text",
        source=terms,
        text_align="align",
        text_baseline="middle",
        text_font_size="13px",
        text_color=INK,
    )
    return p


def ops_data(activation: str) -> Columns:
    names = list(OPS)
    symbols = {"mul_x": "×", "sum": "+", "act": ACT_NAMES[activation], "mul_h": "×"}
    return {
        "name": names,
        "x": [OPS[n][0] for n in names],
        "y": [OPS[n][1] for n in names],
        "text": [symbols[n] for n in names],
        "text_size": ["14px" if n == "act" else "18px" for n in names],
    }


def box_data(pg: Playground) -> Columns:
    """The value boxes: x_t, b, h_{t−1} and h_t at the current step (t = 0: only h₀)."""
    frame, c, seq = pg.frame(), pg.config, pg.sequence
    t = frame["t"]
    values = {"x": frame["x"], "b": c.b, "h_prev": frame["h_prev"], "h": frame["h"]}
    labels = {name: label for name, (_, _, label) in BOXES.items()}
    notes = dict.fromkeys(BOXES, "")
    if t == 0:
        labels["h"] = "h₀ initial state"
    else:
        labels |= {"x": f"x{sub(t)} input", "h_prev": f"h{sub(t - 1)} previous state"}
        labels["h"] = f"h{sub(t)} new state"
        if seq.scale != 1.0:
            notes["x"] = f"= {raw_number(frame['raw'])} ÷ {raw_number(seq.scale)}"
    columns = ("name", "x", "y", "label", "label_x", "label_y", "label_align", "note_y")
    data: Columns = {k: [] for k in columns}
    for k in ("value", "note", "fill", "line", "line_width", "text_color"):
        data[k] = []
    for name, (x, y, _) in BOXES.items():
        fill, ink = _shade(values[name])
        current = name == "h" and t > 0
        beside = name == "b"  # b's label sits to its left, clear of the arrow above it
        data["name"].append(name)
        data["x"].append(x)
        data["y"].append(y)
        data["label"].append(labels[name])
        data["label_x"].append(x - BOX_W / 2 - 0.15 if beside else x)
        data["label_y"].append(y if beside else y + BOX_H / 2 + 0.28)
        data["label_align"].append("right" if beside else "center")
        data["note_y"].append(y - BOX_H / 2 - 0.28)
        data["value"].append(number(values[name]))
        data["note"].append(notes[name])
        data["fill"].append(fill)
        data["line"].append(INK if current else GREY)
        data["line_width"].append(3.5 if current else 1.5)
        data["text_color"].append(ink)
    return data


def terms_data(pg: Playground) -> Columns:
    """The weights beside their multiplications and each term on its way into the sum."""
    frame, c = pg.frame(), pg.config
    computed = frame["t"] > 0

    def product(weight: float, value: float | None) -> str:
        return number(weight * value) if computed and value is not None else "…"

    rows = [
        (3.1, Y - 0.62, "center", f"wₓ = {number(c.w_x, 2)}"),
        (5.2 - 0.5, TOP, "right", f"wₕ = {number(c.w_h, 2)}"),
        (4.15, Y + 0.3, "center", product(c.w_x, frame["x"])),
        (5.2 + 0.15, (Y + TOP) / 2, "left", product(c.w_h, frame["h_prev"])),
        (6.2, Y + 0.3, "center", f"a = {number(frame['a'])}" if computed else "a = …"),
        ((7.9 + BOX_W / 2 + 10.6) / 2, TOP - 0.3, "center", "one step later"),
    ]
    return {
        "x": [r[0] for r in rows],
        "y": [r[1] for r in rows],
        "align": [r[2] for r in rows],
        "text": [r[3] for r in rows],
    }


# -- the sequence: inputs above, h_t below -------------------------------------------------


def _time_range(extent: Any) -> DataRange1d:
    # Both plots span t = 0…T from their own invisible extent, so their columns line up.
    return DataRange1d(renderers=[extent], range_padding=0.6, range_padding_units="absolute")


def series_figure() -> Any:
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

    inputs = _blank_figure("fig_pg_inputs", 190, y_axis_label="xₜ (fed to the unit)")
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
    _legend(inputs, [("raw value (right axis)", bars), ("xₜ (left axis)", dots), ("now", now)])
    inputs.xaxis.visible = False

    hidden = _blank_figure("fig_pg_h", 210, x_axis_label="time step t", y_axis_label="hₜ")
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


# -- what the server sends ---------------------------------------------------------------


def figures() -> dict[str, str]:
    """JSON text of each figure by role, key order kept for BokehJS.

    The figures hold no data of their own (every source is filled from ``sources``), so
    they are built once; each call renames the model ids, because BokehJS finds models by
    id and a page with several playgrounds must not hold the same id twice.
    """
    suffix = "-" + uuid.uuid4().hex[:8]
    return {role: json.dumps(_renamed(item, suffix)) for role, item in _items()}


@functools.cache
def _items() -> tuple[tuple[str, Any], ...]:
    built = {"diagram": diagram_figure(), "series": series_figure()}  # ~0.3 s: Bokeh is slow
    return tuple((role, json_item(fig)) for role, fig in built.items())


def _renamed(value: Any, suffix: str) -> Any:
    """A copy of a json_item with every model id (``"id"`` and ``"root_id"``) suffixed."""
    if isinstance(value, dict):
        return {
            k: v + suffix if k in ("id", "root_id") and isinstance(v, str) else _renamed(v, suffix)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_renamed(v, suffix) for v in value]
    return value


def sources(pg: Playground) -> dict[str, Columns]:
    """New data for every named source (the run is at most 30 steps: all of it, every time)."""
    return {
        "pg_boxes": box_data(pg),
        "pg_ops": ops_data(pg.config.activation),
        "pg_terms": terms_data(pg),
    } | series_data(pg)
