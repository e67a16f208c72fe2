"""Storage: migrations, progress marks and quiz attempts, on SQLite and PostgreSQL.

``database_url`` (conftest) runs each test once per database; PostgreSQL is a
private server started for the session (tests/databases.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from databases import PostgresServer
from flask import Flask
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from course.storage import db
from course.storage import records as store
from course.storage.models import Base, Learner, QuizAttempt

TABLES = {"alembic_version", "learners", "progress_marks", "quiz_attempts", "quiz_reveals"} | {
    "instructors", "classes", "enrollments", "assignments", "extensions", "live_sessions",
    "live_states", "live_votes",
} | {"lab_snapshots", "lab_resumes"} | {
    "roster_invites", "co_teachers", "live_attendance", "live_records", "live_events",
}  # fmt: skip
HEAD = ScriptDirectory.from_config(db.alembic_config()).get_current_head()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class Grader:
    """Scores 1 for the answer "c", counts how often it was asked to grade."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, answer: Any, attempt_no: int) -> tuple[float, bool, dict[str, Any]]:
        with self.lock:
            self.calls += 1
        right = answer == {"choice": "c"}
        return (1.0 if right else 0.0), right, {"feedback": f"attempt {attempt_no}"}


def submit(
    sessions: sessionmaker[Session], grade: store.Grader, sid: str, **kw: Any
) -> store.Outcome:
    defaults: dict[str, Any] = {"answer": {"choice": "a"}, "max_attempts": 3}
    args = defaults | kw
    return store.submit_attempt(
        sessions, "ada", "lstm", "forget-gate", sid, args["answer"], args["max_attempts"], grade
    )


# -- schema ----------------------------------------------------------------------


def test_migrations_build_the_models_schema_and_rerun_as_a_no_op(database_url: str) -> None:
    engine = db.make_engine(database_url)
    assert set(inspect(engine).get_table_names()) == set()
    db.upgrade(engine)
    db.upgrade(engine)  # a restart: nothing to do
    head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        from alembic.autogenerate import compare_metadata

        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []  # the migrations build exactly what the models declare
    assert set(inspect(engine).get_table_names()) == TABLES
    engine.dispose()


def test_two_servers_starting_together_migrate_once(database_url: str) -> None:
    engines = [db.make_engine(database_url) for _ in range(2)]
    errors = [e for e in _race(2, lambda i: db.upgrade(engines[i])) if e is not None]
    assert errors == []
    with engines[0].connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == HEAD
    for engine in engines:
        engine.dispose()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == 5000
        assert pragma("foreign_keys") == 1
    engine.dispose()


def attempt(learner_id: str, attempt_no: int, submission_id: str) -> QuizAttempt:
    return QuizAttempt(
        learner_id=learner_id, lesson_id="lstm", quiz_id="forget-gate", attempt_no=attempt_no,
        submission_id=submission_id, answer=1, score=1.0, correct=True, graded={},
    )  # fmt: skip


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(attempt("nobody", 1, "s"))


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@db/unrolled", "postgresql+psycopg://u:***@db/unrolled"),
        ("postgres://u@db/unrolled", "postgresql+psycopg://u@db/unrolled"),
        ("postgresql+psycopg://db/x", "postgresql+psycopg://db/x"),
        ("sqlite:///x.sqlite3", "sqlite:///x.sqlite3"),
    ],
)
def test_postgresql_urls_go_through_psycopg_3(given: str, used: str) -> None:
    assert str(db.normalise_url(given)) == used


def test_the_url_comes_from_config_then_environment_then_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert db.database_url(app) == f"sqlite:///{tmp_path / 'unrolled.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "postgresql://env/x")
    assert db.database_url(app) == "postgresql://env/x"
    app.config["DATABASE_URL"] = "postgresql://config/x"
    assert db.database_url(app) == "postgresql://config/x"


# -- progress --------------------------------------------------------------------


