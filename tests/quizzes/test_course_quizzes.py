"""The course's quizzes as a whole: at least five per module's objective, every type in
use, feedback under every choice, and a question about the learner's own widget in
every module — graded against that widget, whichever kind it is."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from quizpage import read
from socketkit import Socket, ok

from course.extensions import socketio
from course.lessons.registry import LessonRegistry
from course.quizzes.model import TYPES
from engine.playground import PlaygroundConfig, simulate

REGISTRY = LessonRegistry.load(Path(__file__).resolve().parents[2] / "lessons")
QUIZZES = [
    (lesson, quiz) for lesson in REGISTRY.lessons.values() for quiz in lesson.quizzes.values()
]


def test_every_module_has_at_least_five_questions_and_one_about_the_learners_widget():
    per_module = Counter(lesson.module for lesson, _ in QUIZZES)
    assert sorted(per_module) == [1, 2, 3, 4, 5]
    assert min(per_module.values()) >= 5, per_module
    live = {lesson.module for lesson, quiz in QUIZZES if quiz.live is not None}
    assert live == {1, 2, 3, 4, 5}
    kinds = {quiz.live.kind for _, quiz in QUIZZES if quiz.live is not None}
    assert kinds == {"lab", "playground", "task"}


def test_every_graded_type_is_in_use_and_every_choice_has_feedback():
    used = {quiz.type for _, quiz in QUIZZES}
    assert used >= set(TYPES) - {"poll"}  # polls are the live sessions'
    for lesson, quiz in QUIZZES:
        if quiz.type in ("single", "multiple") and quiz.live is None:
            missing = [c.html for c in quiz.choices if not c.feedback]
            assert not missing, (lesson.id, quiz.id, missing)
        assert quiz.explanation or quiz.type in ("single", "multiple"), (lesson.id, quiz.id)


def submit(client: FlaskClient, slug: str, quiz: str, value: float) -> dict:
    token = read(client.get(f"/lessons/{slug}").get_data(as_text=True)).token
    body = {"submission_id": uuid.uuid4().hex, "answer": {"value": value}}
    reply = client.post(
        f"/api/lessons/{slug}/quizzes/{quiz}/attempts", json=body, headers={"X-CSRF-Token": token}
    )
    assert reply.status_code in (200, 409), reply.get_json()
    return reply.get_json()


def test_a_playground_question_reads_the_learners_own_unit(
    client: FlaskClient, socket: Callable[..., Socket]
):
    refused = submit(client, "why-recurrence", "your-h3", 0.5)
    assert refused["error"]["code"] == "live_unavailable"
    assert "open the playground 'sine'" in refused["error"]["message"]
    sock = socket("/playground")
    ok(sock, "open", {"lesson": "why-recurrence", "playground": "sine"})
    ok(sock, "configure", {"playground": "sine", "w_h": 0.7})
    config = PlaygroundConfig(w_x=1, w_h=0.7, b=0, sequence="sine", length=13)
    h3 = float(simulate(config).h[2])
    assert f"{h3:.3f}" != f"{float(simulate(PlaygroundConfig(sequence='sine', w_h=0)).h[2]):.3f}"
    assert submit(client, "why-recurrence", "your-h3", h3 + 0.01)["feedback"]["correct"] is False
    assert submit(client, "why-recurrence", "your-h3", round(h3, 3))["feedback"]["correct"]


def test_a_task_question_reads_the_learners_own_network(
    app: Flask, client: FlaskClient, socket: Callable[..., Socket]
):
    client.get("/lessons/tasks")  # the page gives the browser its learner cookie
    sock = socket("/task")
    ok(sock, "open", {"lesson": "tasks", "task": "abab"})
    with client.session_transaction() as session:
        learner = session["learner"]
    run = socketio.server.namespace_handlers["/task"].learner_widget(learner, "tasks", "abab").run
    p = float(run.predict("abab", 1.0)[run.chars.index("a")])
    assert 0.0 < p < 1.0
    assert submit(client, "tasks", "your-abab", p + 0.01)["feedback"]["correct"] is False
    assert submit(client, "tasks", "your-abab", round(p, 3))["feedback"]["correct"] is True


@pytest.mark.parametrize(
    "live, words",
    [
        ("{playground: nowhere, quantity: h, t: 1}", "live.playground 'nowhere' is not in"),
        ("{playground: sine, quantity: h, t: 99}", "reads only 13 steps"),
        ("{playground: sine, quantity: f, t: 1}", "live.quantity must be one of x, h_prev, a, h"),
        ("{task: abab, prefix: ab, char: ab}", "live.char must be one character"),
        ("{playground: sine, lab: walk, quantity: h, t: 1}", "names one widget"),
    ],
)
def test_a_live_question_naming_no_number_is_a_lesson_error(tmp_path, live, words):
    from course.lessons.errors import LessonError

    lesson = (Path(__file__).resolve().parents[2] / "lessons" / "01-why-recurrence.md").read_text()
    broken = lesson.replace("live: {playground: sine, quantity: h, t: 3}", f"live: {live}")
    assert broken != lesson
    (tmp_path / "01-why-recurrence.md").write_text(broken)
    with pytest.raises(LessonError, match=words.replace("(", r"\(")):
        LessonRegistry.load(tmp_path)
