"""Quizzes through the server, as a learner's browser uses them: graded on the
server, answers kept back until the policy allows, attempts counted exactly once.
Every test runs on SQLite and on PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from canarykit import API, LESSON, Learner, build_app
from flask import Flask
from socketkit import connect, ok

from course.storage import db


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jax-cache")


@pytest.fixture
def app(database_url: str, tmp_path: Path, cache: Path) -> Iterator[Flask]:
    app = build_app(database_url, tmp_path, cache)
    yield app
    db.dispose(app)


@pytest.fixture
def learner(app: Flask) -> Learner:
    return Learner(app)


# -- every type, right and wrong -------------------------------------------------------


def test_single_choice_right_and_wrong_with_feedback_for_the_pick(learner: Learner):
    wrong, right = learner.ids("single", "plain option alpha", "plain option bravo")
    first = learner.submit("single", {"choice": wrong}).get_json()
    assert first["ok"] and first["attempts_left"] == 1
    shown = first["feedback"]
    assert shown["status"] == "graded" and shown["correct"] is False and shown["score"] == 0
    assert shown["choices"] == {wrong: {"feedback": "<p>FEEDBACK-CANARY-single-wrong</p>"}}
    assert "solution" not in shown  # one attempt left: the answer stays on the server
    second = learner.submit("single", {"choice": right}).get_json()["feedback"]
    assert second["status"] == "final" and second["correct"] is True and second["score"] == 1
    assert second["solution"] == {"choices": [right]}
    assert "EXPLANATION-CANARY-single" in second["explanation"]


def test_multiple_choice_partial_then_exact(learner: Learner):
    one, bad, two = learner.ids("multiple", "first right one", "a wrong one", "second right one")
    partial = learner.submit("multiple", {"choices": [one, bad]}).get_json()["feedback"]
    assert partial["score"] == 0 and partial["correct"] is False  # hits − false picks
    half = learner.submit("multiple", {"choices": [one]}).get_json()["feedback"]
    assert half["score"] == 0.5
    exact = learner.submit("multiple", {"choices": [two, one]}).get_json()["feedback"]
    assert exact["correct"] is True and exact["score"] == 1


def test_numeric_after_last_shows_nothing_until_the_last_attempt(learner: Learner):
    first = learner.submit("numeric", {"value": 0.2}).get_json()
    assert first["feedback"] == {"status": "recorded", "attempts_used": 1, "attempts_left": 1}
    last = learner.submit("numeric", {"value": 0.1234567}).get_json()["feedback"]
    assert last["status"] == "final" and last["correct"] is True
    assert last["solution"] == {"value": 0.123456789}


def test_text_on_reveal_and_pattern(learner: Learner):
    shown = learner.submit("text", {"text": "  answercanarytext. "}).get_json()["feedback"]
    assert shown == {"status": "recorded", "attempts_used": 1, "attempts_left": 2}
    revealed = learner.reveal("text").get_json()
    assert revealed["revealed"] and revealed["feedback"]["correct"] is True
    assert revealed["feedback"]["solution"] == {"text": "ANSWERCANARYTEXT"}
    assert learner.submit("pattern", {"text": "patterncanary42"}).get_json()["feedback"]["correct"]
    assert not learner.submit("pattern", {"text": "PATTERNCANARY"}).get_json()["feedback"][
        "correct"
    ]


def test_ordering_and_matching(learner: Learner):
    one, two, three = learner.ids("ordering", "step one", "step two", "step three")
    wrong = learner.submit("ordering", {"order": [two, one, three]}).get_json()["feedback"]
    assert wrong["correct"] is False and wrong["score"] == pytest.approx(1 / 3)
    assert learner.submit("ordering", {"order": [one, two, three]}).get_json()["feedback"][
        "correct"
    ]
    quiz = learner.page.quizzes["matching"]
    lefts = [quiz.items[f"left {n}"] for n in ("one", "two", "three")]
    rights = [quiz.rights[f"right {n}"] for n in ("one", "two", "three")]
    swapped = dict(zip(lefts, [rights[1], rights[0], rights[2]], strict=True))
    graded = learner.submit("matching", {"pairs": swapped}).get_json()["feedback"]
    assert graded["score"] == pytest.approx(1 / 3)
    right = learner.submit("matching", {"pairs": dict(zip(lefts, rights, strict=True))})
    assert right.get_json()["feedback"]["correct"] is True


def test_a_poll_is_recorded_not_graded(learner: Learner):
    [this] = learner.ids("poll", "this")
    reply = learner.submit("poll", {"choice": this}).get_json()
    assert reply["feedback"] == {"status": "recorded", "attempts_used": 1, "attempts_left": None}
    assert learner.reveal("poll").status_code == 400


def test_a_live_question_is_graded_against_the_learners_own_lab(app: Flask, learner: Learner):
    refused = learner.submit("live", {"value": 0.5})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "live_unavailable"
    assert learner.state("live")["attempts_used"] == 0  # the refusal used no attempt
    with connect(app, "/lab", learner.client) as sock:
        ok(sock, "open", {"lesson": "canary", "lab": "tiny"})
        lab = app.extensions["labs"].learner_lab(learner_id(learner), "canary", "tiny").lab
        f = float(lab.trace.traces[0].f[1, 1])  # t = 2, layer 1, unit 1 as the lesson counts
        wrong = learner.submit("live", {"value": f + 0.05}).get_json()["feedback"]
        assert wrong["correct"] is False
        right = learner.submit("live", {"value": round(f, 3)}).get_json()["feedback"]
        assert right["correct"] is True


def learner_id(learner: Learner) -> str:
    with learner.client.session_transaction() as session:
        return session["learner"]


# -- what the client claims is ignored; bad input changes nothing ----------------------


def test_a_client_claiming_correct_for_a_wrong_answer_scores_zero(app: Flask, learner: Learner):
    [wrong] = learner.ids("single", "plain option alpha")
    reply = learner.submit("single", {"choice": wrong}, correct=True, score=1).get_json()
    assert reply["ok"] and reply["feedback"]["correct"] is False
    progress = learner.client.get("/api/progress").get_json()["progress"]
    assert progress["canary"]["quizzes"]["single"] == {
        "attempts": 1, "best_score": 0.0, "correct": False, "revealed": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    "answer",
    [None, {}, {"choice": "nope"}, {"choice": 3}, {"value": 1}, "bravo", {"choice": "x" * 10_000}],
)
def test_a_bad_answer_is_a_clear_400_and_uses_no_attempt(learner: Learner, answer: Any):
    reply = learner.submit("single", answer)
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "bad_answer"
    assert learner.state("single")["attempts_used"] == 0


@pytest.mark.parametrize("submission", ["", "short", "x" * 65, "spaces are bad", 12345678])
def test_a_bad_submission_id_is_refused(learner: Learner, submission: Any):
    [right] = learner.ids("single", "plain option bravo")
    reply = learner.submit("single", {"choice": right}, submission=submission)
    assert reply.status_code == 400 and reply.get_json()["error"]["field"] == "submission_id"


def test_without_the_csrf_token_nothing_is_stored(learner: Learner):
    [right] = learner.ids("single", "plain option bravo")
    body = {"submission_id": uuid.uuid4().hex, "answer": {"choice": right}}
    assert learner.client.post(f"{API}/single/attempts", json=body).status_code == 400
    wrong_token = {"X-CSRF-Token": "forged"}
    assert (
        learner.client.post(f"{API}/single/attempts", json=body, headers=wrong_token).status_code
        == 400
    )
    assert learner.state("single")["attempts_used"] == 0


def test_unknown_lesson_or_quiz_is_404(learner: Learner):
    assert learner.submit("nope", {"choice": "x"}).status_code == 404
    assert learner.client.get("/api/lessons/nope/quizzes").status_code == 404


# -- attempts: once per submission, never beyond the limit -----------------------------


def test_a_retried_submission_counts_once(learner: Learner):
    [wrong] = learner.ids("single", "plain option alpha")
    first = learner.submit("single", {"choice": wrong}, submission="retry-0001").get_json()
    again = learner.submit("single", {"choice": wrong}, submission="retry-0001").get_json()
    assert not first["replayed"] and again["replayed"]
    assert again["attempt_no"] == first["attempt_no"] == 1
    assert learner.state("single")["attempts_used"] == 1


def test_no_attempts_left_is_refused_with_the_state(learner: Learner):
    [wrong] = learner.ids("single", "plain option alpha")
    learner.submit("single", {"choice": wrong})
    learner.submit("single", {"choice": wrong})
    third = learner.submit("single", {"choice": wrong})
    assert third.status_code == 409 and third.get_json()["error"]["code"] == "no_attempts"
    assert third.get_json()["state"]["feedback"]["status"] == "final"


def test_concurrent_submissions_give_exactly_the_allowed_attempts(app: Flask, learner: Learner):
    [wrong] = learner.ids("multiple", "a wrong one")  # 3 attempts allowed
    cookie = learner.client.get_cookie("session")
    assert cookie is not None
    results: list[int] = []
    start = threading.Barrier(8)

    def submit() -> None:
        client = app.test_client()
        client.set_cookie("session", cookie.value)
        start.wait()
        body = {"submission_id": uuid.uuid4().hex, "answer": {"choices": [wrong]}}
        headers = {"X-CSRF-Token": learner.page.token}
        results.append(
            client.post(f"{API}/multiple/attempts", json=body, headers=headers).status_code
        )

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] * 3 + [409] * 5
    assert learner.state("multiple")["attempts_used"] == 3


def test_submissions_are_rate_limited_per_learner(database_url: str, tmp_path: Path, cache: Path):
    app = build_app(database_url, tmp_path, cache, QUIZ_RATE_LIMIT="3/60")
    try:
        one, other = Learner(app), Learner(app)
        [this] = one.ids("poll", "this")
        codes = [one.submit("poll", {"choice": this}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = one.submit("poll", {"choice": this})
        assert int(limited.headers["Retry-After"]) > 0
        [theirs] = other.ids("poll", "this")
        assert other.submit("poll", {"choice": theirs}).status_code == 200  # per learner
    finally:
        db.dispose(app)


# -- coming back -------------------------------------------------------------------------


def test_answers_and_progress_survive_a_restart(database_url: str, tmp_path: Path, cache: Path):
    first = build_app(database_url, tmp_path, cache)
    learner = Learner(first)
    [right] = learner.ids("single", "plain option bravo")
    token = {"X-CSRF-Token": learner.page.token}
    assert learner.submit("single", {"choice": right}).get_json()["feedback"]["correct"]
    mark = {"kind": "section", "key": "first-section"}
    assert learner.client.post("/api/lessons/canary/progress", json=mark, headers=token).get_json()[
        "ok"
    ]
    cookie = learner.client.get_cookie("session")
    db.dispose(first)

    second = build_app(database_url, tmp_path, cache)  # a new process on the same database
    try:
        client = second.test_client()
        client.set_cookie("session", cookie.value)
        state = client.get(API).get_json()["quizzes"]["single"]
        assert state["answer"] == {"choice": right} and state["feedback"]["correct"] is True
        done = client.get("/api/progress").get_json()["progress"]["canary"]
        assert done["sections"] == ["first-section"]
        assert 'data-seen="first-section"' in client.get(LESSON).get_data(as_text=True)
        assert "1 of 2" in client.get("/progress").get_data(as_text=True)  # sections read
    finally:
        db.dispose(second)


def test_progress_marks_are_checked(learner: Learner):
    token = {"X-CSRF-Token": learner.page.token}

    def post(body: dict[str, Any]) -> Any:
        return learner.client.post("/api/lessons/canary/progress", json=body, headers=token)

    assert post({"kind": "section", "key": "no-such-section"}).status_code == 404
    assert post({"kind": "bookmark", "key": "questions"}).status_code == 400
    assert post({"kind": "section", "key": "questions", "value": 3}).status_code == 400
    assert post({"kind": "section", "key": "questions"}).get_json() == {"ok": True, "new": True}
    assert post({"kind": "section", "key": "questions"}).get_json() == {"ok": True, "new": False}
