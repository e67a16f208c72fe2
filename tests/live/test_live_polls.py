"""Polls as peer instruction over /live: one lettered order for everyone, the lesson's
own copy of the question shut while it is the poll, revealed counts and each student's
own vote kept in the session (reload, late join, projector), questions the presenter
types, vote → discuss → revote, a timer the server keeps, and all of it durable."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from livekit import LESSON, Person, presenter, student
from quizpage import read

from course.live.durable import DurableStore
from course.live.polls import now_ms, poll_record
from course.live.state import LiveState
from course.live.store import MemoryStore
from course.storage import db

QUIZ = "forget-gate"  # single choice; the right answer is the lesson's second option
TEXTS = ["the input x_t", "the previous cell state c_{t-1}", "the output h_t"]


def lesson_ids(person: Person) -> dict[str, str]:
    """The question's options as this browser's lesson page shows them: text → id."""
    page = read(person.client.get(f"/lessons/{LESSON}").get_data(as_text=True))
    return {
        " ".join(t.replace("\\(", "").replace("\\)", "").split()): i
        for t, i in page.quizzes[QUIZ].items.items()
    }


def open_poll(teacher: Person, code: str, quiz: str = QUIZ) -> dict[str, Any]:
    ack = teacher.call("poll", {"code": code, "op": "open", "quiz": quiz})
    assert ack["ok"], ack
    return ack["state"]["poll"]


def vote(person: Person, code: str, poll: int, answer: dict[str, Any]) -> dict[str, Any]:
    return person.call("answer", {"code": code, "poll": poll, "answer": answer})


def until_state(person: Person, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first state pushed to ``person`` from now on for which ``done`` holds."""
    deadline = time.monotonic() + 60  # generous: the machine may be busy
    while time.monotonic() < deadline:
        found = [s for s in person.pushed("state") if done(s)]
        if found:
            return found[0]
        time.sleep(0.05)  # the timer's thread pushes it; we only look again
    raise AssertionError("no such state was pushed")


def follower(app, people, code: str, name: str) -> Person:
    """A student whose browser opened the session's page (as the join link does)."""
    person = Person(app)
    people.append(person)
    assert person.client.get(f"/live/{code}").status_code == 200
    ack = person.call("join", {"code": code, "name": name})
    assert ack["ok"], ack
    return person


def test_everyone_sees_one_lettered_order(app, people, session_code):
    teacher = presenter(app, people, session_code)
    ann, ben = (student(app, people, session_code, n) for n in ("Ann", "Ben"))
    poll = open_poll(teacher, session_code)
    assert [c["letter"] for c in poll["choices"]] == ["A", "B", "C"]
    ids = lesson_ids(ann)
    assert [c["id"] for c in poll["choices"]] == [ids[t] for t in TEXTS]  # the lesson's order
    assert "answer" not in poll and "solution" not in poll  # nothing given away
    screen = Person(app)
    people.append(screen)
    seen = [
        ann.pushed("state")[-1]["poll"],
        ben.pushed("state")[-1]["poll"],
        screen.call("join", {"code": session_code, "watch": True})["state"]["poll"],
        student(app, people, session_code, "Late").call("sync", {"code": session_code})["state"][
            "poll"
        ],
    ]
    assert all(p["choices"] == poll["choices"] for p in seen)


