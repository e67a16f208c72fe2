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

    /// task | recall
        kind: memory          # delayed recall, RNN vs LSTM vs GRU side by side: length
        length: 16
    ///

Every kind also takes ``title`` and ``seed``, and every kind but ``memory`` (which trains
all three cells) a ``cell``. Settings another kind uses are errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from course.web.validation import Field, validate
from engine.memory import MAX_LENGTH, MIN_LENGTH
from engine.model import CELL_KINDS, MAX_LAYERS
from engine.seq2seq import ATTENTIONS

ID = re.compile(r"[A-Za-z0-9-]{1,64}")
KINDS = ("text", "sentiment", "translation", "memory")
SINGLE_CELL = ("text", "sentiment", "translation")  # memory trains rnn, lstm and gru
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
    # T letters, the marked one in the first half (engine/memory.py)
    "memory": {"length": Field(int, default=16, minimum=MIN_LENGTH, maximum=MAX_LENGTH)},
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
    common = COMMON if kind in SINGLE_CELL else {k: f for k, f in COMMON.items() if k != "cell"}
    checked = validate(options, common | SETTINGS[kind])
    names = ("cell", *SETTINGS[kind]) if kind in SINGLE_CELL else tuple(SETTINGS[kind])
    settings = tuple((name, checked[name]) for name in names)
    return TaskSpec(task_id, kind, checked["title"], checked["seed"], settings)
