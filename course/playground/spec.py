"""The ``/// playground | id`` block: module 1's one-unit RNN, placed in a lesson.

Its YAML options are the starting ``PlaygroundConfig`` (w_x, w_h, b, h0, activation,
sequence, length, scaled), a ``title`` and the ``controls`` to show. The same field
schema checks what a learner sends over the ``/playground`` socket.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from typing import Any

from pymdownx.blocks.block import Block, type_any

from course.lessons.blocks import LessonError
from course.web.validation import Field, PayloadError, validate
from engine.cells import ACTIVATIONS
from engine.playground import MAX_LENGTH, MIN_LENGTH, SEQUENCES, WEIGHT_RANGE, PlaygroundConfig

ID = re.compile(r"[A-Za-z0-9-]{1,64}")
LOW, HIGH = WEIGHT_RANGE

# What a learner may change, with the engine's own limits (checked again by PlaygroundConfig).
CONFIG_FIELDS: dict[str, Field] = {
    "w_x": Field(float, minimum=LOW, maximum=HIGH),
    "w_h": Field(float, minimum=LOW, maximum=HIGH),
    "b": Field(float, minimum=LOW, maximum=HIGH),
    "h0": Field(float, minimum=LOW, maximum=HIGH),
    "activation": Field(str, choices=tuple(ACTIVATIONS)),
    "sequence": Field(str, choices=SEQUENCES),
    "length": Field(int, minimum=MIN_LENGTH, maximum=MAX_LENGTH),
    "scaled": Field(bool),
}
CONTROLS = tuple(CONFIG_FIELDS)  # every setting has a control of its own
BLOCK_FIELDS: dict[str, Field] = CONFIG_FIELDS | {
    "title": Field(str, default="", max_length=120),
    "controls": Field(list, default=list(CONTROLS)),
}


@dataclass(frozen=True)
class PlaygroundSpec:
    """A playground as a lesson declares it: where it starts and what the learner may touch."""

    id: str
    title: str
    config: PlaygroundConfig
    controls: tuple[str, ...]


def config_from(options: dict[str, Any], base: PlaygroundConfig | None = None) -> PlaygroundConfig:
    """``base`` (or the defaults) with the checked, non-None ``options`` applied."""
    given = {k: v for k, v in options.items() if v is not None}
    try:
        return PlaygroundConfig(**(_fields(base) | given))
    except ValueError as error:  # the engine's own check, for what the schema cannot say
        raise PayloadError("bad_value", str(error), str(error).split(" ", 1)[0]) from None


def _fields(config: PlaygroundConfig | None) -> dict[str, Any]:
    return {} if config is None else {name: getattr(config, name) for name in CONFIG_FIELDS}


def parse_block(playground_id: str, options: dict[str, Any]) -> PlaygroundSpec:
    """Check a playground block's options; PayloadError on anything unknown or out of range."""
    checked = validate(options, BLOCK_FIELDS)
    controls = checked.pop("controls")
    if not all(isinstance(c, str) and c in CONTROLS for c in controls):
        raise PayloadError("bad_choice", f"controls must be drawn from {CONTROLS}", "controls")
    if len(set(controls)) != len(controls):
        raise PayloadError("bad_choice", "controls must not repeat", "controls")
    title = checked.pop("title")
    return PlaygroundSpec(playground_id, title, config_from(checked), tuple(controls))


class PlaygroundBlock(Block):
    """``/// playground | id`` with YAML options; collects specs in ``config["playgrounds"]``."""

    NAME = "playground"
    ARGUMENT = True
    OPTIONS = {name: (None, type_any) for name in BLOCK_FIELDS}

    def _validate(self, parent: etree.Element, arg: Any, **options: Any) -> bool:
        unknown = sorted(set(options) - set(BLOCK_FIELDS))  # "attrs" too: the slot is fixed
        if unknown:
            raise LessonError(f"playground {arg!r}: unknown option(s) {', '.join(unknown)}")
        return super()._validate(parent, arg, **options)

    def on_validate(self, parent: etree.Element) -> bool:
        playground_id = (self.argument or "").strip()
        if not ID.fullmatch(playground_id):
            raise LessonError(
                f"playground id {playground_id!r} must be 1–64 ASCII letters, digits and dashes"
            )
        given = {k: v for k, v in self.options.items() if k != "attrs" and v is not None}
        try:
            spec = parse_block(playground_id, given)
        except PayloadError as error:
            raise LessonError(f"playground {playground_id!r}: {error.message}") from None
        playgrounds: dict[str, PlaygroundSpec] = self.config["playgrounds"]
        if playground_id in playgrounds or playground_id in self.config["labs"]:
            raise LessonError(f"duplicate playground or lab id {playground_id!r}")
        playgrounds[playground_id] = spec
        self.playground_id = playground_id
        return True

    def on_markdown(self) -> str:
        return "raw"  # a playground has options, no body

    def on_create(self, parent: etree.Element) -> etree.Element:
        return etree.SubElement(
            parent,
            "div",
            {"class": "playground-slot", "data-playground-slot": self.playground_id},
        )

    def on_end(self, block: etree.Element) -> None:
        if str(block.text or "").strip():
            raise LessonError(f"playground {self.playground_id!r} takes options only, no text")
