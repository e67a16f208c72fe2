"""A lab's weights as a file a learner downloads and loads back: a versioned JSON
document, checked here at the edge before the engine sees it.

    {"format": "unrolled-weights", "version": 1,
     "lesson": "lstm-cell", "lab": "cell-walk",      where it was saved (not checked)
     "config": {…CONFIG_FIELDS values…},
     "training": {"epoch": 3, "updates": 0, "losses": [0.21, 0.08, 0.05]},
     "weights": {"layers": [{"W_x": [[…]], "W_h": […], "b": […]}, …], "W_y": …, "b_y": …}}

Weights load into a lab of the same shape only (``SHAPE``: cell kind, layers, units).
The file's other settings (data, window, noise, learning rate, seed, …) come with the
weights: a learner who loads a file expects the lab they saved, predictions and all.
The lab is built afresh from those settings with the file's weights, epochs and
losses, its cursor on the validated window (as after training), so a file loads into the same lab
whatever was done to the lab before. Not in the file: the optimiser state and the PRNG
key; training on starts the optimiser afresh (a snapshot, not a weights file, is an
exact copy of a lab).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course.lab.spec import (
    CONFIG_FIELDS,
    KEEP_TRAINING,
    merge_options,
    named,
    options_of,
    to_lab_config,
)
from course.web.validation import Field, PayloadError, validate
from engine import Lab, LabConfig
from engine.series import OWN
from engine.snapshot import Trained, WeightsError, load_weights, weight_count, weights_to_json

FORMAT = "unrolled-weights"
VERSION = 1
SHAPE = ("model", "layers", "hidden")  # what the weights' shapes depend on
SIZE_SLACK = 2  # a file may hold at most this many times the numbers the lab needs
MAX_LOSSES = 10_000  # epochs of loss history a file keeps (the last ones)
FIELD = "weights"  # the import payload's field: errors inside the file are named under it

DOCUMENT: dict[str, Field] = {
    "format": Field(str, required=True, max_length=64),
    "version": Field(int, required=True),
    "lesson": Field(str, max_length=64),
    "lab": Field(str, max_length=64),
    "config": Field(dict, required=True),
    "training": Field(dict),
    "weights": Field(dict, required=True),
}
TRAINING: dict[str, Field] = {
    "epoch": Field(int, default=0, minimum=0, maximum=10**9),
    "updates": Field(int, default=0, minimum=0, maximum=10**9),
    "losses": Field(list, default=[], max_length=MAX_LOSSES),
}
CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
# WeightsError.kind → the error code every other refusal uses for the same fault.
CODES = {
    "missing": "missing_field",
    "unknown": "unknown_field",
    "shape": "wrong_shape",
    "type": "bad_type",
    "finite": "bad_value",
}


@dataclass(frozen=True)
class Loaded:
    """A weights file read into a new lab, not yet in use: the settings it changed
    (CONFIG_FIELDS names), and a sentence for the status line."""

    lab: Lab
    changed: list[str]
    message: str

    @property
    def rebuilt(self) -> bool:
        """Whether the figures need the new settings (as after ``configure``)."""
        return not set(self.changed) <= KEEP_TRAINING


def to_document(lab: Lab, lesson: str, lab_id: str) -> dict[str, Any]:
    """The file of ``lab``'s weights; PayloadError if they are not finite (diverged)."""
    try:
        weights = weights_to_json(lab)
    except ValueError:
        raise PayloadError(
            "diverged", "The weights are no longer finite numbers: reset the lab first.", "lab"
        ) from None
    return {
        "format": FORMAT,
        "version": VERSION,
        "lesson": lesson,
        "lab": lab_id,
        "config": options_of(lab.config),
        "training": {
            "epoch": lab.epoch,
            "updates": lab.updates,
            "losses": list(lab.losses[-MAX_LOSSES:]),
        },
        "weights": weights,
    }


