"""The JSON routes refuse a body that does not fit their schema as the socket events
do: 400 and ``{"ok": false, "error": {code, message, field}}``, in the same words
on every route, with nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from canarykit import API, Learner, build_app
from flask import Flask

from course.storage import db

QUIZ = f"{API}/single/attempts"
PROGRESS = "/api/lessons/canary/progress"
FITS = {
    QUIZ: {"submission_id": "edge-0001", "answer": {"choice": "x"}},
    PROGRESS: {"kind": "section", "key": "questions"},
}


@pytest.fixture
def app(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = build_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path, tmp_path_factory.mktemp("c"))
    yield app
    db.dispose(app)


def refusal(code: str, message: str, field: str | None) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, "field": field}}


@pytest.mark.parametrize(
    "path, field, value, code, message",
    [
        (QUIZ, "colour", "red", "unknown_field", "unknown field 'colour'"),
        (PROGRESS, "colour", "red", "unknown_field", "unknown field 'colour'"),
        (QUIZ, "submission_id", True, "bad_type", "submission_id must be a string"),
        (PROGRESS, "key", True, "bad_type", "key must be a string"),
        (QUIZ, "submission_id", None, "missing_field", "submission_id is required"),
        (PROGRESS, "kind", None, "missing_field", "kind is required"),
    ],
)
def test_a_field_that_does_not_fit_is_named_alike_and_changes_nothing(
    app: Flask, path: str, field: str, value: Any, code: str, message: str
):
    learner = Learner(app)
    body = FITS[path] | {field: value}
    reply = learner.client.post(path, json=body, headers={"X-CSRF-Token": learner.page.token})
    assert reply.status_code == 400 and reply.get_json() == refusal(code, message, field)
    assert learner.client.get("/api/progress").get_json()["progress"] == {}


@pytest.mark.parametrize("path", [QUIZ, PROGRESS])
def test_a_body_that_is_not_an_object_is_refused_alike(app: Flask, path: str):
    learner = Learner(app)
    reply = learner.client.post(path, json=[1], headers={"X-CSRF-Token": learner.page.token})
    assert reply.status_code == 400
    assert reply.get_json() == refusal("bad_payload", "the payload must be an object", None)
