""" "Show answer" (issue 17): only after the learner's own attempt (or their last, by
the quiz's ``reveal`` policy), so a throw-away cookie no longer reads the key for
free; the reveal is recorded against the learner and ends their attempts. Through
the server, on SQLite and PostgreSQL (the policy itself: quizzes/test_reveal_policy.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from canarykit import API, Learner, build_app
from flask import Flask

from course.storage import db


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jax-cache")


@pytest.fixture
def app(database_url: str, tmp_path: Path, cache: Path) -> Iterator[Flask]:
    app = build_app(database_url, tmp_path, cache)
    yield app
    db.dispose(app)


def test_a_throw_away_cookie_gets_no_answer_key(app: Flask):
    """The red-team's path: a second cookie asks for the answer before answering."""
    throwaway = Learner(app)
    before = throwaway.state("text")
    assert before["can_reveal"] is False and "answer once" in before["reveal_blocked"]
    refused = throwaway.reveal("text")
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"]["code"] == "not_yet" and "answer once" in body["error"]["message"]
    assert body["state"]["revealed"] is False and body["state"]["feedback"] is None
    assert "ANSWERCANARYTEXT" not in refused.get_data(as_text=True)
    assert "ANSWERCANARYTEXT" not in throwaway.client.get(API).get_data(as_text=True)
    assert throwaway.state("text")["attempts_left"] == 3  # nothing was recorded


def test_after_an_attempt_the_answer_is_shown_and_recorded_against_the_learner(app: Flask):
    learner = Learner(app)
    [wrong] = learner.ids("single", "plain option alpha")
    assert learner.submit("single", {"choice": wrong}).get_json()["can_reveal"] is True
    shown = learner.reveal("single").get_json()
    assert shown["ok"] and shown["revealed"] and shown["feedback"]["status"] == "final"
    assert shown["can_reveal"] is False and shown["attempts_left"] == 0
    assert learner.reveal("single").get_json()["revealed"] is True  # again: the same
    [right] = learner.ids("single", "plain option bravo")
    again = learner.submit("single", {"choice": right})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "revealed"
    quiz = learner.client.get("/api/progress").get_json()["progress"]["canary"]["quizzes"]
    assert quiz["single"] == {"attempts": 1, "best_score": 0.0, "correct": False, "revealed": True}
    other = Learner(app)  # another browser's reveal is not this one's
    assert other.state("single")["revealed"] is False


def test_the_page_says_why_show_answer_waits(app: Flask):
    page = Learner(app).client.get("/lessons/canary").get_data(as_text=True)
    button = page.split('data-action="reveal"', 1)[1].split(">", 1)[0]
    assert "disabled" in button and "aria-describedby" in button
    assert "Answer once to unlock" in page
