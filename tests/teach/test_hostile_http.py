"""The HTTP edge under a hostile client (issue 17): bodies past the size limit, JSON
nested too deep, GIF options and due dates that used to raise 500, private pages
kept out of caches, hosts the server does not answer to, the Socket.IO origin check,
and a weak secret key refused outside development."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from canarykit import API, Learner
from flask import Flask
from teachkit import Person, build_app, join_code

from course.storage import db
from course.web import identity

QUIZ = f"{API}/single/attempts"
PROGRESS = "/api/lessons/canary/progress"


@pytest.fixture
def app(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = build_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path_factory.mktemp("c"))
    yield app
    db.dispose(app)


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("path", [QUIZ, PROGRESS])
def test_json_nested_too_deep_or_too_big_is_refused_not_a_crash(app: Flask, path: str):
    learner = Learner(app)
    token = {"X-CSRF-Token": learner.page.token, "Content-Type": "application/json"}
    for body in (deep(100_000), b'{"kind": ' * 40 + b"1" + b"}" * 40):
        reply = learner.client.post(path, data=body, headers=token)
        assert reply.status_code == 400, reply.status_code
        assert reply.get_json()["error"]["code"] == "bad_json"
    huge = b'{"kind": "' + b"x" * 1_100_000 + b'"}'
    assert learner.client.post(path, data=huge, headers=token).status_code == 413
    assert learner.client.get("/api/progress").get_json()["progress"] == {}


@pytest.mark.parametrize("value", ["²", "٣", "1" * 5000, "+7"])
def test_gif_options_in_other_digits_are_refused_with_a_400(app: Flask, value: str):
    # The canary lesson's lab (module 1): any lab reaches the option check first.
    lab = next(iter(app.extensions["lessons"].get("canary").labs))
    reply = app.test_client().get(f"/export/canary/{lab}.gif", query_string={"steps": value})
    assert reply.status_code == 400
    assert reply.get_json()["error"]["field"] == "steps"


def test_a_due_date_whose_offset_overflows_is_refused_like_a_bad_date(teacher: Person):
    class_id = teacher.create_class("RNNs")
    base = f"/teach/classes/{class_id}/assignments"
    for due in ("0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00"):
        reply = teacher.post(base, {"what": "lesson:canary", "due": due})
        assert reply.status_code == 302  # back to the class page, saying so
        assert "Pick a due date" in teacher.get(f"/teach/classes/{class_id}").get_data(True)


def test_private_pages_are_never_stored_by_a_cache(app: Flask, teacher: Person):
    class_id = teacher.create_class("RNNs")
    student = Person(app)
    student.join(join_code(teacher.get(f"/teach/classes/{class_id}").get_data(True)), "Ana")
    for who, path in [
        (teacher, f"/teach/classes/{class_id}"),  # roster
        (teacher, f"/teach/classes/{class_id}/gradebook.csv"),
        (teacher, "/teach/"),
        (student, "/progress"),
        (student, "/api/progress"),
    ]:
        reply = who.get(path)
        assert reply.status_code == 200, path
        assert reply.headers.get("Cache-Control") == "no-store", path
    # Shared assets keep their caching.
    asset = student.get("/vendor/bokeh/bokeh.min.js")
    assert asset.status_code == 200 and "max-age" in asset.headers["Cache-Control"]


def test_only_the_hosts_served_are_answered(app: Flask, monkeypatch: pytest.MonkeyPatch):
    client = app.test_client()
    assert client.get("/").status_code == 200  # localhost
    assert client.get("/", headers={"Host": "127.0.0.1:5000"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    monkeypatch.setitem(app.config, "ALLOWED_HOSTS", "course.example.org")
    assert client.get("/", headers={"Host": "course.example.org"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400


def test_sockets_open_only_from_the_sites_own_pages(app: Flask):
    client = app.test_client()
    poll = "/socket.io/?EIO=4&transport=polling"
    own = client.get(poll, headers={"Origin": "http://localhost"})
    assert own.status_code == 200
    for origin in ("http://evil.example", "null", "http://localhost:8081"):
        assert client.get(poll, headers={"Origin": origin}).status_code == 400, origin


def test_a_weak_secret_key_is_refused_outside_development(tmp_path: Path):
    def init(**config: object) -> Flask:
        app = Flask(__name__, instance_path=str(tmp_path))
        app.config.update(config)
        identity.init_app(app)
        return app

    for weak in ("secret", "changeme-changeme-changeme-changeme", "a" * 64):
        with pytest.raises(RuntimeError, match="SECRET_KEY is too weak"):
            init(SECRET_KEY=weak)
        init(SECRET_KEY=weak, TESTING=True)  # tests and development may
        init(SECRET_KEY=weak, DEVELOPMENT=True)
    init(SECRET_KEY="q9Vd2-Lx7pWm4RtZ8sKf0bNc3hYgJ6uE1aTo5iQe")
    generated = init(SECRET_KEY=identity.DEV_SECRET_KEY)  # unset: one is made
    assert len(generated.config["SECRET_KEY"]) >= 32
