"""Lab definitions: the options a lesson's lab block (or a learner) may set, and
how they become an engine ``LabConfig``. The same schema checks both."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from course.lab.owndata import summary, title
from course.lab.steps import step_labels
from course.web.validation import Field, PayloadError, validate
from engine import LabConfig, ModelConfig, TrainSpec
from engine.cells import ACTIVATIONS
from engine.data import FUNCTIONS
from engine.model import CELL_KINDS, MAX_LAYERS
from engine.series import OWN, Series
from engine.stepper import GRANULARITIES
from engine.train import OPTIMIZERS

VIEWS = ("overview", "cell", "weights", "unrolled", "sequence", "gates", "gradients", "loss")
# Controls a lab block may offer beside play/step/reset (``controls: [...]``); each
# sets the CONFIG_FIELDS entry of the same name ("model" also offers the activation).
CONTROLS = (
    "learning_rate", "batch_size", "noise", "hidden", "layers", "dataset", "model",
    "optimizer", "clip", "recurrent_scale", "own_data",
)  # fmt: skip
# ``own_data`` sets no field of its own: it offers the learner's own series (the ``data``
# event, course/lab/owndata.py), which makes the dataset OWN.
# What a learner may change without losing the trained weights (engine ``Lab.configure``);
# any other change builds a new network and restarts training.
KEEP_TRAINING = frozenset({"learning_rate", "noise", "clip"})
# The compile budget's buckets (see course/lab/budget.py, engine/programs.py): every
# hidden size and batch size is a compiled program of its own, so a lab offers a few.
# Windows and continuations need no list: the engine pads them to its buckets and
# masks the padding, so any length gives the numbers of that length.
LAB_HIDDEN_SIZES = (2, 4, 8, 16)  # units per layer a lab may have (refused otherwise)
LAB_BATCH_SIZES = (5, 10, 25, 50)  # a learner's other batch size snaps to the nearest

# What a lab's network and data may be; limits are enforced here, at the edge.
CONFIG_FIELDS: dict[str, Field] = {
    "model": Field(str, default="lstm", choices=CELL_KINDS),
    "activation": Field(str, default="tanh", choices=tuple(ACTIVATIONS)),
    "layers": Field(int, default=3, minimum=1, maximum=MAX_LAYERS),
    "hidden": Field(int, default=16, choices=LAB_HIDDEN_SIZES),
    "dataset": Field(str, default="sine", choices=(*FUNCTIONS, OWN)),  # OWN: with a series
    "window": Field(int, default=15, minimum=2, maximum=64),
    "continuation": Field(int, default=32, minimum=1, maximum=64),
    "learning_rate": Field(float, default=0.01, minimum=1e-4, maximum=1.0),
    "batch_size": Field(int, default=25, minimum=5, maximum=50),
    "noise": Field(float, default=0.0, minimum=0.0, maximum=0.4),
    "optimizer": Field(str, default="rmsprop", choices=OPTIMIZERS),
    "clip": Field(bool, default=True),  # gradient clipping to global norm 1
    # W_h's first values × this (module 3's exploding gradient); a new value: new weights
    "recurrent_scale": Field(float, default=1.0, minimum=0.25, maximum=4.0),
    "seed": Field(int, default=0, minimum=0, maximum=2**31 - 1),
}

# A lesson's lab block also chooses what to show.
BLOCK_FIELDS: dict[str, Field] = CONFIG_FIELDS | {
    "title": Field(str, default="", max_length=120),
    "views": Field(list, default=["cell", "sequence", "loss"]),
    "controls": Field(list, default=[]),
    "granularity": Field(str, default="compute", choices=GRANULARITIES),
}


@dataclass(frozen=True)
class LabSpec:
    """A lab as a lesson declares it."""

    id: str
    title: str
    views: tuple[str, ...]
    granularity: str
    options: dict[str, Any]  # the checked CONFIG_FIELDS values
    controls: tuple[str, ...] = ()

    @property
    def config(self) -> LabConfig:
        return to_lab_config(self.options)


def parse_block(lab_id: str, options: dict[str, Any]) -> LabSpec:
    """Check a lab block's options; raise PayloadError on anything unknown or out of range."""
    checked = validate(options, BLOCK_FIELDS)
    views = checked.pop("views")
    if not views or any(v not in VIEWS for v in views):
        raise PayloadError("bad_choice", f"views must be a list drawn from {VIEWS}", "views")
    controls = checked.pop("controls")
    if any(c not in CONTROLS for c in controls):
        raise PayloadError(
            "bad_choice", f"controls must be a list drawn from {CONTROLS}", "controls"
        )
    if checked["batch_size"] not in LAB_BATCH_SIZES:
        raise PayloadError(
            "bad_choice", f"batch_size must be one of {LAB_BATCH_SIZES}", "batch_size"
        )
    title = checked.pop("title")
    granularity = checked.pop("granularity")
    to_lab_config(checked)  # the engine's own checks, at load time
    return LabSpec(lab_id, title, tuple(views), granularity, checked, tuple(controls))


