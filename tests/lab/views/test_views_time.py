"""The time views — unrolled network, gates over time, gradient through time — read the
engine's numbers, fade what the forward pass has not computed, send only what changed,
and keep the wire finite. The lesson's claims about the gradient are checked here too.

Labs reuse the configurations other tests and the lessons compile (3 × 16 LSTM, 1 × 4 GRU,
and the training lesson's 2 × 8 RNN and LSTM).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from course.lab import views
from course.lab.spec import parse_block
from course.lab.views import gates, gradients, unrolled
from course.lab.views.cursor import Cursor
from course.lessons.registry import LessonRegistry
from course.web import wire
from engine import Lab

TIME_VIEWS = ["unrolled", "gates", "gradients"]


def make_lab(**options: Any) -> Lab:
    return Lab(parse_block("t", options | {"views": TIME_VIEWS}).config)


@pytest.fixture(scope="module")
def training() -> Any:
    return LessonRegistry.load("lessons").get("training")


@pytest.fixture(scope="module")
def lstm() -> Lab:
    return make_lab(model="lstm", layers=3, hidden=16)


@pytest.fixture(scope="module")
def rnn(training: Any) -> Lab:
    return Lab(training.labs["rnn-window"].config)


def on_wire(value: Any) -> Any:
    """As the browser receives it: cleaned, and valid JSON without NaN."""
    return json.loads(json.dumps(wire.clean(value), allow_nan=False))


def covered(boxes: dict[str, list[float]], x: float, y: float) -> bool:
    return any(
        left <= x <= right and bottom <= y <= top
        for left, right, bottom, top in zip(
            *(boxes[k] for k in ("left", "right", "bottom", "top")), strict=True
        )
    )


# -- the unrolled view ----------------------------------------------------------------


@pytest.mark.parametrize("options", [{"model": "lstm", "layers": 3, "hidden": 16},
                                     {"model": "gru", "layers": 1, "hidden": 4}])  # fmt: skip
def test_every_time_view_has_a_figure_with_its_named_sources(options):
    spec = parse_block("t", options | {"views": TIME_VIEWS})
    items = views.figures(spec)
    assert set(items) == set(TIME_VIEWS)
    names = {
        "unrolled": ["unrolled_nodes", "unrolled_edges", "unrolled_recurrent", "unrolled_fog"],
        "gates": ["gates_images", "gates_fog", "gates_cursor", "gates_label"],
        "gradients": ["grad_total", "grad_last", "grad_band", "grad_fog", "grad_hint"],
    }
    for role, sources in names.items():
        for name in sources:
            assert f'"name": "{name}"' in items[role], (role, name)


def test_nodes_are_the_inputs_hidden_states_and_predictions_of_the_window(lstm):
    layout = unrolled.Layout.of(lstm.config)
    values = on_wire(unrolled.node_data(layout, lstm.trace))["value"]
    nodes = layout.nodes
    assert len(values) == len(nodes["x"]) == 15 * (3 * 16 + 2)
    trace = lstm.trace
    for n, (t, kind, unit) in enumerate(zip(nodes["t"], nodes["kind"], nodes["unit"], strict=True)):
        if kind == "input x":
            expected = trace.xs[t - 1, 0]
        elif kind == "prediction ŷ":
            expected = trace.ys[t - 1, 0]
        else:
            layer = int(kind.split()[1]) - 1
            expected = trace.traces[layer].h[t - 1, unit]
            assert nodes["y"][n] == layout.y(layer, unit)
            assert nodes["x"][n] == pytest.approx(t + layout.offset(layer))
        assert values[n] == pytest.approx(float(expected), abs=6e-4)


def computed_cells(lab: Lab) -> set[tuple[int, int]]:
    """(t, layer) whose output h exists at the stepper's forward position."""
    phase, t, layer, step = lab.locate(lab.position)
    assert phase == "forward"
    done = set()
    for tt in range(lab.config.train.window):
        for ll in range(lab.config.model.layers):
            if (tt, ll) < (t, layer) or ((tt, ll) == (t, layer) and step == len(lab.steps) - 1):
                done.add((tt, ll))
    return done


