"""Predict, then observe: the guess is stored before the observation is sent, the
first guess counts, and a bad guess changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from canarykit import LESSON, Learner, build_app
from flask import Flask

from course.lessons.errors import LessonError
from course.lessons.render import render_lesson
from course.storage import db

PROGRESS = "/api/lessons/canary/progress"


@pytest.fixture
def app(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = build_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, tmp_path_factory.mktemp("c"))
    yield app
    db.dispose(app)


def commit(learner: Learner, key: str, value: object):
    body = {"kind": "predict", "key": key, "value": value}
    return learner.client.post(PROGRESS, json=body, headers={"X-CSRF-Token": learner.page.token})


def test_the_observation_comes_only_after_a_committed_guess(app: Flask):
    learner = Learner(app)
    page = learner.client.get(LESSON).get_data(as_text=True)
    assert "OBSERVE-CANARY" not in page and 'data-predict="guess"' in page
    reply = commit(learner, "guess", "b").get_json()
    assert reply["ok"] and reply["new"] and reply["guess"] == "b"
    assert "OBSERVE-CANARY-choice" in reply["observe"]
    again = commit(learner, "guess", "a").get_json()
    assert not again["new"] and again["guess"] == "b"  # the first guess is the one that counts
    page = learner.client.get(LESSON).get_data(as_text=True)
    assert "OBSERVE-CANARY-choice" in page and "OBSERVE-CANARY-number" not in page
    done = learner.client.get("/api/progress").get_json()["progress"]["canary"]
    assert done["predictions"] == {"guess": "b"}


@pytest.mark.parametrize(
    "key, value",
    [("guess", "c"), ("guess", 1), ("guess", None), ("number", "big"), ("number", True),
     ("number", 1e300), ("nope", "a")],
)  # fmt: skip
def test_a_bad_guess_is_refused_and_stores_nothing(app: Flask, key: str, value: object):
    learner = Learner(app)
    reply = commit(learner, key, value)
    assert reply.status_code in (400, 404)
    assert "observe" not in reply.get_json()
    assert learner.client.get("/api/progress").get_json()["progress"] == {}


def test_a_number_guess(app: Flask):
    learner = Learner(app)
    reply = commit(learner, "number", -0.25).get_json()
    assert reply["guess"] == -0.25 and "OBSERVE-CANARY-number" in reply["observe"]


@pytest.mark.parametrize(
    "block, message",
    [
        ("/// predict | p\nQ?\n\n- [x] a\n- b\n\n> see\n///", "no right answer"),
        ("/// predict | p\nQ?\n\n- only one\n\n> see\n///", "2–8 choices"),
        ("/// predict | p\nQ?\n\n- a\n- b\n///", "what to observe"),
        ("/// predict | p\n    lab: ghost\nQ?\n\n> see\n///", "no lab or playground"),
        ("/// predict | p\n    colour: red\nQ?\n\n> see\n///", "unknown option"),
        ("/// predict | p\nQ?\n\n> see\n///\n\n/// predict | p\nQ?\n\n> see\n///", "duplicate"),
    ],
)
def test_bad_predict_blocks_fail_at_load(block: str, message: str):
    with pytest.raises(LessonError, match=message):
        render_lesson(block)
