"""The ``/task`` events' payloads: a schema per event, and the checks a schema cannot
express (a text source's text, a prefix the network can read, the engine's refusals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from course.tasks.runs import TextRun
from course.tasks.spec import MAX_SEED
from course.web.validation import Field, PayloadError, validate
from engine.memory import MAX_LENGTH, MIN_LENGTH
from engine.text_corpus import MAX_USER_CHARS

TASK = Field(str, required=True, max_length=64)
TEMPERATURE = Field(float, default=1.0, minimum=0.05, maximum=2.0)
PREFIX = Field(str, required=True, max_length=200)
SENTENCE = Field(str, required=True, max_length=200)
TRANSLATE_TEXT = Field(str, required=True, max_length=40)
MAX_SHARED_EPOCHS = 50  # share.js's MAX_EPOCHS: 50 epochs of translation replay in ~20 s
SOURCE = Field(str, default="user", choices=("abab", "lorem", "user"))
USER_TEXT = Field(str, default="", max_length=MAX_USER_CHARS)
LENGTH = Field(int, required=True, minimum=MIN_LENGTH, maximum=MAX_LENGTH)  # memory's T
GENERATION = {
    "prefix": PREFIX,
    "length": Field(int, default=100, minimum=1, maximum=200),
    "temperature": TEMPERATURE,
}
# The letter walk's moves: a compute step or a character (to its softmax), either way; the
# ends; or none (the unit changes).
WALK_MOVES = ("next", "back", "next_char", "back_char", "start", "end", "stay")
# A shared link's nested parts, checked like the events they replay (what
# ``TaskSession.link`` writes).
LINK_CONFIG = {"source": replace(SOURCE, required=True), "text": USER_TEXT}
LINK_ASK = {
    "text": {"prefix": PREFIX, "temperature": TEMPERATURE},
    "sentiment": {"sentence": SENTENCE},
    "translation": {"text": TRANSLATE_TEXT},
    "memory": {"length": LENGTH},  # the length the networks train on
}
LINK_GENERATE = GENERATION | {"seed": Field(int, required=True, minimum=0, maximum=MAX_SEED)}

SCHEMAS: dict[str, dict[str, Field]] = {
    "open": {
        "lesson": Field(str, required=True, max_length=64),
        "task": TASK,
        # a shared link's fields (TaskSession.follow checks the nested ones)
        "seed": Field(int, minimum=0, maximum=MAX_SEED),
        "config": Field(dict),
        "epochs": Field(int, minimum=0, maximum=MAX_SHARED_EPOCHS),
        "ask": Field(dict),
        "generate": Field(dict),
    },
    "train": {"task": TASK, "epochs": Field(int, default=1, minimum=1, maximum=20)},
    "reset": {"task": TASK},
    "predict": {"task": TASK, "prefix": PREFIX, "temperature": TEMPERATURE},
    "generate": {"task": TASK, "seed": Field(int, minimum=0, maximum=MAX_SEED)} | GENERATION,
    "set_text": {"task": TASK, "source": SOURCE, "text": USER_TEXT},
    "walk": {
        "task": TASK,
        "move": Field(str, default="stay", choices=WALK_MOVES),
        "unit": Field(int, minimum=0, maximum=63),  # below the model's hidden size
    },
    "analyse": {"task": TASK, "sentence": SENTENCE},
    "translate": {"task": TASK, "text": TRANSLATE_TEXT},
    "set_length": {"task": TASK, "length": LENGTH},
}
# The events only one kind of task answers (the others are for every kind).
KINDS = {"predict": "text", "generate": "text", "set_text": "text", "walk": "text"}
KINDS |= {"analyse": "sentiment", "translate": "translation", "set_length": "memory"}


def engine_error(field: str) -> Callable[[ValueError], PayloadError]:
    """Turns the engine's ``ValueError`` about ``field`` into the ack's error."""
    return lambda error: PayloadError("bad_value", str(error), field)


def check_text_source(source: str, text: str, field: str = "text") -> None:
    """A learner's own text comes with source user, and only with it."""
    if source == "user" and not text.strip():
        raise PayloadError("missing_field", "write a text to train on", field)
    if source != "user" and text:
        raise PayloadError("bad_value", "text is only read with source user", field)


def checked_prefix(run: TextRun, prefix: str, field: str = "prefix") -> str:
    """``prefix`` lowercased, as the network reads it; refused if empty or if it has
    characters the text never uses."""
    try:
        return run.check_prefix(prefix)
    except ValueError as error:
        raise engine_error(field)(error) from None


def link_part(name: str, value: Any, schema: dict[str, Field]) -> dict[str, Any]:
    """A link's nested part checked against its schema; errors name the part."""
    try:
        return validate(value, schema)
    except PayloadError as error:
        field = f"{name}.{error.field}" if error.field else name
        raise PayloadError(error.code, f"{name}: {error.message}", field) from None
