"""Live questions: the answer is a number in the learner's own lab, as its cell view
shows it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from quizkit import (
    KEY,
    SECRET,
    ids,
    make,
    mark,
    view,
)

from course.quizzes import (
    LiveError,
    Quiz,
    grade,
    item_ids,
    live_value,
    solution,
)
from engine import Lab, LabConfig, ModelConfig

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
