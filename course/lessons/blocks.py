"""Our pymdown-extensions Blocks. Unlike stock blocks, an unknown or invalid option fails
loudly (a ``LessonError``) instead of leaving raw text behind.

Every widget block (lab, playground, task, quiz, predict) is a ``WidgetBlock``: the page
keeps an empty slot, ``<div class="KIND-slot" data-KIND-slot="ID">``, and the widget's
spec is collected by id. ``KINDS`` says what each kind takes and how it is parsed; the
parsing itself stays with the feature (``course.lab.spec``, ``course.quizzes.parse``, …),
which knows nothing of lessons.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, ClassVar

from markdown import Markdown
from pymdownx.blocks import BlocksExtension, BlocksProcessor
from pymdownx.blocks.block import Block, type_any

from course.lab import spec as lab_spec
from course.lessons import predict
from course.lessons.errors import LessonError
from course.lessons.tour import TourBlock, TourStep
from course.playground import spec as playground_spec
from course.quizzes import parse as quiz_parse
from course.tasks import spec as task_spec
from course.web.validation import PayloadError

ID = re.compile(r"[A-Za-z0-9-]{1,64}")


@dataclass(frozen=True)
class WidgetKind:
    """What a widget block takes and how it becomes a spec.

    Without a body, ``parse(id, options)`` runs as soon as the options are read and raises
    PayloadError. With one, ``parse(id, options, body, render)`` gets the block's raw text
    (``render``: markdown -> sanitised HTML) and raises QuizError, the quiz package's own,
    which ``render_lesson`` turns into a LessonError.
    """

    fields: Collection[str]  # the YAML options; never "attrs": the slot is fixed
    parse: Callable[..., Any]
    body: bool = False
    # Other kinds whose ids, declared earlier, it may not reuse; render_lesson catches the
    # reverse order ("a lab and a playground share …").
    unique_with: tuple[str, ...] = ()

    @property
    def options(self) -> dict[str, tuple[Any, Callable[[Any], Any]]]:
        return {name: (None, type_any) for name in self.fields}


KINDS: dict[str, WidgetKind] = {
    "lab": WidgetKind(lab_spec.BLOCK_FIELDS, lab_spec.parse_block),
    "playground": WidgetKind(
        playground_spec.BLOCK_FIELDS, playground_spec.parse_block, unique_with=("lab",)
    ),
    "task": WidgetKind(
        task_spec.ALL_OPTIONS, task_spec.parse_block, unique_with=("playground", "lab")
    ),
    "quiz": WidgetKind(quiz_parse.OPTIONS, quiz_parse.build_quiz, body=True),
    "predict": WidgetKind(predict.OPTIONS, predict.build_predict, body=True),
}


@dataclass
class Found:
    """What the blocks of one page declared, filled while it renders."""

    widgets: dict[str, dict[str, Any]] = field(default_factory=lambda: {k: {} for k in KINDS})
    tour: tuple[TourStep, ...] | None = None  # a lesson has at most one


class WidgetBlock(Block):
    """``/// KIND | id`` with YAML options (and, for some kinds, a body read raw).
    Config: ``found`` (the spec is filed under its kind and id) and ``render``."""

    ARGUMENT = True
    KIND: ClassVar[WidgetKind]
    widget_id: str  # set once the id is checked

    def _validate(self, parent: etree.Element, arg: Any, **options: Any) -> bool:
        unknown = sorted(set(options) - set(self.KIND.fields))  # "attrs" too: the slot is fixed
        if unknown:
            raise LessonError(f"{self.NAME} {arg!r}: unknown option(s) {', '.join(unknown)}")
        return super()._validate(parent, arg, **options)

    def on_markdown(self) -> str:
        return "raw"  # a body, if the kind has one, is ours to parse, not the lesson's

    def on_validate(self, parent: etree.Element) -> bool:
        widget_id = (self.argument or "").strip()
        if not ID.fullmatch(widget_id):
            raise LessonError(
                f"{self.NAME} id {widget_id!r} must be 1–64 ASCII letters, digits and dashes"
            )
        self.widget_id = widget_id
        if not self.KIND.body:
            self._collect()
        return True

    def on_create(self, parent: etree.Element) -> etree.Element:
        slot = {"class": f"{self.NAME}-slot", f"data-{self.NAME}-slot": self.widget_id}
        return etree.SubElement(parent, "div", slot)

    def on_end(self, block: etree.Element) -> None:
        body = str(block.text or "")
        block.text = None
        if self.KIND.body:
            self._collect(body, self.config["render"])
        elif body.strip():
            raise LessonError(f"{self.NAME} {self.widget_id!r} takes options only, no text")

    def _collect(self, *body: Any) -> None:
        """Parse this widget and file it by id; a LessonError naming it if it cannot be."""
        given = {k: v for k, v in self.options.items() if k != "attrs" and v is not None}
        try:
            spec = self.KIND.parse(self.widget_id, given, *body)
        except PayloadError as error:
            raise LessonError(f"{self.NAME} {self.widget_id!r}: {error.message}") from None
        widgets: dict[str, dict[str, Any]] = self.config["found"].widgets
        kinds = (self.NAME, *self.KIND.unique_with)
        if any(self.widget_id in widgets[kind] for kind in kinds):
            raise LessonError(f"duplicate {_either(kinds)} id {self.widget_id!r}")
        widgets[self.NAME][self.widget_id] = spec


def _either(names: tuple[str, ...]) -> str:
    """("task", "playground", "lab") -> "task, playground or lab"."""
    *rest, last = names
    return f"{', '.join(rest)} or {last}" if rest else last


class LabBlock(WidgetBlock):
    """``/// lab | id``: a live lab, its network, data and what it shows."""

    NAME = "lab"
    KIND = KINDS[NAME]
    OPTIONS = KIND.options


class PlaygroundBlock(WidgetBlock):
    """``/// playground | id``: module 1's one-unit RNN and the controls it offers."""

    NAME = "playground"
    KIND = KINDS[NAME]
    OPTIONS = KIND.options


class TaskBlock(WidgetBlock):
    """``/// task | id``: one of module 5's realistic tasks and its settings."""

    NAME = "task"
    KIND = KINDS[NAME]
    OPTIONS = KIND.options


class QuizBlock(WidgetBlock):
    """``/// quiz | id``: no key or feedback reaches the page, only the slot."""

    NAME = "quiz"
    KIND = KINDS[NAME]
    OPTIONS = KIND.options


class PredictBlock(WidgetBlock):
    """``/// predict | id``: a guess committed before the lab shows what happens."""

    NAME = "predict"
    KIND = KINDS[NAME]
    OPTIONS = KIND.options


WIDGET_BLOCKS = (LabBlock, PlaygroundBlock, TaskBlock, QuizBlock, PredictBlock)


def _no_render(text: str) -> str:
    raise LessonError("UnrolledBlocks needs render= (markdown -> sanitised HTML) for quizzes")


class UnrolledBlocks(BlocksExtension):
    """Registers our blocks for one page: ``found`` collects what they declare, and
    ``render`` turns the markdown inside a quiz, a prediction or a tour into sanitised HTML."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "render": [_no_render, "markdown -> sanitised HTML, for the bodies of blocks"],
        }
        super().__init__(**kwargs)
        self.found = Found()

    def extendMarkdownBlocks(self, md: Markdown, block_mgr: BlocksProcessor) -> None:
        config = {"found": self.found, "render": self.getConfig("render")}
        for block in (*WIDGET_BLOCKS, TourBlock):
            block_mgr.register(block, config)
