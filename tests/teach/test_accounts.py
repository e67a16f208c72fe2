"""Instructor accounts: created on the command line or by another instructor, signed
in and out, rate-limited, and never told apart by their error. On SQLite and
PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from servers import RedisServer
from sqlalchemy import select
from teachkit import PASSWORD, Person, add_instructor, build_app

from course.cli import main
from course.storage import db
from course.storage.models import Classroom, Instructor
from course.teach.throttle import Backoff, RedisBackoff, Schedule

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app(database_url: str, cache: Path) -> Iterator[Flask]:
    app = build_app(database_url, cache)
    yield app
    db.dispose(app)


def cli(database_url: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "course.cli", "create-instructor", *args, "--password-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"UNROLLED_DATABASE_URL": database_url},
        timeout=120,
    )


def test_create_instructor_on_the_command_line_then_sign_in_and_out(
    database_url: str, cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    made = cli(database_url, "--email", " Ada@Example.ORG ", "--name", "Ada Lovelace")
    assert made.returncode == 0, made.stderr

    def again(*args: str, password: str = PASSWORD) -> int:  # in this process: quicker
        monkeypatch.setenv("UNROLLED_DATABASE_URL", database_url)
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        return main(["create-instructor", *args, "--password-stdin"])

    assert again("--email", "ada@example.org", "--name", "Another") == 1
    assert "already" in capsys.readouterr().err
    assert again("--email", "bob@example.org", "--name", "Bob", password="short") == 1
    assert "at least 10" in capsys.readouterr().err

    app = build_app(database_url, cache)
    try:
        with app.app_context():
            [ada] = db.get_session().scalars(select(Instructor)).all()
        assert ada.email == "ada@example.org" and ada.password_hash.startswith("scrypt:")
        assert PASSWORD not in ada.password_hash
        person = Person(app)
        person.get("/lessons/canary")  # a learner before signing in
        learner = person.session()["learner"]
        assert person.get("/teach/").status_code == 302
        reply = person.login("ADA@example.org")
        assert reply.status_code == 302 and reply.headers["Location"] == "/teach/"
        session = person.session()
        assert session["instructor_id"] == str(ada.id)  # the key and type /live reads
        assert session["learner"] == learner  # the pseudonymous progress stays
        dashboard = person.get("/teach/").get_data(as_text=True)
        assert "Ada Lovelace" in dashboard and ">Teach</a>" in dashboard

        assert person.post("/logout").status_code == 302
        assert "instructor_id" not in person.session()
        assert person.session()["learner"] == learner
        assert person.get("/teach/").status_code == 302
    finally:
        db.dispose(app)


def test_wrong_password_and_unknown_email_get_the_same_answer_in_the_same_time(app: Flask):
    add_instructor(app, "ada@example.org")
    person = Person(app)

    def attempt(email: str, password: str) -> tuple[int, str, float]:
        start = time.perf_counter()
        reply = person.login(email, password)
        took = time.perf_counter() - start
        return reply.status_code, reply.get_data(as_text=True).replace(email, "EMAIL"), took

    wrong = attempt("ada@example.org", "not the password")
    unknown = attempt("nobody@example.org", "not the password")
    assert wrong[0] == unknown[0] == 401
    assert "Wrong email or password." in wrong[1]
    assert wrong[1] == unknown[1]
    assert unknown[2] > 0.5 * wrong[2]  # both check a scrypt hash
    assert "instructor_id" not in person.session()


def test_sign_in_is_rate_limited_per_address_and_email_and_per_address(
    database_url: str, cache: Path
):
    app = build_app(database_url, cache, LOGIN_RATE_LIMIT="3/60", LOGIN_IP_RATE_LIMIT="5/60")
    try:
        add_instructor(app, "ada@example.org")
        person = Person(app)
        codes = [person.login("ada@example.org", "wrong password").status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        limited = person.login("ada@example.org")  # from this address, even the right password
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert "Too many sign-in attempts" in limited.get_data(as_text=True)
        assert "instructor_id" not in person.session()
        # another email from the same address still may, up to the address's limit
        assert person.login("bob@example.org", "wrong password").status_code == 401
        assert person.login("eve@example.org", "wrong password").status_code == 429
        other = Person(app, address="10.0.0.9")
        assert other.login("bob@example.org", "wrong password").status_code == 401
        owner = Person(app, address="10.0.0.10")  # the owner, elsewhere: not locked out
        assert owner.login("ada@example.org").status_code == 302
    finally:
        db.dispose(app)


def test_wrong_passwords_from_one_address_never_lock_the_owner_out(database_url: str, cache: Path):
    """Issue 17: five wrong passwords for a teacher's email (today's default limits)
    from an attacker's address, through the proxy; the owner, at another address,
    signs in at once, while the attacker's address backs off longer and longer."""
    app = build_app(
        database_url,
        cache,
        PROXIES=1,
        LOGIN_RATE_LIMIT="5/60",
        LOGIN_IP_RATE_LIMIT="20/60",
        LOGIN_FREE_FAILURES=4,
        LOGIN_BACKOFF_SECONDS=600,  # longer than this test, however slow the machine
    )
    try:
        add_instructor(app, "ada@example.org")
        attacker, owner = Person(app, "10.0.0.1"), Person(app, "10.0.0.1")  # one proxy
        attacker.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.66"
        owner.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
        codes = [attacker.login("ada@example.org", "guess").status_code for _ in range(5)]
        assert codes == [401, 401, 401, 401, 401]  # the fifth earns the first wait
        locked = attacker.login("ada@example.org")  # the right password, too late
        assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 600
        assert "instructor_id" not in attacker.session()
        assert owner.login("ada@example.org").status_code == 302
        assert owner.get("/teach/").status_code == 200
    finally:
        db.dispose(app)


