"""The ``/// quiz | id`` block. Its body is read raw and parsed by ``parse.build_quiz``;
the lesson's HTML keeps only an empty slot, so no key or feedback reaches the page."""

from __future__ import annotations

import xml.etree.ElementTree as etree
from typing import Any

from pymdownx.blocks.block import Block, type_any

from course.quizzes.model import Quiz, QuizError
from course.quizzes.parse import ID, OPTIONS, build_quiz


class QuizBlock(Block):
    """Config: ``quizzes`` (filled, by id) and ``render`` (markdown -> sanitised HTML)."""

    NAME = "quiz"
    ARGUMENT = True
    OPTIONS = {name: (None, type_any) for name in OPTIONS}

    def _validate(self, parent: etree.Element, arg: Any, **options: Any) -> bool:
        unknown = sorted(set(options) - set(OPTIONS))  # "attrs" too: the slot is fixed
        if unknown:
            raise QuizError(f"quiz {arg!r}: unknown option(s) {', '.join(unknown)}")
        return super()._validate(parent, arg, **options)

    def on_markdown(self) -> str:
        return "raw"  # the body is ours to parse, not the lesson's

    def on_validate(self, parent: etree.Element) -> bool:
        quiz_id = (self.argument or "").strip()
        if not ID.fullmatch(quiz_id):
            raise QuizError(f"quiz id {quiz_id!r} must be 1–64 ASCII letters, digits and dashes")
        if quiz_id in self.config["quizzes"]:
            raise QuizError(f"duplicate quiz id {quiz_id!r}")
        self.quiz_id = quiz_id
        return True

    def on_create(self, parent: etree.Element) -> etree.Element:
        return etree.SubElement(
            parent, "div", {"class": "quiz-slot", "data-quiz-slot": self.quiz_id}
        )

    def on_end(self, block: etree.Element) -> None:
        body = str(block.text or "")
        block.text = None
        given = {k: v for k, v in self.options.items() if k != "attrs" and v is not None}
        quizzes: dict[str, Quiz] = self.config["quizzes"]
        quizzes[self.quiz_id] = build_quiz(self.quiz_id, given, body, self.config["render"])
