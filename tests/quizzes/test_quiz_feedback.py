"""What a learner may see: each feedback policy after an answer, and the public view
the browser gets before answering (opaque ids, per-learner order, no key)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quizkit import (
    KEY,
    NUMERIC,
    ORDERING,
    SECRET,
    SINGLE,
    TEXT,
    ids,
    make,
    view,
)

from course.quizzes import (
    Quiz,
    grade,
    item_ids,
    visible_feedback,
)

# -- what each policy shows ----------------------------------------------------------


def shown_after(quiz: Quiz, answer: dict[str, Any], *, left: int, revealed: bool = False):
    result = grade(quiz, answer, item_ids=item_ids(quiz, key=KEY, secret=SECRET))
    used = (quiz.attempts or 0) - left
    return visible_feedback(quiz, result, attempts_used=used, attempts_left=left, revealed=revealed)


def with_policy(policy: str) -> Quiz:
    return make(
        "Which?\n\n- [x] yes\n    > YES-FEEDBACK\n- [ ] no\n    > NO-FEEDBACK\n",
        type="single",
        feedback=policy,
        attempts=2,
    )


def test_immediate_shows_feedback_for_the_pick_but_not_the_answer_while_attempts_remain():
    quiz = with_policy("immediate")
    yes, no = ids(quiz)
    shown = shown_after(quiz, {"choice": no}, left=1)
    assert shown == {
        "status": "graded",
        "correct": False,
        "score": 0.0,
        "attempts_used": 1,
        "attempts_left": 1,
        "choices": {no: {"feedback": "<p>NO-FEEDBACK</p>"}},
    }
    assert yes not in json.dumps(shown)


@pytest.mark.parametrize("left, revealed", [(0, False), (1, True)])
def test_immediate_shows_everything_once_over(left, revealed):
    quiz = with_policy("immediate")
    yes, no = ids(quiz)
    shown = shown_after(quiz, {"choice": no}, left=left, revealed=revealed)
    assert shown["status"] == "final"
    assert shown["solution"] == {"choices": [yes]}
    assert shown["choices"][yes]["feedback"] == "<p>YES-FEEDBACK</p>"


def test_immediate_shows_everything_once_right():
    quiz = with_policy("immediate")
    yes, _ = ids(quiz)
    shown = shown_after(quiz, {"choice": yes}, left=1)
    assert (shown["status"], shown["correct"], shown["solution"]) == (
        "final",
        True,
        {"choices": [yes]},
    )


@pytest.mark.parametrize("pick", [0, 1])
def test_after_last_says_only_recorded_until_the_last_attempt(pick):
    quiz = with_policy("after-last")
    choice = ids(quiz)[pick]
    assert shown_after(quiz, {"choice": choice}, left=1) == {
        "status": "recorded",
        "attempts_used": 1,
        "attempts_left": 1,
    }  # even when right: stopping early would say so
    final = shown_after(quiz, {"choice": choice}, left=0)
    assert (final["status"], final["correct"]) == ("final", pick == 0)
    assert shown_after(quiz, {"choice": choice}, left=1, revealed=True)["status"] == "final"


def test_on_reveal_says_only_recorded_until_revealed():
    quiz = with_policy("on-reveal")
    yes, _ = ids(quiz)
    for left in (1, 0):
        assert shown_after(quiz, {"choice": yes}, left=left)["status"] == "recorded"
    shown = shown_after(quiz, {"choice": yes}, left=0, revealed=True)
    assert (shown["status"], shown["solution"]) == ("final", {"choices": [yes]})


# -- what the browser sees before answering ------------------------------------------


def test_public_view_of_a_choice_question():
    shown = view(SINGLE)
    keys = {"id", "type", "prompt", "attempts", "points", "feedback", "reveal", "choices"}
    assert set(shown) == keys
    assert (shown["type"], shown["attempts"], shown["points"]) == ("single", 2, 1.0)
    assert sorted(c["id"] for c in shown["choices"]) == sorted(ids(SINGLE))
    assert sorted(c["html"] for c in shown["choices"]) == sorted(
        ["the input", "the previous cell state", "the output"]
    )
    for secret_part in ("Right: f", "that is the output gate", "explanation", "correct"):
        assert secret_part not in json.dumps(shown)


def test_each_learner_keeps_one_order_and_learners_differ():
    orders = {tuple(i["id"] for i in view(ORDERING, f"learner-{n}")["items"]) for n in range(20)}
    again = {tuple(i["id"] for i in view(ORDERING, f"learner-{n}")["items"]) for n in range(20)}
    assert orders == again and len(orders) > 5


def test_an_ordering_question_is_never_shown_solved():
    three = make("Order.\n\n- a\n- b\n- c\n", type="ordering")
    solved = ids(three)
    assert all([i["id"] for i in view(three, str(n))["items"]] != solved for n in range(200))


def test_a_matching_question_is_never_shown_with_every_pair_facing():
    quiz = make("Match.\n\n- a :: 1\n- b :: 2\n", type="matching", shuffle=False)
    for n in range(50):
        shown = view(quiz, str(n))
        assert [x["html"] for x in shown["lefts"]] == ["a", "b"]  # shuffle: false
        assert [x["html"] for x in shown["rights"]] == ["2", "1"]


def test_shuffle_false_keeps_the_lesson_order():
    quiz = make("Which?\n\n- [ ] one\n- [x] two\n- [ ] three\n", type="single", shuffle=False)
    assert [c["html"] for c in view(quiz)["choices"]] == ["one", "two", "three"]


def test_ids_depend_on_the_secret_and_the_quiz_not_the_learner():
    assert ids(SINGLE) == [c for c in item_ids(SINGLE, key=KEY, secret=SECRET).items]
    other = item_ids(SINGLE, key=KEY, secret=b"other").items
    elsewhere = item_ids(SINGLE, key="lesson/other", secret=SECRET).items
    assert not set(ids(SINGLE)) & (set(other) | set(elsewhere))
    assert {c["id"] for c in view(SINGLE, "a")["choices"]} == set(ids(SINGLE))


def test_public_view_of_numeric_and_text_questions():
    assert view(NUMERIC) == {
        "id": "q",
        "type": "numeric",
        "prompt": "<p>How many gates has an LSTM cell?</p>",
        "attempts": 3,
        "points": 1.0,
        "feedback": "immediate",
        "reveal": "after-attempt",
    }
    assert view(TEXT)["max_length"] == 500
