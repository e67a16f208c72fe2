"""No answer reaches the browser before it is submitted.

The canary lesson (tests/fixtures/lessons) is seeded with unique answers, feedback
and explanations. Everything a learner can fetch or receive before submitting —
every page, every read API, every /lab socket event and its pushes — is searched
for them, as text and as their common hashes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from canarykit import API, LESSON, Learner, build_app
from flask import Flask
from socketkit import ask, connect, pushed

from course.storage import db

SECRETS = [
    "FEEDBACK-CANARY-single-wrong",
    "FEEDBACK-CANARY-single-right",
    "FEEDBACK-CANARY-multiple",
    "EXPLANATION-CANARY-single",
    "0.123456789",
    "ANSWERCANARYTEXT",
    "PATTERNCANARY",
    "OBSERVE-CANARY",
]


def forms(secret: str) -> list[str]:
    """The secret as it might leak: plain, lower case, and hashed."""
    out = [secret, secret.lower()]
    for text in (secret, secret.lower()):
        for name in ("md5", "sha1", "sha256"):
            out.append(hashlib.new(name, text.encode()).hexdigest())
    return out


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [s for s in SECRETS if any(form.lower() in lowered for form in forms(s))]


@pytest.fixture
def app(database_url: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    app = build_app(database_url, tmp_path, tmp_path_factory.mktemp("cache"))
    yield app
    db.dispose(app)


def test_nothing_reachable_before_submitting_holds_an_answer(app: Flask):
    learner = Learner(app)
    seen: dict[str, str] = {}
    for url in ("/", LESSON, "/progress", "/api/progress", API, "/healthz"):
        response = learner.client.get(url)
        assert response.status_code == 200, url
        seen[url] = response.get_data(as_text=True)
    for name in ("quiz.js", "main.js", "lab.js", "api.js", "progress.js"):
        seen[name] = learner.client.get(f"/static/js/{name}").get_data(as_text=True)

    with connect(app, "/lab", learner.client) as sock:
        lab = {"lab": "tiny"}
        calls = [
            ("open", {"lesson": "canary", "lab": "tiny"}),
            ("step", lab | {"granularity": "compute"}),
            ("step", lab | {"granularity": "timestep"}),
            ("select", lab | {"unit": 1}),
            ("jump", lab | {"phase": "backward"}),
            ("jump", lab | {"phase": "update"}),
            ("train", lab | {"epochs": 1}),
            ("play", lab | {"granularity": "compute", "speed": 8.0}),
            ("pause", lab),
            ("reset", lab),
            ("open", {"lesson": "canary", "lab": "nope"}),
        ]
        for event, payload in calls:
            seen[f"socket {event}"] = str(ask(sock, event, payload))
        seen["socket pushes"] = str(pushed(sock))

    found = {where: leaks(text) for where, text in seen.items() if leaks(text)}
    assert not found, f"answers reachable before submitting: {found}"
    page = seen[LESSON]
    assert "[x]" not in page and "correct" not in page.split("<article", 1)[1].lower()


def test_the_canary_detector_finds_a_leak():
    """The search above can fail: a planted answer, or its hash, is found."""
    assert leaks("… the answer is 0.123456789 …") == ["0.123456789"]
    digest = hashlib.sha256(b"ANSWERCANARYTEXT").hexdigest()
    assert leaks(f'{{"h": "{digest}"}}') == ["ANSWERCANARYTEXT"]


def test_answers_appear_once_the_policy_allows(app: Flask):
    """The same search, after the learner reveals: now the answer may be shown."""
    learner = Learner(app)
    learner.submit("text", {"text": "a wrong answer"})  # a reveal waits for an attempt
    learner.reveal("text")
    assert "ANSWERCANARYTEXT" in learner.client.get(API).get_data(as_text=True)
