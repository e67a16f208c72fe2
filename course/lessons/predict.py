"""The ``/// predict | id`` block: predict, then observe.

The learner commits a guess — a choice or a number — before the lab shows what
happens; the guess is stored with their progress (the first one counts) and only
then is the "what you should see" text sent. A prediction is not graded::

    /// predict | same-zero
        lab: sine
    At t = 6 and t = 12 the unit reads the same 0. Will h₆ and h₁₂ be equal?

    - yes, always
    - no, they will differ

    > Both are 0.000: with w_h = 0 the state depends on the current input alone.
    ///

Without a list the guess is a number (option ``label`` names it, e.g. "h₃₀").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course.quizzes.body import split_body
from course.quizzes.model import QuizError

OPTIONS = ("lab", "label")
MAX_CHOICES = 8


@dataclass(frozen=True)
class Predict:
    id: str
    prompt: str  # sanitised HTML
    choices: tuple[str, ...]  # sanitised HTML; empty: the guess is a number
    observe: str  # sanitised HTML, sent once the learner has committed
    lab: str | None = None  # the lab or playground whose behaviour is predicted
    label: str = "your guess"

    @property
    def kind(self) -> str:
        return "choice" if self.choices else "number"

    def choice_id(self, index: int) -> str:
        return chr(ord("a") + index)

    def public(self) -> dict[str, Any]:
        """What the page shows before the guess: no observation."""
        return {
            "id": self.id,
            "prompt": self.prompt,
            "kind": self.kind,
            "label": self.label,
            "lab": self.lab,
            "choices": [{"id": self.choice_id(k), "html": c} for k, c in enumerate(self.choices)],
        }

    def check_guess(self, value: Any) -> str | float:
        """The guess as stored; ValueError with a clear message if it does not fit."""
        if self.choices:
            ids = [self.choice_id(k) for k in range(len(self.choices))]
            if not isinstance(value, str) or value not in ids:
                raise ValueError(f"choose one of {', '.join(ids)}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("the guess must be a number")
        if not math.isfinite(value) or abs(value) > 1e12:
            raise ValueError("the guess must be a finite number")
        return float(value)


def build_predict(
    predict_id: str, options: dict[str, Any], body: str, render: Callable[[str], str]
) -> Predict:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise QuizError(f"predict {predict_id!r}: unknown option(s) {', '.join(unknown)}")
    for name in OPTIONS:
        if name in options and not isinstance(options[name], str):
            raise QuizError(f"predict {predict_id!r}: {name} must be text")
    has_items = any(line.startswith("- ") for line in body.split("\n"))
    try:
        parts = split_body(body, with_items=has_items)
    except QuizError as error:
        raise QuizError(f"predict {predict_id!r}: {error}") from None
    if any(item.mark == "x" or item.feedback for item in parts.items):
        raise QuizError(f"predict {predict_id!r}: a prediction has no right answer or feedback")
    if len(parts.items) == 1 or len(parts.items) > MAX_CHOICES:
        raise QuizError(f"predict {predict_id!r}: give 2–{MAX_CHOICES} choices, or none")
    if not parts.explanation:
        raise QuizError(f"predict {predict_id!r}: end with a '> ' paragraph saying what to observe")
    return Predict(
        id=predict_id,
        prompt=render(parts.prompt),
        choices=tuple(render(item.text) for item in parts.items),
        observe=render(parts.explanation),
        lab=options.get("lab"),
        label=options.get("label") or "your guess",
    )
