"""Numbers the lessons state in their prose (not in a view's readout), recomputed.

Each test quotes the sentence it holds; if a change to the engine or a lesson's lab
makes one false, the test fails and the sentence must change with it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import jax
import numpy as np
import pytest

from course.lessons.registry import LessonRegistry
from engine.playground import PlaygroundConfig, simulate
from engine.stepper import Lab

LESSONS = Path(__file__).resolve().parents[2] / "lessons"


@pytest.fixture(scope="module")
def registry():
    return LessonRegistry.load(LESSONS)


def test_lesson_1_a_saturated_state_does_not_carry_a_gradient():
    # "with tanh and w_h = 2 the state settles at 0.958 and stays there, but the slope of
    # tanh at that point is only 1 − 0.958² = 0.083, so each step back multiplies the error
    # signal by 2 × 0.083 = 0.17"
    trace = simulate(PlaygroundConfig(w_x=0, w_h=2, b=0, h0=1, sequence="sine", length=30))
    h = float(trace.h[-1])
    assert f"{h:.3f}" == "0.958"
    step_back = jax.grad(lambda prev: jax.numpy.tanh(2.0 * prev))(h)
    assert f"{float(1 - np.tanh(2 * h) ** 2):.3f}" == "0.083"
    assert f"{float(step_back):.2f}" == "0.17"


def test_lesson_2_more_training_does_not_fix_the_continuation(registry):
    # "after 10 epochs the continuation follows the dashed line closely; by 30 the window
    # fits better still, yet the continuation has wandered far off it"
    lab = Lab(registry.get("data").labs["feed"].config)
    T = len(lab.sequence()["input"])
    errors = {}
    for epoch in range(1, 31):
        lab.train(1)
        if epoch in (10, 30):
            seq = lab.sequence()
            gap = (np.asarray(seq["prediction"]) - np.asarray(seq["target"])) ** 2
            errors[epoch] = (gap[:T].mean(), gap[T:].mean())
    (window_10, continuation_10), (window_30, continuation_30) = errors[10], errors[30]
    assert continuation_10 < 0.05  # closely
    assert window_30 < window_10  # better still
    assert continuation_30 > 20 * window_30 and continuation_30 > 0.5  # far off


def test_lesson_4_the_gru_beside_the_lstm(registry):
    # "this GRU has 4,193 numbers to learn against the LSTM's 5,393"; "The LSTM's fifth
    # epoch ends at a loss of about 0.115, the GRU's at about 0.043"; "the orange box visits
    # r, z, n and then h_t, four compute steps where the LSTM had six"
    lesson = registry.get("lstm-cell")
    lstm, gru = (Lab(lesson.labs[lab].config) for lab in ("cell-walk", "gru-walk"))
    sizes = [sum(x.size for x in jax.tree_util.tree_leaves(lab.params)) for lab in (lstm, gru)]
    assert sizes == [5393, 4193]
    assert gru.config.model == replace(lstm.config.model, cell="gru")
    assert lstm.steps[1:] == ("f", "i", "o", "g", "c", "h") and gru.steps[1:] == (
        "r",
        "z",
        "n",
        "h",
    )
    assert round(lstm.train(5)[-1], 3) == pytest.approx(0.115, abs=0.002)
    assert round(gru.train(5)[-1], 3) == pytest.approx(0.043, abs=0.002)
