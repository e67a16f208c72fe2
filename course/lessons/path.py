"""The path through the course: lessons in reading order, what comes next, and where a
returning learner should pick up.

A learner has no account, so "where they stopped" is read from what they last did: the
newest progress mark (a section read, a lab worked, a prediction made). They continue at
the first section of that lesson they have not read, after the last one they read; once
a lesson is read to the end, at the start of the next lesson.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from course.lessons.registry import Lesson, LessonRegistry

SECTION = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.S)
TAG = re.compile(r"<[^>]+>")


def sections(lesson: Lesson) -> list[tuple[str, str]]:
    """The lesson's sections, (anchor, plain title), in reading order."""
    return [(anchor, TAG.sub("", title).strip()) for anchor, title in SECTION.findall(lesson.html)]


def in_order(registry: LessonRegistry) -> list[Lesson]:
    """Every lesson, module by module, each module's lessons by their order."""
    return sorted(registry.lessons.values(), key=lambda x: (x.module, x.order))


def next_lesson(registry: LessonRegistry, lesson: Lesson) -> Lesson | None:
    """The lesson after ``lesson`` in the course, or None after the last."""
    path = in_order(registry)
    index = next(n for n, x in enumerate(path) if x.id == lesson.id)
    return path[index + 1] if index + 1 < len(path) else None


@dataclass(frozen=True)
class Resume:
    """Where a returning learner picks up: a lesson, and a section of it (or its top)."""

    lesson: Lesson
    anchor: str | None  # a section's id; None: the top of the lesson
    section: str  # the section's title, "" for the top

    @property
    def fragment(self) -> str:
        return f"#{self.anchor}" if self.anchor else ""


def resume(
    registry: LessonRegistry, done: dict[str, dict[str, Any]], last_lesson_id: str | None
) -> Resume | None:
    """Where to continue, from everything done (``progress.of``) and the lesson of the
    newest mark; None for a first visit, or once the last lesson is read to the end."""
    lesson = next((x for x in registry.lessons.values() if x.id == last_lesson_id), None)
    if lesson is None:
        return None
    seen = done.get(lesson.id, {}).get("sections", [])
    titles = sections(lesson)
    unread = [(anchor, title) for anchor, title in titles if anchor not in seen]
    if not unread:
        after = next_lesson(registry, lesson)
        return None if after is None else Resume(after, None, "")
    read = [n for n, (anchor, _) in enumerate(titles) if anchor in seen]
    later = [item for item in titles[max(read, default=-1) + 1 :] if item[0] not in seen]
    anchor, title = (later or unread)[0]
    return Resume(lesson, anchor, title)
