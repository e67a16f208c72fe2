"""Error pages lead back to the course: a browser asking for a page that is missing,
refused, rate-limited or broken gets the course's page, with the status, what went
wrong and links home; a JSON endpoint keeps answering JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from canarykit import build_app
from flask import Flask, abort
from flask.testing import FlaskClient

from course.storage import db

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("errors")
    # PROPAGATE_EXCEPTIONS off: an exception becomes the 500 page, as in production.
    app = build_app(
        f"sqlite:///{instance / 'db.sqlite3'}",
        instance,
        tmp_path_factory.mktemp("cache"),
        PROPAGATE_EXCEPTIONS=False,
    )

    @app.get("/test-abort/<int:status>")
    def refuse(status: int) -> str:
        abort(status)

    @app.get("/test-crash")
    def crash() -> str:
        raise RuntimeError("a bug")

    @app.get("/api/test-crash")
    def api_crash() -> str:
        raise RuntimeError("a bug")

    yield app
    db.dispose(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def leads_home(page: str) -> bool:
    return 'href="/">Back to the course</a>' in page and 'href="/progress"' in page


@pytest.mark.parametrize(
    "path, status, title",
    [
        ("/lessons/no-such-lesson", 404, "No such page"),
        ("/nowhere/at/all", 404, "No such page"),
        ("/test-abort/400", 400, "That request could not be read"),
        ("/test-abort/403", 403, "Not open to you"),
        ("/test-abort/429", 429, "Too many requests"),
        ("/test-crash", 500, "Something went wrong on our side"),
    ],
)
def test_a_page_error_is_a_course_page_with_the_way_back(
    client: FlaskClient, path: str, status: int, title: str
) -> None:
    reply = client.get(path, headers=HTML)
    page = reply.get_data(as_text=True)
    assert reply.status_code == status
    assert reply.mimetype == "text/html"
    assert f'<h1 id="error-title">{title}</h1>' in page
    assert f"Error {status}" in page
    assert leads_home(page)
    assert "a bug" not in page  # no internals shown


@pytest.mark.parametrize(
    "path, status, code",
    [
        ("/api/lessons/no-such-lesson/quizzes", 404, "not_found"),
        ("/api/lessons/canary/quizzes/no-such-quiz/attempts", 405, "method_not_allowed"),
        ("/api/test-crash", 500, "internal_server_error"),
    ],
)
def test_a_json_endpoint_keeps_json_errors(
    client: FlaskClient, path: str, status: int, code: str
) -> None:
    reply = client.get(path, headers=HTML)  # even when a browser's Accept asks for HTML
    assert reply.status_code == status
    body = reply.get_json()
    assert body["ok"] is False and body["error"]["code"] == code
    assert "a bug" not in body["error"]["message"]


def test_a_request_for_json_gets_json(client: FlaskClient) -> None:
    reply = client.get("/lessons/no-such-lesson", headers={"Accept": "application/json"})
    assert reply.status_code == 404
    assert reply.get_json()["error"]["code"] == "not_found"
