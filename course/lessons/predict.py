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
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pymdownx.blocks.block import Block, type_any

from course.quizzes.body import split_body
from course.quizzes.model import QuizError

ID = re.compile(r"[A-Za-z0-9-]{1,64}")
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


class PredictBlock(Block):
    """Config: ``predicts`` (filled, by id) and ``render`` (markdown -> sanitised HTML)."""

    NAME = "predict"
    ARGUMENT = True
    OPTIONS = {name: (None, type_any) for name in OPTIONS}

    def _validate(self, parent: etree.Element, arg: Any, **options: Any) -> bool:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise QuizError(f"predict {arg!r}: unknown option(s) {', '.join(unknown)}")
        return super()._validate(parent, arg, **options)

    def on_markdown(self) -> str:
        return "raw"

    def on_validate(self, parent: etree.Element) -> bool:
        predict_id = (self.argument or "").strip()
        if not ID.fullmatch(predict_id):
            raise QuizError(f"predict id {predict_id!r} must be 1–64 ASCII letters, digits, dashes")
        if predict_id in self.config["predicts"]:
            raise QuizError(f"duplicate predict id {predict_id!r}")
        self.predict_id = predict_id
        return True

    def on_create(self, parent: etree.Element) -> etree.Element:
        return etree.SubElement(
            parent, "div", {"class": "predict-slot", "data-predict-slot": self.predict_id}
        )

    def on_end(self, block: etree.Element) -> None:
        body = str(block.text or "")
        block.text = None
        given = {k: v for k, v in self.options.items() if k != "attrs" and v is not None}
        predicts: dict[str, Predict] = self.config["predicts"]
        predicts[self.predict_id] = build_predict(
            self.predict_id, given, body, self.config["render"]
        )
