"""The ``/// tour`` block: steps resolve to selectors of the page's own widgets, and a
tour that points at nothing fails when the lesson loads."""

from __future__ import annotations

import pytest

from course.lessons.errors import LessonError
from course.lessons.registry import LessonRegistry
from course.lessons.render import render_lesson

LAB = """
/// lab | walk
    model: lstm
    views: [cell, sequence]
///

/// quiz | q
    type: single
Which?

- [x] this
- [ ] that
///

"""


def tour_of(steps: str) -> list[dict[str, str]]:
    return list(render_lesson(LAB + "/// tour\n" + steps + "\n///\n").tour)


def test_steps_become_selectors_with_rendered_text() -> None:
    tour = tour_of(
        "- lab: walk\n  part: heatmap\n  title: All units\n  text: Every **unit**, \\(h_t\\)\n"
        "- quiz: q\n  title: Check\n  text: Answer here.\n"
        "- page: tour\n  title: Again\n  text: Replay it."
    )
    assert [step["element"] for step in tour] == [
        "#lab-walk .view-heatmap",
        "#quiz-q",
        ".tour-button",
    ]
    assert tour[0]["title"] == "All units"
    assert "<strong>unit</strong>" in tour[0]["text"] and "arithmatex" in tour[0]["text"]


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ("- lab: walk\n  part: gates\n  title: x\n  text: y", "has no part 'gates'"),
        ("- lab: nope\n  title: x\n  text: y", "no lab 'nope'"),
        ("- predict: p\n  title: x\n  text: y", "no predict 'p'"),
        ("- quiz: q\n  part: prompt\n  title: x\n  text: y", "part applies to"),
        ("- lab: walk\n  title: x", "text must be non-empty"),
        ("- lab: walk\n  quiz: q\n  title: x\n  text: y", "exactly one target"),
        ("- page: footer\n  title: x\n  text: y", "page part must be one of"),
        ("- lab: walk\n  colour: red\n  title: x\n  text: y", "unknown key(s) colour"),
        ("lab: walk", "a list of 1–12 steps"),
    ],
)
def test_a_tour_that_points_at_nothing_fails_at_load(steps: str, message: str) -> None:
    with pytest.raises(LessonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tour_of(steps)


def test_one_tour_per_lesson() -> None:
    step = "- page: title\n  title: x\n  text: y\n"
    with pytest.raises(LessonError, match="one tour block"):
        render_lesson(f"/// tour\n{step}///\n\n/// tour\n{step}///\n")


def test_every_lesson_has_a_tour_that_ends_on_its_replay_button() -> None:
    for lesson in LessonRegistry.load("lessons").lessons.values():
        assert 3 <= len(lesson.tour) <= 12, lesson.slug
        assert lesson.tour[-1]["element"] == ".tour-button", lesson.slug