def test_the_lessons_copy_is_shut_while_it_is_the_poll(app, people, session_code):
    teacher = presenter(app, people, session_code)
    eve = follower(app, people, session_code, "Eve")
    page = read(eve.client.get(f"/lessons/{LESSON}").get_data(as_text=True))
    api = f"/api/lessons/{LESSON}/quizzes"
    right = lesson_ids(eve)[TEXTS[1]]

    def attempt(quiz: str, answer: dict[str, Any]) -> Any:
        body = {"submission_id": uuid.uuid4().hex, "answer": answer}
        return eve.client.post(
            f"{api}/{quiz}/attempts", json=body, headers={"X-CSRF-Token": page.token}
        )

    poll = open_poll(teacher, session_code)
    refused = attempt(QUIZ, {"choice": right})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "shut"
    assert "solution" not in str(refused.get_json())
    shown = eve.client.post(f"{api}/{QUIZ}/reveal", headers={"X-CSRF-Token": page.token})
    assert shown.status_code == 409 and shown.get_json()["error"]["code"] == "shut"
    state = eve.client.get(api).get_json()["quizzes"][QUIZ]
    assert state["locked"] and state["feedback"] is None and not state["can_reveal"]
    assert attempt("gru-update", {"choice": "nope"}).status_code == 400  # others stay open

    assert vote(eve, session_code, poll["number"], {"choice": right})["ok"]
    teacher.call("poll", {"code": session_code, "op": "results"})  # counts: still shut
    assert attempt(QUIZ, {"choice": right}).status_code == 409
    teacher.call("poll", {"code": session_code, "op": "answer"})
    opened = attempt(QUIZ, {"choice": right})
    assert opened.status_code == 200 and opened.get_json()["attempt_no"] == 1  # none counted before
    assert "locked" not in eve.client.get(api).get_json()["quizzes"][QUIZ]


def test_reveal_and_my_vote_survive_reload_late_join_and_projector(app, people, session_code):
    teacher = presenter(app, people, session_code)
    ann, ben = (student(app, people, session_code, n) for n in ("Ann", "Ben"))
    poll = open_poll(teacher, session_code)
    a, b, _ = (c["id"] for c in poll["choices"])
    screen = Person(app)
    people.append(screen)
    screen.call("join", {"code": session_code, "watch": True})
    assert vote(ann, session_code, 1, {"choice": a})["ok"]
    assert vote(ann, session_code, 1, {"choice": b})["ok"]  # changed: counts once
    assert vote(ben, session_code, 1, {"choice": b})["ok"]
    assert teacher.pushed("votes")[-1] | {"code": ""} == {
        "code": "", "poll": 1, "round": 1, "counts": {b: 2}, "answered": 2, "who": ["Ann", "Ben"]
    }  # fmt: skip
    assert ann.pushed("votes") == [] and screen.pushed("votes") == []  # staff only, so far
    assert vote(ann, session_code, 1, {"choice": "zzz"})["error"]["code"] == "bad_answer"

    revealed = teacher.call("poll", {"code": session_code, "op": "results"})["state"]["poll"]
    assert revealed["results"] == {"1": {"counts": {b: 2}, "answered": 2}}
    assert not revealed["open"] and "solution" not in revealed
    ann.close()
    ann.sock = ann.connect()  # a reload
    again = ann.call("join", {"code": session_code, "name": "Ann"})
    assert again["state"]["poll"]["results"] == revealed["results"]
    assert again["mine"] == {"1": {"choice": b}}
    late = student(app, people, session_code, "Late")
    assert late.call("join", {"code": session_code, "name": "Late"})["state"]["poll"] == revealed
    projector = Person(app)
    people.append(projector)
    watched = projector.call("join", {"code": session_code, "watch": True})
    assert watched["state"]["poll"]["results"] == revealed["results"] and "mine" not in watched
    answer = teacher.call("poll", {"code": session_code, "op": "answer"})["state"]["poll"]
    assert answer["solution"] == [b]