@pytest.mark.parametrize("moves", [0, 1, 6, 7, 30, 60, 104])
def test_the_fog_covers_exactly_the_cells_not_computed_yet(lstm, moves):
    lstm.reset()
    for _ in range(moves):
        lstm.advance("compute")
    layout = unrolled.Layout.of(lstm.config)
    cursor = Cursor.of(lstm.frame())
    fog = unrolled.fog_data(layout, cursor)
    done = computed_cells(lstm)
    nodes = layout.nodes
    for x, y, t, kind in zip(nodes["x"], nodes["y"], nodes["t"], nodes["kind"], strict=True):
        if kind == "input x":
            expect_hidden = t - 1 > cursor.t
        elif kind == "prediction ŷ":
            expect_hidden = (t - 1, layout.L - 1) not in done
        else:
            expect_hidden = (t - 1, int(kind.split()[1]) - 1) not in done
        assert covered(fog, x, y) == expect_hidden, (moves, t, kind)
    box = unrolled.cursor_data(layout, cursor)
    inside = {
        (t, kind)
        for x, y, t, kind in zip(nodes["x"], nodes["y"], nodes["t"], nodes["kind"], strict=True)
        if covered(box, x, y)
    }
    assert inside == {(cursor.t + 1, f"layer {cursor.layer + 1} h")}


def test_stepping_by_time_step_fills_one_more_column_each_time(rnn):
    rnn.reset()
    layout = unrolled.Layout.of(rnn.config)
    for t in range(1, 15):
        rnn.advance("timestep")
        fog = unrolled.fog_data(layout, Cursor.of(rnn.frame()))
        assert fog["left"] == [t + 0.5]  # every column up to t is clear
    rnn.advance("timestep")
    assert unrolled.fog_data(layout, Cursor.of(rnn.frame()))["left"] == []
    rnn.advance("timestep")  # validate: nothing is hidden, nothing outlined
    frame = Cursor.of(rnn.frame())
    assert frame.phase == "validate"
    assert unrolled.fog_data(layout, frame)["left"] == []
    assert unrolled.cursor_data(layout, frame)["left"] == []


def test_dense_edges_are_every_weight_into_the_candidate_coloured_by_sign(training):
    lab = Lab(training.labs["lstm-window"].config)  # 2 layers × 8 units: every edge drawn
    layout = unrolled.Layout.of(lab.config)
    edges, recurrent = unrolled.edge_data(layout, "lstm", lab.params)
    H = 8
    assert len(edges["x0"]) == H + H * H + H  # input → layer 1 → layer 2 → readout
    assert len(recurrent["x0"]) == 2 * H * H
    W_hg = np.asarray(lab.params.layers[1].W_h)[2 * H : 3 * H]  # rows i, f, g, o: g is third
    mine = recurrent["color"][H * H :]
    widths = recurrent["width"][H * H :]
    expected = ["#E69F00" if w > 0 else "#0072B2" for w in W_hg.ravel()]
    assert mine == expected
    order = np.argsort(np.abs(W_hg).ravel())
    assert all(widths[a] <= widths[b] for a, b in zip(order, order[1:], strict=False))


def test_wide_layers_get_one_edge_per_pair_of_cells(lstm):
    layout = unrolled.Layout.of(lstm.config)
    edges, recurrent = unrolled.edge_data(layout, "lstm", lstm.params)
    assert len(edges["x0"]) == 1 + 2 + 1  # input, two between layers, readout
    assert len(recurrent["x0"]) == 3


# -- gates over time -------------------------------------------------------------------


def test_gate_images_are_the_trace_of_the_layer_the_stepper_is_at(lstm):
    lstm.reset()
    for _ in range(7 + 3):  # layer 2, third compute step
        lstm.advance("compute")
    cursor = Cursor.of(lstm.frame())
    layer = gates.shown_layer(cursor, 3)
    assert layer == 1
    images = on_wire(gates.image_data(lstm.config, lstm.trace, layer))
    assert images["name"] == ["i", "f", "g", "o", "c", "h"]
    for name, image in zip(images["name"], images["image"], strict=True):
        expected = np.asarray(getattr(lstm.trace.traces[1], name)).T  # (H, T)
        np.testing.assert_allclose(np.array(image), expected, atol=6e-4)
    assert gates.label_data(lstm.config, layer)["text"] == ["layer 2 of 3"]


