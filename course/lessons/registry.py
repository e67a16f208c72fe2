"""Lessons: ``lessons/NN-slug.md`` files with YAML front matter and markdown.

Loading validates everything (front matter, blocks, lab options) so that a bad
lesson fails when the server starts or when ``unrolled check-lessons`` runs,
never in front of a learner. The HTML is sanitised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, abort, current_app

from course.lab.spec import LabSpec
from course.lessons.errors import LessonError
from course.lessons.modules import MODULES
from course.lessons.predict import Predict
from course.lessons.render import render_lesson
from course.playground.spec import PlaygroundSpec
from course.quizzes import Quiz
from course.tasks.spec import TaskSpec

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
FILE_NAME = re.compile(r"\A(\d\d)-([a-z0-9-]+)\.md\Z")
SLOT = re.compile(
    r'<div class="(lab|quiz|playground|predict|task)-slot" data-\1-slot="([A-Za-z0-9-]+)"></div>'
)
REQUIRED = {"id", "title", "module", "order", "objectives", "minutes"}
OPTIONAL = {"summary", "recap"}


@dataclass(frozen=True)
class Lesson:
    slug: str
    id: str
    title: str
    module: int
    order: int
    minutes: int
    objectives: tuple[str, ...]
    summary: str
    html: str
    recap: tuple[str, ...] = ()  # what the learner can now do, shown at the lesson's end
    labs: dict[str, LabSpec] = field(default_factory=dict)
    quizzes: dict[str, Quiz] = field(default_factory=dict)
    playgrounds: dict[str, PlaygroundSpec] = field(default_factory=dict)
    predicts: dict[str, Predict] = field(default_factory=dict)
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    tour: tuple[dict[str, str], ...] = ()  # driver.js steps: element, title, text

    def segments(self) -> list[tuple[str, Any]]:
        """The page in order: ("html", str), ("lab", LabSpec), ("quiz", Quiz),
        ("playground", PlaygroundSpec) and ("predict", Predict) parts."""
        parts: list[tuple[str, Any]] = []
        pieces = SLOT.split(self.html)  # html, kind, id, html, kind, id, …, html
        for index in range(0, len(pieces), 3):
            if pieces[index].strip():
                parts.append(("html", pieces[index]))
            if index + 2 < len(pieces):
                kind, slot = pieces[index + 1], pieces[index + 2]
                found: dict[str, dict[str, Any]] = {
                    "lab": self.labs,
                    "quiz": self.quizzes,
                    "playground": self.playgrounds,
                    "predict": self.predicts,
                    "task": self.tasks,
                }
                parts.append((kind, found[kind][slot]))
        return parts


def _check_front_matter(name: str, meta: Any) -> None:
    if not isinstance(meta, dict):
        raise LessonError(f"{name}: front matter must be a mapping")
    missing, unknown = REQUIRED - set(meta), set(meta) - REQUIRED - OPTIONAL
    if missing or unknown:
        raise LessonError(f"{name}: missing {sorted(missing)}, unknown {sorted(unknown)}")
    if meta["module"] not in MODULES or isinstance(meta["module"], bool):
        raise LessonError(f"{name}: module must be one of {sorted(MODULES)}")
    for key in ("order", "minutes"):
        if not isinstance(meta[key], int) or isinstance(meta[key], bool) or meta[key] < 0:
            raise LessonError(f"{name}: {key} must be a whole number")
    for key in ("id", "title"):
        if not isinstance(meta[key], str) or not meta[key].strip():
            raise LessonError(f"{name}: {key} must be a non-empty string")
    objectives = meta["objectives"]
    if not isinstance(objectives, list) or not objectives:
        raise LessonError(f"{name}: objectives must be a non-empty list")
    if not all(isinstance(o, str) and o.strip() for o in objectives):
        raise LessonError(f"{name}: every objective must be a non-empty string")
    recap = meta.get("recap", [])
    if not isinstance(recap, list) or not all(isinstance(r, str) and r.strip() for r in recap):
        raise LessonError(f"{name}: recap must be a list of non-empty strings")


def load_lesson(path: Path) -> Lesson:
    match = FILE_NAME.match(path.name)
    if not match:
        raise LessonError(f"{path.name}: lesson files are named NN-slug.md")
    text = path.read_text(encoding="utf-8")
    front = FRONT_MATTER.match(text)
    if not front:
        raise LessonError(f"{path.name}: missing YAML front matter between --- lines")
    try:
        meta = yaml.safe_load(front.group(1)) or {}
    except yaml.YAMLError as error:
        raise LessonError(f"{path.name}: front matter is not valid YAML: {error}") from None
    _check_front_matter(path.name, meta)
    try:
        page = render_lesson(text[front.end() :])
    except LessonError as error:
        raise LessonError(f"{path.name}: {error}") from None
    return Lesson(
        slug=match.group(2),
        id=str(meta["id"]),
        title=str(meta["title"]),
        module=meta["module"],
        order=meta["order"],
        minutes=meta["minutes"],
        objectives=tuple(meta["objectives"]),
        summary=str(meta.get("summary", "")),
        html=page.html,
        recap=tuple(meta.get("recap", [])),
        labs=page.labs,
        quizzes=page.quizzes,
        playgrounds=page.playgrounds,
        predicts=page.predicts,
        tasks=page.tasks,
        tour=page.tour,
    )


@dataclass
class LessonRegistry:
    """Every lesson, loaded and checked once at start-up."""

    lessons: dict[str, Lesson]

    @classmethod
    def load(cls, directory: str | Path) -> LessonRegistry:
        lessons: dict[str, Lesson] = {}
        ids: set[str] = set()
        for path in sorted(Path(directory).glob("*.md")):
            lesson = load_lesson(path)
            if lesson.slug in lessons or lesson.id in ids:
                raise LessonError(f"{path.name}: duplicate lesson slug or id")
            lessons[lesson.slug] = lesson
            ids.add(lesson.id)
        return cls(lessons)

    def get(self, slug: str) -> Lesson | None:
        return self.lessons.get(slug)

    def quiz(self, lesson_id: str, quiz_id: str) -> Quiz | None:
        """The quiz ``quiz_id`` of the lesson whose id (not slug) is ``lesson_id``."""
        lesson = next((x for x in self.lessons.values() if x.id == lesson_id), None)
        return None if lesson is None else lesson.quizzes.get(quiz_id)

    def in_module(self, module: int) -> list[Lesson]:
        return sorted(
            (x for x in self.lessons.values() if x.module == module), key=lambda x: x.order
        )


def lessons(app: Flask | None = None) -> LessonRegistry:
    """The app's lessons (loaded by ``course.lessons.init_app``); the current app's by
    default."""
    return (app or current_app).extensions["lessons"]  # type: ignore[no-any-return]


def find_lesson(slug: str) -> Lesson | None:
    """The current app's lesson ``slug``, if there is one. Socket namespaces get this
    function rather than a registry: the Socket.IO extension, and so its namespaces,
    may serve several apps (tests build many)."""
    return lessons().get(slug)


def lesson_or_404(slug: str) -> Lesson:
    """The lesson ``slug``, or a 404 page."""
    found = lessons().get(slug)
    if found is None:
        abort(404)
    return found
