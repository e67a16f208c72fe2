"""Quizzes for the quiz tests: built from block text as a lesson would, with one secret."""

from __future__ import annotations

import textwrap
from typing import Any

from course.lessons.render import render_fragment
from course.quizzes import (
    Quiz,
    grade,
    item_ids,
    public_view,
)
from course.quizzes.parse import build_quiz

SECRET = b"test-secret"
KEY = "lesson/q"


def make(body: str, **options: Any) -> Quiz:
    return build_quiz("q", options, textwrap.dedent(body), render_fragment)


def ids(quiz: Quiz) -> list[str]:
    return list(item_ids(quiz, key=KEY, secret=SECRET).items)


def targets(quiz: Quiz) -> list[str]:
    return list(item_ids(quiz, key=KEY, secret=SECRET).targets)


def mark(quiz: Quiz, answer: Any, live: float | None = None) -> tuple[float | None, bool | None]:
    result = grade(quiz, answer, item_ids=item_ids(quiz, key=KEY, secret=SECRET), live_value=live)
    return result.score, result.correct


SINGLE = make(
    """\
    Which quantity does the forget gate scale?

    - [ ] the input
    - [x] the previous cell state
        > Right: f multiplies it.
    - [ ] the output
        > No: that is the output gate.

    > The explanation.
    """,
    type="single",
    attempts=2,
)
MULTIPLE = make(
    """\
    Which are gates?

    - [x] f
    - [x] i
    - [ ] c
        > c is the cell state.
    - [x] o
    - [ ] h
    """,
    type="multiple",
)
NUMERIC = make("How many gates has an LSTM cell?\n", type="numeric", answer=4, tolerance=0.1)
RELATIVE = make("About how big?\n", type="numeric", answer=200, relative=0.05)
TEXT = make(
    "Which gate decides what to keep?\n",
    type="text",
    answers=["the forget gate", "forget"],
    pattern=r"f(orget)?[ -]?gate",
)
ORDERING = make("Order them.\n\n- first\n- second\n- third\n- fourth\n", type="ordering")
MATCHING = make(
    """\
    Match each gate to its range.

    - f :: (0, 1)
    - i :: (0, 1)
    - g :: (−1, 1)
    """,
    type="matching",
)
POLL = make("Which cell do you prefer?\n\n- [ ] LSTM\n- [ ] GRU\n", type="poll")


def view(quiz: Quiz, learner: str = "learner-1", secret: bytes = SECRET) -> dict[str, Any]:
    """What the browser gets before answering."""
    return public_view(quiz, key=KEY, learner=learner, secret=secret)
