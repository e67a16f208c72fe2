"""A lesson's markdown rendered into one ``Rendered``: sanitised HTML with an empty slot
per widget, the widgets its blocks declared, checked against each other, and its tour."""

from __future__ import annotations

from dataclasses import dataclass

import markdown
import nh3

from course.lab.spec import LabSpec
from course.lessons.blocks import UnrolledBlocks
from course.lessons.errors import LessonError
from course.lessons.predict import Predict
from course.lessons.tour import selector
from course.playground.spec import PlaygroundSpec
from course.quizzes import Quiz, QuizError, check_live
from course.tasks.spec import TaskSpec

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "hr", "img", "kbd", "li", "ol",
    "p", "pre", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "aria-label", "role"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "div": {
        "data-lab-slot",
        "data-quiz-slot",
        "data-playground-slot",
        "data-predict-slot",
        "data-task-slot",
    },
    "td": {"align"},
    "th": {"align"},
}


@dataclass(frozen=True)
class Rendered:
    """A lesson's body: its HTML and the widgets placed in it, by id."""

    html: str
    labs: dict[str, LabSpec]
    quizzes: dict[str, Quiz]
    playgrounds: dict[str, PlaygroundSpec]
    predicts: dict[str, Predict]
    tasks: dict[str, TaskSpec]
    tour: tuple[dict[str, str], ...]  # driver.js steps: element, title, text


def sanitise(html: str) -> str:
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES)


def render_fragment(text: str) -> str:
    """Markdown inside a quiz (prompt, choice, feedback): like a lesson, without blocks."""
    md = markdown.Markdown(
        extensions=["tables", "pymdownx.superfences", "pymdownx.arithmatex"],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    return sanitise(md.convert(text))


def render_lesson(text: str) -> Rendered:
    """A lesson's markdown (front matter off) rendered and checked; LessonError if it cannot
    be served as written."""
    blocks = UnrolledBlocks(render=render_fragment)
    md = markdown.Markdown(
        extensions=[
            "tables",
            "toc",
            "pymdownx.superfences",
            "pymdownx.blocks.details",
            "pymdownx.arithmatex",
            blocks,
        ],
        extension_configs={"pymdownx.arithmatex": {"generic": True}},
    )
    found = blocks.found.widgets
    labs, quizzes, tasks = found["lab"], found["quiz"], found["task"]
    playgrounds, predicts = found["playground"], found["predict"]
    try:
        html = md.convert(text)
        check_live(quizzes, labs, playgrounds, tasks)
    except QuizError as error:
        raise LessonError(str(error)) from None
    if "<p>///" in html or "\n///" in html:
        raise LessonError("a block was not recognised (check its name and indentation)")
    for predict in predicts.values():
        widgets = labs.keys() | playgrounds.keys() | tasks.keys()
        if predict.lab is not None and predict.lab not in widgets:
            raise LessonError(f"predict {predict.id!r}: no lab or playground {predict.lab!r} here")
    if shared := set(labs) & set(playgrounds):
        raise LessonError(f"a lab and a playground share the id(s) {sorted(shared)}")
    if shared := set(tasks) & (set(labs) | set(playgrounds)):
        raise LessonError(f"a task shares the id(s) {sorted(shared)} with a lab or playground")
    tour = tuple(
        step.public(selector(step, labs, playgrounds, quizzes, predicts, tasks))
        for step in blocks.found.tour or ()
    )
    html = html.replace('<div class="tour-slot"></div>', "")
    return Rendered(sanitise(html), labs, quizzes, playgrounds, predicts, tasks, tour)
