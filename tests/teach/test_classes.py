"""Classes as instructors and students use them: join codes, roster, assignments with
extensions, and live-session records (the gradebook: test_gradebook.py). Every write goes
through the real routes; the learners' progress through the real HTTP API and the
/lab socket. On SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from socketkit import connect, ok
from sqlalchemy import select
from teachkit import LESSON, Learner, Person, Tables, build_app, join_code, signed_in

from course.storage import db
from course.storage.models import Assignment, Classroom, Enrollment, LiveSessionRecord


@pytest.fixture
def app(database_url: str, cache: Path) -> Iterator[Flask]:
    app = build_app(database_url, cache)
    yield app
    db.dispose(app)


def class_page(teacher: Person, class_id: int) -> str:
    reply = teacher.get(f"/teach/classes/{class_id}")
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def roster(teacher: Person, class_id: int) -> list[str]:
    rows = Tables(class_page(teacher, class_id)).tables.get("roster", [])
    return [row[0] for row in rows[1:]]


# -- who may see what ----------------------------------------------------------------


def test_another_instructor_can_neither_see_nor_change_my_class(app: Flask, teacher: Person):
    class_id = teacher.create_class("Mine")
    code = join_code(class_page(teacher, class_id))
    student = Person(app)
    assert student.join(code, "Sam").status_code == 302
    learner = student.session()["learner"]
    eve = signed_in(app, "eve@example.org", "Eve")
    base = f"/teach/classes/{class_id}"
    assert eve.get(base).status_code == 404
    assert eve.get(f"{base}/gradebook.csv").status_code == 404
    missing = eve.get("/teach/classes/999999")
    assert missing.status_code == 404  # the same answer as for a class that exists
    writes = {
        f"{base}/code": {},
        f"{base}/archive": {"archived": "1"},
        f"{base}/students/{learner}/remove": {},
        f"{base}/assignments": {"what": "lesson:canary", "due": "2030-01-01T12:00"},
        "/teach/live": {"class_id": str(class_id), "lab": "canary/tiny"},
    }
    for path, form in writes.items():
        assert eve.post(path, form).status_code == 404, path
    assert "Mine" not in eve.get("/teach/").get_data(as_text=True)
    page = class_page(teacher, class_id)
    assert join_code(page) == code and "Nothing assigned yet" in page
    assert roster(teacher, class_id) == ["Sam"]
    with app.app_context():
        assert db.get_session().scalars(select(LiveSessionRecord)).all() == []
        assert not db.get_session().get(Classroom, class_id).archived
    # a student (no login) is sent to sign in, and a learner cannot act as a teacher
    assert student.get(base).status_code == 302
    assert student.post(f"{base}/code").status_code == 302
    assert join_code(class_page(teacher, class_id)) == code


# -- joining --------------------------------------------------------------------------


def test_join_with_a_code_and_a_name_then_rotate_the_code(app: Flask, teacher: Person):
    class_id = teacher.create_class("RNNs")
    code = join_code(class_page(teacher, class_id))
    alex = Person(app)
    alex.get(LESSON)
    learner = alex.session()["learner"]
    assert alex.join(code, "").status_code == 400
    assert alex.join(code, "x" * 41).status_code == 400
    typed = f" {code[:3].lower()}-{code[3:].lower()} "  # as a person types it
    reply = alex.join(typed, "  Alex   K. ")
    assert reply.status_code == 302 and reply.headers["Location"] == "/classes"
    mine = alex.get("/classes").get_data(as_text=True)
    assert "RNNs" in mine and "Alex K." in mine and "with Ada" in mine
    assert alex.session()["learner"] == learner  # the same pseudonymous learner
    assert alex.join(code, "Alex").status_code == 302  # again: renamed, not doubled
    assert roster(teacher, class_id) == ["Alex"]

    assert teacher.post(f"/teach/classes/{class_id}/code").status_code == 302
    new_code = join_code(class_page(teacher, class_id))
    assert new_code != code
    late = Person(app)
    refused = late.join(code, "Late")
    assert refused.status_code == 404 and "No open class has that code" in refused.get_data(
        as_text=True
    )
    assert late.join(new_code, "Late").status_code == 302
    assert roster(teacher, class_id) == ["Alex", "Late"]

    teacher.post(f"/teach/classes/{class_id}/archive", {"archived": "1"})
    assert Person(app).join(new_code, "Too late").status_code == 404
    remove = f"/teach/classes/{class_id}/students/{learner}/remove"
    assert teacher.post(remove).status_code == 302
    assert roster(teacher, class_id) == ["Late"]
    assert 'data-class="RNNs"' not in alex.get("/classes").get_data(as_text=True)
    assert alex.get("/api/progress").status_code == 200  # their own progress is untouched


def test_a_fresh_cookie_cannot_pass_for_a_member_with_fresh_attempts(app: Flask, teacher: Person):
    """Issue 17: a member's attempts stay with the learner who joined. A second browser
    (or a cleared cookie) may not join under a member's name: it would sit in the
    gradebook as that student with every attempt unused."""
    class_id = teacher.create_class("RNNs")
    code = join_code(class_page(teacher, class_id))
    sam = Learner(app)
    sam.open_lesson()
    assert sam.join(code, "Sam Lee").status_code == 302
    [wrong] = sam.ids("single", "plain option alpha")
    for _ in range(2):
        sam.answer("single", {"choice": wrong})  # both attempts used
    fresh = Learner(app)
    fresh.open_lesson()
    for name in ("Sam Lee", "  sam   LEE "):
        refused = fresh.join(code, name)
        assert refused.status_code == 409
        assert "already joined as" in refused.get_data(as_text=True)
    assert roster(teacher, class_id) == ["Sam Lee"]
    assert sam.join(code, "Sam Lee").status_code == 302  # the member, again: fine
    assert fresh.join(code, "Sam Lee 2").status_code == 302  # another student, in plain view
    assert roster(teacher, class_id) == ["Sam Lee", "Sam Lee 2"]


def test_joining_is_rate_limited_per_address(database_url: str, cache: Path):
    app = build_app(database_url, cache, JOIN_RATE_LIMIT="2/60")
    try:
        person = Person(app)
        assert [person.join("ZZZZZZ", "Sam").status_code for _ in range(3)] == [404, 404, 429]
        assert Person(app, address="10.1.1.1").join("ZZZZZZ", "Sam").status_code == 404
    finally:
        db.dispose(app)


# -- assignments ------------------------------------------------------------------------


def test_assignments_with_due_dates_and_an_extension_for_one_student(app: Flask, teacher: Person):
    class_id = teacher.create_class("RNNs")
    code = join_code(class_page(teacher, class_id))
    ana, ben = Person(app), Person(app)
    ana.join(code, "Ana")
    ben.join(code, "Ben")
    ana_id = ana.session()["learner"]
    base = f"/teach/classes/{class_id}/assignments"
    assert teacher.post(base, {"what": "lesson:canary", "due": "bad"}).status_code == 302
    assert teacher.post(base, {"what": "lesson:nope", "due": "2030-01-01T12:00"}).status_code == 302
    assert "Nothing assigned yet" in class_page(teacher, class_id)
    teacher.post(base, {"what": "module:1", "due": "2030-01-01T12:00"})  # every lesson of it
    page = class_page(teacher, class_id)
    assert "Canary lesson" in page and "2030-01-01 12:00 UTC" in page
    with app.app_context():
        [assignment_id] = db.get_session().scalars(select(Assignment.id)).all()
    extend = f"{base}/{assignment_id}/extensions"
    too_early = {"learner": ana_id, "due": "2029-12-31T12:00"}
    assert teacher.post(extend, too_early).status_code == 302
    assert "must be later than the due date" in class_page(teacher, class_id)
    teacher.post(extend, {"learner": "stranger", "due": "2030-02-01T09:30"})
    assert "Pick a student of this class" in class_page(teacher, class_id)
    teacher.post(extend, {"learner": ana_id, "due": "2030-02-01T09:30"})
    assert "Ana: 2030-02-01 09:30 UTC" in class_page(teacher, class_id)

    def due(person: Person) -> str:
        rows = Tables(person.get("/classes").get_data(as_text=True)).tables["teach-table"]
        return rows[1][1]

    assert due(ana) == "2030-02-01 09:30 UTC extended (class: 2030-01-01 12:00 UTC)"
    assert due(ben) == "2030-01-01 12:00 UTC"
    teacher.post(base, {"what": "lesson:canary", "due": "2030-01-05T08:00+02:00"})  # moved
    assert due(ben) == "2030-01-05 06:00 UTC"
    teacher.post(f"/teach/classes/{class_id}/students/{ana_id}/remove")
    ana.join(code, "Ana")  # back, without the old extension
    assert due(ana) == "2030-01-05 06:00 UTC"


# -- live sessions ----------------------------------------------------------------------


def test_starting_a_live_session_from_the_class_page_records_it(app: Flask, teacher: Person):
    class_id = teacher.create_class("RNNs")
    assert 'value="canary/tiny"' in class_page(teacher, class_id)
    bad = teacher.post("/teach/live", {"class_id": str(class_id), "lab": "canary/nope"})
    assert bad.status_code == 302 and bad.headers["Location"].endswith(f"/{class_id}#live")
    reply = teacher.post("/teach/live", {"class_id": str(class_id), "lab": "canary/tiny"})
    assert reply.status_code == 302
    location = reply.headers["Location"]
    assert location.startswith("/live/") and location.endswith("/present")
    code = location.split("/")[2]
    assert app.extensions["live_store"].seq(code) is not None  # the live store knows it
    with app.app_context():
        record = db.get_session().scalar(select(LiveSessionRecord))
        state = app.extensions["live"].state(code)
    assert record.code == code and record.class_id == class_id and record.lab_id == "tiny"
    assert record.lesson_id == "canary" and record.ended_at is None
    assert state.presenter == teacher.session()["instructor_id"]
    assert "running" in class_page(teacher, class_id)

    # the presenter ends it over /live: the hook stores when and the summary
    with connect(app, "/live", teacher.client) as sock:
        ok(sock, "join", {"code": code})
        ok(sock, "end", {"code": code})
    with app.app_context():
        record = db.get_session().scalar(select(LiveSessionRecord))
    assert record.ended_at is not None and record.ended_at >= record.started_at
    assert record.summary["code"] == code and record.summary["lab"] == "tiny"
    row = Tables(class_page(teacher, class_id)).tables["live-records"][1]
    assert row[2] == code and row[3].endswith("UTC")
    assert row[4].startswith(f"{record.summary['steps']} steps")


def test_the_live_ended_hook_stores_the_summary_on_the_open_record(app: Flask, teacher: Person):
    class_id = teacher.create_class("RNNs")
    teacher.post("/teach/live", {"class_id": str(class_id), "lab": "canary/tiny"})
    with app.app_context():
        record = db.get_session().scalar(select(LiveSessionRecord))
        summary = {"code": record.code, "steps": 12, "epochs": 2, "present": ["Ana", "Ben"],
                   "last_poll": {"quiz": "single", "answered": 2}}  # fmt: skip
        app.extensions["live_ended"](record.code, summary)
        app.extensions["live_ended"]("NOPE22", {"steps": 1})  # no such record: nothing
    with app.app_context():
        stored = db.get_session().scalar(select(LiveSessionRecord))
        assert db.get_session().scalars(select(Enrollment)).all() == []
    assert stored.summary == summary and stored.ended_at is not None
    page = class_page(teacher, class_id)
    assert "12 steps · 2 epochs · 2 present" in page and "Ana, Ben" in page
    assert "last poll single: 2 answered" in page
