"""The ``/// playground | id`` lesson block: a good one lands in place with its settings;
a bad one fails the lesson at load time, saying which playground and which option."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.lessons.errors import LessonError
from course.lessons.registry import LessonRegistry
from engine.playground import PlaygroundConfig

FRONT = """\
---
id: small
title: A small lesson
module: 1
order: 1
objectives: [Tune a unit]
minutes: 5
---

Before.
"""


def block(playground_id: str = "unit", *options: str) -> str:
    body = "".join(f"    {line}\n" for line in options)
    return f"\n/// playground | {playground_id}\n{body}///\n\nAfter.\n"


def load(tmp_path: Path, text: str) -> LessonRegistry:
    (tmp_path / "01-small.md").write_text(FRONT + text, encoding="utf-8")
    return LessonRegistry.load(tmp_path)


def test_a_playground_block_lands_in_place_with_its_settings(tmp_path):
    options = ("title: Sine", "sequence: sine", "w_h: 1", "scaled: false", "controls: [w_h, b]")
    lesson = load(tmp_path, block("unit", *options)).get("small")
    assert [kind for kind, _ in lesson.segments()] == ["html", "playground", "html"]
    spec = lesson.playgrounds["unit"]
    assert ("playground", spec) in lesson.segments()
    assert spec.title == "Sine" and spec.controls == ("w_h", "b")
    assert spec.config == PlaygroundConfig(sequence="sine", w_h=1.0, scaled=False)


def test_without_options_a_playground_starts_from_the_engines_defaults(tmp_path):
    spec = load(tmp_path, block()).get("small").playgrounds["unit"]
    assert spec.config == PlaygroundConfig() and len(spec.controls) == 8


@pytest.mark.parametrize(
    "options, words",
    [
        (["colour: red"], ["unknown", "colour"]),
        (["w_h: 7"], ["w_h", "at most 5"]),
        (["b: -5.5"], ["b", "at least -5"]),
        (["w_x: .nan"], ["w_x", "finite"]),
        (["w_x: one"], ["w_x", "a number"]),
        (["activation: softmax"], ["activation"]),
        (["sequence: primes"], ["sequence"]),
        (["length: 31"], ["length"]),
        (["length: 1"], ["length"]),
        (["scaled: maybe"], ["scaled"]),
        (["controls: [w_h, speed]"], ["controls"]),
        (["controls: [w_h, w_h]"], ["controls", "repeat"]),
        (["title: [a, b]"], ["title"]),
    ],
)
def test_a_bad_option_fails_the_lesson_at_load_naming_it(tmp_path, options, words):
    with pytest.raises(LessonError) as raised:
        load(tmp_path, block("unit", *options))
    message = str(raised.value)
    assert "01-small.md" in message and "'unit'" in message
    assert all(word in message for word in words), message


@pytest.mark.parametrize(
    "text, words",
    [
        (block("two words"), ["playground id"]),
        (block("unit") + block("unit"), ["duplicate", "unit"]),
        ("\n/// lab | unit\n    layers: 1\n///\n" + block("unit"), ["duplicate", "unit"]),
        (block("unit") + "\n/// lab | unit\n    layers: 1\n///\n", ["share", "unit"]),
        ("\n/// playground | unit\n    w_h: 1\n\nSome words.\n///\n", ["options only"]),
    ],
)
def test_a_badly_placed_playground_fails_the_lesson(tmp_path, text, words):
    with pytest.raises(LessonError) as raised:
        load(tmp_path, text)
    assert all(word in str(raised.value) for word in words), str(raised.value)
