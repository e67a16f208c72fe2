"""The loss curve: training loss per epoch on a log scale."""

from __future__ import annotations

from typing import Any

from bokeh.models import AdaptiveTicker, ColumnDataSource
from bokeh.plotting import figure

from course.figures.palette import BLUE, GREY
from course.lab.views.logaxis import log_axis, tick_data


def loss_figure() -> Any:
    p = figure(
        name="fig_loss",
        height=220,
        sizing_mode="stretch_width",
        tools="",
        toolbar_location=None,
        y_axis_type="log",
        x_axis_label="epoch",
        y_axis_label="loss (MSE)",
    )
    p.xaxis.ticker = AdaptiveTicker(min_interval=1)  # whole epochs only
    log_axis(p, "loss_ticks")
    source = ColumnDataSource(name="loss", data={"epoch": [], "loss": []})
    p.line("epoch", "loss", source=source, line_color=BLUE, line_width=2)
    p.scatter("epoch", "loss", source=source, size=4, fill_color=BLUE, line_color=BLUE)
    hint = ColumnDataSource(name="loss_hint", data=hint_data([]))
    p.text(
        "epoch",
        "loss",
        text="text",
        source=hint,
        text_align="center",
        text_baseline="middle",
        text_color=GREY,
        text_font_size="13px",
    )
    p.background_fill_color = None
    p.border_fill_color = None
    return p


def loss_data(losses: list[float]) -> dict[str, list[Any]]:
    return {"epoch": list(range(1, len(losses) + 1)), "loss": list(losses)}


def ticks_data(losses: list[float]) -> dict[str, list[float]]:
    """The y ticks for the losses drawn (or for the hint, at 1)."""
    return tick_data(losses)


def hint_data(losses: list[float]) -> dict[str, list[Any]]:
    """A note in the empty plot until the first epoch has been trained."""
    if losses:
        return {"epoch": [], "loss": [], "text": []}
    return {"epoch": [1], "loss": [1.0], "text": ["No epochs yet: train to see the loss"]}
