"""Our pymdown-extensions Blocks. Unlike stock blocks, an unknown or invalid
option fails loudly (a ``LessonError``) instead of leaving raw text behind."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any

from markdown import Markdown
from pymdownx.blocks import BlocksExtension, BlocksProcessor
from pymdownx.blocks.block import Block, type_any

from course.lab.spec import BLOCK_FIELDS, LabSpec, parse_block
from course.quizzes.block import QuizBlock
from course.web.validation import PayloadError

LAB_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class LessonError(ValueError):
    """A lesson that cannot be served as written."""


class LabBlock(Block):
    """``/// lab | id`` with YAML options: a live lab placed in the lesson."""

    NAME = "lab"
    ARGUMENT = True
    OPTIONS = {name: (None, type_any) for name in BLOCK_FIELDS}

    def _validate(self, parent: etree.Element, arg: Any, **options: Any) -> bool:
        unknown = sorted(set(options) - set(self.option_spec))
        if unknown:
            raise LessonError(f"lab {arg!r}: unknown option(s) {', '.join(unknown)}")
        return super()._validate(parent, arg, **options)

    def on_validate(self, parent: etree.Element) -> bool:
        lab_id = (self.argument or "").strip()
        if not LAB_ID.fullmatch(lab_id):
            raise LessonError(f"lab id {lab_id!r} must be 1–64 ASCII letters, digits and dashes")
        given = {k: v for k, v in self.options.items() if k != "attrs" and v is not None}
        try:
            spec = parse_block(lab_id, given)
        except PayloadError as error:
            raise LessonError(f"lab {lab_id!r}: {error.message}") from None
        labs: dict[str, LabSpec] = self.config["labs"]
        if lab_id in labs:
            raise LessonError(f"duplicate lab id {lab_id!r}")
        labs[lab_id] = spec
        return True

    def on_create(self, parent: etree.Element) -> etree.Element:
        return etree.SubElement(
            parent, "div", {"class": "lab-slot", "data-lab-slot": self.argument.strip()}
        )


def _no_render(text: str) -> str:
    raise LessonError("UnrolledBlocks needs render= (markdown -> sanitised HTML) for quizzes")


class UnrolledBlocks(BlocksExtension):
    """Registers our blocks; ``labs``, ``quizzes``, ``playgrounds``, ``predicts`` and
    ``tours`` collect those of one page, and ``render`` turns the markdown inside a quiz or a
    prediction into sanitised HTML."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "labs": [{}, "LabSpecs by id, filled while rendering"],
            "quizzes": [{}, "Quizzes by id, filled while rendering"],
            "playgrounds": [{}, "PlaygroundSpecs by id, filled while rendering"],
            "predicts": [{}, "Predict prompts by id, filled while rendering"],
            "tasks": [{}, "TaskSpecs by id, filled while rendering"],
            "tours": [[], "The page's tour (a tuple of TourSteps), filled while rendering"],
            "render": [_no_render, "markdown -> sanitised HTML, for quiz prompts and choices"],
        }
        super().__init__(**kwargs)

    def extendMarkdownBlocks(self, md: Markdown, block_mgr: BlocksProcessor) -> None:
        block_mgr.register(LabBlock, self.getConfigs())
        block_mgr.register(QuizBlock, self.getConfigs())
        from course.playground.spec import PlaygroundBlock  # it raises our LessonError

        block_mgr.register(PlaygroundBlock, self.getConfigs())
        from course.lessons.predict import PredictBlock

        block_mgr.register(PredictBlock, self.getConfigs())
        from course.tasks.spec import TaskBlock

        block_mgr.register(TaskBlock, self.getConfigs())
        from course.lessons.tour import TourBlock

        block_mgr.register(TourBlock, self.getConfigs())
