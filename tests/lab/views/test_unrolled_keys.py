"""The unrolled view's edges name the nodes they join, so the page can draw one unit's
connections alone (static/js/unrolled.js): every key sits where its node is drawn."""

from __future__ import annotations

from collections import Counter

from course.lab.spec import parse_block
from course.lab.views import unrolled
from engine import Lab


def lab_of(**options: object) -> Lab:
    return Lab(parse_block("u", options | {"views": ["unrolled"]}).config)


def test_each_dense_edge_names_the_units_it_joins():
    lab = lab_of(model="rnn", layers=2, hidden=8)
    layout = unrolled.Layout.of(lab.config)
    edges, loops = unrolled.edge_data(layout, "rnn", lab.params)
    where = {"x": layout.input_xy[1], "y": layout.output_xy[1]}
    where |= {f"{l}:{u}": float(layout.y(l, u)) for l in range(2) for u in range(8)}
    for columns in (edges, loops):
        for src, dst, y0, y1 in zip(*(columns[k] for k in ("src", "dst", "y0", "y1")), strict=True):
            assert (where[src], where[dst]) == (y0, y1)
    # Unit 3 of layer 2: fed by the 8 units below, feeding the readout; in time, fed by
    # the layer's 8 units one step back and feeding them one step on (itself included).
    assert Counter(d for d in edges["dst"])["1:3"] == 8
    assert [d for s, d in zip(edges["src"], edges["dst"], strict=True) if s == "1:3"] == ["y"]
    assert Counter(loops["dst"])["1:3"] == Counter(loops["src"])["1:3"] == 8
    # The readout's weight from unit 3 is that edge's colour.
    row = edges["src"].index("1:3")
    weight = float(lab.params.W_y[0][3])
    assert edges["color"][row] == ("#E69F00" if weight > 0 else "#0072B2")


def test_an_aggregated_edge_names_whole_cells():
    lab = lab_of(model="lstm", layers=3, hidden=16)
    edges, loops = unrolled.edge_data(unrolled.Layout.of(lab.config), "lstm", lab.params)
    assert list(zip(edges["src"], edges["dst"], strict=True)) == [
        ("x", "0:*"), ("0:*", "1:*"), ("1:*", "2:*"), ("2:*", "y"),
    ]  # fmt: skip
    assert loops["src"] == loops["dst"] == ["0:*", "1:*", "2:*"]