def test_gate_fog_hides_later_steps_and_the_quantities_not_computed_yet(lstm):
    lstm.reset()
    for _ in range(7 * 3 * 4 + 2):  # t = 5, layer 1, after x, f, i
        lstm.advance("compute")
    cursor = Cursor.of(lstm.frame())
    assert (cursor.t, cursor.layer, cursor.revealed()) == (4, 0, ("f", "i"))
    fog = gates.fog_data(lstm.config, cursor)
    H = 16

    def hidden(name: str, t: int) -> bool:
        base = gates._base("lstm", H, name)
        return covered(fog, t + 1, base + H / 2)

    for name in ("i", "f", "g", "o", "c", "h"):
        assert not hidden(name, 3)
        assert hidden(name, 5)
        assert hidden(name, 4) == (name not in ("f", "i"))
    box = gates.cursor_data(lstm.config, cursor)
    assert (box["left"], box["right"]) == ([4.5], [5.5])


# -- gradient through time --------------------------------------------------------------


def test_gradient_lines_are_the_norms_of_the_backward_pass(lstm):
    lstm.reset()
    lstm.jump("backward")
    out = on_wire(views.sources(lstm, 0, full=True, views=["gradients"]))
    dh = np.asarray(lstm.gradients().dh, np.float64)  # (L, T, H)
    for layer in range(3):
        expected = [math.sqrt(float(np.sum(dh[layer, t] ** 2))) for t in range(15)]
        assert out["grad_total"][f"h{layer + 1}"] == pytest.approx(expected, rel=1e-9)
    assert out["grad_total"]["t"] == list(range(1, 16))
    assert out["grad_hint"]["text"] == []
    assert out["grad_band"]["left"] == [14.5]  # the backward pass starts at t = 15
    assert out["grad_fog"]["right"] == [14.5]  # and has reached nothing before it


def rnn_last_error_reference(lab: Lab) -> np.ndarray:
    """∂((ŷ_T − y_T)²/T)/∂h_t by hand for one tanh layer: back through diag(1 − h²) W_h."""
    p, trace = lab.params.layers[0], lab.trace.traces[0]
    T = lab.config.train.window
    W_h, W_y = np.asarray(p.W_h, np.float64), np.asarray(lab.params.W_y, np.float64)
    h = np.asarray(trace.h, np.float64)
    error = float(lab.trace.ys[-1, 0]) - float(lab.targets()[T - 1])
    g = np.zeros((T, h.shape[1]))
    g[-1] = 2.0 / T * error * W_y[0]
    for t in range(T - 1, 0, -1):
        g[t - 1] = W_h.T @ ((1.0 - h[t] ** 2) * g[t])
    return g


def test_the_dashed_lines_are_the_last_errors_gradient_alone():
    lab = make_lab(model="rnn", layers=1, hidden=4)
    dh = gradients.last_error_dh(lab)[0]
    reference = rnn_last_error_reference(lab)
    np.testing.assert_allclose(dh, reference, rtol=2e-3, atol=1e-9)
    assert np.linalg.norm(reference[0]) < np.linalg.norm(reference[-1])


def test_the_gradient_view_waits_for_the_backward_pass(rnn):
    rnn.reset()
    out = on_wire(views.sources(rnn, 0, full=True, views=["gradients"]))
    assert out["grad_total"]["t"] == [] and out["grad_last"]["t"] == []
    assert out["grad_hint"]["text"] == [gradients.HINT]
    rnn.jump("backward", t=6)
    out = on_wire(views.sources(rnn, 0, full=False, views=["gradients"]))
    assert len(out["grad_last"]["h2"]) == 15
    assert out["grad_band"]["left"] == [6.5] and out["grad_fog"]["right"] == [6.5]


# -- what goes on the wire ------------------------------------------------------------


def test_only_what_changed_is_sent_and_a_weight_change_sends_the_new_picture(rnn):
    rnn.reset()
    held: views.Held = {}  # what the browser holds, as a lab session keeps it
    first = views.sources(rnn, 0, full=True, views=TIME_VIEWS + ["sequence"], held=held)
    assert {"unrolled_nodes", "unrolled_edges", "gates_images", "seq_prediction"} <= set(first)
    rnn.advance("compute")
    small = views.sources(rnn, 0, full=False, views=TIME_VIEWS + ["sequence"], held=held)
    assert set(small) == {
        "unrolled_fog", "unrolled_cursor", "gates_fog", "gates_cursor", "grad_fog",
        "grad_band", "seq_cursor",
    }  # fmt: skip
    rnn.jump("update")
    views.sources(rnn, 0, full=False, views=TIME_VIEWS, held=held)
    before = first["unrolled_nodes"]["value"]
    while rnn.frame()["phase"] == "update":
        rnn.advance("compute")  # stepping past the update changes the weights
    after = views.sources(rnn, 0, full=False, views=TIME_VIEWS + ["sequence"], held=held)
    assert {"unrolled_nodes", "unrolled_edges", "gates_images", "seq_prediction"} <= set(after)
    assert after["unrolled_nodes"]["value"] != before
    assert after["grad_total"]["t"] == []  # new weights: their gradient is not computed yet


