"""The unrolled-in-time view: one column per time step, one band per layer, each
unit a node coloured by its output h. Edges carry the weights: orange positive,
blue negative, wider for stronger.

Weights are shared across time, so the edges of one column are a template that
every column draws, shifted: the wire carries one column's edges, not T of them, and
the page repeats them (the sources' ``repeat`` tag, read by static/js/views.js), so
one renderer draws all the edges of the window. For gated cells the edges are the weights into the
candidate (LSTM g, GRU n): the content that moves forward. Above ``DENSE_MAX``
units a layer, one aggregated edge joins each pair of cells.

Cells the forward pass has not computed yet lie under a translucent "fog", so
stepping fills the picture in; the current cell is outlined.

Every edge names the nodes it joins (``src``, ``dst``: ``node_key``), so the page
can draw one unit's connections alone, on hover or on choice (static/js/unrolled.js).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from bokeh.models import ColumnDataSource, FixedTicker, HoverTool, LinearColorMapper, Range1d

from course.figures.base import plain_figure
from course.figures.palette import BLUE, DIVERGING, GREY, ORANGE
from course.lab.views.cursor import Cursor, finite
from engine import LabConfig

DENSE_MAX = 8
FOG = "#FFFFFF"
FOG_ALPHA = 0.82
# Rows of the weight matrices that feed the candidate (the block order is the engine's).
CANDIDATE_BLOCK = {"lstm": 2, "gru": 2, "rnn": 0}


@dataclass(frozen=True)
class Layout:
    """Positions in data units: column t is centred on x = t + 1; units are 1 apart."""

    T: int
    L: int
    H: int

    @staticmethod
    @lru_cache(maxsize=64)  # one instance per shape, so ``nodes`` is built once
    def of(config: LabConfig) -> Layout:
        return Layout(config.train.window, config.model.layers, config.model.hidden)

    @property
    def gap(self) -> int:
        return max(2, math.ceil(self.H / 3))

    @property
    def dense(self) -> bool:
        return self.H <= DENSE_MAX

    def offset(self, layer: int) -> float:
        """Layers step to the right inside a column, so edges between them stay visible."""
        return 0.0 if self.L == 1 else -0.22 + 0.44 * layer / (self.L - 1)

    def y(self, layer: int, unit: Any) -> Any:
        return layer * (self.H + self.gap) + unit

    def centre(self, layer: int) -> float:
        return float(self.y(layer, (self.H - 1) / 2))

    def band_bottom(self, layer: int) -> float:
        """Half-way between band ``layer − 1`` and band ``layer`` (``layer`` may be L)."""
        return layer * (self.H + self.gap) - (self.gap + 1) / 2

    @property
    def input_xy(self) -> tuple[float, float]:
        return self.offset(0) - 0.13, float(-self.gap)

    @property
    def output_xy(self) -> tuple[float, float]:
        return self.offset(self.L - 1) + 0.13, float(self.y(self.L - 1, self.H - 1) + self.gap)

    @property
    def y_range(self) -> tuple[float, float]:
        pad = max(1.2, self.gap * 0.6)
        return self.input_xy[1] - pad, self.output_xy[1] + pad

    @property
    def frame_height(self) -> int:
        lo, hi = self.y_range
        return int(min(520, max(200, (hi - lo) * 13)))

    @property
    def node_size(self) -> float:
        lo, hi = self.y_range
        return float(min(16.0, max(3.0, 0.78 * self.frame_height / (hi - lo))))

    @cached_property
    def nodes(self) -> dict[str, list[Any]]:
        """Static columns of every node, ordered t-major: x_t, layer 0 … L−1 units, ŷ_t."""
        per_column_x = [self.input_xy[0]]
        per_column_y = [self.input_xy[1]]
        kinds, units = ["input x"], [0]
        for layer in range(self.L):
            per_column_x += [self.offset(layer)] * self.H
            per_column_y += [float(self.y(layer, k)) for k in range(self.H)]
            kinds += [f"layer {layer + 1} h"] * self.H
            units += list(range(self.H))
        per_column_x.append(self.output_xy[0])
        per_column_y.append(self.output_xy[1])
        kinds.append("prediction ŷ")
        units.append(0)
        big = max(self.node_size, 9.0)
        size = [big] + [self.node_size] * (self.L * self.H) + [big]
        out: dict[str, list[Any]] = {k: [] for k in ("x", "y", "t", "kind", "unit", "size")}
        for t in range(self.T):
            out["x"] += [round(t + 1 + x, 4) for x in per_column_x]
            out["y"] += per_column_y
            out["t"] += [t + 1] * len(per_column_x)
            out["kind"] += kinds
            out["unit"] += units
            out["size"] += size
        return out


def node_key(layer: int | str, unit: int | str) -> str:
    """An edge end: ``"l:u"`` for unit u of layer l (0-based), ``"l:*"`` for a whole
    layer's cell (an aggregated edge), ``"x"`` the input, ``"y"`` the readout."""
    return f"{layer}:{unit}"


