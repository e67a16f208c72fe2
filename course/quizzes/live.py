"""Live questions: the answer is a number in the learner's own lab, right now.

``live: {lab, quantity, t, layer, unit}`` names a number as the cell view shows
it: ``t`` and ``layer`` counted from 1 (the lab's "t" and "layer" readouts),
``unit`` from 0 (the "unit" control), ``quantity`` a box of the cell diagram.
The value comes from the lab's current forward trace, the same numbers the
diagram prints, whichever compute step the cursor is on.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from course.quizzes.model import Live, Quiz, QuizError, range_index
from course.web.validation import PayloadError
from engine.model import COMPUTE_STEPS, ModelConfig

if TYPE_CHECKING:
    from course.lab.spec import LabSpec
    from engine import Lab, LabConfig


def _quantities(cell: str) -> tuple[str, ...]:
    carried = ("h_prev", "c_prev") if cell == "lstm" else ("h_prev",)
    return ("x", *carried, *COMPUTE_STEPS[cell][1:])


QUANTITIES = {cell: _quantities(cell) for cell in COMPUTE_STEPS}
ALL_QUANTITIES = tuple(dict.fromkeys(q for names in QUANTITIES.values() for q in names))
SIGMOID = ("f", "i", "o", "r", "z")  # gates: always in [0, 1]
TANH = ("g", "n")  # candidates: always in [−1, 1]


class LiveError(PayloadError, ValueError):
    """The learner's lab cannot answer the question now (other cell kind, diverged, …)."""

    def __init__(self, message: str) -> None:
        super().__init__("live_unavailable", message, None)


def live_value(quiz: Quiz, lab: Lab) -> float:
    """The number ``quiz.live`` names in ``lab`` (the learner's own, as it is now)."""
    live = quiz.live
    if live is None:
        raise LiveError(f"quiz {quiz.id!r} is not a live question")
    where = f"{live.quantity} at t = {live.t}, layer {live.layer}, unit {live.unit}"
    problem = mismatch(live, lab.config)
    if problem:
        raise LiveError(f"quiz {quiz.id!r} asks for {where}, but in this lab {problem}")
    values = lab.cell_values(live.t - 1, live.layer - 1, len(lab.steps) - 1)
    value = values[live.quantity][live.unit]
    if value is None or not math.isfinite(value):
        raise LiveError(f"{where} is not a finite number (the lab diverged): reset the lab")
    if quiz.ranges and range_index(quiz.ranges, value) is None:
        raise LiveError(f"quiz {quiz.id!r}: {where} = {value:.4g} lies in none of its ranges")
    return value


def mismatch(live: Live, config: LabConfig) -> str | None:
    """Why ``live`` names no number in a lab of ``config``, or None if it does."""
    model = config.model
    names = QUANTITIES[model.cell]
    if live.quantity not in names:
        return f"a {model.cell} cell has no {live.quantity!r} (it has {', '.join(names)})"
    if live.t > config.train.window:
        return f"the window has only {config.train.window} time steps"
    if live.layer > model.layers:
        return f"there are only {model.layers} layer(s)"
    width = model.input_size if live.quantity == "x" and live.layer == 1 else model.hidden
    if live.unit >= width:
        return f"{live.quantity} has {width} unit(s), numbered from 0"
    return None


def bounds(quantity: str, model: ModelConfig) -> tuple[float, float]:
    """Where ``quantity`` can lie, so a lesson's ranges can be checked to cover it."""
    if quantity in SIGMOID:
        return 0.0, 1.0
    if quantity in TANH or (quantity in ("h", "h_prev") and model.cell != "rnn"):
        return -1.0, 1.0
    if quantity in ("h", "h_prev"):  # a vanilla cell's output is its activation
        return {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}.get(model.activation, (0.0, math.inf))
    return -math.inf, math.inf


def check_live(quizzes: dict[str, Quiz], labs: dict[str, LabSpec]) -> None:
    """At load time: every live question names a number its lesson's lab has, and a
    live single-choice question's ranges cover every value that number can take."""
    for quiz in quizzes.values():
        if quiz.live is None:
            continue
        spec = labs.get(quiz.live.lab)
        if spec is None:
            raise QuizError(f"quiz {quiz.id!r}: live.lab {quiz.live.lab!r} is not in this lesson")
        problem = mismatch(quiz.live, spec.config)
        if problem:
            raise QuizError(f"quiz {quiz.id!r}: live: in lab {spec.id!r} {problem}")
        lo, hi = bounds(quiz.live.quantity, spec.config.model)
        if quiz.ranges and not _covers(quiz.ranges, lo, hi):
            raise QuizError(
                f"quiz {quiz.id!r}: ranges must cover [{lo:g}, {hi:g}] without gaps, "
                f"where {quiz.live.quantity} can lie"
            )


def _covers(ranges: tuple[tuple[float, float], ...], lo: float, hi: float) -> bool:
    ordered = sorted(ranges)
    joined = all(a[1] == b[0] for a, b in zip(ordered, ordered[1:], strict=False))
    return joined and ordered[0][0] <= lo and ordered[-1][1] >= hi
