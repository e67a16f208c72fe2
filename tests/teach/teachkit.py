"""Helpers for the teaching tests: an app on the canary lesson, browsers with their
CSRF token, a student working the lesson (``Learner``), instructors (``signed_in``: one
who signed in), and a reader for the tables on teaching pages. The fixtures
(``cache``, ``teacher``) are in this folder's conftest."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from quizpage import read
from socketkit import connect, ok
from werkzeug.test import TestResponse

from course import create_app
from course.storage import db
from course.teach import accounts

LESSON = "/lessons/canary"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lessons"
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
PASSWORD = "correct horse battery"


def build_app(database_url: str, cache: Path, **config: Any) -> Flask:
    """An app on ``database_url`` serving the canary lesson, generous rate limits."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "LESSONS_DIR": str(FIXTURES),
            "COMPILATION_CACHE_DIR": str(cache),
            "SECRET_KEY": "teaching-tests-secret-of-32-characters",
            "QUIZ_RATE_LIMIT": "1000/60",
            "LOGIN_RATE_LIMIT": "1000/60",
            "LOGIN_IP_RATE_LIMIT": "1000/60",
            "JOIN_RATE_LIMIT": "1000/60",
        }
        | config
    )


def add_instructor(
    app: Flask, email: str, name: str = "Teacher", password: str = PASSWORD, admin: bool = False
) -> int:
    with app.app_context(), db.transaction() as session:
        return accounts.create_instructor(session, email, name, password, admin=admin).id


class Person:
    """One browser: a cookie jar, and the CSRF token its pages carry."""

    def __init__(self, app: Flask, address: str = "127.0.0.1") -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address

    @property
    def token(self) -> str:
        found = TOKEN.search(self.client.get("/classes").get_data(as_text=True))
        assert found is not None
        return found.group(1)

    def get(self, path: str) -> TestResponse:
        return self.client.get(path)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token
        return self.client.post(path, data=form)

    def session(self) -> dict[str, Any]:
        with self.client.session_transaction() as session:
            return dict(session)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/login", {"email": email, "password": password})

    def create_class(self, name: str = "RNNs, autumn") -> int:
        reply = self.post("/teach/classes", {"name": name})
        assert reply.status_code == 302, reply.get_data(as_text=True)
        return int(reply.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    def join(self, code: str, name: str) -> TestResponse:
        return self.post("/join", {"code": code, "name": name})


class Learner(Person):
    """A student who works the canary lesson through the real API."""

    def open_lesson(self) -> None:
        self.page = read(self.get(LESSON).get_data(as_text=True))

    def headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.page.token}

    def mark(self, kind: str, key: str, value: object = None) -> None:
        body = {"kind": kind, "key": key, "value": value}
        reply = self.client.post("/api/lessons/canary/progress", json=body, headers=self.headers())
        assert reply.get_json()["ok"], reply.get_json()

    def answer(self, quiz: str, answer: dict) -> None:
        body = {"submission_id": uuid.uuid4().hex, "answer": answer}
        path = f"/api/lessons/canary/quizzes/{quiz}/attempts"
        assert self.client.post(path, json=body, headers=self.headers()).get_json()["ok"]

    def ids(self, quiz: str, *texts: str) -> list[str]:
        return [self.page.quizzes[quiz].items[t] for t in texts]

    def step_lab(self, lab: str) -> None:
        with connect(self.app, "/lab", self.client) as sock:
            ok(sock, "open", {"lesson": "canary", "lab": lab})
            ok(sock, "step", {"lab": lab})


def signed_in(app: Flask, email: str, name: str) -> Person:
    """A browser signed in as ``email``, a new instructor called ``name``."""
    add_instructor(app, email, name)
    person = Person(app)
    assert person.login(email).status_code == 302
    return person


def join_code(html: str) -> str:
    found = re.search(r"data-join-code>([A-Z0-9]{6})<", html)
    assert found is not None
    return found.group(1)


class Tables(HTMLParser):
    """Every table's rows as lists of cell texts (th and td alike), by the table's
    classes; ``tables["gradebook"]`` is the gradebook's header rows then body rows."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            classes = (dict(attrs).get("class") or "").split()
            self._table = classes[-1] if classes else ""
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