def with_overrides(spec: LabSpec, overrides: dict[str, Any] | None) -> LabConfig:
    """The spec's config with a learner's overrides (validated) applied."""
    if not overrides:
        return spec.config
    return to_lab_config(merge_options(spec.options, overrides))


def merge_options(options: dict[str, Any], overrides: Any) -> dict[str, Any]:
    """``options`` with a learner's overrides checked against CONFIG_FIELDS and applied;
    PayloadError (field ``config.<name>``) on anything unknown or out of range."""
    if not isinstance(overrides, dict):
        raise PayloadError("bad_type", "config must be an object", "config")
    for name in overrides:
        if name not in CONFIG_FIELDS:
            raise PayloadError("unknown_field", f"unknown config field {name!r}", f"config.{name}")
    partial = {k: v for k, v in overrides.items() if v is not None}
    try:
        checked = validate(partial, {k: CONFIG_FIELDS[k] for k in partial})
    except PayloadError as error:
        raise PayloadError(error.code, error.message, f"config.{error.field}") from None
    return options | checked | {k: got for k, (_, got) in snaps(checked).items()}


def snaps(checked: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The checked settings that snap to a bucket: name → (asked, got)."""
    asked = checked.get("batch_size")
    if asked is None or asked in LAB_BATCH_SIZES:
        return {}
    got = min(LAB_BATCH_SIZES, key=lambda size: (abs(size - asked), -size))
    return {"batch_size": (asked, got)}


def snap_note(overrides: Any) -> str:
    """A sentence for the readout when a learner's setting snapped to a bucket:
    "Batch size 15 → 10: batch sizes come in 5, 10, 25 and 50." ("" otherwise)."""
    if not isinstance(overrides, dict) or not isinstance(overrides.get("batch_size"), int):
        return ""
    found = snaps({"batch_size": overrides["batch_size"]})
    if not found:
        return ""
    asked, got = found["batch_size"]
    sizes = ", ".join(map(str, LAB_BATCH_SIZES[:-1])) + f" and {LAB_BATCH_SIZES[-1]}"
    return f"Batch size {asked} → {got}: batch sizes come in {sizes}."


def options_of(config: LabConfig) -> dict[str, Any]:
    """The CONFIG_FIELDS values of a lab's config (the inverse of ``to_lab_config``)."""
    model, train = config.model, config.train
    return {
        "model": model.cell,
        "activation": model.activation,
        "layers": model.layers,
        "hidden": model.hidden,
        "dataset": train.dataset,
        "window": train.window,
        "continuation": config.continuation,
        "learning_rate": config.learning_rate,
        "batch_size": train.batch_size,
        "noise": config.noise,
        "optimizer": train.optimizer,
        "clip": config.clip,
        "recurrent_scale": config.recurrent_scale,
        "seed": config.seed,
    }


def to_lab_config(options: dict[str, Any], series: Series | None = None) -> LabConfig:
    """The engine's config of ``options``; ``series``: the learner's own data, read when
    the dataset is OWN (and dropped otherwise)."""
    try:
        return LabConfig(
            model=ModelConfig(
                cell=options["model"],
                layers=options["layers"],
                hidden=options["hidden"],
                activation=options["activation"],
            ),
            train=TrainSpec(
                dataset=options["dataset"],
                window=options["window"],
                batch_size=options["batch_size"],
                optimizer=options["optimizer"],
            ),
            learning_rate=options["learning_rate"],
            noise=options["noise"],
            continuation=options["continuation"],
            seed=options["seed"],
            clip=options["clip"],
            recurrent_scale=options["recurrent_scale"],
            series=series if options["dataset"] == OWN else None,
        )
    except ValueError as error:
        raise PayloadError("bad_config", str(error), "config") from None


def lab_info(spec: LabSpec, config: LabConfig) -> dict[str, Any]:
    """What the page needs to know about a lab's shape (and its current settings), and
    of the learner's own data, if it reads that (``own``)."""
    return {
        "id": spec.id,
        "cell": config.model.cell,
        "layers": config.model.layers,
        "hidden": config.model.hidden,
        "window": config.train.window,
        "steps": list(config.model.steps),
        "step_labels": step_labels(config.model.cell),  # the readout's words for frame["step"]
        "granularity": spec.granularity,
        "config": options_of(config),
        "own": summary(config.series) if config.series is not None else None,
        "data_now": data_now(spec, config),
    }


DATA_NAMES = {"sine": "a sine wave", "sawtooth": "a sawtooth", "square": "a square wave",
              "composite": "the composite function"}  # fmt: skip


def data_now(spec: LabSpec, config: LabConfig) -> str | None:
    """A sentence when the lab reads other data than its title names (the lesson's):
    None while it reads the lesson's own."""
    if config.series is not None:
        return f"Now reading {title(config.series)}, not the data the title names."
    dataset = config.train.dataset
    if dataset == spec.config.train.dataset:
        return None
    return f"Now reading {DATA_NAMES.get(dataset, dataset)}, not the data the title names."


NAMES = {
    "learning_rate": "the learning rate",
    "batch_size": "the batch size",
    "model": "the cell kind",
    "hidden": "the hidden size",
    "clip": "gradient clipping",
    "recurrent_scale": "the scale of the first recurrent weights",
}


def named(fields: list[str]) -> str:
    """CONFIG_FIELDS names in words: "the learning rate and the noise"."""
    names = [NAMES.get(k, f"the {k.replace('_', ' ')}") for k in fields]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def change_message(changed: list[str]) -> str:
    """One sentence for the readout: what changed, and whether training restarts."""
    if not changed:
        return "Nothing changed."
    what = named(changed)
    if set(changed) <= KEEP_TRAINING:
        return f"Changed {what}; training goes on from the current weights."
    return f"Changing {what} resets training: a new network with fresh weights."


RESET_MESSAGE = "Reset: fresh weights, training starts again."
OWN_RESET_MESSAGE = "Reset: fresh weights, training starts again on your data (it stays)."


def reset_message(config: LabConfig) -> str:
    return OWN_RESET_MESSAGE if config.series is not None else RESET_MESSAGE


def ticks(interval: float, stop: threading.Event, *, at_once: bool = True) -> Iterator[int]:
    """Tick numbers on a fixed cadence, every ``interval`` seconds from the start (the
    work between ticks does not stretch it), until ``stop`` is set. A tick that came
    late is not made up for with a burst. ``at_once``: the first tick without waiting."""
    due = time.monotonic() + (0.0 if at_once else interval)
    count = 0
    while not stop.wait(max(0.0, due - time.monotonic())):
        yield count
        count += 1
        due = max(due + interval, time.monotonic())