def unrolled_figure(config: LabConfig) -> Any:
    layout = Layout.of(config)
    lo, hi = layout.y_range
    p = plain_figure(
        "fig_unrolled",
        grid=False,
        outline=False,
        x_range=Range1d(start=0.45, end=layout.T + 0.55),
        y_range=Range1d(start=lo, end=hi),
        frame_height=layout.frame_height,
        x_axis_label="time step t",
    )
    p.xaxis.ticker = FixedTicker(ticks=list(range(1, layout.T + 1)))
    ticks = {layout.input_xy[1]: "x", layout.output_xy[1]: "ŷ"}
    ticks |= {layout.centre(layer): f"layer {layer + 1}" for layer in range(layout.L)}
    p.yaxis.ticker = FixedTicker(ticks=sorted(ticks))
    p.yaxis.major_label_overrides = {float(k): v for k, v in ticks.items()}  # type: ignore[assignment]
    p.yaxis.major_tick_line_color = None

    empty_edges: dict[str, list[Any]] = {
        k: [] for k in ("x0", "y0", "x1", "y1", "color", "width", "alpha", "src", "dst")
    }
    edges = ColumnDataSource(name="unrolled_edges", data=dict(empty_edges))
    recurrent = ColumnDataSource(name="unrolled_recurrent", data=dict(empty_edges))
    for source, first in ((recurrent, 2), (edges, 1)):  # no h₀ edges into the first column
        # The page draws the rows at x + first, …, x + T: the same edges in every column.
        source.tags = [{"repeat": {"first": first, "last": layout.T, "shift": ["x0", "x1"]}}]
        p.segment(
            x0="x0",
            y0="y0",
            x1="x1",
            y1="y1",
            source=source,
            line_color="color",
            line_width="width",
            line_alpha="alpha",
        )
    # Node positions never change: they ship with the figure, and the wire carries
    # only ``value`` (views.js merges the columns it receives into the source).
    blank = [None] * len(layout.nodes["x"])
    nodes = ColumnDataSource(name="unrolled_nodes", data=layout.nodes | {"value": blank})
    mapper = LinearColorMapper(palette=DIVERGING, low=-1, high=1, nan_color="#D9DEE3")
    dots = p.scatter(
        "x",
        "y",
        source=nodes,
        size="size",
        fill_color={"field": "value", "transform": mapper},
        line_color=GREY,
        line_width=0.6,
    )
    p.add_tools(
        HoverTool(renderers=[dots], tooltips=[("", "@kind, t = @t, unit @unit: @value{+0.000}")])
    )
    fog = ColumnDataSource(
        name="unrolled_fog", data={"left": [], "right": [], "bottom": [], "top": []}
    )
    p.quad(
        left="left",
        right="right",
        bottom="bottom",
        top="top",
        source=fog,
        fill_color=FOG,
        fill_alpha=FOG_ALPHA,
        line_color=None,
    )
    cursor = ColumnDataSource(
        name="unrolled_cursor", data={"left": [], "right": [], "bottom": [], "top": []}
    )
    p.quad(
        left="left",
        right="right",
        bottom="bottom",
        top="top",
        source=cursor,
        fill_color=None,
        line_color=ORANGE,
        line_width=3,
    )
    return p


def node_data(layout: Layout, trace: Any) -> dict[str, list[Any]]:
    """The ``value`` of every node (x_t, each h_t, ŷ_t), in ``Layout.nodes`` order."""
    columns = [np.asarray(trace.xs, np.float64).reshape(layout.T, 1)]
    columns += [np.asarray(layer.h, np.float64) for layer in trace.traces]
    columns.append(np.asarray(trace.ys, np.float64).reshape(layout.T, 1))
    values = np.concatenate(columns, axis=1)  # (T, 1 + L·H + 1), t-major like Layout.nodes
    return {"value": finite(values.ravel(), 3)}


def _block(cell: str, matrix: Any, H: int) -> np.ndarray:
    start = CANDIDATE_BLOCK[cell] * H
    return np.asarray(matrix, np.float64)[start : start + H]


