"""The memory task's view: the held-out accuracy of the vanilla RNN, the LSTM and the
GRU per epoch, against chance (``engine.memory``), drawn from the ``tk_recall`` source
that the ``/task`` acks refill."""

from __future__ import annotations

from typing import Any

from bokeh.models import ColumnDataSource, DataRange1d, HoverTool, NumeralTickFormatter, Range1d
from bokeh.models.annotations import Span

from course.figures.base import add_key, plain_figure
from course.figures.palette import BLUE, GREEN, GREY, INK, VERMILION

Columns = dict[str, list[Any]]

CELL_COLOURS = {"rnn": VERMILION, "lstm": BLUE, "gru": GREEN}
CHANCE = 0.25  # one letter in four (engine/memory.py)


def recall_figure() -> Any:
    """Held-out accuracy per epoch, one line per cell, and chance as a dashed line."""
    p = plain_figure(
        "fig_tk_recall",
        height=260,
        x_axis_label="epoch",
        y_axis_label="held-out accuracy",
        x_range=DataRange1d(start=0.5, min_interval=4),
        y_range=Range1d(start=0.0, end=1.04),
    )
    src = ColumnDataSource(name="tk_recall", data={c: [] for c in ("epoch", "rnn", "lstm", "gru")})
    p.add_layout(Span(location=CHANCE, dimension="width", line_color=GREY, line_dash="dashed"))
    dots = []
    for cell, colour in CELL_COLOURS.items():
        dash = "dashed" if cell == "gru" else "solid"  # apart without colour too
        p.line("epoch", cell, source=src, line_color=colour, line_width=2.5, line_dash=dash)
        marker = {"rnn": "square", "lstm": "circle", "gru": "triangle"}[cell]
        dots.append(
            p.scatter(
                "epoch", cell, source=src, size=7, marker=marker, fill_color=colour, line_color=INK
            )
        )
    tip = "epoch @epoch: RNN @rnn{0.0%}, LSTM @lstm{0.0%}, GRU @gru{0.0%}"
    p.add_tools(HoverTool(renderers=dots[:1], tooltips=tip, mode="vline"))
    p.yaxis.formatter = NumeralTickFormatter(format="0 %")
    p.xaxis.ticker.min_interval = 1
    add_key(
        p,
        [
            ("vanilla RNN", "line", VERMILION),
            ("LSTM", "line", BLUE),
            ("GRU", "dashed", GREEN),
            ("chance (25 %)", "dashed", GREY),
        ],
    )
    return p


def memory_data(state: dict[str, Any]) -> dict[str, Columns]:
    """The three networks' held-out accuracy per finished epoch (all three have it)."""
    cells = state["cells"]
    epochs = state["epoch"]
    data: Columns = {"epoch": list(range(1, epochs + 1))}
    for cell in CELL_COLOURS:
        data[cell] = [float(a) for a in cells[cell]["accuracy"][:epochs]]
    return {"tk_recall": data}