def test_marks_are_idempotent_and_a_prediction_keeps_the_first_guess(
    sessions: sessionmaker[Session],
) -> None:
    with db.transaction(sessions) as session:
        assert store.mark(session, "ada", "lstm", "section", "gates")
        assert not store.mark(session, "ada", "lstm", "section", "gates")
        assert store.mark(session, "ada", "lstm", "predict", "next-h", {"sign": "+"})
    with db.transaction(sessions) as session:
        assert not store.mark(session, "ada", "lstm", "predict", "next-h", {"sign": "-"})
        with pytest.raises(ValueError):
            store.mark(session, "ada", "lstm", "chapter", "x")
    with sessions() as session:
        lesson = store.progress(session, "ada")["lstm"]
    assert lesson["sections"] == ["gates"]
    assert lesson["predictions"] == {"next-h": {"sign": "+"}}


def test_progress_round_trips(sessions: sessionmaker[Session]) -> None:
    grade = Grader()
    with db.transaction(sessions) as session:
        store.mark(session, "ada", "lstm", "section", "intro")
        store.mark(session, "ada", "lstm", "section", "gates")
        store.mark(session, "ada", "lstm", "lab", "cell-walk")
        store.mark(session, "ada", "gru", "predict", "z", 0.5)
        store.mark(session, "bob", "lstm", "section", "intro")
    submit(sessions, grade, "s1")
    submit(sessions, grade, "s2", answer={"choice": "c"})
    with db.transaction(sessions) as session:
        store.reveal(session, "ada", "gru", "update-gate")
    with sessions() as session:
        mine = store.progress(session, "ada")
        assert store.progress(session, "nobody") == {}
        learner = session.get(Learner, "ada")
    assert mine == {
        "lstm": {
            "sections": ["intro", "gates"],
            "labs": ["cell-walk"],
            "predictions": {},
            "quizzes": {
                "forget-gate": {
                    "attempts": 2,
                    "best_score": 1.0,
                    "correct": True,
                    "revealed": False,
                }
            },
        },
        "gru": {
            "sections": [],
            "labs": [],
            "predictions": {"z": 0.5},
            "quizzes": {
                "update-gate": {
                    "attempts": 0,
                    "best_score": None,
                    "correct": False,
                    "revealed": True,
                }
            },
        },
    }
    assert learner is not None and learner.last_seen >= learner.created_at
    assert learner.created_at.tzinfo is not None


def test_a_failed_transaction_changes_nothing(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), db.transaction(sessions) as session:
        store.mark(session, "ada", "lstm", "section", "gates")
        raise RuntimeError("the request failed half-way")
    with sessions() as session:
        assert store.progress(session, "ada") == {}
        assert session.get(Learner, "ada") is None


# -- quiz attempts ---------------------------------------------------------------


def test_resubmitting_a_submission_replays_it_without_grading_again(
    sessions: sessionmaker[Session],
) -> None:
    grade = Grader()
    first = submit(sessions, grade, "s1", answer={"choice": "c"})
    again = submit(sessions, grade, "s1", answer={"choice": "b"})
    assert (first.attempt_no, first.attempts_left, first.correct, first.replayed) == (
        1,
        2,
        True,
        False,
    )
    assert again == store.Outcome(1, 2, 1.0, True, {"feedback": "attempt 1"}, replayed=True)
    assert grade.calls == 1
    other_quiz = store.submit_attempt(sessions, "ada", "lstm", "other", "s1", 1, 3, grade)
    assert other_quiz.refused == store.SUBMISSION_REUSED
    with sessions() as session:
        assert len(store.attempts(session, "ada", "lstm", "forget-gate")) == 1


def test_attempts_stop_at_the_limit_and_a_refusal_stores_nothing(
    sessions: sessionmaker[Session],
) -> None:
    grade = Grader()
    outcomes = [submit(sessions, grade, f"s{i}", max_attempts=2) for i in range(3)]
    assert [o.attempt_no for o in outcomes] == [1, 2, None]
    assert [o.attempts_left for o in outcomes] == [1, 0, 0]
    assert outcomes[2].refused == store.NO_ATTEMPTS_LEFT
    assert grade.calls == 2
    unlimited = submit(sessions, grade, "s9", max_attempts=None)
    assert unlimited.refused is None and unlimited.attempts_left is None
    with sessions() as session:
        stored = store.attempts(session, "ada", "lstm", "forget-gate")
    assert [a.submission_id for a in stored] == ["s0", "s1", "s9"]