def edge_data(
    layout: Layout, cell: str, params: Any
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """One column's edges (input → layer 1 → … → readout) and its recurrent edges
    (from the previous column), x relative to the column centre."""
    H, L = layout.H, layout.L
    pairs: list[tuple[End, End, np.ndarray]] = []
    recurrent: list[tuple[End, End, np.ndarray]] = []
    units = np.arange(H)
    for layer in range(L):
        p = params.layers[layer]
        x_to = layout.offset(layer)
        W_x, W_h = _block(cell, p.W_x, H), _block(cell, p.W_h, H)  # (H, D), (H, H)
        into = (x_to, layout.y(layer, units), layer)
        if layer == 0:
            pairs.append(((*layout.input_xy, "x"), into, W_x))
        else:
            pairs.append(
                ((layout.offset(layer - 1), layout.y(layer - 1, units), layer - 1), into, W_x)
            )
        recurrent.append(((x_to - 1, layout.y(layer, units), layer), into, W_h))
    top = (layout.offset(L - 1), layout.y(L - 1, units), L - 1)
    pairs.append((top, (*layout.output_xy, "y"), np.asarray(params.W_y, np.float64)))
    edges = [_segments(layout, *pair) for pair in pairs]
    loops = [_segments(layout, *pair) for pair in recurrent]
    strongest = max(e["strength"].max(initial=0.0) for e in edges + loops) or 1.0
    return _columns(edges, strongest, layout.dense), _columns(loops, strongest, layout.dense)


# An edge end: x, the y of each node there, and the layer they are in ("x": the input,
# "y": the readout, each a single node).
End = tuple[float, Any, int | str]


def _keys(end: End, count: int, dense: bool) -> np.ndarray:
    """The ``node_key`` of each of ``count`` nodes at ``end``."""
    layer = end[2]
    if isinstance(layer, str):
        return np.full(count, layer, dtype=object)
    if not dense:
        return np.full(count, node_key(layer, "*"), dtype=object)
    return np.array([node_key(layer, u) for u in range(count)], dtype=object)


def _segments(layout: Layout, start: End, end: End, W: np.ndarray) -> dict[str, np.ndarray]:
    """Edges from the ``start`` nodes (columns of W) to the ``end`` nodes (rows of W)."""
    rows, cols = W.shape
    if not layout.dense:  # one edge between the two cells' centres
        ys = [float(np.mean(np.atleast_1d(v))) for v in (start[1], end[1])]
        rms = float(np.sqrt(np.mean(W**2)))
        return {
            "x0": np.array([start[0]]),
            "y0": np.array([ys[0]]),
            "x1": np.array([end[0]]),
            "y1": np.array([ys[1]]),
            "sign": np.array([np.sign(W.sum())]),
            "strength": np.array([rms]),
            "src": _keys(start, 1, False),
            "dst": _keys(end, 1, False),
        }
    y_from = np.broadcast_to(np.asarray(start[1], np.float64), (cols,))
    y_to = np.broadcast_to(np.asarray(end[1], np.float64), (rows,))
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    return {
        "x0": np.full(W.size, start[0]),
        "y0": y_from[j].ravel(),
        "x1": np.full(W.size, end[0]),
        "y1": y_to[i].ravel(),
        "sign": np.sign(W).ravel(),
        "strength": np.abs(W).ravel(),
        "src": _keys(start, cols, True)[j].ravel(),
        "dst": _keys(end, rows, True)[i].ravel(),
    }


def _columns(parts: list[dict[str, np.ndarray]], strongest: float, dense: bool) -> dict[str, Any]:
    joined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    share = np.nan_to_num(joined["strength"] / strongest)
    width = (0.3 + 2.2 * share) if dense else (1.0 + 4.0 * share)
    alpha = (0.15 + 0.65 * share) if dense else np.full(share.shape, 0.75)
    return {
        "x0": finite(joined["x0"], 3),
        "y0": finite(joined["y0"], 3),
        "x1": finite(joined["x1"], 3),
        "y1": finite(joined["y1"], 3),
        "color": [ORANGE if s > 0 else BLUE for s in joined["sign"]],
        "width": finite(width, 2),
        "alpha": finite(alpha, 2),
        "src": [str(k) for k in joined["src"]],
        "dst": [str(k) for k in joined["dst"]],
    }


def fog_data(layout: Layout, cursor: Cursor) -> dict[str, list[float]]:
    """Translucent boxes over the cells the forward pass has not computed yet."""
    boxes: list[tuple[float, float, float, float]] = []
    lo, hi = layout.y_range
    if cursor.forward:
        assert cursor.t is not None and cursor.layer is not None
        column = cursor.t + 1
        if column < layout.T:
            boxes.append((column + 0.5, layout.T + 0.55, lo, hi))
        first_missing = cursor.layer + 1 if cursor.cell_done else cursor.layer
        if first_missing < layout.L:
            boxes.append((column - 0.5, column + 0.5, layout.band_bottom(first_missing), hi))
    keys = ("left", "right", "bottom", "top")
    return {k: [round(b[n], 3) for b in boxes] for n, k in enumerate(keys)}


def cursor_data(layout: Layout, cursor: Cursor) -> dict[str, list[float]]:
    """An outline around the cell (t, layer) the stepper is at, forward or backward."""
    keys = ("left", "right", "bottom", "top")
    if cursor.phase not in ("forward", "backward") or cursor.t is None or cursor.layer is None:
        return {k: [] for k in keys}
    x = cursor.t + 1 + layout.offset(cursor.layer)
    box = (
        x - 0.1,
        x + 0.1,
        layout.y(cursor.layer, 0) - 0.9,
        layout.y(cursor.layer, layout.H - 1) + 0.9,
    )
    return {k: [round(float(v), 3)] for k, v in zip(keys, box, strict=True)}
