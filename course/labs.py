"""Lab definitions: the options a lesson's lab block (or a learner) may set, and
how they become an engine ``LabConfig``. The same schema checks both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from course.validation import Field, PayloadError, validate
from engine import LabConfig, ModelConfig, TrainSpec
from engine.cells import ACTIVATIONS
from engine.data import FUNCTIONS
from engine.model import CELL_KINDS, HIDDEN_SIZES, MAX_LAYERS
from engine.stepper import GRANULARITIES
from engine.train import OPTIMIZERS

VIEWS = ("cell", "unrolled", "sequence", "gates", "gradients", "loss")

# What a lab's network and data may be; limits are enforced here, at the edge.
CONFIG_FIELDS: dict[str, Field] = {
    "model": Field(str, default="lstm", choices=CELL_KINDS),
    "activation": Field(str, default="tanh", choices=tuple(ACTIVATIONS)),
    "layers": Field(int, default=3, minimum=1, maximum=MAX_LAYERS),
    "hidden": Field(int, default=16, choices=HIDDEN_SIZES),
    "dataset": Field(str, default="sine", choices=tuple(FUNCTIONS)),
    "window": Field(int, default=15, minimum=2, maximum=64),
    "continuation": Field(int, default=32, minimum=1, maximum=64),
    "learning_rate": Field(float, default=0.01, minimum=1e-4, maximum=1.0),
    "batch_size": Field(int, default=25, minimum=5, maximum=50),
    "noise": Field(float, default=0.0, minimum=0.0, maximum=0.4),
    "optimizer": Field(str, default="rmsprop", choices=OPTIMIZERS),
    "seed": Field(int, default=0, minimum=0, maximum=2**31 - 1),
}

# A lesson's lab block also chooses what to show.
BLOCK_FIELDS: dict[str, Field] = CONFIG_FIELDS | {
    "title": Field(str, default="", max_length=120),
    "views": Field(list, default=["cell", "sequence", "loss"]),
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

    @property
    def config(self) -> LabConfig:
        return to_lab_config(self.options)


def parse_block(lab_id: str, options: dict[str, Any]) -> LabSpec:
    """Check a lab block's options; raise PayloadError on anything unknown or out of range."""
    checked = validate(options, BLOCK_FIELDS)
    views = checked.pop("views")
    if not views or any(v not in VIEWS for v in views):
        raise PayloadError("bad_choice", f"views must be a list drawn from {VIEWS}", "views")
    title = checked.pop("title")
    granularity = checked.pop("granularity")
    to_lab_config(checked)  # the engine's own checks, at load time
    return LabSpec(lab_id, title, tuple(views), granularity, checked)


def with_overrides(spec: LabSpec, overrides: dict[str, Any] | None) -> LabConfig:
    """The spec's config with a learner's overrides (validated) applied."""
    if not overrides:
        return spec.config
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
    return to_lab_config(spec.options | checked)


def to_lab_config(options: dict[str, Any]) -> LabConfig:
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
        )
    except ValueError as error:
        raise PayloadError("bad_config", str(error), "config") from None
