"""The figure every view starts from: full width, no toolbar, no tools, transparent so
the page's light or dark theme shows through."""

from __future__ import annotations

from typing import Any

from bokeh.plotting import figure


def plain_figure(name: str, *, grid: bool = True, outline: bool = True, **options: Any) -> Any:
    """A Bokeh figure named ``name`` (the page finds it by name); ``options`` go to
    ``figure`` (height, ranges, axis labels and types)."""
    p = figure(name=name, sizing_mode="stretch_width", tools="", toolbar_location=None, **options)
    p.background_fill_color = None
    p.border_fill_color = None
    if not grid:
        p.grid.visible = False
    if not outline:
        p.outline_line_color = None
    return p
