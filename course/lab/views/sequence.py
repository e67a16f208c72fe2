"""The sequence plot: input, target, prediction, error bars and the warm-up window,
drawn as far as the pass has computed them: an input point once the forward pass has
read it, a prediction once made, the error bars and the continuation once validated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bokeh.models import ColumnDataSource, Range1d
from bokeh.plotting import figure

from course.figures.base import TEXT, add_key
from course.figures.palette import BLUE, GREY, INK, ORANGE, PURPLE
from course.lab.views.cursor import Cursor

SOURCES = (
    "seq_input", "seq_target", "seq_prediction", "seq_window", "seq_error", "seq_cursor",
    "seq_name",
)  # fmt: skip
OWN_AXIS = "position in your data"  # its first column, or the point's number (owndata)


def sequence_figure(*, own: bool = False) -> Any:
    """The plot; ``own``: of the learner's own series (its axis says so, and the data's
    name, from ``seq_name``, is written in its corner)."""
    p = figure(
        name="fig_sequence",
        height=250,
        sizing_mode="stretch_width",
        tools="",
        toolbar_location=None,
        x_axis_label=OWN_AXIS if own else "s (where the function is sampled)",
        y_range=Range1d(start=-1.6, end=1.6),
    )
    src = {name: ColumnDataSource(name=name) for name in SOURCES}
    src["seq_window"].data = {"left": [], "right": [], "bottom": [], "top": []}
    src["seq_error"].data = {"x": [], "y0": [], "y1": []}
    for name in ("seq_input", "seq_target", "seq_prediction", "seq_cursor"):
        src[name].data = {"x": [], "y": []}
    src["seq_name"].data = {"x": [], "y": [], "text": []}
    p.text(
        "x", "y", "text", source=src["seq_name"], text_color=INK, text_font_size="13px",
        text_baseline="top", text_align="left", x_offset=4, y_offset=2,
    )  # fmt: skip
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


@dataclass(frozen=True)
class Progress:
    """How much of the window the pass has computed: the inputs read (the forward pass
    reads x_t at its first compute step), the one-step predictions made (ŷ_t, once the
    top layer's h_t is computed), and whether the window has been validated (error
    bars, and the continuation fed back after the window)."""

    read: int
    made: int
    validated: bool

    @classmethod
    def of(cls, cursor: Cursor, window: int, layers: int) -> Progress:
        if not cursor.forward:  # validate, backward, update: the whole window is computed
            return cls(window, window, True)
        assert cursor.t is not None
        top_done = cursor.layer == layers - 1 and cursor.cell_done
        return cls(cursor.t + 1, cursor.t + 1 if top_done else cursor.t, False)


def sequence_data(
    seq: dict[str, Any], progress: Progress, name: str = ""
) -> dict[str, dict[str, list[Any]]]:
    """Source columns from ``Lab.sequence()``, showing only what ``progress`` has computed.
    The target is the data, there from the start. Before validation, each prediction made
    has an error bar of zero length, which validation grows to the prediction (the page
    glides them). ``name``: the learner's data, written in the plot's top left corner."""
    left, right = seq["window"]
    xs, target, pred = seq["x_target"], seq["target"], seq["prediction"]
    made = progress.made
    names = [name] if name else []
    shown = len(xs) if progress.validated else made
    return {
        "seq_input": {"x": seq["x_input"][: progress.read], "y": seq["input"][: progress.read]},
        "seq_target": {"x": xs, "y": target},
        "seq_prediction": {"x": xs[:shown], "y": pred[:shown]},
        "seq_window": {"left": [left], "right": [right], "bottom": [-1.6], "top": [1.6]},
        "seq_name": {"x": [left] * len(names), "y": [1.6] * len(names), "text": names},
        "seq_error": {
            "x": xs[:made],
            "y0": target[:made],
            "y1": (pred if progress.validated else target)[:made],
        },
    }


def cursor_data(seq: dict[str, Any], progress: Progress, t: int | None) -> dict[str, list[Any]]:
    """The current time step, circled: its prediction ŷ_t once made, until then the
    input x_t being read."""
    if t is None:
        return {"x": [], "y": []}
    if t < progress.made:
        return {"x": [seq["x_target"][t]], "y": [seq["prediction"][t]]}
    return {"x": [seq["x_input"][t]], "y": [seq["input"][t]]}
