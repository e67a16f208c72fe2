"""The ``/// task | id`` block: module 5's realistic tasks, placed in a lesson.

``kind`` picks the task and its settings::

    /// task | lorem
        kind: text            # next-character prediction: text (abab | lorem), cell, hidden,
        text: lorem           # layers, walk (true: step a letter through the cell)
    ///

    /// task | feelings
        kind: sentiment       # three-class sentiment: cell, hidden, layers
    ///

    /// task | dates
        kind: translation     # dates to ISO with attention: attention, cell, hidden
        attention: additive
    ///

Every kind also takes ``title`` and ``seed``. Settings another kind uses are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from course.web.validation import Field, validate
from engine.model import CELL_KINDS, MAX_LAYERS
from engine.seq2seq import ATTENTIONS

ID = re.compile(r"[A-Za-z0-9-]{1,64}")
KINDS = ("text", "sentiment", "translation")
MAX_SEED = 2**31 - 1

COMMON: dict[str, Field] = {
    "kind": Field(str, required=True, choices=KINDS),
    "title": Field(str, default="", max_length=120),
    "seed": Field(int, default=0, minimum=0, maximum=MAX_SEED),
    "cell": Field(str, default="gru", choices=CELL_KINDS),
}
# Defaults are the settings the engine's tests train well in seconds (see engine/*.py).
SETTINGS: dict[str, dict[str, Field]] = {
    "text": {
        "text": Field(str, default="lorem", choices=("abab", "lorem")),
        "hidden": Field(int, default=32, choices=(8, 16, 32, 64)),
        "layers": Field(int, default=1, minimum=1, maximum=min(3, MAX_LAYERS)),
        "walk": Field(bool, default=False),  # show "a letter through the cell" (tasks.letter)
    },
    "sentiment": {
        "hidden": Field(int, default=16, choices=(8, 16, 32)),
        "layers": Field(int, default=1, minimum=1, maximum=min(2, MAX_LAYERS)),
    },
    "translation": {
        "attention": Field(str, default="additive", choices=ATTENTIONS),
        "hidden": Field(int, default=32, choices=(16, 32, 64)),
    },
}
ALL_OPTIONS = set(COMMON) | {name for fields in SETTINGS.values() for name in fields}


@dataclass(frozen=True)
class TaskSpec:
    """A task as a lesson declares it: its kind and the settings it starts from."""

    id: str
    kind: str
    title: str
    seed: int
    settings: tuple[tuple[str, Any], ...]  # cell, hidden, … in schema order

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.settings)


def parse_block(task_id: str, options: dict[str, Any]) -> TaskSpec:
    """Check a task block's options; PayloadError on anything unknown or out of range."""
    kind = validate({"kind": options.get("kind")}, {"kind": COMMON["kind"]})["kind"]
    checked = validate(options, COMMON | SETTINGS[kind])
    settings = tuple((name, checked[name]) for name in ("cell", *SETTINGS[kind]))
    return TaskSpec(task_id, kind, checked["title"], checked["seed"], settings)
