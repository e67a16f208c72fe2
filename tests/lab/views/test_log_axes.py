"""Log axes keep readable tick labels at every range: the loss curve and the gradient
through time get ticks chosen for the numbers they draw — powers of ten over a wide
range, closer round steps on a narrow one — so no range leaves an axis bare, crowded
or labelled with a number it does not mark."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from course.lab import views
from course.lab.spec import parse_block
from course.lab.views.gradients import gradient_figure
from course.lab.views.logaxis import MOST, log_ticks
from course.lab.views.loss import loss_figure
from engine import Lab

RANGES = [
    (10.0**low, 10.0**low * 10.0**span)
    for low in np.arange(-12, 1.01, 0.37)
    for span in (0.0, 0.01, 0.08, 0.2, 0.45, 0.7, 1.0, 1.3, 1.9, 2.5, 4.0, 7.5, 13.0)
]


def inside(ticks: list[float], lo: float, hi: float) -> list[float]:
    return [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]


def is_power_of_ten(value: float) -> bool:
    return math.isclose(10 ** round(math.log10(value)), value, rel_tol=1e-9)


@pytest.mark.parametrize("least", [2, 3])
def test_every_range_gets_a_few_distinct_round_ticks(least):
    for lo, hi in RANGES:
        ticks = log_ticks([lo, hi], least=least)
        if lo == hi:  # one point: the axis shows a decade either side
            lo, hi = lo / 10, hi * 10
        within = inside(ticks, lo, hi)
        assert len(within) >= 2, (lo, hi, ticks)
        assert len(within) <= MOST + 2, (lo, hi, ticks)
        assert ticks == sorted(set(ticks)) and all(t > 0 for t in ticks)
        labels = [f"{t:g}" for t in ticks]  # what PrintfTickFormatter("%g") writes
        assert len(set(labels)) == len(labels), (lo, hi, labels)
        assert all(len(label) <= 9 for label in labels), labels  # "1.005e-12" at most
        # The axis pads its range: a tick beyond each end labels the padding too.
        assert ticks[0] <= lo and ticks[-1] >= hi


def test_a_range_of_two_decades_or_more_is_ticked_in_powers_of_ten():
    """What the gradient view's caption and the training lesson say: each gridline is
    ten times the one below."""
    for lo, hi in RANGES:
        if math.log10(hi / lo) >= 2:
            assert all(is_power_of_ten(t) for t in log_ticks([lo, hi], least=2)), (lo, hi)


def test_a_narrow_range_is_not_left_bare():
    """Bokeh's LogTicker gave 0.03…0.09 no labelled tick, and LogTickFormatter labelled
    a lone 0.05 "10⁻¹"."""
    assert inside(log_ticks([0.031, 0.089]), 0.031, 0.089) == [0.04, 0.05, 0.06, 0.07, 0.08]
    assert log_ticks([0.0031, 0.0038]) == [0.003, 0.0032, 0.0034, 0.0036, 0.0038]
    assert log_ticks([]) == [0.1, 1.0, 10.0]
    assert log_ticks([0.0, -1.0, math.nan, None]) == [0.1, 1.0, 10.0]


def test_both_log_views_take_their_ticks_from_the_server():
    for fig, name in ((loss_figure(), "loss_ticks"), (gradient_figure(Lab().config), "grad_ticks")):
        ticker, formatter = fig.yaxis[0].ticker, fig.yaxis[0].formatter
        assert (ticker.name, type(ticker).__name__) == (name, "FixedTicker")
        assert (type(formatter).__name__, formatter.format) == ("PrintfTickFormatter", "%g")


def sources(lab: Lab, lab_views: list[str]) -> dict[str, Any]:
    found = views.sources(lab, 0, full=True, views=lab_views)
    json.dumps(found, allow_nan=False)
    return found


def test_the_loss_axis_keeps_labelled_ticks_as_training_goes_on():
    lab = Lab(parse_block("l", {"model": "gru", "layers": 1, "hidden": 4}).config)
    assert sources(lab, ["loss"])["loss_ticks"]["ticks"] == [0.1, 1.0, 10.0]  # the hint at 1
    for epochs in (1, 2, 5, 20, 40):
        lab.train(epochs - len(lab.losses))
        got = sources(lab, ["loss"])
        losses = got["loss"]["loss"]
        ticks = got["loss_ticks"]["ticks"]
        lo, hi = min(losses), max(losses)
        if lo == hi:  # one point: the axis shows a decade either side
            lo, hi = lo / 10, hi * 10
        assert len(inside(ticks, lo, hi)) >= 2, (epochs, lo, hi, ticks)
        assert ticks[0] <= lo and ticks[-1] >= hi


def test_the_gradient_axis_has_ticks_for_the_lines_it_draws():
    lab = Lab(parse_block("g", {"model": "rnn", "layers": 2, "hidden": 8}).config)
    lab.jump("backward")
    got = sources(lab, ["gradients"])
    values = [v for line in (got["grad_total"], got["grad_last"])
              for k, col in line.items() if k != "t" for v in col]  # fmt: skip
    ticks = got["grad_ticks"]["ticks"]
    assert ticks[0] <= min(values) and ticks[-1] >= max(values)
    assert len(inside(ticks, min(values), max(values))) >= 2
    assert all(is_power_of_ten(t) for t in ticks)  # the lesson's "ten times the one below"
    lab.jump("forward")
    assert sources(lab, ["gradients"])["grad_ticks"]["ticks"] == [0.1, 1.0, 10.0]  # the hint
