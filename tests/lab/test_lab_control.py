"""What may be done to a lab is written once (course/lab/control.py): a learner on
/lab and a presenter on /live get the same error for the same bad payload, and
the lab does not change."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from labkit import LAB, open_lab
from livekit import Person, presenter
from socketkit import ask, ok

# The lesson's lab: an LSTM of 3 layers × 16 units over a window of 15.
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("jump", {"phase": "validate", "t": 3}, "bad_value", "t"),
    ("jump", {"phase": "forward", "t": 20}, "out_of_range", "t"),
    ("jump", {"phase": "sideways"}, "bad_choice", "phase"),
    ("jump", {}, "missing_field", "phase"),
    ("select", {"unit": 20}, "out_of_range", "unit"),
    ("select", {"unit": 99}, "out_of_range", "unit"),
    ("select", {"unit": 0, "layer": 3}, "out_of_range", "layer"),
    ("select", {"unit": "first"}, "bad_type", "unit"),
    ("configure", {"config": {}}, "missing_field", "config"),
    ("configure", {"config": {"hidden": 5}}, "bad_choice", "config.hidden"),
    ("configure", {"config": {"wings": 2}}, "unknown_field", "config.wings"),
    ("configure", {"config": {"layers": 9}}, "out_of_range", "config.layers"),
    ("step", {"granularity": "year"}, "bad_choice", "granularity"),
    ("train", {"epochs": 1000}, "out_of_range", "epochs"),
]


@pytest.mark.parametrize(("action", "args", "code", "field"), BAD)
def test_a_bad_action_gets_the_same_error_on_lab_and_live_and_changes_nothing(
    app: Flask,
    lab_client: Any,
    people: list[Person],
    session_code: str,
    action: str,
    args: dict[str, Any],
    code: str,
    field: str,
) -> None:
    open_lab(lab_client)
    ok(lab_client, "step", {"lab": LAB, "granularity": "timestep"})
    before = ok(lab_client, "pause", {"lab": LAB})
    own = ask(lab_client, action, {"lab": LAB} | args)
    after = ok(lab_client, "pause", {"lab": LAB})

    teacher = presenter(app, people, session_code)
    shared = teacher.call("sync", {"code": session_code})["state"]
    live = teacher.call("present", {"code": session_code, "action": action} | args)
    still = teacher.call("sync", {"code": session_code})["state"]

    assert own["ok"] is False and live["ok"] is False
    assert own["error"] == live["error"]
    assert (own["error"]["code"], own["error"]["field"]) == (code, field)
    assert after["frame"] == before["frame"] and after["sources"] == before["sources"]
    assert still["seq"] == shared["seq"] and still["frame"] == shared["frame"]
