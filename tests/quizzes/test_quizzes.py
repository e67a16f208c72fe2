"""Quizzes without a server: grading every type, strict answer checking, and
parsing a block's options and body."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quizkit import (
    KEY,
    MATCHING,
    MULTIPLE,
    NUMERIC,
    ORDERING,
    POLL,
    RELATIVE,
    SECRET,
    SINGLE,
    TEXT,
    ids,
    make,
    mark,
    targets,
)

from course.lessons.render import render_fragment
from course.quizzes import (
    AnswerError,
    Quiz,
    QuizError,
    grade,
    item_ids,
    visible_feedback,
)
from course.quizzes.parse import build_quiz

# -- grading, type by type ---------------------------------------------------------


def test_single_choice_right_and_wrong():
    a, b, c = ids(SINGLE)
    assert mark(SINGLE, {"choice": b}) == (1.0, True)
    assert mark(SINGLE, {"choice": a}) == (0.0, False)
    detail = grade(SINGLE, {"choice": c}, item_ids=item_ids(SINGLE, key=KEY, secret=SECRET))
    assert detail.feedback["choices"][c] == {
        "picked": True,
        "correct": False,
        "feedback": "<p>No: that is the output gate.</p>",
    }
    assert detail.feedback["solution"] == {"choices": [b]}
    assert detail.feedback["explanation"] == "<p>The explanation.</p>"


@pytest.mark.parametrize(
    "picked, score, correct",
    [
        ("fio", 1.0, True),
        ("fi", 2 / 3, False),  # two of three, nothing wrong
        ("fioc", 2 / 3, False),  # all three, one false pick
        ("fc", 0.0, False),  # one hit, one false pick
        ("ch", 0.0, False),  # never below zero
    ],
)
def test_multiple_choice_gives_partial_credit(picked, score, correct):
    by_name = dict(zip("fico h".replace(" ", ""), ids(MULTIPLE), strict=True))
    result = mark(MULTIPLE, {"choices": [by_name[n] for n in picked]})
    assert result == (pytest.approx(score), correct)


@pytest.mark.parametrize(
    "quiz, value, correct",
    [
        (NUMERIC, 4, True),
        (NUMERIC, 4.1, True),  # on the tolerance, despite 4.1 − 4 > 0.1 in floats
        (NUMERIC, 3.85, False),
        (RELATIVE, 209.9, True),
        (RELATIVE, 189, False),
    ],
)
def test_numeric_within_absolute_or_relative_tolerance(quiz, value, correct):
    assert mark(quiz, {"value": value}) == (float(correct), correct)


@pytest.mark.parametrize(
    "text, correct",
    [
        ("The Forget Gate.", True),  # case and surrounding punctuation do not count
        ("  forget \n gate ", True),  # nor does spacing
        ("“forget”", True),
        ("F-gate", True),  # the pattern, matched whole and ignoring case
        ("the input gate", False),
        ("forget gate please", False),  # the pattern must match all of it
    ],
)
def test_text_answers_and_pattern(text, correct):
    assert mark(TEXT, {"text": text}) == (float(correct), correct)


def test_ordering_scores_the_items_in_place():
    first, second, third, fourth = ids(ORDERING)
    assert mark(ORDERING, {"order": [first, second, third, fourth]}) == (1.0, True)
    assert mark(ORDERING, {"order": [first, second, fourth, third]}) == (0.5, False)
    assert mark(ORDERING, {"order": [fourth, third, second, first]}) == (0.0, False)
    result = grade(
        ORDERING,
        {"order": [second, first, third, fourth]},
        item_ids=item_ids(ORDERING, key=KEY, secret=SECRET),
    )
    assert result.feedback["items"][third] == {"in_place": True}
    assert result.feedback["items"][first] == {"in_place": False}
    assert result.feedback["solution"] == {"order": [first, second, third, fourth]}


def test_matching_scores_each_left_side_and_allows_a_shared_right_side():
    f, i, g = ids(MATCHING)
    unit, signed = targets(MATCHING)  # "(0, 1)" is written twice but listed once
    assert mark(MATCHING, {"pairs": {f: unit, i: unit, g: signed}}) == (1.0, True)
    assert mark(MATCHING, {"pairs": {f: unit, i: signed, g: signed}}) == (
        pytest.approx(2 / 3),
        False,
    )
    assert mark(MATCHING, {"pairs": {f: signed, i: signed, g: unit}}) == (0.0, False)


def test_a_poll_records_without_grading():
    first, _ = ids(POLL)
    result = grade(POLL, {"choice": first}, item_ids=item_ids(POLL, key=KEY, secret=SECRET))
    assert (result.score, result.correct) == (None, None)
    shown = visible_feedback(POLL, result, attempts_used=5, attempts_left=None, revealed=True)
    assert shown == {"status": "recorded", "attempts_used": 5, "attempts_left": None}


# -- strict answers ------------------------------------------------------------------


ALL = {
    "single": SINGLE,
    "multiple": MULTIPLE,
    "numeric": NUMERIC,
    "text": TEXT,
    "ordering": ORDERING,
    "matching": MATCHING,
    "poll": POLL,
}


@pytest.mark.parametrize(
    "kind, answer, field",
    [
        ("single", None, "answer"),
        ("single", {}, "choice"),
        ("single", {"choice": "nope"}, "choice"),
        ("single", {"choice": ["x"]}, "choice"),
        ("single", {"choice": "x", "extra": 1}, "extra"),
        ("multiple", {"choices": []}, "choices"),
        ("multiple", {"choices": "abc"}, "choices"),
        ("numeric", {"value": "4"}, "value"),
        ("numeric", {"value": True}, "value"),
        ("numeric", {"value": math.nan}, "value"),
        ("numeric", {"value": -math.inf}, "value"),
        ("numeric", {"value": 10**400}, "value"),
        ("text", {"text": "x" * 501}, "text"),
        ("text", {"text": " ?! "}, "text"),
        ("text", {"text": 4}, "text"),
        ("ordering", {"order": []}, "order"),
        ("matching", {"pairs": []}, "pairs"),
        ("poll", {"choices": []}, "choices"),
    ],
)
def test_malformed_answers_name_the_field(kind, answer, field):
    with pytest.raises(AnswerError) as error:
        mark(ALL[kind], answer)
    assert error.value.field == field
    assert isinstance(error.value, ValueError)
    assert error.value.as_ack()["error"]["code"] == "bad_answer"


def test_ordering_and_matching_need_every_item_once():
    a, b, c, d = ids(ORDERING)
    for order in ([a, b, c], [a, a, b, c], [a, b, c, d, a]):
        with pytest.raises(AnswerError, match="every item"):
            mark(ORDERING, {"order": order})
    f, i, g = ids(MATCHING)
    unit, _ = targets(MATCHING)
    for pairs in ({f: unit, i: unit}, {f: unit, i: unit, g: f}, {f: unit, i: unit, unit: g}):
        with pytest.raises(AnswerError):
            mark(MATCHING, {"pairs": pairs})


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(st.characters(exclude_categories=()), max_size=600),  # lone surrogates too
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@st.composite
def payloads(draw: st.DrawFn, quiz: Quiz) -> Any:
    """Mostly well-shaped answers with wrong parts, so the checks past the shape run."""
    known = ids(quiz) + targets(quiz) or ["no-items"]
    an_id = st.sampled_from(known) | st.text(max_size=14)
    value = draw(
        st.one_of(
            JSON,
            an_id,
            st.lists(an_id | JSON, max_size=8),
            st.dictionaries(an_id, an_id | JSON, max_size=5),
            st.floats(allow_nan=True, allow_infinity=True),
        )
    )
    field = draw(st.sampled_from(["choice", "choices", "value", "text", "order", "pairs", "x"]))
    return draw(st.sampled_from([{field: value}, value, {field: value, "more": 1}]))


@pytest.mark.parametrize("kind", ALL)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_payload_is_graded_or_refused_with_an_answer_error(kind, data):
    quiz = ALL[kind]
    payload = data.draw(payloads(quiz))
    try:
        result = grade(quiz, payload, item_ids=item_ids(quiz, key=KEY, secret=SECRET))
    except AnswerError as error:
        assert error.field
        return
    if quiz.graded:
        assert result.score is not None and 0.0 <= result.score <= 1.0
    json.dumps(result.feedback, allow_nan=False)


# -- parsing: a bad block says what is wrong -----------------------------------------

CHOICES = "Which?\n\n- [x] a\n- [ ] b\n"

BAD = {
    "no type": ({}, CHOICES, ["type"]),
    "unknown type": ({"type": "essay"}, CHOICES, ["type"]),
    "unknown option": ({"type": "single", "colour": "red"}, CHOICES, ["colour"]),
    "option of another type": ({"type": "single", "answer": 3}, CHOICES, ["answer", "single"]),
    "single with two right": ({"type": "single"}, "Q\n\n- [x] a\n- [x] b\n", ["exactly one"]),
    "single with none right": ({"type": "single"}, "Q\n\n- [ ] a\n- [ ] b\n", ["exactly one"]),
    "multiple with none right": ({"type": "multiple"}, "Q\n\n- [ ] a\n- [ ] b\n", ["at least"]),
    "choice without a box": ({"type": "single"}, "Q\n\n- [x] a\n- b\n", ["[ ]"]),
    "one choice": ({"type": "single"}, "Q\n\n- [x] a\n", ["at least 2"]),
    "same choice twice": ({"type": "single"}, "Q\n\n- [x] a\n- [ ] a\n", ["same text"]),
    "no prompt": ({"type": "single"}, "- [x] a\n- [ ] b\n", ["question text"]),
    "no list": ({"type": "single"}, "Just a question.\n", ["list"]),
    "text after the list": ({"type": "single"}, CHOICES + "\nMore text.\n", ["explanation"]),
    "numeric without answer": ({"type": "numeric"}, "How many?\n", ["answer", "live"]),
    "numeric with choices": ({"type": "numeric", "answer": 1}, CHOICES, ["no choices"]),
    "numeric answer a string": ({"type": "numeric", "answer": "4"}, "Q?\n", ["answer"]),
    "negative tolerance": (
        {"type": "numeric", "answer": 1, "tolerance": -1},
        "Q?\n",
        ["tolerance"],
    ),
    "text without answers": ({"type": "text"}, "Q?\n", ["answers", "pattern"]),
    "bad pattern": ({"type": "text", "pattern": "(("}, "Q?\n", ["pattern"]),
    "attempts zero": ({"type": "single", "attempts": 0}, CHOICES, ["attempts"]),
    "attempts true": ({"type": "single", "attempts": True}, CHOICES, ["attempts"]),
    "bad policy": ({"type": "single", "feedback": "never"}, CHOICES, ["feedback"]),
    "points zero": ({"type": "single", "points": 0}, CHOICES, ["points"]),
    "poll with a right answer": ({"type": "poll"}, CHOICES, ["poll"]),
    "poll with attempts": ({"type": "poll", "attempts": 2}, CHOICES, ["attempts", "poll"]),
    "ordering unshuffled": (
        {"type": "ordering", "shuffle": False},
        "Q\n\n- a\n- b\n- c\n",
        ["shuffled"],
    ),
    "ordering of two": ({"type": "ordering"}, "Q\n\n- a\n- b\n", ["at least 3"]),
    "ordering with boxes": ({"type": "ordering"}, "Q\n\n- [ ] a\n- b\n- c\n", ["box"]),
    "matching without ::": ({"type": "matching"}, "Q\n\n- a :: 1\n- b\n", ["left :: right"]),
    "matching one right side": (
        {"type": "matching"},
        "Q\n\n- a :: 1\n- b :: 1\n",
        ["2 different"],
    ),
    "ranges without live": (
        {"type": "single", "ranges": [[0, 1], [1, 2]]},
        CHOICES,
        ["live", "ranges"],
    ),
    "live ranges of the wrong length": (
        {"type": "single", "live": {"lab": "l", "quantity": "f", "t": 1}, "ranges": [[0, 1]]},
        "Q\n\n- [ ] a\n- [ ] b\n",
        ["ranges", "2"],
    ),
    "live ranges overlapping": (
        {
            "type": "single",
            "live": {"lab": "l", "quantity": "f", "t": 1},
            "ranges": [[0, 1], [0.5, 2]],
        },
        "Q\n\n- [ ] a\n- [ ] b\n",
        ["overlap"],
    ),
    "live single with an [x]": (
        {
            "type": "single",
            "live": {"lab": "l", "quantity": "f", "t": 1},
            "ranges": [[0, 1], [1, 2]],
        },
        CHOICES,
        ["[x]"],
    ),
    "live unknown quantity": (
        {"type": "numeric", "live": {"lab": "l", "quantity": "q", "t": 1}},
        "Q?\n",
        ["quantity"],
    ),
    "live t zero": (
        {"type": "numeric", "live": {"lab": "l", "quantity": "f", "t": 0}},
        "Q?\n",
        ["live.t"],
    ),
    "live unknown field": (
        {"type": "numeric", "live": {"lab": "l", "quantity": "f", "t": 1, "step": 2}},
        "Q?\n",
        ["step"],
    ),
    "numeric with answer and live": (
        {"type": "numeric", "answer": 1, "live": {"lab": "l", "quantity": "f", "t": 1}},
        "Q?\n",
        ["not both"],
    ),
}


@pytest.mark.parametrize("options, body, words", BAD.values(), ids=BAD.keys())
def test_bad_quiz_fails_with_a_message_naming_it(options, body, words):
    with pytest.raises(QuizError) as error:
        build_quiz("my-quiz", options, body, render_fragment)
    assert "'my-quiz'" in str(error.value)
    for word in words:
        assert word in str(error.value)


def test_an_explanation_and_multi_line_items_are_read():
    quiz = make(
        """\
        Prompt with a list of its own? No: the first "- " line starts the list.

        - [x] a choice that goes
            on to a second line
            > feedback that also
            > goes on
        - [ ] b

        > The explanation,
        >
        > in two paragraphs.
        """,
        type="single",
    )
    assert quiz.choices[0].html == "a choice that goes\non to a second line"
    assert quiz.choices[0].feedback == "<p>feedback that also\ngoes on</p>"
    assert quiz.explanation == "<p>The explanation,</p>\n<p>in two paragraphs.</p>"


def test_prompts_are_sanitised_and_keep_their_maths():
    quiz = make("Is \\(f\\) <script>alert(1)</script> safe?\n", type="text", answers=["yes"])
    assert "<script" not in quiz.prompt and "alert(1)" not in quiz.prompt
    assert '<span class="arithmatex">\\(f\\)</span>' in quiz.prompt
