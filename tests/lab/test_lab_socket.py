"""The /lab socket, through acks as the browser uses it: open, step, train, reset, select,
play and pause. (Refusals and limits: test_lab_refusals.py; the page's first frame:
test_first_frame.py.)

JAX compiles each model shape once per process, so the tests share a few configs: the
lesson's lab (3 × 16 LSTM) and one small GRU (1 × 4).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import numpy as np
import pytest
from labkit import GRU, GRU_STEPS, LAB, LESSON, LSTM_STEPS, open_lab, step
from socketkit import ok, pushed

from course.lab.spec import ticks
from course.lab.views.cell_layout import LAYOUTS
from engine import Lab


def plain(value: Any) -> Any:
    """What a value looks like after the wire (tuples become lists, and so on)."""
    return json.loads(json.dumps(value))


def highlighted(boxes: dict[str, list[Any]]) -> set[str]:
    widest = max(boxes["line_width"])
    return {n for n, w in zip(boxes["name"], boxes["line_width"], strict=True) if w == widest}


def shown(boxes: dict[str, list[Any]]) -> dict[str, str]:
    return dict(zip(boxes["name"], boxes["value"], strict=True))


@pytest.fixture
def spec(app):
    return app.extensions["lessons"].get(LESSON).labs[LAB]


# -- opening and stepping -------------------------------------------------------------


def test_open_starts_at_the_first_compute_step(lab_client):
    ack = open_lab(lab_client)
    frame = ack["frame"]
    assert (frame["epoch"], frame["phase"], frame["t"], frame["layer"], frame["step"]) == (
        0,
        "forward",
        0,
        0,
        "x",
    )
    assert {"cell_boxes", "cell_heatmap", "seq_prediction", "loss"} <= set(ack["sources"])
    assert ack["info"]["steps"] == LSTM_STEPS
    assert (ack["info"]["layers"], ack["info"]["hidden"]) == (3, 16)
    assert ack["playing"] is False


def test_compute_steps_walk_the_cell_in_order_and_light_up_each_box(lab_client):
    acks = [open_lab(lab_client)] + [step(lab_client) for _ in LSTM_STEPS[1:]]
    assert [a["frame"]["step"] for a in acks] == LSTM_STEPS
    assert all(a["explain"] for a in acks)  # every step is explained in words
    assert highlighted(acks[0]["sources"]["cell_boxes"]) == {"x", "h_prev", "c_prev"}
    for ack in acks[1:]:
        name = ack["frame"]["step"]
        assert highlighted(ack["sources"]["cell_boxes"]) == {name}
        # The box shows the number just computed, for unit 0.
        value = ack["frame"]["values"][name][0]
        assert shown(ack["sources"]["cell_boxes"])[name] == f"{value:+.3f}"
    # Boxes not yet computed show no number.
    assert shown(acks[1]["sources"]["cell_boxes"])["h"] == "…"


def test_after_the_output_the_next_layer_takes_it_as_input(lab_client):
    open_lab(lab_client)
    top = [step(lab_client) for _ in LSTM_STEPS[1:]][-1]["frame"]
    frame = step(lab_client)["frame"]
    assert (frame["t"], frame["layer"], frame["step"]) == (0, 1, "x")
    assert frame["values"]["x"] == top["values"]["h"]


def test_frames_carry_the_engines_numbers(lab_client, spec):
    lab = Lab(spec.config)
    assert open_lab(lab_client)["frame"] == plain(lab.frame())
    for _ in range(2 * len(LSTM_STEPS) + 1):  # into the second layer
        assert step(lab_client)["frame"]["values"] == plain(lab.advance("compute")["values"])


def test_timestep_runs_every_layer_of_a_time_step(lab_client):
    open_lab(lab_client)
    frames = [step(lab_client, "timestep")["frame"] for _ in range(2)]
    assert [(f["t"], f["layer"], f["step"]) for f in frames] == [(0, 2, "h"), (1, 2, "h")]


def test_after_the_window_comes_validation_then_the_backward_pass(lab_client):
    window = open_lab(lab_client)["info"]["window"]
    for _ in range(window):
        frame = step(lab_client, "timestep")["frame"]
    assert frame["t"] == window - 1
    ack = step(lab_client, "timestep")
    frame = ack["frame"]
    assert frame["phase"] == "validate"
    assert len(frame["error"]) == window
    assert frame["mse"] == pytest.approx(sum(e * e for e in frame["error"]) / window)
    assert ack["explain"].startswith("Validation")
    frame = step(lab_client, "timestep")["frame"]
    assert (frame["phase"], frame["t"], frame["layer"]) == ("backward", window - 1, 0)


# -- training, reset, unit --------------------------------------------------------------


def test_training_lowers_the_loss_and_moves_the_prediction(lab_client):
    open_lab(lab_client)
    before = ok(lab_client, "jump", {"lab": LAB, "phase": "validate"})  # the whole window
    after = ok(lab_client, "train", {"lab": LAB, "epochs": 5})
    losses = after["sources"]["loss"]["loss"]
    assert after["sources"]["loss"]["epoch"] == [1, 2, 3, 4, 5]
    assert losses[-1] < losses[0]
    assert after["frame"]["epoch"] == 5
    assert after["frame"]["loss"] == losses[-1]
    assert after["frame"]["phase"] == "validate"  # the new weights' window, checked
    old, new = before["sources"]["seq_prediction"]["y"], after["sources"]["seq_prediction"]["y"]
    assert max(abs(a - b) for a, b in zip(old, new, strict=True)) > 1e-3


def test_epoch_granularity_trains_one_epoch(lab_client):
    open_lab(lab_client)
    ack = step(lab_client, "epoch")
    assert ack["frame"]["epoch"] == 1
    assert len(ack["sources"]["loss"]["loss"]) == 1


def test_reset_returns_to_the_untrained_network(lab_client):
    first = open_lab(lab_client)
    ok(lab_client, "train", {"lab": LAB, "epochs": 1})
    step(lab_client)
    again = ok(lab_client, "reset", {"lab": LAB})
    assert again["frame"] == first["frame"]
    assert again["sources"]["seq_prediction"] == first["sources"]["seq_prediction"]
    assert again["sources"]["loss"] == {"epoch": [], "loss": []}
    assert step(lab_client)["frame"]["step"] == "f"


def test_select_shows_the_chosen_unit(lab_client):
    open_lab(lab_client)
    for _ in LSTM_STEPS[1:]:
        frame = step(lab_client)["frame"]
    ack = ok(lab_client, "select", {"lab": LAB, "unit": 5})
    assert ack["frame"] == frame  # selecting does not move the cursor
    values = frame["values"]
    expected = {name: f"{v[min(5, len(v) - 1)]:+.3f}" for name, v in values.items()}
    assert shown(ack["sources"]["cell_boxes"]) == expected
    heat = ack["sources"]["cell_heatmap"]
    assert {u for u, line in zip(heat["unit"], heat["outline"], strict=True) if line} == {5}
    # The choice sticks for the next steps.
    later = step(lab_client)
    assert shown(later["sources"]["cell_boxes"])["x"] == f"{later['frame']['values']['x'][5]:+.3f}"


def test_open_with_a_config_override(lab_client):
    ack = open_lab(lab_client, config=GRU)
    assert ack["info"]["steps"] == GRU_STEPS
    assert (ack["info"]["cell"], ack["info"]["layers"], ack["info"]["hidden"]) == ("gru", 1, 4)
    assert set(ack["sources"]["cell_boxes"]["name"]) == set(LAYOUTS["gru"])
    assert [step(lab_client)["frame"]["step"] for _ in GRU_STEPS[1:]] == GRU_STEPS[1:]
    # Reopening without the override gives the lesson's lab back.
    assert open_lab(lab_client)["info"]["cell"] == "lstm"


# -- playing ---------------------------------------------------------------------------


def test_play_pushes_frames_until_paused(lab_client):
    open_lab(lab_client)
    ack = ok(lab_client, "play", {"lab": LAB, "granularity": "compute", "speed": 8})
    assert ack["playing"] is True
    time.sleep(0.6)
    frames = [e["args"][0] for e in pushed(lab_client) if e["name"] == "frame"]
    assert len(frames) >= 3
    positions = [f["frame"]["position"] for f in frames]
    assert positions == list(range(1, len(frames) + 1))  # one compute step each, none skipped
    assert all(f["playing"] for f in frames)

    assert ok(lab_client, "pause", {"lab": LAB})["playing"] is False
    time.sleep(0.2)
    pushed(lab_client)  # a frame already on its way when the pause arrived
    time.sleep(0.4)
    assert pushed(lab_client) == []


def test_at_8x_by_compute_step_the_browser_gets_20_updates_a_second(lab_client):
    """The play loop keeps its cadence: the work of a step does not stretch it."""
    open_lab(lab_client)
    ok(lab_client, "play", {"lab": LAB, "granularity": "compute", "speed": 8})
    time.sleep(2.0)
    ok(lab_client, "pause", {"lab": LAB})
    frames = [e for e in pushed(lab_client) if e["name"] == "frame"]
    assert 36 <= len(frames) <= 42  # 20 a second, the first at once


def test_ticks_keep_their_cadence_and_never_burst():
    stop = threading.Event()
    times = []
    for tick in ticks(0.05, stop):
        times.append(time.monotonic())
        if tick == 1:
            time.sleep(0.12)  # a slow step: the next tick comes late, not twice
        if tick == 5:
            stop.set()
    gaps = np.diff(times)
    assert len(times) == 6
    # The late tick is not made up with a burst: the ticks after it keep the cadence from
    # then on (a tick woken late makes the next gap shorter, by design; a busy machine
    # only stretches the span), so three gaps take at least about three intervals.
    assert gaps[1] >= 0.12
    assert times[5] - times[2] >= 2.5 * 0.05


def test_step_stops_playing(lab_client):
    open_lab(lab_client)
    ok(lab_client, "play", {"lab": LAB, "speed": 8})
    time.sleep(0.2)
    assert step(lab_client)["playing"] is False
    time.sleep(0.2)
    pushed(lab_client)
    time.sleep(0.3)
    assert pushed(lab_client) == []
