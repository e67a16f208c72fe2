"""The network overview: its sources place every layer, loop and "+" slot where the
page lays its buttons, for 1–7 layers, and follow the stepper and the chosen layer."""

from __future__ import annotations

import json

import pytest
from bokeh.embed import json_item
from socketkit import ok

from course.figures.palette import LEVELS
from course.lab.views import overview
from engine import Lab, LabConfig, ModelConfig

FEED = {"lesson": "data", "lab": "feed"}


def test_the_figure_holds_every_named_source():
    text = json.dumps(json_item(overview.overview_figure()))
    for name in overview.SOURCES:
        assert f'"name":"{name}"' in text.replace(" ", "")


@pytest.mark.parametrize("layers", range(1, 8))
def test_layers_sit_apart_with_a_slot_between_each_two(layers):
    xs = overview.layer_x(layers)
    slots = overview.slot_x(layers)
    assert len(xs) == layers
    assert all(b - a > overview.LAYER_W for a, b in zip(xs, xs[1:], strict=False))
    assert overview.INPUT_PANE[1] < xs[0] - overview.LAYER_W / 2
    assert xs[-1] + overview.LAYER_W / 2 < overview.OUTPUT_PANE[0]
    if layers == 7:
        assert slots == []  # seven is the most
    else:
        assert len(slots) == layers + 1
        edges = [x for c in xs for x in (c - overview.LAYER_W / 2, c + overview.LAYER_W / 2)]
        for k, slot in enumerate(slots):  # before layer k, after layer k - 1, never on one
            assert (k == 0 or edges[2 * k - 1] < slot) and (k == layers or slot < edges[2 * k])


def test_sources_follow_the_stepper_and_the_chosen_layer():
    lab = Lab(LabConfig(model=ModelConfig(cell="gru", layers=2, hidden=4)))
    data = overview.overview_data(lab, lab.frame(), selected=1)
    layers = data["overview_layers"]
    assert layers["line_color"] == [LEVELS["overview"], LEVELS["layer"]]
    assert layers["fill_alpha"][0] > layers["fill_alpha"][1]  # the stepper is in layer 1
    assert layers["units"] == [4, 4]
    assert len(data["overview_loops"]["xs"]) == 2
    assert data["overview_labels"]["text"] == ["input", "layer 1", "layer 2", "prediction"]
    T, C = lab.config.train.window, lab.config.continuation
    assert len(data["overview_input"]["x"]) == T
    assert len(data["overview_prediction"]["x"]) == T + C
    ys = data["overview_input"]["y"] + data["overview_prediction"]["y"]
    assert all(overview.PANE_Y[0] <= y <= overview.PANE_Y[1] for y in ys)


def test_the_lesson_lab_sends_the_overview_and_a_rebuild_redraws_it(lab_client):
    opened = ok(lab_client, "open", FEED)
    assert len(opened["sources"]["overview_layers"]["x"]) == 3
    assert len(opened["sources"]["overview_slots"]["x"]) == 4
    chosen = ok(lab_client, "select", {"lab": "feed", "unit": 0, "layer": 2})
    assert chosen["sources"]["overview_layers"]["line_color"][2] == LEVELS["layer"]
    ack = ok(lab_client, "configure", {"lab": "feed", "config": {"layers": 4}})
    assert ack["rebuilt"] is True and "layers resets training" in ack["message"]
    assert "overview" in ack["figures"]
    assert len(ack["sources"]["overview_layers"]["x"]) == 4
    assert LEVELS["layer"] not in ack["sources"]["overview_layers"]["line_color"]  # zoomed out
