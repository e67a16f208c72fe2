"""What the /live socket tests share: a browser with its cookies and a /live
connection, and the presenter and students of a session (fixtures ``people`` and
``session_code`` are in conftest); a class, co-taught, with a session started from
its page."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import socketkit
from flask import Flask
from flask.testing import FlaskClient
from socketkit import Socket, ask
from sqlalchemy import select

from course.storage import db
from course.storage.models import Classroom, CoTeacher, Instructor
from course.teach import accounts

LESSON = "lstm-cell"
NS = "/live"
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def instructor(app: Flask, name: str) -> str:
    """The id of a real instructor account named ``name`` (made on first use), as a
    session's ``presenter``: /live checks the sign-in against the account."""
    email = f"{name.lower()}@example.org"  # stored lowercase
    with app.app_context():
        found = db.get_session().scalar(select(Instructor.id).where(Instructor.email == email))
        if found is None:
            with db.transaction() as session:
                found = accounts.create_instructor(session, email, name, "a long password").id
    return str(found)


class Person:
    """A browser: its cookies (learner id, maybe a login) and a /live connection."""

    def __init__(self, app: Flask, instructor: str | None = None) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.client.get(f"/lessons/{LESSON}")  # sets the learner cookie
        if instructor is not None:  # signed in as that account (see ``instructor``)
            with app.app_context():
                account = db.get_session().get(Instructor, int(instructor))
                assert account is not None, f"no instructor {instructor}: use livekit.instructor"
                generation = account.session_generation
            with self.client.session_transaction() as session:
                session[accounts.SESSION_KEY] = instructor
                session[accounts.GENERATION_KEY] = generation
                session[accounts.SINCE_KEY] = time.time()
        self.sock: Socket = self.connect()

    def connect(self) -> Socket:
        return socketkit.connect(self.app, NS, self.client)

    def call(self, event: str, payload: Any) -> dict[str, Any]:
        return ask(self.sock, event, payload)

    def pushed(self, name: str) -> list[Any]:
        return [m["args"][0] for m in socketkit.pushed(self.sock) if m["name"] == name]

    def close(self) -> None:
        self.sock.close()


def presenter(app: Flask, people: list[Person], code: str) -> Person:
    person = Person(app, instructor=instructor(app, "teacher-1"))
    people.append(person)
    assert person.call("join", {"code": code})["role"] == "presenter"
    return person


def student(app: Flask, people: list[Person], code: str, name: str) -> Person:
    person = Person(app)
    people.append(person)
    ack = person.call("join", {"code": code, "name": name})
    assert ack["ok"] and ack["role"] == "student", ack
    return person


def token(person: Person) -> str:
    """The CSRF token of ``person``'s pages (for a form they post)."""
    found = TOKEN.search(person.client.get(f"/lessons/{LESSON}").get_data(as_text=True))
    assert found is not None
    return found.group(1)


def make_class(app: Flask, owner: str, co_teachers: list[str], zone: str = "UTC") -> int:
    """A class of instructor ``owner``'s in time zone ``zone``, co-taught by
    ``co_teachers`` (instructor ids); its id."""
    with app.app_context(), db.transaction() as session:
        made = Classroom(instructor_id=int(owner), name="A live class", time_zone=zone,
                         join_code=secrets.token_hex(3).upper())  # fmt: skip
        session.add(made)
        session.flush()
        for teacher in co_teachers:
            session.add(CoTeacher(class_id=made.id, instructor_id=int(teacher)))
        return made.id


def start_for_class(owner: Person, class_id: int) -> str:
    """A session of the lesson's cell-walk lab started from the class page by ``owner``
    (signed in), open to guests with the code; its code."""
    form = {"class_id": class_id, "lab": f"{LESSON}/cell-walk", "access": "open",
            "csrf_token": token(owner)}  # fmt: skip
    started = owner.client.post("/teach/live", data=form)
    found = re.search(r"/live/([A-Z0-9]{6})/present$", started.headers.get("Location", ""))
    assert found is not None, started.get_data(as_text=True)
    return found.group(1)
