"""Learner identity (signed cookie, persisted key), CSRF checks and the rate limiter.

Each test builds a tiny app with the storage-layer ``init_app``s and a few routes
that stand in for the real ones.
"""

from __future__ import annotations

import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_socketio import SocketIO

from course.storage import db
from course.storage import records as store
from course.web import csrf, identity, ratelimit
from course.web.identity import current_learner_id
from course.web.ratelimit import RateLimiter


def make_app(instance: Path, database_url: str | None = None, **config: Any) -> Flask:
    app = Flask(__name__, instance_path=str(instance))
    app.config.update(
        {
            "TESTING": True,
            "SECRET_KEY": identity.DEV_SECRET_KEY,  # what create_app has unless configured
            "DATABASE_URL": database_url or f"sqlite:///{instance / 'unrolled.sqlite3'}",
        }
        | config
    )
    identity.init_app(app)
    csrf.init_app(app)
    db.init_app(app)

    @app.get("/me")
    def me() -> dict[str, Any]:
        return {"learner": current_learner_id()}

    @app.get("/page")
    def page() -> str:
        return render_template_string('<meta name="csrf-token" content="{{ csrf_token() }}">')

    @app.post("/read")
    def read() -> dict[str, Any]:
        with db.transaction() as session:
            store.mark(session, current_learner_id() or "", "lstm", "section", "gates")
        return {"ok": True}

    @app.post("/hook")
    @csrf.exempt
    def hook() -> dict[str, Any]:
        return {"ok": True}

    return app


def token(client: FlaskClient) -> str:
    """The token a page hands its scripts."""
    html = client.get("/page").get_data(as_text=True)
    return html.split('content="')[1].split('"')[0]


def sections_read(app: Flask, client: FlaskClient) -> list[str]:
    learner = client.get("/me").get_json()["learner"]
    with app.app_context():
        lesson = store.progress(db.get_session(), learner).get("lstm", {})
    return list(lesson.get("sections", []))


# -- identity --------------------------------------------------------------------


def test_a_first_visit_gets_a_learner_id_in_a_lasting_http_only_cookie(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    response = client.get("/me")
    learner = response.get_json()["learner"]
    cookie = response.headers["Set-Cookie"]
    assert len(learner) >= 20
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie
    assert client.get("/me").get_json()["learner"] == learner


def test_the_cookie_is_secure_when_configured(tmp_path: Path) -> None:
    client = make_app(tmp_path, SESSION_COOKIE_SECURE=True).test_client()
    assert "Secure" in client.get("/me").headers["Set-Cookie"]


def test_the_learner_survives_a_restart_on_the_same_instance_folder(tmp_path: Path) -> None:
    first = make_app(tmp_path / "instance").test_client()
    learner = first.get("/me").get_json()["learner"]
    cookie = first.get_cookie("session")
    assert cookie is not None
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    restarted = make_app(tmp_path / "instance").test_client()
    restarted.set_cookie("session", cookie.value)
    assert restarted.get("/me").get_json()["learner"] == learner

    elsewhere = make_app(tmp_path / "other").test_client()  # another key: cookie rejected
    elsewhere.set_cookie("session", cookie.value)
    assert elsewhere.get("/me").get_json()["learner"] != learner


def test_a_configured_secret_key_is_kept(tmp_path: Path) -> None:
    app = make_app(tmp_path, SECRET_KEY="a real key from the environment")
    assert app.config["SECRET_KEY"] == "a real key from the environment"
    assert not (tmp_path / "secret_key").exists()


def test_socket_handlers_see_the_learner_of_the_page(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    socketio = SocketIO(app, async_mode="threading")
    seen: list[str | None] = []

    @socketio.on("connect")
    def connect(auth: Any = None) -> None:
        seen.append(current_learner_id(create=False))

    client = app.test_client()
    learner = client.get("/me").get_json()["learner"]
    socket = socketio.test_client(app, flask_test_client=client)
    assert socket.is_connected()
    socket.disconnect()
    assert seen == [learner]


# -- CSRF ------------------------------------------------------------------------


def test_a_post_without_the_token_is_refused_and_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    app = make_app(tmp_path, database_url)
    client = app.test_client()
    token(client)  # the session has a token; this request just does not send it
    response = client.post("/read")
    assert response.status_code == 400
    assert response.get_json()["ok"] is False
    assert response.get_json()["error"]["code"] == "csrf"
    response = client.post("/read", headers={csrf.HEADER: "forged"})
    assert response.status_code == 400
    assert sections_read(app, client) == []
    db.dispose(app)


def test_a_post_with_the_token_goes_through(tmp_path: Path, database_url: str) -> None:
    app = make_app(tmp_path, database_url)
    client = app.test_client()
    response = client.post("/read", headers={csrf.HEADER: token(client)})
    assert response.status_code == 200
    assert client.post("/read", data={csrf.FIELD: token(client)}).status_code == 200  # a form
    assert sections_read(app, client) == ["gates"]
    db.dispose(app)


def test_a_cross_origin_post_is_refused_even_with_the_token(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    headers = {csrf.HEADER: token(client)}
    for origin in ("http://evil.example", "null", "http://localhost.evil.example"):
        response = client.post("/read", headers=headers | {"Origin": origin})
        assert response.status_code == 400, origin
    assert sections_read(app, client) == []
    same = client.post("/read", headers=headers | {"Origin": "http://localhost"})
    assert same.status_code == 200


def test_reads_and_exempt_views_need_no_token(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    assert client.get("/me").status_code == 200
    assert client.post("/hook").status_code == 200
    assert client.post("/no-such-page").status_code == 404


# -- rate limit ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_allows_n_per_sliding_window() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    for _ in range(3):  # at t = 0, 10, 20
        assert limiter.hit("ada") is None
        clock.now += 10
    assert limiter.hit("ada") == pytest.approx(30)  # until the hit at t=0 leaves the window
    assert limiter.hit("bob") is None  # learners do not share a budget
    clock.now += 30
    assert limiter.hit("ada") is None
    assert limiter.hit("ada") == pytest.approx(10)  # refused hits do not count


def test_the_limiter_is_exact_under_threads() -> None:
    limiter = RateLimiter(50, 60)
    allowed = [0] * 8

    def hammer(i: int) -> None:
        allowed[i] = sum(limiter.hit("ada") is None for _ in range(25))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 50


def test_the_quiz_limit_comes_from_config(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["QUIZ_RATE_LIMIT"] = "2/60"
    ratelimit.init_app(app)
    with app.app_context():
        assert [ratelimit.hit("quiz", "ada") is None for _ in range(3)] == [True, True, False]
    with pytest.raises(ValueError, match="hits/seconds"):
        RateLimiter.parse("ten a minute")