def test_the_projector_gets_counts_as_they_come_only_if_the_presenter_says(
    app, people, session_code
):
    teacher = presenter(app, people, session_code)
    ann = student(app, people, session_code, "Ann")
    a = open_poll(teacher, session_code)["choices"][0]["id"]
    screen = Person(app)
    people.append(screen)
    assert "votes" not in screen.call("join", {"code": session_code, "watch": True})
    vote(ann, session_code, 1, {"choice": a})
    assert screen.pushed("votes") == []
    teacher.call("poll", {"code": session_code, "op": "live", "on": True})
    assert screen.pushed("votes")[-1]["counts"] == {a: 1}
    assert "who" not in screen.pushed("votes") and "who" not in str(screen.pushed("votes"))
    assert screen.call("join", {"code": session_code, "watch": True})["votes"]["counts"] == {a: 1}


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"kind": "choice", "prompt": "   ", "choices": ["a", "b"]}, "prompt"),
        ({"kind": "choice", "prompt": "Which?", "choices": ["only one"]}, "choices"),
        ({"kind": "choice", "prompt": "Which?", "choices": ["same", "Same"]}, "choices"),
        ({"kind": "choice", "prompt": "Which?", "choices": ["a", ""]}, "choices"),
        ({"kind": "choice", "prompt": "Which?", "choices": ["a", 3]}, "choices"),
        ({"kind": "choice", "prompt": "Which?", "choices": list("abcdefghi")}, "choices"),
        ({"kind": "choice", "prompt": "Which?", "choices": ["a", "b"], "correct": "C"}, "correct"),
        ({"kind": "choice", "prompt": "x" * 301, "choices": ["a", "b"]}, "prompt"),
        ({"kind": "number", "prompt": "How many?", "choices": ["a", "b"]}, "choices"),
        ({"kind": "essay", "prompt": "Why?"}, "kind"),
        ({"kind": "number", "prompt": "How many?", "answer": "7"}, "answer"),
    ],
)
def test_a_bad_typed_question_is_refused_and_changes_nothing(
    app, people, session_code, question, field
):
    teacher = presenter(app, people, session_code)
    refused = teacher.call("poll", {"code": session_code, "op": "ask", "question": question})
    assert not refused["ok"] and refused["error"]["field"] == field, refused
    assert teacher.call("sync", {"code": session_code})["state"]["seq"] == 0


def test_typed_questions_are_sanitised_and_counted(app, people, session_code):
    teacher = presenter(app, people, session_code)
    ann, ben = (student(app, people, session_code, n) for n in ("Ann", "Ben"))
    question = {
        "kind": "choice",
        "prompt": "Which <b>gate</b>\u200b keeps c?<script>alert(1)</script>",
        "choices": ["forget <i>f</i>", "input\x07 i"],
        "correct": "a",
    }
    poll = teacher.call("poll", {"code": session_code, "op": "ask", "question": question})["state"][
        "poll"
    ]
    assert (
        poll["prompt"]
        == "Which &lt;b&gt;gate&lt;/b&gt; keeps c?&lt;script&gt;alert(1)&lt;/script&gt;"
    )
    assert [(c["letter"], c["html"]) for c in poll["choices"]] == [
        ("A", "forget &lt;i&gt;f&lt;/i&gt;"),
        ("B", "input i"),
    ]
    assert poll["graded"] and "solution" not in poll
    assert vote(ann, session_code, 1, {"choice": "a"})["ok"]
    number = {"kind": "number", "prompt": "How many gates has an LSTM?", "answer": 3}
    poll = teacher.call("poll", {"code": session_code, "op": "ask", "question": number})["state"][
        "poll"
    ]
    assert poll["number"] == 2 and poll["kind"] == "number" and poll["choices"] == []
    assert vote(ann, session_code, 1, {"value": 3})["error"]["code"] == "closed"  # the old one
    assert vote(ann, session_code, 2, {"value": 3})["ok"]
    assert vote(ben, session_code, 2, {"value": 4.0})["ok"]
    assert vote(ben, session_code, 2, {"value": "4"})["error"]["code"] == "bad_answer"
    assert vote(ben, session_code, 2, {"choice": "a"})["error"]["code"] == "bad_answer"
    shown = teacher.call("poll", {"code": session_code, "op": "results"})["state"]["poll"]
    assert shown["results"] == {"1": {"counts": {"3": 1, "4": 1}, "answered": 2}}
    assert teacher.call("poll", {"code": session_code, "op": "answer"})["state"]["poll"][
        "solution"
    ] == [3.0]