def test_the_backoff_doubles_per_failure_up_to_its_cap_and_a_success_clears_it():
    now = [1000.0]
    backoff = Backoff(Schedule(free=2, first=2, cap=60, forget=3600), clock=lambda: now[0])
    waits = [backoff.failed("10.0.0.1 ada@example.org") for _ in range(8)]
    assert waits == [0, 0, 2, 4, 8, 16, 32, 60]
    assert backoff.wait("10.0.0.1 ada@example.org") == 60
    assert backoff.wait("10.0.0.2 ada@example.org") is None  # another address: free
    now[0] += 60
    assert backoff.wait("10.0.0.1 ada@example.org") is None  # the wait is over
    assert backoff.failed("10.0.0.1 ada@example.org") == 60  # but the count remains
    backoff.succeeded("10.0.0.1 ada@example.org")
    assert backoff.wait("10.0.0.1 ada@example.org") is None
    assert backoff.failed("10.0.0.1 ada@example.org") == 0
    now[0] += 3601  # a failure long ago is forgotten
    assert [backoff.failed("10.0.0.1 ada@example.org") for _ in range(3)] == [0, 0, 2]


def test_with_redis_every_process_sees_the_same_backoff(tmp_path: Path):
    import redis

    server = RedisServer(tmp_path)
    client = redis.Redis.from_url(server.url)
    try:
        backoff = RedisBackoff(Schedule(free=1, first=600, cap=900), client)
        other = RedisBackoff(Schedule(free=1, first=600, cap=900), client)  # another process
        assert [backoff.failed("10.0.0.1 ada@example.org") for _ in range(3)] == [0, 600, 900]
        assert 800 < (other.wait("10.0.0.1 ada@example.org") or 0) <= 900
        assert other.wait("10.0.0.2 ada@example.org") is None
        other.succeeded("10.0.0.1 ada@example.org")
        assert backoff.wait("10.0.0.1 ada@example.org") is None
        assert backoff.failed("10.0.0.1 ada@example.org") == 0
    finally:
        client.close()
        server.stop()


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_the_limit_counts_the_learners_address(
    database_url: str, cache: Path, proxies: int
):
    """With UNROLLED_PROXIES=1 the address nginx forwards counts; without it, a
    client's own X-Forwarded-For is ignored (it could pick a fresh address each try)."""
    app = build_app(database_url, cache, LOGIN_IP_RATE_LIMIT="2/60", PROXIES=proxies)
    try:
        proxy = Person(app, address="10.0.0.1")  # every request arrives from the proxy
        codes = []
        for k in range(3):
            proxy.client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{k}"
            codes.append(proxy.login(f"user{k}@example.org", "wrong password").status_code)
        assert codes == ([401, 401, 401] if proxies else [401, 401, 429])
    finally:
        db.dispose(app)


