"""A shared link's state through the /lab ``open`` event: epochs, window updates and
the cursor are replayed, giving the numbers of the lab that was shared."""

from __future__ import annotations

import json
from typing import Any

import pytest
from labkit import LAB, LESSON
from socketkit import Socket, ask

from course.lab.spec import with_overrides
from course.lessons.registry import LessonRegistry
from engine import Lab

GRU = {"layers": 1, "hidden": 4, "model": "gru", "seed": 5}


def open_shared(sock: Socket, link: dict[str, Any]) -> dict[str, Any]:
    return ask(sock, "open", {"lesson": LESSON, "lab": LAB} | link)


def test_open_replays_epochs_updates_and_position(lab_client: Any) -> None:
    spec = LessonRegistry.load("lessons").get(LESSON).labs[LAB]
    lab = Lab(with_overrides(spec, GRU))
    lab.train(2)
    lab.jump("forward")
    for _ in range(lab.total_positions):  # one window update by stepping through it all
        lab.advance("compute")
    for _ in range(7):
        lab.advance("compute")
    expected = json.loads(json.dumps(lab.frame()))

    ack = open_shared(lab_client, {"config": GRU, "epochs": 2, "updates": 1, "position": 7})
    assert ack["ok"] is True, ack
    assert ack["info"]["config"]["seed"] == 5
    assert ack["frame"] == expected


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"position": 10**6}, "position"),
        ({"position": -1}, "position"),
        ({"epochs": 51}, "epochs"),
        ({"updates": 51}, "updates"),
        ({"epochs": "3"}, "epochs"),
    ],
)
def test_a_link_out_of_range_is_refused(
    lab_client: Any, payload: dict[str, Any], field: str
) -> None:
    ack = open_shared(lab_client, {"config": GRU} | payload)
    assert ack["ok"] is False and ack["error"]["field"] == field, ack
