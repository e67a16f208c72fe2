"""Instructor sign-ins that end (issue 17): signing out revokes every copy of the
cookie and an open presenter socket, a sign-in lasts a teaching day, and only an
admin adds instructors (the first admin from the command line)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import livekit
import pytest
import socketkit
from flask import Flask
from sqlalchemy import select, text
from teachkit import PASSWORD, Person, add_instructor, build_app

from course.cli import main
from course.storage import db
from course.storage.models import Instructor
from course.teach import accounts


@pytest.fixture
def teaching_app(database_url: str, cache: Path) -> Iterator[Flask]:
    app = build_app(database_url, cache)
    yield app
    db.dispose(app)


def copy_cookie(source: Person, app: Flask) -> Person:
    """Another browser holding a copy of ``source``'s session cookie (a stolen one)."""
    thief = Person(app, address="203.0.113.9")
    cookie = source.client.get_cookie("session")
    assert cookie is not None
    thief.client.set_cookie("session", cookie.value)
    return thief


def test_signing_out_revokes_every_copy_of_the_cookie(teaching_app: Flask):
    add_instructor(teaching_app, "ada@example.org")
    ada = Person(teaching_app)
    assert ada.login("ada@example.org").status_code == 302
    laptop = Person(teaching_app, address="10.0.0.2")  # her own second sign-in
    assert laptop.login("ada@example.org").status_code == 302
    thief = copy_cookie(ada, teaching_app)
    assert thief.get("/teach/").status_code == 200  # the copy works while she is in
    assert ada.post("/logout").status_code == 302
    for browser in (ada, thief, laptop):
        assert browser.get("/teach/").status_code == 302  # sent to sign in
    assert ada.login("ada@example.org").status_code == 302  # and in again, afresh
    assert ada.get("/teach/").status_code == 200
    assert thief.get("/teach/").status_code == 302


def test_a_sign_in_lasts_a_teaching_day_not_a_year(teaching_app: Flask):
    add_instructor(teaching_app, "ada@example.org")
    lifetime = teaching_app.config["INSTRUCTOR_SESSION_LIFETIME"]
    assert 12 * 3600 <= lifetime <= 14 * 24 * 3600
    ada = Person(teaching_app)
    ada.login("ada@example.org")
    with ada.client.session_transaction() as session:
        session[accounts.SINCE_KEY] = time.time() - lifetime + 3600  # an hour left
    assert ada.get("/teach/").status_code == 200
    with ada.client.session_transaction() as session:
        session[accounts.SINCE_KEY] = time.time() - lifetime - 1
    assert ada.get("/teach/").status_code == 302
    ada.login("ada@example.org")
    with ada.client.session_transaction() as session:  # a cookie made before this change
        del session[accounts.GENERATION_KEY], session[accounts.SINCE_KEY]
    assert ada.get("/teach/").status_code == 302


def test_only_an_admin_adds_instructors(teaching_app: Flask):
    add_instructor(teaching_app, "root@example.org", "Root", admin=True)
    add_instructor(teaching_app, "ada@example.org", "Ada")
    ada = Person(teaching_app)
    ada.login("ada@example.org")
    assert "Add an instructor" not in ada.get("/teach/").get_data(as_text=True)
    assert ada.get("/teach/instructors/new").status_code == 403
    form = {"email": "mallory@example.org", "name": "Mallory", "password": "a long password"}
    assert ada.post("/teach/instructors/new", form).status_code == 403
    assert Person(teaching_app).login("mallory@example.org", form["password"]).status_code == 401

    root = Person(teaching_app, address="10.0.0.3")
    root.login("root@example.org")
    assert "Add an instructor" in root.get("/teach/").get_data(as_text=True)
    made = root.post("/teach/instructors/new", form | {"admin": "on"})
    assert made.status_code == 302
    assert "can now sign in as an admin" in root.get("/teach/").get_data(as_text=True)
    with teaching_app.app_context():
        found = db.get_session().scalars(select(Instructor).order_by(Instructor.id)).all()
        assert [(i.email, i.is_admin) for i in found] == [
            ("root@example.org", True),
            ("ada@example.org", False),
            ("mallory@example.org", True),
        ]


def test_the_first_admin_comes_from_the_command_line(
    database_url: str, cache: Path, monkeypatch: pytest.MonkeyPatch
):
    def create(*args: str) -> int:
        monkeypatch.setenv("UNROLLED_DATABASE_URL", database_url)
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        return main(["create-instructor", *args, "--password-stdin"])

    assert create("--email", "root@example.org", "--name", "Root", "--admin") == 0
    assert create("--email", "ada@example.org", "--name", "Ada") == 0
    app = build_app(database_url, cache)
    try:
        with app.app_context():
            rows = db.get_session().execute(select(Instructor.email, Instructor.is_admin))
            found = sorted(tuple(row) for row in rows)
            assert found == [("ada@example.org", False), ("root@example.org", True)]
    finally:
        db.dispose(app)


def test_upgrading_makes_the_command_lines_instructors_admins(tmp_path: Path):
    """Before this change, instructors made on the command line ran the deployment;
    their classes survive the upgrade."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        db.upgrade(engine, "0002")
        with engine.begin() as connection:
            for id_, email, by in ((1, "root@example.org", None), (2, "ada@example.org", 1)):
                connection.execute(
                    text(
                        "INSERT INTO instructors (id, email, name, password_hash, created_at,"
                        " created_by) VALUES (:id, :email, 'x', 'x', '2026-11-30', :by)"
                    ),
                    {"id": id_, "email": email, "by": by},
                )
            connection.execute(
                text(
                    "INSERT INTO classes (id, instructor_id, name, join_code, created_at, archived)"
                    " VALUES (1, 2, 'RNNs', 'ABCDEF', '2026-11-30', 0)"
                )
            )
        db.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT email, is_admin, session_generation FROM instructors ORDER BY id")
            )
            assert [tuple(r) for r in rows] == [
                ("root@example.org", 1, 0),
                ("ada@example.org", 0, 0),
            ]
            assert connection.execute(text("SELECT name FROM classes")).scalars().all() == ["RNNs"]
    finally:
        engine.dispose()


def test_a_signed_out_presenters_open_socket_is_refused(app: Flask):
    """The presenter signs in through the form, presents over /live, signs out in
    another tab: the open socket's next event is refused, and so is a fresh one."""
    presenter = livekit.instructor(app, "sign-out-teacher")
    with app.app_context():
        lesson = app.extensions["lessons"].get(livekit.LESSON)
        code = app.extensions["live"].start(lesson, "cell-walk", presenter)
    teacher = Person(app, address="10.1.0.1")
    teacher.client.get(f"/lessons/{livekit.LESSON}")
    assert teacher.login("sign-out-teacher@example.org", "a long password").status_code == 302
    sock = socketkit.connect(app, "/live", teacher.client)
    try:
        assert socketkit.ok(sock, "join", {"code": code})["role"] == "presenter"
        socketkit.ok(sock, "present", {"code": code, "action": "step"})
        assert teacher.post("/logout").status_code == 302
        error = socketkit.refused(sock, "present", {"code": code, "action": "step"})
        assert error["code"] == "forbidden"
        again = socketkit.connect(app, "/live", teacher.client)
        try:
            assert socketkit.ok(again, "join", {"code": code})["role"] == "student"
        finally:
            again.close()
        assert teacher.client.get(f"/live/{code}/present").status_code in (302, 404)
    finally:
        sock.close()
