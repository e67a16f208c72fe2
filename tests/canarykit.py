"""The canary lesson (tests/fixtures/lessons) on an app of its own, and a learner's
browser on it: the page it loaded (its CSRF token, each quiz's opaque ids) and its
quiz requests."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from quizpage import Page, read

from course import create_app

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lessons"
LESSON = "/lessons/canary"
API = "/api/lessons/canary/quizzes"


def build_app(database_url: str, instance: Path, cache: Path, **config: Any) -> Flask:
    """An app on ``database_url`` serving the canary lesson; a second call with the same
    arguments is the same server restarted."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "LESSONS_DIR": str(FIXTURES),
            "COMPILATION_CACHE_DIR": str(cache),
            "SECRET_KEY": "quiz-tests",
            "QUIZ_RATE_LIMIT": "1000/60",
        }
        | config
    )


class Learner:
    """One browser: a cookie jar, the lesson page it loaded, and its requests."""

    def __init__(self, app: Flask) -> None:
        self.client: FlaskClient = app.test_client()
        self.page: Page = read(self.client.get(LESSON).get_data(as_text=True))

    def ids(self, quiz: str, *texts: str) -> list[str]:
        return [self.page.quizzes[quiz].items[t] for t in texts]

    def submit(self, quiz: str, answer: Any, submission: Any = None, **extra: Any):
        submission = uuid.uuid4().hex if submission is None else submission
        body = {"submission_id": submission, "answer": answer} | extra
        return self.client.post(
            f"{API}/{quiz}/attempts", json=body, headers={"X-CSRF-Token": self.page.token}
        )

    def reveal(self, quiz: str):
        return self.client.post(f"{API}/{quiz}/reveal", headers={"X-CSRF-Token": self.page.token})

    def state(self, quiz: str) -> dict[str, Any]:
        return self.client.get(API).get_json()["quizzes"][quiz]
