"""Views of module 1's playground: a diagram of the one unit with its current numbers
(``diagram``), and the input sequence above the hidden state over time (``series``).

Figures are built here and embedded with ``json_item``; every step replaces the data
of their named ``pg_*`` sources. Names follow the lesson: x, h_prev, a, h, w_x, w_h, b.
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from bokeh.embed import json_item

from course.figures.base import on_card
from course.figures.ids import renamed
from course.figures.tables import add_tables, columns_table
from course.playground.views.diagram import box_data, diagram_figure, ops_data, terms_data
from course.playground.views.series import series_data, series_figure
from course.playground.views.text import equation, number
from engine.playground import Playground

__all__ = ["equation", "figures", "number", "sources"]

Columns = dict[str, list[Any]]


def figures() -> dict[str, str]:
    """JSON text of each figure by role, key order kept for BokehJS.

    The figures hold no data of their own (every source is filled from ``sources``), so
    they are built once; each call renames the model ids, because BokehJS finds models by
    id and a page with several playgrounds must not hold the same id twice.
    """
    suffix = "-" + uuid.uuid4().hex[:8]
    return {role: json.dumps(renamed(item, suffix)) for role, item in _items()}


@functools.cache
def _items() -> tuple[tuple[str, Any], ...]:
    built = {"diagram": diagram_figure(), "series": series_figure()}  # ~0.3 s: Bokeh is slow
    on_card(built["diagram"])  # white boxes with ink inside: light in the dark theme too
    # Each figure's numbers as tables (course/figures/tables.py).
    add_tables(
        built["diagram"],
        "the unit",
        columns_table(
            "The unit at this step", "pg_boxes", [("label", "quantity"), ("value", "value")]
        ),
        columns_table("The terms of the sum", "pg_terms", [("text", "term")]),
    )
    add_tables(
        built["series"],
        "the inputs and states",
        columns_table(
            "The input sequence (faded in the plot: still to come)",
            "pg_inputs",
            [("t", "t"), ("raw", "raw value"), ("x", "xₜ fed to the unit")],
        ),
        columns_table("The hidden state so far", "pg_h", [("t", "t"), ("y", "hₜ")]),
    )
    return tuple((role, json_item(fig)) for role, fig in built.items())


def sources(pg: Playground) -> dict[str, Columns]:
    """New data for every named source (the run is at most 30 steps: all of it, every time)."""
    return {
        "pg_boxes": box_data(pg),
        "pg_ops": ops_data(pg.config.activation),
        "pg_terms": terms_data(pg),
    } | series_data(pg)
