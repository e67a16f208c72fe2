"""Reset tells the network note what it did: its ack carries the message and the
lab's size, so the note does not keep saying what an earlier change did."""

from __future__ import annotations

from labkit import LAB, open_lab
from socketkit import ok

from course.lab.spec import RESET_MESSAGE


def test_reset_answers_its_message_and_the_labs_size(lab_client):
    opened = open_lab(lab_client)
    ok(lab_client, "configure", {"lab": LAB, "config": {"learning_rate": 0.001}})
    reply = ok(lab_client, "reset", {"lab": LAB})
    assert reply["message"] == RESET_MESSAGE
    assert reply["info"]["layers"] == opened["info"]["layers"]
    assert reply["info"]["hidden"] == opened["info"]["hidden"]
    assert reply["info"]["config"]["learning_rate"] == 0.001  # a reset keeps the settings
