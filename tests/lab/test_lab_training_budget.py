"""A `train` on /lab is bounded: by its seconds of training (it says so and trains
again when asked), and by its learner's connection (it stops when they leave)."""

from __future__ import annotations

import threading
import time

import pytest
from labkit import LAB, open_lab
from socketkit import ok

from course.extensions import socketio


@pytest.fixture
def labs(app):
    return app.extensions["labs"]


def test_a_training_over_its_budget_stops_and_says_so(lab_client, labs, monkeypatch):
    open_lab(lab_client)
    monkeypatch.setattr(labs, "train_budget", 1e-9)  # spent by the second epoch (the
    reply = ok(lab_client, "train", {"lab": LAB, "epochs": 100})  # first may compile)
    assert (reply["trained"], reply["stopped"]) == (2, "budget")
    assert "2 of 100 epochs" in reply["message"]
    assert reply["frame"]["epoch"] == 2
    again = ok(lab_client, "train", {"lab": LAB, "epochs": 1})
    assert (again["trained"], again["stopped"], again["frame"]["epoch"]) == (1, None, 3)


def test_a_training_stops_when_its_learner_leaves(socket, labs):
    sock = socket("/lab")
    open_lab(sock)
    server_sid = socketio.server.manager.sid_from_eio_sid(sock.connection.eio_sid, "/lab")
    lab_session = labs.sessions[server_sid][LAB]
    trainer = threading.Thread(
        target=lambda: sock.connection.emit(
            "train", {"lab": LAB, "epochs": 100}, namespace="/lab", callback=True
        ),
        daemon=True,
    )
    trainer.start()
    deadline = time.monotonic() + 120
    while lab_session.lab.epoch < 1:  # training has begun
        assert time.monotonic() < deadline
        time.sleep(0.01)
    sock.close()
    trainer.join(120)
    assert not trainer.is_alive()
    assert lab_session.lab.epoch < 100