def test_a_revealed_quiz_refuses_further_attempts(sessions: sessionmaker[Session]) -> None:
    grade = Grader()
    submit(sessions, grade, "s1")
    with db.transaction(sessions) as session:
        assert store.reveal(session, "ada", "lstm", "forget-gate")
        assert not store.reveal(session, "ada", "lstm", "forget-gate")
    refused = submit(sessions, grade, "s2", answer={"choice": "c"})
    assert refused.refused == store.REVEALED and refused.attempt_no is None
    assert submit(sessions, grade, "s1").replayed  # what was stored is still shown
    with sessions() as session:
        assert len(store.attempts(session, "ada", "lstm", "forget-gate")) == 1


def _race(n: int, action: Any) -> list[Any]:
    """Run ``action(i)`` in ``n`` threads released at the same instant."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as error:  # reported below, not lost in the thread
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_submissions_never_exceed_the_limit(sessions: sessionmaker[Session]) -> None:
    grade = Grader()
    outcomes = _race(8, lambda i: submit(sessions, grade, f"tab-{i}", max_attempts=3))
    assert all(isinstance(o, store.Outcome) for o in outcomes), outcomes
    stored = sorted(o.attempt_no for o in outcomes if o.refused is None)
    assert stored == [1, 2, 3]
    assert [o.refused for o in outcomes].count(store.NO_ATTEMPTS_LEFT) == 5
    with sessions() as session:
        attempts = store.attempts(session, "ada", "lstm", "forget-gate")
    assert [a.attempt_no for a in attempts] == [1, 2, 3]


def test_one_submission_sent_from_many_threads_is_stored_once(
    sessions: sessionmaker[Session],
) -> None:
    grade = Grader()
    outcomes = _race(8, lambda i: submit(sessions, grade, "double-click"))
    assert all(isinstance(o, store.Outcome) and o.attempt_no == 1 for o in outcomes), outcomes
    assert sum(not o.replayed for o in outcomes) == 1
    assert grade.calls == 1


def test_a_lost_race_is_retried_with_the_next_attempt_number(
    postgres_server: PostgresServer,
) -> None:
    """On PostgreSQL two transactions can both count 0 attempts; the unique attempt
    number turns the later insert into a retry. (SQLite writers take turns.)"""
    url = postgres_server.database()
    engine = db.make_engine(url)
    db.upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    grade = Grader()

    with db.transaction(sessions) as session:
        store.ensure_learner(session, "ada")

    def another_tab_lands_first(answer: Any, attempt_no: int) -> Any:
        if grade.calls == 0:  # while this submission is being graded
            with db.transaction(sessions) as other:
                other.add(attempt("ada", 1, "other-tab"))
        return grade(answer, attempt_no)

    outcome = submit(sessions, another_tab_lands_first, "this-tab")
    assert (outcome.attempt_no, outcome.graded) == (2, {"feedback": "attempt 2"})
    with sessions() as session:
        stored = store.attempts(session, "ada", "lstm", "forget-gate")
    assert [a.submission_id for a in stored] == ["other-tab", "this-tab"]
    engine.dispose()
    postgres_server.drop(url)


# -- restart ---------------------------------------------------------------------


def make_app(instance: Path, database_url: str) -> Flask:
    app = Flask(__name__, instance_path=str(instance))
    app.config["DATABASE_URL"] = database_url
    db.init_app(app)
    return app


def test_data_survive_a_restart(database_url: str, tmp_path: Path) -> None:
    first = make_app(tmp_path, database_url)
    with first.app_context():
        with db.transaction() as session:
            store.mark(session, "ada", "lstm", "lab", "cell-walk")
        outcome = store.submit_attempt(
            db.sessions(), "ada", "lstm", "q", "s1", {"choice": "c"}, 3, Grader()
        )
        assert db.get_session().scalar(select(Learner.id)) == "ada"
    db.dispose(first)

    second = make_app(tmp_path, database_url)
    with second.app_context():
        mine = store.progress(db.get_session(), "ada")["lstm"]
        replay = store.submit_attempt(db.sessions(), "ada", "lstm", "q", "s1", None, 3, Grader())
        version = db.get_session().scalar(text("SELECT version_num FROM alembic_version"))
    assert mine["labs"] == ["cell-walk"] and mine["quizzes"]["q"]["attempts"] == 1
    assert replay.replayed and replay.graded == outcome.graded
    assert version == HEAD
    db.dispose(second)
