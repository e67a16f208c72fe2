"""Quizzes without a server: parsing a block's options and body, grading every type,
what each feedback policy lets a learner see, what the browser gets before answering,
strict answer checking, and live questions against a real lab."""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course.lessons import render_fragment
from course.quizzes import (
    AnswerError,
    LiveError,
    Quiz,
    QuizError,
    grade,
    item_ids,
    live_value,
    public_view,
    solution,
    visible_feedback,
)
from course.quizzes.parse import build_quiz
from engine import Lab, LabConfig, ModelConfig

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


def view(quiz: Quiz, learner: str = "learner-1", secret: bytes = SECRET) -> dict[str, Any]:
    return public_view(quiz, key=KEY, learner=learner, secret=secret)


def test_public_view_of_a_choice_question():
    shown = view(SINGLE)
    assert set(shown) == {"id", "type", "prompt", "attempts", "points", "feedback", "choices"}
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
    }
    assert view(TEXT)["max_length"] == 500


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


# -- live questions, against a real lab ----------------------------------------------


@pytest.fixture(scope="module")
def lab() -> Lab:
    return Lab(LabConfig(model=ModelConfig(cell="lstm", layers=1, hidden=2)))


def live(kind: str = "numeric", **spec: Any) -> Quiz:
    where = {"lab": "walk", "quantity": "f", "t": 3, "layer": 1, "unit": 1} | spec
    if kind == "numeric":
        return make("What is f?\n", type="numeric", live=where)
    return make(
        "Where is f?\n\n- [ ] low\n- [ ] high\n",
        type="single",
        live=where,
        ranges=[[0, 0.5], [0.5, 1]],
    )


def test_live_value_is_the_number_the_cell_view_shows(lab):
    f = float(lab.trace.traces[0].f[2][1])  # t = 3 and layer 1 as shown; unit 1 as chosen
    assert live_value(live(), lab) == pytest.approx(f)
    h_prev = float(lab.trace.traces[0].h[1][0])
    assert live_value(live(quantity="h_prev", unit=0), lab) == pytest.approx(h_prev)
    assert live_value(live(quantity="c_prev", t=1), lab) == 0.0
    assert live_value(live(quantity="x", unit=0), lab) == pytest.approx(float(lab.trace.xs[2][0]))


def test_a_live_numeric_question_follows_the_learners_lab(lab):
    quiz = live()
    before = live_value(quiz, lab)
    assert mark(quiz, {"value": round(before, 3)}, before) == (1.0, True)  # as read off the view
    lab.configure(noise=0.3)  # new inputs, new numbers
    try:
        after = live_value(quiz, lab)
        assert abs(after - before) > 0.002
        assert mark(quiz, {"value": round(before, 3)}, after) == (0.0, False)
        assert grade(
            quiz, {"value": 0}, item_ids=item_ids(quiz, key=KEY, secret=SECRET), live_value=after
        ).feedback["solution"] == {"value": after}
    finally:
        lab.configure(noise=0.0)


def test_a_live_single_choice_question_picks_the_range_holding_the_value(lab):
    quiz = live("single")
    value = live_value(quiz, lab)
    low, high = ids(quiz)
    right, wrong = (low, high) if value < 0.5 else (high, low)
    assert mark(quiz, {"choice": right}, value) == (1.0, True)
    assert mark(quiz, {"choice": wrong}, value) == (0.0, False)
    assert solution(quiz, item_ids=item_ids(quiz, key=KEY, secret=SECRET), live_value=value) == {
        "choices": [right],
        "value": value,
    }
    assert "0.5" not in json.dumps(view(quiz))  # the ranges stay on the server


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"quantity": "z"}, ["lstm", "'z'", "f, i, o, g"]),  # a GRU gate in an LSTM
        ({"t": 16}, ["15 time steps"]),
        ({"layer": 2}, ["1 layer"]),
        ({"unit": 2}, ["2 unit(s)"]),
        ({"quantity": "x", "unit": 1}, ["1 unit(s)"]),
    ],
)
def test_a_live_question_the_lab_cannot_answer_is_a_clear_error(lab, spec, words):
    with pytest.raises(LiveError) as error:
        live_value(live(**spec), lab)
    for word in words:
        assert word in str(error.value)


def test_grading_a_live_question_needs_the_live_value():
    with pytest.raises(LiveError):
        mark(live(), {"value": 0.5})