def test_vote_discuss_revote_keeps_both_rounds(app, people, session_code):
    teacher = presenter(app, people, session_code)
    ann, ben = (student(app, people, session_code, n) for n in ("Ann", "Ben"))
    a, b, c = (x["id"] for x in open_poll(teacher, session_code)["choices"])
    vote(ann, session_code, 1, {"choice": a})
    vote(ben, session_code, 1, {"choice": c})
    teacher.call("poll", {"code": session_code, "op": "close"})
    assert vote(ann, session_code, 1, {"choice": b})["error"]["code"] == "closed"
    again = teacher.call("poll", {"code": session_code, "op": "revote"})["state"]["poll"]
    assert again["round"] == 2 and again["open"] and "results" not in again
    assert teacher.pushed("votes")[-1]["answered"] == 0  # a fresh round
    assert vote(ann, session_code, 1, {"choice": b})["round"] == 2
    vote(ben, session_code, 1, {"choice": b})
    assert ann.call("join", {"code": session_code, "name": "Ann"})["mine"] == {
        "1": {"choice": a},
        "2": {"choice": b},
    }
    shown = teacher.call("poll", {"code": session_code, "op": "results"})["state"]["poll"]
    assert shown["results"] == {
        "1": {"counts": {a: 1, c: 1}, "answered": 2},
        "2": {"counts": {b: 2}, "answered": 2},
    }
    third = teacher.call("poll", {"code": session_code, "op": "revote"})
    assert third["error"]["code"] == "no_revote"
    with app.app_context():
        sessions = app.extensions["live"]
        record = poll_record(sessions.store, sessions.state(session_code))
    assert record[0]["options"].keys() == {"A", "B", "C"} and record[0]["answer"] == ["B"]
    assert [r["counts"] for r in record[0]["rounds"]] == [{"A": 1, "C": 1}, {"B": 2}]
    assert {(v["name"], v["answer"]) for v in record[0]["rounds"][0]["answers"]} == {
        ("Ann", "A"),
        ("Ben", "C"),
    }


def test_the_timer_closes_the_poll_on_the_server(app, people, session_code):
    teacher = presenter(app, people, session_code)
    ann = student(app, people, session_code, "Ann")
    a = open_poll(teacher, session_code)["choices"][0]["id"]
    assert (
        teacher.call("poll", {"code": session_code, "op": "timer", "seconds": 0})["error"]["field"]
        == "seconds"
    )
    timed = teacher.call("poll", {"code": session_code, "op": "timer", "seconds": 1})["state"]
    assert timed["poll"]["open"] and timed["poll"]["ends_at"] > 0
    closed = until_state(teacher, lambda s: not s["poll"]["open"])
    assert closed["poll"]["ends_at"] is None and "Time is up" in closed["message"]
    assert vote(ann, session_code, 1, {"choice": a})["error"]["code"] == "closed"


def test_a_poll_whose_timer_process_died_closes_at_the_next_beat(app, people, session_code):
    teacher = presenter(app, people, session_code)
    ann = student(app, people, session_code, "Ann")
    open_poll(teacher, session_code)

    def lapsed(s: LiveState) -> None:  # as a process killed after setting a timer leaves it
        assert s.poll is not None
        s.poll.ends_at = now_ms() - 1

    with app.app_context():
        app.extensions["live"].change(session_code, lapsed)
    assert teacher.call("sync", {"code": session_code})["state"]["poll"]["open"]
    assert ann.call("beat", {"code": session_code})["ok"]
    closed = teacher.call("sync", {"code": session_code})["state"]
    assert not closed["poll"]["open"] and "Time is up" in closed["message"]


def test_a_restarted_process_has_every_poll_round_and_reveal(app, people, session_code):
    teacher = presenter(app, people, session_code)
    ann = student(app, people, session_code, "Ann")
    a, b, _ = (x["id"] for x in open_poll(teacher, session_code)["choices"])
    vote(ann, session_code, 1, {"choice": a})
    teacher.call("poll", {"code": session_code, "op": "revote"})
    vote(ann, session_code, 1, {"choice": b})
    teacher.call("poll", {"code": session_code, "op": "results"})
    before = teacher.call("sync", {"code": session_code})["state"]
    fresh = DurableStore(MemoryStore(), db.sessions(app))  # a new process: empty memory
    meta, view, lab = fresh.load(session_code)
    assert view["poll"] == before["poll"] and view["poll"]["results"]["2"]["counts"] == {b: 1}
    with app.app_context():
        lesson = app.extensions["lessons"].get(meta["lesson"])
        restored = LiveState.restore(meta, lab, lesson)
    assert restored.poll is not None and restored.poll.answer == [b]
    assert [r["counts"] for r in poll_record(fresh, restored)[0]["rounds"]] == [{"A": 1}, {"B": 1}]
