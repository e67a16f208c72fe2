"""Lesson loading: a bad lesson fails loudly at load time with a message that says what
to fix; a good one loads with its labs in place; lesson HTML is sanitised."""

from __future__ import annotations

from pathlib import Path

import pytest

from course import cli
from course.lessons.errors import LessonError
from course.lessons.registry import LessonRegistry

FRONT = """\
---
id: {id}
title: A small lesson
module: 1
order: 1
objectives: [Read a lab]
minutes: 5
---
"""


def lab(lab_id: str = "walk", *options: str) -> str:
    body = "".join(f"    {line}\n" for line in options)
    return f"\n/// lab | {lab_id}\n{body}///\n"


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


GOOD = FRONT.format(id="small") + "\nSome *text*.\n" + lab("walk", "layers: 1", "hidden: 2")


def test_a_minimal_lesson_loads_with_its_lab_in_place(tmp_path):
    registry = LessonRegistry.load(write(tmp_path, {"01-small.md": GOOD}))
    lesson = registry.get("small")
    assert (lesson.title, lesson.module, lesson.objectives) == (
        "A small lesson",
        1,
        ("Read a lab",),
    )
    assert [kind for kind, _ in lesson.segments()] == ["html", "lab"]
    spec = lesson.labs["walk"]
    assert (spec.config.model.layers, spec.config.model.hidden) == (1, 2)
    assert registry.in_module(1) == [lesson]


BAD = {
    "missing front matter": ({"01-a.md": "# Just markdown\n"}, ["01-a.md", "front matter"]),
    "unknown front-matter key": (
        {"01-a.md": FRONT.format(id="a").replace("minutes: 5", "minutes: 5\ncolour: red")},
        ["01-a.md", "colour"],
    ),
    "missing front-matter key": (
        {"01-a.md": FRONT.format(id="a").replace("minutes: 5\n", "")},
        ["01-a.md", "minutes"],
    ),
    "module 9": (
        {"01-a.md": FRONT.format(id="a").replace("module: 1", "module: 9")},
        ["01-a.md", "module"],
    ),
    "badly named file": ({"lesson.md": GOOD}, ["lesson.md", "NN-slug.md"]),
    "lab option unknown": (
        {"01-a.md": FRONT.format(id="a") + lab("walk", "colour: red")},
        ["01-a.md", "walk", "colour"],
    ),
    "lab layers 9": (
        {"01-a.md": FRONT.format(id="a") + lab("walk", "layers: 9")},
        ["01-a.md", "walk", "layers"],
    ),
    "lab learning_rate 5": (
        {"01-a.md": FRONT.format(id="a") + lab("walk", "learning_rate: 5")},
        ["01-a.md", "walk", "learning_rate"],
    ),
    "lab hidden 3": (
        {"01-a.md": FRONT.format(id="a") + lab("walk", "hidden: 3")},
        ["01-a.md", "walk", "hidden"],
    ),
    "lab unknown model": (
        {"01-a.md": FRONT.format(id="a") + lab("walk", "model: transformer")},
        ["01-a.md", "walk", "model"],
    ),
    "unknown view": (
        {"01-a.md": FRONT.format(id="a") + lab("walk", "views: [cell, piechart]")},
        ["01-a.md", "walk", "views"],
    ),
    "duplicate lab id": (
        {"01-a.md": FRONT.format(id="a") + lab("walk") + "\nMore.\n" + lab("walk")},
        ["01-a.md", "duplicate", "walk"],
    ),
    "duplicate lesson id": (
        {"01-a.md": FRONT.format(id="same"), "02-b.md": FRONT.format(id="same")},
        ["02-b.md", "duplicate"],
    ),
    "unknown block": (
        {"01-a.md": FRONT.format(id="a") + "\n/// labb | walk\n///\n"},
        ["01-a.md", "block"],
    ),
}


@pytest.mark.parametrize("files, words", BAD.values(), ids=BAD.keys())
def test_bad_lesson_fails_with_a_useful_message(tmp_path, files, words):
    with pytest.raises(LessonError) as error:
        LessonRegistry.load(write(tmp_path, files))
    for word in words:
        assert word in str(error.value)


# Front matter that is YAML but of the wrong shape must also be a LessonError, so that
# `unrolled check-lessons` reports it instead of crashing with a traceback.
BAD_FRONT_MATTER = {
    "minutes not a number": ("minutes: 5", "minutes: twenty"),
    "objectives empty": ("objectives: [Read a lab]", "objectives:"),
    "yaml syntax error": ("title: A small lesson", "title: [unclosed"),
}


@pytest.mark.parametrize("old, new", BAD_FRONT_MATTER.values(), ids=BAD_FRONT_MATTER.keys())
def test_malformed_front_matter_is_a_lesson_error(tmp_path, old, new):
    text = FRONT.format(id="a").replace(old, new)
    with pytest.raises(LessonError, match="01-a.md"):
        LessonRegistry.load(write(tmp_path, {"01-a.md": text}))


def test_every_accepted_lab_id_is_placed_on_the_page(tmp_path):
    # "zweiß" passes the id check (str.isalnum) but not the slot pattern [A-Za-z0-9-]:
    # the lab must then either be refused at load time or appear on the page.
    text = FRONT.format(id="a") + lab("zweiß", "layers: 1", "hidden: 2")
    try:
        lesson = LessonRegistry.load(write(tmp_path, {"01-a.md": text})).get("a")
    except LessonError:
        return
    assert ("lab", lesson.labs["zweiß"]) in lesson.segments()


@pytest.mark.parametrize(
    "markdown, gone",
    [
        ("Hi <script>alert(1)</script> there.", ["<script", "alert(1)"]),
        ('<p onclick="steal()">Click</p>', ["onclick", "steal()"]),
        ('<img src="x.png" onerror="steal()">', ["onerror", "steal()"]),
        ("[link](javascript:steal())", ["javascript:", "steal()"]),
        ('<iframe src="https://example.com"></iframe>', ["<iframe", "example.com"]),
    ],
)
def test_lesson_html_is_sanitised(tmp_path, markdown, gone):
    text = FRONT.format(id="a") + "\n" + markdown + "\n"
    html = LessonRegistry.load(write(tmp_path, {"01-a.md": text})).get("a").html
    for fragment in gone:
        assert fragment not in html


def test_sanitising_keeps_the_lesson_content(tmp_path):
    text = FRONT.format(id="a") + "\n## Gates\n\nThe **forget** gate \\(f\\).\n"
    html = LessonRegistry.load(write(tmp_path, {"01-a.md": text})).get("a").html
    assert "<strong>forget</strong>" in html
    assert "Gates</h2>" in html
    assert "\\(f\\)" in html  # left for KaTeX to typeset


def test_check_lessons_accepts_the_real_lessons(capsys):
    assert cli.main(["check-lessons"]) == 0
    assert "ok  lstm-cell" in capsys.readouterr().out


def test_check_lessons_rejects_a_bad_directory(tmp_path, capsys):
    write(tmp_path, {"01-a.md": FRONT.format(id="a") + lab("walk", "layers: 9")})
    assert cli.main(["check-lessons", str(tmp_path)]) == 1
    assert "01-a.md" in capsys.readouterr().err


def test_check_lessons_reports_malformed_front_matter(tmp_path, capsys):
    write(tmp_path, {"01-a.md": FRONT.format(id="a").replace("minutes: 5", "minutes: twenty")})
    assert cli.main(["check-lessons", str(tmp_path)]) == 1
    assert "01-a.md" in capsys.readouterr().err