def test_without_the_csrf_token_nothing_changes(app: Flask):
    add_instructor(app, "ada@example.org")
    person = Person(app)
    refused = person.post("/login", {"email": "ada@example.org", "password": PASSWORD}, csrf=False)
    assert refused.status_code == 400 and "instructor_id" not in person.session()
    person.login("ada@example.org")
    assert person.post("/teach/classes", {"name": "Forged"}, csrf=False).status_code == 400
    class_id = person.create_class("Real")
    page = person.get(f"/teach/classes/{class_id}").get_data(as_text=True)
    assert person.post(f"/teach/classes/{class_id}/code", csrf=False).status_code == 400
    assert person.get(f"/teach/classes/{class_id}").get_data(as_text=True) == page
    assert person.post("/logout", csrf=False).status_code == 400
    assert "instructor_id" in person.session()
    with app.app_context():
        assert db.get_session().scalars(select(Classroom.name)).all() == ["Real"]


@pytest.mark.parametrize(
    ("asked", "lands"),
    [
        ("/teach/classes/7", "/teach/classes/7"),
        ("//evil.example/x", "/teach/"),
        ("https://evil.example/", "/teach/"),
        ("/\\evil.example", "/teach/"),
        ("javascript:alert(1)", "/teach/"),
    ],
)
def test_after_sign_in_only_a_path_on_this_site(app: Flask, asked: str, lands: str):
    add_instructor(app, "ada@example.org")
    person = Person(app)
    reply = person.post("/login", {"email": "ada@example.org", "password": PASSWORD, "next": asked})
    assert reply.headers["Location"] == lands


def test_a_guarded_page_sends_you_to_sign_in_and_back(app: Flask):
    add_instructor(app, "ada@example.org")
    person = Person(app)
    away = person.get("/teach/classes/3/gradebook.csv")
    assert away.status_code == 302
    assert away.headers["Location"] == "/login?next=/teach/classes/3/gradebook.csv"
    form = person.get(away.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/teach/classes/3/gradebook.csv"' in form


def test_sign_in_starts_a_fresh_session_with_safe_cookie_flags(app: Flask):
    add_instructor(app, "ada@example.org")
    person = Person(app)
    before = person.token
    with person.client.session_transaction() as session:
        session["planted"] = "by someone else"
    reply = person.login("ada@example.org")
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "planted" not in person.session()
    assert person.token != before


def test_an_admin_adds_another_who_can_then_sign_in(app: Flask):
    ada = add_instructor(app, "ada@example.org", "Ada", admin=True)
    person = Person(app)
    person.login("ada@example.org")
    form = {"email": "Grace@Example.org", "name": "Grace", "password": "short"}
    assert person.post("/teach/instructors/new", form).status_code == 400
    form["password"] = "a long enough password"
    assert person.post("/teach/instructors/new", form).status_code == 302
    assert "Grace (grace@example.org) can now sign in" in person.get("/teach/").get_data(
        as_text=True
    )
    assert person.post("/teach/instructors/new", form).status_code == 400  # taken
    grace = Person(app)
    assert grace.login("grace@example.org", "a long enough password").status_code == 302
    with app.app_context():
        made = db.get_session().scalar(select(Instructor).where(Instructor.name == "Grace"))
        assert made is not None and made.created_by == ada
    assert Person(app).get("/teach/instructors/new").status_code == 302  # not signed in