def test_a_diverged_lab_sends_no_nan(rnn):
    rnn.reset()
    rnn.window.trace = rnn.trace._replace(  # what a diverged forward pass leaves
        xs=np.full_like(rnn.trace.xs, np.nan),
        traces=tuple(t._replace(h=np.full_like(t.h, np.inf)) for t in rnn.trace.traces),
    )
    layout = unrolled.Layout.of(rnn.config)
    nodes = on_wire(unrolled.node_data(layout, rnn.trace))
    assert None in nodes["value"]
    image = on_wire(gates.image_data(rnn.config, rnn.trace, 0))
    assert image["image"][1][0][0] is None  # h of unit 0 at t = 1
    line = on_wire(gradients.line_data(np.full((2, 15, 8), np.nan)))
    assert line["h1"] == [None] * 15
    json.dumps(views.sources(rnn, 0, full=True, views=TIME_VIEWS), allow_nan=False)
    rnn.reset()


# -- what the training lesson says --------------------------------------------------------


def last_error_norms(lab: Lab) -> np.ndarray:
    return np.linalg.norm(gradients.last_error_dh(lab), axis=2)  # (L, T)


def test_the_lessons_vanishing_gradient_claims_hold(training):
    rnn = Lab(training.labs["rnn-window"].config)
    lstm = Lab(training.labs["lstm-window"].config)
    top = last_error_norms(rnn)[-1]
    assert top[-1] / top[0] > 1000  # "thousands of times weaker at t = 1"
    assert np.all(np.diff(top) > 0)  # "for the top layer that shrinks it at every step back"
    layer1 = last_error_norms(rnn)[0]
    assert layer1[-2] > layer1[-1]  # "higher at t = 14 than at t = 15"
    assert np.all(np.diff(layer1[:-1]) > 0)  # "from there on it shrinks too"
    assert 100 < layer1[-2] / layer1[0] < 400  # "about 200-fold between t = 14 and t = 1"
    steps_per_tenfold = 14 / math.log10(top[-1] / top[0])
    assert 3.5 < steps_per_tenfold < 4.5  # "about tenfold every four steps"
    top, bottom = last_error_norms(lstm)[-1], last_error_norms(lstm)[0]
    assert 8 < top[-1] / top[-2] < 12  # "drops tenfold at the first step back"
    assert 5 < top[-2] / top[0] < 7.5  # "only about six times below"
    assert 8 < bottom[-1] / bottom[0] < 12  # layer 1: "about a factor of ten"
    f = np.concatenate([np.asarray(t.f).ravel() for t in lstm.trace.traces])
    assert round(float(f.min()), 2) == 0.67 and round(float(f.max()), 2) == 0.79


def test_the_lessons_training_claims_hold(training):
    rnn = Lab(training.labs["rnn-window"].config)
    predictions = rnn.trace.ys[:, 0]
    assert predictions.min() > 0.1 and predictions.max() < 0.35
    errors = np.abs(predictions - rnn.targets()[:15])
    assert int(np.argmax(errors)) + 1 == 8
    rnn.jump("update")
    while rnn.frame()["phase"] == "update":
        rnn.advance("timestep")
    assert np.max(np.abs(rnn.trace.ys[:, 0] - predictions)) > 0.5  # "a long way"
    lstm = Lab(training.labs["lstm-window"].config)
    rnn.train(5)
    lstm.train(5)
    assert rnn.losses[-1] <= lstm.losses[-1]  # "at least as fast as the LSTM"
    rnn_top, lstm_top = last_error_norms(rnn)[-1], last_error_norms(lstm)[-1]
    assert rnn_top[-1] / rnn_top[0] > 1000 and lstm_top[-1] / lstm_top[0] < 100
