"""Live questions: the answer is a number in the learner's own widget, right now.

``live: {lab, quantity, t, layer, unit}`` names a number as the cell view shows
it: ``t`` and ``layer`` counted from 1 (the lab's "t" and "layer" readouts),
``unit`` from 0 (the "unit" control), ``quantity`` a box of the cell diagram.
The value comes from the lab's current forward trace, the same numbers the
diagram prints, whichever compute step the cursor is on.

``live: {playground, quantity, t}`` names a number of module 1's unit with the
learner's current weights: the input x_t, the state carried in h_{t−1}, the sum
a_t = w_x x_t + w_h h_{t−1} + b or the state h_t = act(a_t).

``live: {task, prefix, char}`` names the probability p = softmax(z)[char] that the
learner's text network gives ``char`` after reading ``prefix`` (temperature 1): the
bar the task's view draws for that character.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from course.quizzes.model import LIVE_KINDS, Live, Quiz, QuizError, range_index
from course.web.validation import PayloadError
from engine.model import COMPUTE_STEPS, ModelConfig

if TYPE_CHECKING:
    from course.lab.spec import LabSpec
    from course.playground.spec import PlaygroundSpec
    from course.tasks.runs import TextRun
    from course.tasks.spec import TaskSpec
    from engine import Lab, LabConfig
    from engine.playground import PlaygroundConfig


def _quantities(cell: str) -> tuple[str, ...]:
    carried = ("h_prev", "c_prev") if cell == "lstm" else ("h_prev",)
    return ("x", *carried, *COMPUTE_STEPS[cell][1:])


QUANTITIES = {cell: _quantities(cell) for cell in COMPUTE_STEPS}
LIVE_QUANTITIES = {
    "lab": tuple(dict.fromkeys(q for names in QUANTITIES.values() for q in names)),
    "playground": ("x", "h_prev", "a", "h"),  # engine.playground.PlaygroundTrace
    "task": ("p",),
}
assert set(LIVE_QUANTITIES) == set(LIVE_KINDS)
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


def playground_value(quiz: Quiz, config: PlaygroundConfig) -> float:
    """The number ``quiz.live`` names in a playground set to ``config`` (the learner's)."""
    from engine.playground import simulate

    live = _live_of(quiz)
    if live.t > config.length:
        raise LiveError(f"your unit reads only {config.length} steps, not {live.t}")
    value = float(getattr(simulate(config), live.quantity)[live.t - 1])
    return _checked(quiz, value, f"{live.quantity} at t = {live.t}")


def task_value(quiz: Quiz, run: TextRun) -> float:
    """The probability the learner's text network gives ``live.char`` after ``live.prefix``."""
    live = _live_of(quiz)
    unknown = sorted(set(live.prefix + live.char) - set(run.chars))
    if unknown:
        raise LiveError(f"your network's text has no {''.join(unknown)!r}: choose its text again")
    p = run.predict(live.prefix, 1.0)
    value = float(p[run.chars.index(live.char)])
    return _checked(quiz, value, f"p({live.char!r} after {live.prefix!r})")


def _live_of(quiz: Quiz) -> Live:
    if quiz.live is None:
        raise LiveError(f"quiz {quiz.id!r} is not a live question")
    return quiz.live


def _checked(quiz: Quiz, value: float, where: str) -> float:
    if not math.isfinite(value):
        raise LiveError(f"{where} is not a finite number: reset it")
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


def check_live(
    quizzes: dict[str, Quiz],
    labs: dict[str, LabSpec],
    playgrounds: dict[str, PlaygroundSpec] | None = None,
    tasks: dict[str, TaskSpec] | None = None,
) -> None:
    """At load time: every live question names a number its lesson's widget has, and a
    live single-choice question's ranges cover every value that number can take."""
    for quiz in quizzes.values():
        live = quiz.live
        if live is None:
            continue
        by_kind: dict[str, dict[str, Any]] = {
            "lab": dict(labs),
            "playground": dict(playgrounds or {}),
            "task": dict(tasks or {}),
        }
        widgets = by_kind[live.kind]
        spec = widgets.get(live.lab)
        if spec is None:
            missing = f"live.{live.kind} {live.lab!r} is not in this lesson"
            raise QuizError(f"quiz {quiz.id!r}: {missing}")
        if live.kind == "lab":
            problem = mismatch(live, spec.config)
            lo, hi = bounds(live.quantity, spec.config.model)
        elif live.kind == "playground":
            problem = _playground_mismatch(live, spec.config)
            lo, hi = _playground_bounds(live.quantity, spec.config.activation)
        else:
            problem = None if spec.kind == "text" else f"a {spec.kind} task has no next character"
            lo, hi = 0.0, 1.0
        if problem:
            raise QuizError(f"quiz {quiz.id!r}: live: in {live.kind} {spec.id!r} {problem}")
        if quiz.ranges and not _covers(quiz.ranges, lo, hi):
            raise QuizError(
                f"quiz {quiz.id!r}: ranges must cover [{lo:g}, {hi:g}] without gaps, "
                f"where {live.quantity} can lie"
            )


def _playground_mismatch(live: Live, config: PlaygroundConfig) -> str | None:
    if live.t > config.length:
        return f"the unit reads only {config.length} steps"
    return None


def _playground_bounds(quantity: str, activation: str) -> tuple[float, float]:
    if quantity in ("h", "h_prev"):
        return {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}.get(activation, (0.0, math.inf))
    return -math.inf, math.inf


def _covers(ranges: tuple[tuple[float, float], ...], lo: float, hi: float) -> bool:
    ordered = sorted(ranges)
    joined = all(a[1] == b[0] for a, b in zip(ordered, ordered[1:], strict=False))
    return joined and ordered[0][0] <= lo and ordered[-1][1] >= hi
