"""The diagram of the one unit with its current numbers: value boxes for xₜ, b, hₜ₋₁
and hₜ, the operations between them, the weights and each term on its way into the sum.

Every step refills the named sources ``pg_boxes``, ``pg_ops`` and ``pg_terms``.
"""

from __future__ import annotations

from typing import Any

from bokeh.models import ColumnDataSource, Range1d
from bokeh.models.annotations import Arrow, NormalHead

from course.figures.base import plain_figure
from course.figures.palette import DIVERGING, GREY, INK, LIGHT
from course.playground.views.narrow import field, narrow_root, value, when_narrow
from course.playground.views.plane import (
    ACT_H,
    ACT_W,
    ARROWS,
    BOX_H,
    BOX_W,
    BOXES,
    LINES,
    OPS,
    TOP,
    X_RANGE,
    Y_RANGE,
    Y,
)
from course.playground.views.text import ACT_NAMES, SHORT_ACT_NAMES, number, raw_number, sub
from engine.playground import Playground

Columns = dict[str, list[Any]]


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


def diagram_figure() -> Any:
    """The figure, empty of numbers until the first ``sources`` fill it.

    Narrow (a phone), it is lower and its type smaller, so the same plane still fits."""
    p = plain_figure(
        "fig_pg_diagram",
        outline=False,
        height=330,
        x_range=Range1d(start=X_RANGE[0], end=X_RANGE[1]),
        y_range=Range1d(start=Y_RANGE[0], end=Y_RANGE[1]),
    )
    when_narrow(narrow_root(p), height=250, min_border=2)
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
    circle = p.scatter(
        x=[OPS[n][0] for n in circles],
        y=[OPS[n][1] for n in circles],
        size=30,
        fill_color="white",
        line_color=GREY,
        line_width=2,
    )
    when_narrow(circle.glyph, size=value(24))
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
    symbols = p.text(
        x="x",
        y="y",
        text="text",
        source=ops,
        text_align="center",
        text_baseline="middle",
        text_font_size="text_size",
        text_color=INK,
    )
    when_narrow(symbols.glyph, text=field("text_narrow"), text_font_size=field("text_size_narrow"))
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
    values = p.text(
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
    when_narrow(values.glyph, text_font_size=value("13px"))
    for text, y in (("label", "label_y"), ("note", "note_y")):  # narrow: smaller, lower notes
        words = p.text(
            x="label_x",
            y=y,
            text=text,
            source=boxes,
            text_align="label_align",
            text_baseline="middle",
            text_font_size="13px",
            text_color=INK,
        )
        when_narrow(
            words.glyph,
            text=field(f"{text}_narrow"),
            y=field(f"{y}_narrow"),
            text_font_size=value("11px"),
        )
    terms = ColumnDataSource(name="pg_terms", data=terms_data(Playground()))
    terms_text = p.text(
        x="x",
        y="y",
        text="text",
        source=terms,
        text_align="align",
        text_baseline="middle",
        text_font_size="13px",
        text_color=INK,
    )
    when_narrow(
        terms_text.glyph,
        **{k: field(f"{k}_narrow") for k in ("x", "y", "text")},
        text_align=field("align_narrow"),
        text_font_size=value("11px"),
    )
    return p


def ops_data(activation: str) -> Columns:
    """The operations' symbols; narrow, sigmoid is σ so that it fits its box."""
    names = list(OPS)
    symbols = {"mul_x": "×", "sum": "+", "act": ACT_NAMES[activation], "mul_h": "×"}
    short = symbols | {"act": SHORT_ACT_NAMES[activation]}
    return {
        "name": names,
        "x": [OPS[n][0] for n in names],
        "y": [OPS[n][1] for n in names],
        "text": [symbols[n] for n in names],
        "text_size": ["14px" if n == "act" else "18px" for n in names],
        "text_narrow": [short[n] for n in names],
        "text_size_narrow": ["12px" if n == "act" else "15px" for n in names],
    }


def box_data(pg: Playground) -> Columns:
    """The value boxes: x_t, b, h_{t−1} and h_t at the current step (t = 0: only h₀)."""
    frame, c, seq = pg.frame(), pg.config, pg.sequence
    t = frame["t"]
    values = {"x": frame["x"], "b": c.b, "h_prev": frame["h_prev"], "h": frame["h"]}
    labels = {name: label for name, (_, _, label) in BOXES.items()}
    notes = dict.fromkeys(BOXES, "")
    narrow_notes = dict(notes)
    if t == 0:
        labels["h"] = "h₀ initial state"
    else:
        labels |= {"x": f"x{sub(t)} input", "h_prev": f"h{sub(t - 1)} previous state"}
        labels["h"] = f"h{sub(t)} new state"
        if seq.scale != 1.0:
            raw, scale = raw_number(frame["raw"]), raw_number(seq.scale)
            notes["x"] = f"= {raw} ÷ {scale}"
            narrow_notes["x"] = f"= {raw}\n÷ {scale}"  # two lines: one would run under ×
    columns = ("name", "x", "y", "label", "label_x", "label_y", "label_align", "note_y")
    data: Columns = {k: [] for k in columns}
    for k in ("value", "note", "fill", "line", "line_width", "text_color"):
        data[k] = []
    for k in ("label_narrow", "label_y_narrow", "note_narrow", "note_y_narrow"):
        data[k] = []
    for name, (x, y, _) in BOXES.items():
        fill, ink = _shade(values[name])
        current = name == "h" and t > 0
        beside = name == "b"  # b's label sits to its left, clear of the arrow above it
        under = name == "h"  # h's sits below, clear of the line that loops back up
        data["name"].append(name)
        data["x"].append(x)
        data["y"].append(y)
        data["label"].append(labels[name])
        data["label_x"].append(x - BOX_W / 2 - 0.15 if beside else x)
        offset = 0.0 if beside else -(BOX_H / 2 + 0.28) if under else BOX_H / 2 + 0.28
        data["label_y"].append(y + offset)
        data["label_align"].append("right" if beside else "center")
        data["note_y"].append(y - BOX_H / 2 - 0.28)
        data["value"].append(number(values[name]))
        data["note"].append(notes[name])
        data["label_narrow"].append(labels[name])
        data["label_y_narrow"].append(data["label_y"][-1])
        data["note_narrow"].append(narrow_notes[name])
        data["note_y_narrow"].append(y - BOX_H / 2 - 0.5)
        data["fill"].append(fill)
        data["line"].append(INK if current else GREY)
        data["line_width"].append(3.5 if current else 1.5)
        data["text_color"].append(ink)
    return data


def terms_data(pg: Playground) -> Columns:
    """The weights beside their multiplications and each term on its way into the sum."""
    frame, c = pg.frame(), pg.config
    computed = frame["t"] > 0

    def product(weight: float, term: float | None) -> str:
        return number(weight * term) if computed and term is not None else "…"

    a = f"a = {number(frame['a'])}" if computed else "a = …"
    later = ((7.9 + BOX_W / 2 + 10.6) / 2, TOP - 0.3, "center", "one step later")
    rows = [
        (3.1, Y - 0.62, "center", f"wₓ = {number(c.w_x, 2)}"),
        (5.2 - 0.5, TOP, "right", f"wₕ = {number(c.w_h, 2)}"),
        (4.15, Y + 0.3, "center", product(c.w_x, frame["x"])),
        (5.2 + 0.15, (Y + TOP) / 2, "left", product(c.w_h, frame["h_prev"])),
        (6.2, Y + 0.3, "center", a),
        later,
    ]
    # Narrow, a does not fit between + and the activation: it goes above that arrow; and
    # "one step later" takes two lines under the loop, clear of hₜ₋₁'s box; wₕ moves off ×
    # and w_x·x_t up, clear of the circles on either side.
    narrow = [
        rows[0],
        (5.2 - 0.6, TOP, "right", rows[1][3]),
        (4.15, Y + 0.5, "center", rows[2][3]),
        rows[3],
        (5.2 + 0.35, Y + 0.6, "left", a),
        (later[0], TOP - 0.75, "center", "one step\nlater"),
    ]
    data: Columns = {}
    for suffix, table in (("", rows), ("_narrow", narrow)):
        for i, k in enumerate(("x", "y", "align", "text")):
            data[k + suffix] = [r[i] for r in table]
    return data
