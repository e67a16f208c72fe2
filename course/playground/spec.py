"""The ``/// playground | id`` block: module 1's one-unit RNN, placed in a lesson.

Its YAML options are the starting ``PlaygroundConfig`` (w_x, w_h, b, h0, activation,
sequence, length, scaled), a ``title`` and the ``controls`` to show. The same field
schema checks what a learner sends over the ``/playground`` socket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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
