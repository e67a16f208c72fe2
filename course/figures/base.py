"""The figure every view starts from: full width, no toolbar, no tools, transparent so
the page's light or dark theme shows through."""

from __future__ import annotations

from typing import Any

from bokeh.core.property.vectorization import Field
from bokeh.models.renderers import GlyphRenderer
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


TEXT = "currentColor"  # a key mark in the colour of the page's text


def add_key(p: Any, items: list[tuple[str, str, str]]) -> None:
    """Give figure ``p`` a key the page writes as HTML under it (static/js/views.js):
    one (label, mark, colour) per item, ``mark`` one of line, dashed, dot, ring, bar,
    band; colour ``TEXT`` follows the page's text colour (in the dark theme too). HTML
    wraps on a phone, where a Bokeh legend is cut off, and screen readers read it."""
    key = [{"label": label, "mark": mark, "color": color} for label, mark, color in items]
    p.tags = [*p.tags, {"key": key}]


def on_card(root: Any) -> None:
    """Draw figure (or layout) ``root`` on a light card in the dark theme too: a diagram
    of white boxes with ink inside, whose colours do not follow the theme (the page's
    static/js/theme.js repaints every other figure's ink, axes and grid)."""
    root.tags = [*root.tags, {"card": True}]


def empty_columns(root: Any) -> None:
    """Give every glyph's source the columns the glyph reads, empty where the source
    has none yet (the browser fills them), so Bokeh's validation has nothing to report.
    ``root`` is a figure or a layout of figures."""
    for renderer in root.select({"type": GlyphRenderer}):
        source, glyph = renderer.data_source, renderer.glyph
        specs = glyph.dataspecs()
        for name, value in glyph.properties_with_values(include_defaults=False).items():
            if name in specs and isinstance(value, Field) and value.field not in source.data:
                source.data[value.field] = []
