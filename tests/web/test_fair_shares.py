"""Fair shares (issue 17): one learner, or one client address, cannot take the
widget slots, connections or trainers everyone else needs; what a closed connection
held is free at once. Addresses come through the proxy setting (``PROXIES=1``: the
last ``X-Forwarded-For`` hop), as they do behind nginx."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import socketkit
from flask import Flask
from flask.testing import FlaskClient
from socketkit import Socket, ok, refused

from course.extensions import socketio
from course.lab import namespace as lab_namespace
from course.lab.scheduler import Scheduler
from course.lessons.registry import LessonRegistry

SMALL_LABS = """---
id: fair
title: Small labs
module: 1
order: 1
minutes: 1
summary: Small labs for the fair-share tests.
objectives:
  - Open labs.
---

Labs.
""" + "".join(
    f"\n/// lab | lab-{n}\n    model: gru\n    layers: 1\n    hidden: 4\n///\n" for n in range(3)
)


@pytest.fixture
def fair(app: Flask, tmp_path, monkeypatch) -> Iterator[list[Socket]]:
    """The small-labs lesson; the connections a test opens, closed after it."""
    (tmp_path / "01-fair.md").write_text(SMALL_LABS, encoding="utf-8")
    monkeypatch.setitem(app.extensions, "lessons", LessonRegistry.load(tmp_path))
    opened: list[Socket] = []
    yield opened
    for sock in opened:
        sock.close()


def browser(app: Flask, learner: str) -> FlaskClient:
    """A browser whose cookie names ``learner``."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["learner"] = learner
    return client


def connect(app: Flask, opened: list[Socket], client: FlaskClient, address: str = "") -> Socket:
    headers = {"X-Forwarded-For": address} if address else None
    sock = socketkit.connect(app, "/lab", client, headers)
    opened.append(sock)
    return sock


def open_lab(sock: Socket, n: int = 0) -> dict:
    return socketkit.ask(sock, "open", {"lesson": "fair", "lab": f"lab-{n}"})


def test_one_learner_cannot_take_every_lab_slot(app, fair, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_LABS_PER_LEARNER", 2)
    hostile = browser(app, "hostile-learner")
    first, second, third = (connect(app, fair, hostile) for _ in range(3))
    assert open_lab(first)["ok"] and open_lab(second)["ok"]
    error = refused(third, "open", {"lesson": "fair", "lab": "lab-1"})
    assert error["code"] == "too_many_labs" and "one learner" in error["message"]
    bystander = connect(app, fair, browser(app, "bystander"))
    assert open_lab(bystander)["ok"]
    second.close()  # a closed page's lab is free at once
    assert open_lab(third, 1)["ok"]


def test_one_address_cannot_take_every_lab_slot_with_fresh_cookies(app, fair, monkeypatch):
    monkeypatch.setitem(app.config, "PROXIES", 1)
    monkeypatch.setitem(app.config, "MAX_LABS_PER_ADDRESS", 2)
    hostile = [connect(app, fair, browser(app, f"fresh-{k}"), "203.0.113.9") for k in range(3)]
    assert open_lab(hostile[0])["ok"] and open_lab(hostile[1])["ok"]
    error = refused(hostile[2], "open", {"lesson": "fair", "lab": "lab-0"})
    assert error["code"] == "too_many_labs" and "network address" in error["message"]
    # The proxy's own hop before the client's is not the address counted.
    elsewhere = connect(app, fair, browser(app, "elsewhere"), "203.0.113.9, 198.51.100.4")
    assert open_lab(elsewhere)["ok"]


def test_one_learner_and_one_address_may_hold_only_so_many_connections(app, fair, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONNECTIONS_PER_LEARNER", 2)
    hostile = browser(app, "many-tabs")
    first = connect(app, fair, hostile)
    connect(app, fair, hostile)
    assert socketkit.try_connect(app, "/lab", hostile) is None
    assert open_lab(first)["ok"]  # what it holds still works
    first.close()  # and a closed connection makes room at once
    connect(app, fair, hostile)

    monkeypatch.setitem(app.config, "PROXIES", 1)
    monkeypatch.setitem(app.config, "MAX_CONNECTIONS_PER_ADDRESS", 2)
    for k in range(2):
        connect(app, fair, browser(app, f"nat-{k}"), "203.0.113.20")
    assert (
        socketkit.try_connect(
            app, "/lab", browser(app, "nat-2"), {"X-Forwarded-For": "203.0.113.20"}
        )
        is None
    )
    connect(app, fair, browser(app, "other-school"), "198.51.100.20")


def test_a_lab_whose_connection_closed_while_it_opened_frees_its_slot(app, fair, monkeypatch):
    """Opening a lab takes seconds (compiling); a page closed meanwhile used to leave
    the lab registered to no one, its slot taken for good."""
    monkeypatch.setitem(app.config, "MAX_LABS", 1)
    building, go = threading.Event(), threading.Event()
    real_lab = lab_namespace.Lab

    def slow_lab(config):
        building.set()
        assert go.wait(60)
        return real_lab(config)

    monkeypatch.setattr(lab_namespace, "Lab", slow_lab)
    leaving = connect(app, fair, browser(app, "leaving"))
    replies: list[dict] = []
    opener = threading.Thread(target=lambda: replies.append(open_lab(leaving)))
    opener.start()
    assert building.wait(60)
    leaving.close()
    go.set()
    opener.join(60)
    monkeypatch.setattr(lab_namespace, "Lab", real_lab)
    assert open_lab(connect(app, fair, browser(app, "next")))["ok"]


def test_a_learner_trains_one_lab_at_a_time(app, fair, monkeypatch):
    entered, go = threading.Event(), threading.Event()
    real_train = lab_namespace.Lab.train
    calls = []

    def slow_train(self, epochs):
        calls.append(epochs)
        if len(calls) == 1:
            entered.set()
            assert go.wait(60)
        return real_train(self, epochs)

    monkeypatch.setattr(lab_namespace.Lab, "train", slow_train)
    # Two training slots, so the bystander's epoch runs beside the held one (with the
    # default on two cores, one slot, it would rightly wait for the held epoch).
    labs = socketio.server.namespace_handlers["/lab"]
    monkeypatch.setattr(labs, "scheduler", Scheduler(2))
    learner = browser(app, "trainer")
    first, second = connect(app, fair, learner), connect(app, fair, learner)
    assert open_lab(first)["ok"] and open_lab(second)["ok"]
    done: list[dict] = []
    training = threading.Thread(
        target=lambda: done.append(socketkit.ask(first, "train", {"lab": "lab-0", "epochs": 1}))
    )
    training.start()
    try:
        assert entered.wait(60)
        error = refused(second, "train", {"lab": "lab-0", "epochs": 1})
        assert error["code"] == "too_many_trainings" and "one learner" in error["message"]
        bystander = connect(app, fair, browser(app, "bystander-trainer"))
        assert open_lab(bystander)["ok"]
        ok(bystander, "train", {"lab": "lab-0", "epochs": 1})
    finally:
        go.set()
        training.join(60)
    assert done and done[0]["ok"]
    ok(second, "train", {"lab": "lab-0", "epochs": 1})  # the first has finished
