"""Where the cell diagram draws things, on a 10 × 6 plane: the boxes of each cell
kind (``LAYOUTS``), the wires between them (``EDGES``) and the operations on the
wires (``OPERATIONS``), as textbook diagrams draw an LSTM, a GRU and a plain RNN;
then, at a given width (``Sizes``), the neighbours' pictograms around the diagram
and the arrows joining them to the boxes they feed or read.

Box names are the engine's trace names (``f`` is the forget gate everywhere); their
labels come from ``course.lab.steps``, with every other view's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# name -> (x, y) on a 10 × 6 plane, drawn like the textbook diagrams; the words on
# the boxes are the quantities' (course.lab.steps).
LAYOUTS: dict[str, dict[str, tuple[float, float]]] = {
    "lstm": {
        "c_prev": (0.9, 5.0),
        "h_prev": (0.9, 2.2),
        "x": (0.9, 0.6),
        "f": (3.0, 3.3),
        "i": (4.6, 3.3),
        "g": (6.2, 3.3),
        "o": (7.8, 3.3),
        "c": (9.3, 5.0),
        "h": (9.3, 0.6),
    },
    "gru": {
        "h_prev": (0.9, 5.0),
        "x": (0.9, 0.6),
        "r": (3.4, 2.6),
        "z": (5.4, 2.6),
        "n": (7.2, 2.6),
        "h": (9.3, 5.0),
    },
    "rnn": {
        "h_prev": (0.9, 4.2),
        "x": (0.9, 1.4),
        "a": (5.0, 2.8),
        "h": (9.0, 2.8),
    },
}

# Edges of each diagram, as (from, to) pairs of box names or (x, y) points.
EDGES: dict[str, list[tuple[Any, Any]]] = {
    "lstm": [
        ("c_prev", (3.0, 5.0)),
        ((3.0, 5.0), (6.2, 5.0)),
        ((6.2, 5.0), "c"),
        ("f", (3.0, 5.0)),
        ("i", (5.4, 4.3)),
        ("g", (5.4, 4.3)),
        ((5.4, 4.3), (6.2, 5.0)),
        ("c", (9.3, 3.3)),
        ("o", (9.3, 2.2)),
        ((9.3, 3.3), (9.3, 2.2)),
        ((9.3, 2.2), "h"),
        # h_{t-1} and x_t join a bus that feeds every gate
        ("h_prev", (2.0, 2.2)),
        ("x", (2.0, 0.6)),
        ((2.0, 0.6), (2.0, 2.2)),
        ((2.0, 2.2), (7.8, 2.2)),
        ((3.0, 2.2), "f"),
        ((4.6, 2.2), "i"),
        ((6.2, 2.2), "g"),
        ((7.8, 2.2), "o"),
    ],
    "gru": [
        ("h_prev", (2.2, 1.6)),
        ("x", (2.2, 1.6)),
        ((2.2, 1.6), "r"),
        ((2.2, 1.6), "z"),
        ((2.2, 1.6), "n"),
        ("r", "n"),
        ("h_prev", (8.2, 5.0)),
        ("z", (8.2, 5.0)),
        ("n", (8.2, 5.0)),
        ((8.2, 5.0), "h"),
    ],
    "rnn": [("h_prev", "a"), ("x", "a"), ("a", "h")],
}

# Operation nodes drawn on the edges: (x, y, symbol).
OPERATIONS: dict[str, list[tuple[float, float, str]]] = {
    "lstm": [
        (3.0, 5.0, "×"),
        (6.2, 5.0, "+"),
        (5.4, 4.3, "×"),
        (9.3, 3.3, "tanh"),
        (9.3, 2.2, "×"),
    ],
    "gru": [(8.2, 5.0, "mix")],
    "rnn": [(7.0, 2.8, "act")],
}

BOX_W, BOX_H = 1.45, 0.95


# On a phone the gates of a row sit closer than their numbers are wide: every other
# one drops a little, so neighbouring numbers are never on the same line.
STAGGER = {"lstm": ("i", "o"), "gru": ("z",), "rnn": ()}
DROP = 0.4


@dataclass(frozen=True)
class Sizes:
    """How the diagram is drawn at one width: fonts in px, pictograms in plane units."""

    name: str
    height: int  # px
    label: str  # the ``cell_boxes`` column of box labels
    value: str  # … and of their numbers
    value_px: str
    side_w: float  # width of the t−1 and t+1 pictograms
    gap: float  # between a pictogram and the box it feeds or reads
    stack_w: float  # width of the pictograms below and above
    side_angle: float  # of the t−1 and t+1 titles: upright in a narrow strip
    shown: str  # media query under which this figure is the one displayed


# Under 64rem the wide figure's long labels come too close (seen in screenshots).
WIDE = Sizes("wide", 440, "label", "value", "15px", 1.4, 0.6, 1.9, 0.0, "(min-width: 64.01rem)")
NARROW = Sizes(
    "narrow", 340, "label_short", "value_short", "10px", 0.8, 0.4, 2.2, math.pi / 2,
    "(max-width: 64rem)",
)  # fmt: skip
STACK_H = 0.8  # height of the pictograms below and above
RISE = 0.3  # hₜ rises to the layer above this far right of a box in its way


def placed(cell: str, sizes: Sizes) -> dict[str, tuple[float, float]]:
    """The boxes of ``cell`` as drawn at ``sizes``: staggered when narrow."""
    drop = STAGGER[cell] if sizes is NARROW else ()
    return {n: (x, y - DROP if n in drop else y) for n, (x, y) in LAYOUTS[cell].items()}


def _point(layout: dict[str, tuple[float, float]], end: Any) -> tuple[float, float]:
    return end if isinstance(end, tuple) else layout[end]


def _riser(layout: dict[str, tuple[float, float]]) -> tuple[float, bool]:
    """x where hₜ goes up to the layer above, and whether a box sits in its way (the
    LSTM's cₜ above hₜ): then it goes up just right of the boxes."""
    hx, hy = layout["h"]
    blocked = any(abs(x - hx) < BOX_W and y > hy for n, (x, y) in layout.items() if n != "h")
    return (hx + BOX_W / 2 + RISE, True) if blocked else (hx, False)


def neighbour_boxes(cell: str, sizes: Sizes) -> dict[str, tuple[float, float, float, float]]:
    """Centre and size (x, y, w, h) of each neighbour's pictogram around the diagram:
    t−1 left of the state it hands over, t+1 right of the state it takes, the layer
    below under xₜ, the layer above over where hₜ rises."""
    layout = placed(cell, sizes)
    xs = [x for x, _ in layout.values()]
    ys = [y for _, y in layout.values()]
    left, right = min(xs) - BOX_W / 2, max(xs) + BOX_W / 2
    bottom, top = min(ys) - BOX_H / 2, max(ys) + BOX_H / 2
    riser, blocked = _riser(layout)
    next_left = riser + sizes.gap if blocked else right + sizes.gap

    def span(names: tuple[str, ...]) -> tuple[float, float]:
        at = [layout[n][1] for n in names if n in layout]
        return (min(at) + max(at)) / 2, max(at) - min(at) + BOX_H + 0.1

    w = sizes.side_w
    (prev_y, prev_h), (next_y, next_h) = span(("c_prev", "h_prev")), span(("c", "h"))
    return {
        "prev": (left - sizes.gap - w / 2, prev_y, w, prev_h),
        "next": (next_left + w / 2, next_y, w, next_h),
        "below": (layout["x"][0], bottom - sizes.gap - STACK_H / 2, sizes.stack_w, STACK_H),
        "above": (riser, top + sizes.gap + STACK_H / 2, sizes.stack_w, STACK_H),
    }


def edge_data(cell: str, sizes: Sizes) -> dict[str, list[float]]:
    """The wires of ``cell``'s diagram as segments (x0, y0) → (x1, y1)."""
    layout = placed(cell, sizes)
    edges = [(_point(layout, a), _point(layout, b)) for a, b in EDGES[cell]]
    return {
        "x0": [a[0] for a, _ in edges],
        "y0": [a[1] for a, _ in edges],
        "x1": [b[0] for _, b in edges],
        "y1": [b[1] for _, b in edges],
    }


def arrow_data(cell: str, sizes: Sizes) -> dict[str, list[float]]:
    """Arrows between the pictograms and the boxes they feed or read."""
    layout, pics = placed(cell, sizes), neighbour_boxes(cell, sizes)
    px, _, pw, _ = pics["prev"]
    nx, _, nw, _ = pics["next"]
    bx, by, _, bh = pics["below"]
    ax, ay, _, ah = pics["above"]
    arrows = []
    for name, (x, y) in layout.items():
        if name in ("c_prev", "h_prev"):
            arrows.append((px + pw / 2, y, x - BOX_W / 2, y))
        elif name in ("c", "h"):
            arrows.append((x + BOX_W / 2, y, nx - nw / 2, y))
    xx, xy = layout["x"]
    arrows.append((bx, by + bh / 2, xx, xy - BOX_H / 2))
    hx, hy = layout["h"]
    start = (ax, hy) if _riser(layout)[1] else (hx, hy + BOX_H / 2)
    arrows.append((*start, ax, ay - ah / 2))
    x0, y0, x1, y1 = (list(c) for c in zip(*arrows, strict=True))
    return {"x0": x0, "y0": y0, "x1": x1, "y1": y1}


def plane(cell: str, sizes: Sizes) -> tuple[tuple[float, float], tuple[float, float]]:
    """The x and y ranges a figure shows: the pictograms, which surround the diagram,
    with a small margin."""
    pics = neighbour_boxes(cell, sizes).values()
    lefts, rights = [x - w / 2 for x, _, w, _ in pics], [x + w / 2 for x, _, w, _ in pics]
    bottoms, tops = [y - h / 2 for _, y, _, h in pics], [y + h / 2 for _, y, _, h in pics]
    return (min(lefts) - 0.15, max(rights) + 0.15), (min(bottoms) - 0.1, max(tops) + 0.1)
