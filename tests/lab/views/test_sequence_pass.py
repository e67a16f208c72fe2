"""The sequence plot shows what the pass has computed at the cursor, and nothing more:
one input point and one prediction per time step of the forward pass, error bars and
the continuation only once the window is validated."""

from __future__ import annotations

from typing import Any

import pytest

from course.lab import views
from course.lab.spec import parse_block
from engine import Lab

SEQ = ["sequence"]


@pytest.fixture(params=["rnn", "lstm", "gru"])
def lab(request: pytest.FixtureRequest) -> Lab:
    options = {"model": request.param, "layers": 2, "hidden": 4, "window": 6}
    return Lab(parse_block("walk", options).config)


def shown(lab: Lab, held: views.Held) -> dict[str, Any]:
    """The sequence plot's columns as the browser holds them after this frame."""
    return views.sources(lab, 0, full=False, views=SEQ, held=held)


def test_the_forward_pass_adds_one_input_and_one_prediction_per_time_step(lab: Lab) -> None:
    T, L = lab.config.train.window, lab.config.model.layers
    held: views.Held = {}
    page = views.sources(lab, 0, full=True, views=SEQ, held=held)
    seq = lab.sequence()
    while lab.frame()["phase"] == "forward":
        frame = lab.frame()
        t, layer, last = frame["t"], frame["layer"], frame["step"] == lab.steps[-1]
        made = t + 1 if layer == L - 1 and last else t
        assert page["seq_input"]["y"] == seq["input"][: t + 1]
        assert page["seq_prediction"]["y"] == seq["prediction"][:made]
        error = page["seq_error"]
        assert error["x"] == seq["x_target"][:made]
        assert error["y1"] == error["y0"] == seq["target"][:made]  # no bar before validate
        circled = page["seq_cursor"]
        if made > t:
            assert circled == {"x": [seq["x_target"][t]], "y": [seq["prediction"][t]]}
        else:
            assert circled == {"x": [seq["x_input"][t]], "y": [seq["input"][t]]}
        lab.advance("compute")
        page |= shown(lab, held)
    assert lab.frame()["phase"] == "validate"
    assert page["seq_prediction"]["y"] == seq["prediction"]  # the window and the continuation
    assert len(seq["prediction"]) == T + lab.config.continuation
    assert page["seq_error"]["y1"] == seq["prediction"][:T]
    assert page["seq_error"]["y0"] == seq["target"][:T]
    assert page["seq_cursor"] == {"x": [], "y": []}


def test_sequence_columns_go_out_only_when_what_is_shown_changes(lab: Lab) -> None:
    held: views.Held = {}
    views.sources(lab, 0, full=True, views=SEQ, held=held)
    sent = []
    for _ in range(lab.forward_positions):
        lab.advance("compute")
        sent.append("seq_input" in shown(lab, held))
    # Sent when a time step's input is read and when its prediction is made (the first
    # input came with the page), and once for the validated window; nothing in between.
    per_step = len(lab.steps) * lab.config.model.layers
    assert sum(sent) == 2 * lab.config.train.window
    assert sent[per_step - 2] and not any(sent[: per_step - 2])  # ŷ₀ at t = 0's last step


def test_after_training_the_new_window_is_shown_whole(lab: Lab) -> None:
    lab.train(1)
    page = views.sources(lab, 0, full=True, views=SEQ)
    seq = lab.sequence()
    assert page["seq_prediction"]["y"] == seq["prediction"]
    assert page["seq_input"]["y"] == seq["input"]