def read(document: Any, current: Lab, admit: Callable[[LabConfig], None] | None = None) -> Loaded:
    """A new lab holding ``document``'s weights and settings, for a lab shaped like
    ``current``. Every check comes first; PayloadError (field under ``weights``) if
    anything does not fit. ``current`` is not changed. ``admit`` may refuse the
    file's settings (PayloadError) before the lab is built: the compile budget."""
    checked = _within("", validate, document, DOCUMENT)
    if checked["format"] != FORMAT:
        raise PayloadError(
            "bad_format",
            f"This is not an Unrolled weights file: its format is {checked['format']!r}, "
            f"not {FORMAT!r}.",
            _at("format"),
        )
    if checked["version"] != VERSION:
        raise PayloadError(
            "bad_version",
            f"This weights file is version {checked['version']}; this course reads version "
            f"{VERSION}.",
            _at("version"),
        )
    have = options_of(current.config)
    config = checked["config"]
    for name in SHAPE:
        if config.get(name) is None:
            raise PayloadError(
                "missing_field", f"The file's config must name its {name}.", _at(f"config.{name}")
            )
    wanted = _within("", merge_options, have, config)
    if differ := [name for name in SHAPE if wanted[name] != have[name]]:
        raise PayloadError(
            "wrong_shape",
            f"These weights are for {_spelled(wanted)}; this lab has {_spelled(have)}. "
            "Weights load only into a lab of the same cell, layers and units.",
            _at(f"config.{differ[0]}"),
        )
    # Twice what the lab needs: a file that big is not this lab's, whatever its shape
    # errors; below that, the engine names the array that does not fit.
    needed = weight_count(current)
    if _more_than(checked["weights"], SIZE_SLACK * needed):
        raise PayloadError(
            "too_large",
            f"The file holds far more numbers than this lab's {needed:,} weights.",
            _at("weights"),
        )
    training = _within("training", validate, checked["training"], TRAINING)
    if wanted["dataset"] == OWN and current.config.series is None:
        raise PayloadError(
            "no_data",
            "These weights were trained on a learner's own data, which a weights file does "
            "not hold: load that data into this lab first, then the file.",
            _at("config.dataset"),
        )
    # The learner's own data stays with the lab: a weights file does not carry it.
    config = _within("config", lambda: to_lab_config(wanted, current.config.series))
    if admit is not None:
        admit(config)
    lab = Lab(config)
    trained = Trained(training["epoch"], training["updates"], tuple(training["losses"]))
    try:
        load_weights(lab, checked["weights"], trained)
    except WeightsError as error:
        where = f"weights.{error.where}" if error.where else "weights"
        message = f"In the file, {_words(error.where)} {error.problem}."
        raise PayloadError(CODES[error.kind], message, _at(where)) from None
    except ValueError as error:  # the training record
        raise PayloadError("bad_value", str(error), _at("training")) from None
    now = options_of(config)
    changed = [name for name in CONFIG_FIELDS if now[name] != have[name]]
    return Loaded(lab, changed, _loaded_message(now, lab.epoch, changed))


def shape_of(lab: Lab) -> tuple[Any, ...]:
    options = options_of(lab.config)
    return tuple(options[name] for name in SHAPE)


def _at(field: str) -> str:
    return f"{FIELD}.{field}"


def _within(prefix: str, check: Any, *args: Any) -> Any:
    """``check(*args)`` with a PayloadError's field named inside the file."""
    try:
        return check(*args)
    except PayloadError as error:
        inner = error.field
        if prefix and inner and inner.startswith(prefix):
            inner = inner[len(prefix) :].lstrip(".")
        field = ".".join(part for part in (prefix, inner) if part)
        raise PayloadError(error.code, error.message, _at(field) if field else FIELD) from None


def _more_than(tree: Any, limit: int) -> bool:
    """Whether ``tree`` holds more than ``limit`` numbers, or more than ``limit`` lists
    and objects: counted without recursion and given up as soon as it is more, so a
    huge file costs little."""
    numbers = containers = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            containers += 1
            stack.extend(node.values() if isinstance(node, dict) else node)
        else:
            numbers += 1
        if numbers > limit or containers > limit:
            return True
    return False


def _words(where: str) -> str:
    """A path into the weights in a learner's words: ``layers.0.W_x`` → layer 1's W_x."""
    parts = where.split(".") if where else []
    if not parts:
        return "the weights"
    if parts[0] != "layers":
        return parts[0]
    if len(parts) == 1:
        return "the list of layers"
    layer = f"layer {int(parts[1]) + 1}"
    return f"{layer}'s {parts[2]}" if len(parts) > 2 else layer


def _short(options: dict[str, Any]) -> str:
    return f"{options['layers']} × {CELL_NAMES[options['model']]} {options['hidden']}"


def _spelled(options: dict[str, Any]) -> str:
    layers, hidden = options["layers"], options["hidden"]
    cell = CELL_NAMES[options["model"]]
    return (
        f"{layers} layer{'s' if layers != 1 else ''} of {hidden} {cell} "
        f"unit{'s' if hidden != 1 else ''}"
    )


def _loaded_message(options: dict[str, Any], epoch: int, changed: list[str]) -> str:
    message = f"Loaded weights: {_short(options)}, epoch {epoch}."
    if changed:
        message += f" The file's settings came with them: {named(changed)}."
    return message
