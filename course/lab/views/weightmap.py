"""The weights view: the weights of the layer the cell view shows, W_x, W_h and b (a
GRU's b_x and b_h), as heatmaps side by side, a row per gate block and unit (blocks in
the engine's order, labelled with the gates' names), values on hover; below them the
change ΔW the update phase computes for that layer, once it has computed it.

Colours are relative: the largest |W| of each matrix is its darkest (ΔW likewise), as
the hover gives every true value. A row of W_x, W_h and b together makes one unit's
gate: the arithmetic panel's W_x·xₜ is that row of W_x times xₜ.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from bokeh.models import (
    ColumnDataSource,
    DataRange1d,
    FixedTicker,
    HoverTool,
    LinearColorMapper,
    Range1d,
)

from course.figures.base import plain_figure
from course.figures.palette import DIVERGING, INK, LIGHT
from course.lab.steps import QUANTITIES
from engine.arithmetic import BLOCKS

GAP = 1.5  # columns between two matrices
NOT_SHOWN = -2.0  # the shade of a value not computed yet (or not finite): grey
ROW_GAP = 1  # rows between two gate blocks
# What each matrix's columns multiply, for the hover: W_x by xₜ, W_h by hₜ₋₁.
READS = {"W_x": "x", "W_h": "h"}
# The weights as the page writes them (the engine's W_x is Wₓ on screen).
SYMBOLS = {"W_x": "Wₓ", "W_h": "Wₕ", "b_x": "bₓ", "b_h": "bₕ"}


def _y(cell: str, hidden: int, block: int, unit: int) -> float:
    """Row of ``unit`` in gate ``block``: the first block on top, unit 0 at its top."""
    blocks = len(BLOCKS[cell])
    return float((blocks - 1 - block) * (hidden + ROW_GAP) + hidden - 1 - unit)


def _top(cell: str, hidden: int) -> float:
    return _y(cell, hidden, 0, 0)


def weights_figure(cell: str, hidden: int, *, delta: bool = False) -> Any:
    """The heatmaps of one layer's weights (``delta``: of their change ΔW)."""
    top = _top(cell, hidden)
    rows = len(BLOCKS[cell]) * (hidden + ROW_GAP)
    row_px = 3.5 if delta else 5.0  # ΔW is a smaller copy: its pattern, not each value
    height = int(min(420, max(100, row_px * rows)))
    label_rows = 18 / (height / rows)  # room for the matrices' names, 18 px, above
    p = plain_figure(
        "fig_weights_delta" if delta else "fig_weights",
        grid=False,
        outline=False,
        x_range=DataRange1d(range_padding=0.02),
        y_range=Range1d(start=-0.7, end=top + 0.5 + label_rows),
        frame_height=height,
    )
    p.xaxis.visible = False
    centres = {
        _y(cell, hidden, k, 0) - (hidden - 1) / 2: f"{q} {QUANTITIES[q].name}"
        for k, q in enumerate(BLOCKS[cell])
    }
    p.yaxis.ticker = FixedTicker(ticks=sorted(centres))
    p.yaxis.major_label_overrides = centres  # type: ignore[assignment]
    p.yaxis.major_tick_line_color = None
    p.yaxis.axis_line_color = None
    # NOT_SHOWN (below ``low``) draws as the page's light grey: a JSON null would be 0.
    mapper = LinearColorMapper(palette=DIVERGING, low=-1, high=1, low_color=LIGHT)
    name = "weights_delta" if delta else "weights"
    columns = ("x", "y", "name", "shade", "text" if delta else "value")
    cells = ColumnDataSource(name=name, data={k: [] for k in columns})
    r = p.rect(
        x="x",
        y="y",
        width=0.94,
        height=0.9,
        source=cells,
        fill_color={"field": "shade", "transform": mapper},
        line_color=None,
    )
    shown = "@text" if delta else "@value{+0.0000}"
    p.add_tools(HoverTool(renderers=[r], tooltips=[("", f"@name = {shown}")]))
    labels = ColumnDataSource(name=f"{name}_labels", data={"x": [], "y": [], "text": []})
    p.text(
        "x",
        "y",
        text="text",
        source=labels,
        text_color=INK,
        text_font_size="12px",
        text_baseline="bottom",
        text_font_style="bold",
    )
    return p


def matrices(layer_params: Any) -> dict[str, np.ndarray]:
    """A layer's weights as 2-D arrays (rows: gate blocks × units), biases as columns."""
    return {
        name: np.atleast_2d(np.asarray(value, np.float64)).reshape(np.asarray(value).shape[0], -1)
        for name, value in layer_params._asdict().items()
    }


def layout_data(
    cell: str, hidden: int, shape: dict[str, tuple[int, int]], *, delta: bool = False
) -> dict[str, list[Any]]:
    """Where each weight sits and its name for the hover: ``W_h[f 3, h 5]`` is the
    weight from unit 5 of hₜ₋₁ into unit 3 of the forget gate. Changes only with the
    layer's shape (layer 1 reads the data, the others the layer below); built once per
    layout and kept (the caller gets a copy)."""
    built = _layout(cell, hidden, tuple(shape.items()), delta)
    return {name: list(values) for name, values in built.items()}


@functools.lru_cache(maxsize=64)
def _layout(
    cell: str, hidden: int, shape: tuple[tuple[str, tuple[int, int]], ...], delta: bool
) -> dict[str, tuple[Any, ...]]:
    data: dict[str, list[Any]] = {"x": [], "y": [], "name": []}
    blocks, left = BLOCKS[cell], 0.0
    for matrix, (n_rows, n_cols) in shape:
        reads = READS.get(matrix)
        for row in range(n_rows):
            block, unit = divmod(row, hidden)
            for col in range(n_cols):
                where = f"{blocks[block]} {unit}" + (f", {reads} {col}" if reads else "")
                data["x"].append(left + col)
                data["y"].append(_y(cell, hidden, block, unit))
                symbol = SYMBOLS.get(matrix, matrix)
                data["name"].append(f"{'Δ' if delta else ''}{symbol}[{where}]")
        left += n_cols + GAP
    return {name: tuple(values) for name, values in data.items()}


def value_data(
    cell: str, hidden: int, arrays: dict[str, Any] | None, shape: dict[str, tuple[int, int]],
    *, delta: bool = False,
) -> dict[str, dict[str, list[Any]]]:  # fmt: skip
    """The colours and hover values of the ``weights`` (``delta``: ``weights_delta``)
    source, in ``layout_data``'s order, and the matrices' names above them. ``arrays``
    by matrix name, each of ``shape``; None: ΔW is not computed yet (no squares)."""
    name = "weights_delta" if delta else "weights"
    data: dict[str, list[Any]] = {"shade": [], "value" if not delta else "text": []}
    labels: dict[str, list[Any]] = {"x": [], "y": [], "text": []}
    left = 0.0
    for matrix, (_, n_cols) in shape.items():
        labels["x"].append(left - 0.5)
        labels["y"].append(_top(cell, hidden) + 0.9)
        labels["text"].append(("Δ" if delta else "") + SYMBOLS.get(matrix, matrix))
        left += n_cols + GAP
    for matrix, (n_rows, n_cols) in shape.items():
        count = n_rows * n_cols
        if arrays is None:  # only ΔW is ever not computed: nothing drawn
            data = {"x": [], "y": [], "name": [], "shade": [], "text": []}
            break
        values = np.asarray(arrays[matrix], np.float64).reshape(count)
        ok = np.isfinite(values)
        finite = np.abs(values[ok])
        scale = float(np.max(finite)) if finite.size and np.max(finite) > 0 else 1.0
        shade = np.where(ok, np.round(np.clip(values / scale, -1.0, 1.0), 2), NOT_SHOWN)
        data["shade"] += shade.tolist()
        if delta:
            pairs = zip(values, ok, strict=True)
            data["text"] += [f"{v:+.3e}" if good else "not finite" for v, good in pairs]
        else:  # the hover writes it with 4 decimals (None: not finite)
            rounded = np.round(values, 4).tolist()
            data["value"] += [v if good else None for v, good in zip(rounded, ok, strict=True)]
    if delta and arrays is None:
        labels["text"][0] += ": computed in the update phase"
        labels["text"][1:] = [""] * (len(labels["text"]) - 1)
    return {name: data, f"{name}_labels": labels}


def layout_key(cell: str, hidden: int, shape: dict[str, tuple[int, int]]) -> str:
    """A name for one layout of the squares: the cell kind, units and matrix shapes."""
    return f"{cell}-{hidden}-" + "-".join(f"{r}x{c}" for r, c in shape.values())


def shape_of(layer_params: Any) -> dict[str, tuple[int, int]]:
    """Each matrix's (rows, columns) as ``matrices`` lays it out, without copying it."""
    return {
        name: (a.shape[0], math.prod(a.shape[1:]) if a.ndim > 1 else 1)
        for name, a in layer_params._asdict().items()
    }
