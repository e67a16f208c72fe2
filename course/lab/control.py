"""What may be done to a lab, by a learner on ``/lab`` or a presenter on ``/live``:
the actions, their payload schemas, the checks that depend on the lab's shape, and
the reconfigure logic. Both namespaces call this, so the same payload gets the same
validation and the same error in both, and a refused action changes nothing.

    step      {granularity}              advance by compute | timestep | epoch
    play      {granularity, speed}       (the namespace runs the loop)
    pause     {}
    jump      {phase, t?}                to the start of a phase (and time step)
    train     {epochs}                   train whole epochs now
    reset     {}                         fresh weights from the seed
    select    {unit, layer?}             the unit (and layer: None follows the stepper)
                                         the cell view shows
    configure {config}                   change CONFIG_FIELDS; the learning rate,
                                         noise and clipping keep the weights, anything
                                         else builds a new network

Beside the actions, a lab's weights go to a file and back (``export_weights``, then
``read_weights`` and ``take``; the file's format is in ``weights``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from course.lab import budget, owndata, views, weights
from course.lab.spec import (
    KEEP_TRAINING,
    LabSpec,
    change_message,
    merge_options,
    named,
    options_of,
    snap_note,
    to_lab_config,
)
from course.web.validation import Field, PayloadError, validate
from engine import GRANULARITIES, Lab, LabConfig
from engine.model import HIDDEN_SIZES, MAX_LAYERS
from engine.series import OWN, Series
from engine.stepper import PHASES

MAX_WINDOW = 64  # CONFIG_FIELDS["window"].maximum: t is checked against the lab's own too
MAX_EPOCHS = 100

ACTIONS: dict[str, dict[str, Field]] = {
    "step": {"granularity": Field(str, default="compute", choices=GRANULARITIES)},
    "play": {
        "granularity": Field(str, default="compute", choices=GRANULARITIES),
        "speed": Field(float, default=1.0, minimum=0.25, maximum=32.0),
    },
    "pause": {},
    "jump": {
        "phase": Field(str, required=True, choices=PHASES),
        "t": Field(int, minimum=0, maximum=MAX_WINDOW - 1),
    },
    "train": {"epochs": Field(int, default=1, minimum=1, maximum=MAX_EPOCHS)},
    "reset": {},
    "select": {
        "unit": Field(int, required=True, minimum=0, maximum=max(HIDDEN_SIZES) - 1),
        "layer": Field(int, minimum=0, maximum=MAX_LAYERS - 1),
    },
    "configure": {"config": Field(dict, required=True)},
}
# Actions that may replace the weights: the views' weight-dependent data goes again.
REBUILDS = frozenset({"train", "reset", "configure"})


def checked(action: str, payload: Any) -> dict[str, Any]:
    """``payload`` checked against ``action``'s schema (PayloadError otherwise)."""
    if action not in ACTIONS:
        raise PayloadError("bad_choice", f"unknown action {action!r}", "action")
    return validate(payload, ACTIONS[action])


@dataclass(frozen=True)
class Reconfigured:
    """What a ``configure`` did: the fields that changed and whether the network was
    rebuilt (anything but the learning rate, noise and clipping), with a sentence for
    the readout."""

    changed: list[str]
    rebuilt: bool
    message: str
    options: dict[str, Any]  # the lab's CONFIG_FIELDS values now


@dataclass(eq=False)
class LabControl:
    """A lab and what is looked at in it: the one object both a learner's lab session
    and a live session act on. Not thread-safe: callers hold their own lock.

    ``held`` is what the browser(s) showing this lab already hold (see ``views.sources``):
    it belongs to whoever sends the frames, so it lives here rather than in a global.
    ``owner`` is who is charged for the new programs a change of shape compiles
    (``budget``): the learner, or the live session's presenter.
    """

    spec: LabSpec
    lab: Lab
    unit: int = 0
    layer: int | None = None  # the layer zoomed into; None follows the stepper
    held: views.Held = field(default_factory=dict, repr=False)
    owner: str | None = None

    def check(self, action: str, args: dict[str, Any]) -> None:
        """Raise PayloadError if ``action`` with ``args`` (already ``checked``) does not
        fit this lab (a time step outside its window, a unit beyond its hidden size, a
        setting the engine refuses). Callers check before they stop a play loop."""
        if action == "jump":
            self._check_jump(args["phase"], args["t"])
        elif action == "select":
            self._check_select(args["unit"], args["layer"])
        elif action == "configure":
            wanted, config = self._wanted(args["config"])
            if self._rebuilds(wanted) and config != self.spec.config:
                budget.admit(config, self.owner, dry=True)

    def wipes(self, action: str, args: dict[str, Any]) -> str | None:
        """What ``action`` with ``args`` (already ``checked``) would throw away, in a
        sentence, if it replaces a network that has learnt something (a reset, or a
        change that builds a new network); None if nothing is lost. A live session asks
        its presenter to confirm such a change before everyone's network is replaced."""
        if action == "reset":
            what = "Reset gives the network fresh weights"
        elif action == "configure" and self._rebuilds(wanted := self._wanted(args["config"])[0]):
            what = f"Changing {named(self._changed(wanted))} builds a new network"
        else:
            return None
        lab = self.lab
        lost = []
        if lab.epoch:
            loss = f" (loss {lab.losses[-1]:.3g})" if lab.losses else ""
            lost.append(f"{lab.epoch} epoch{'s' if lab.epoch != 1 else ''} of training{loss}")
        if lab.updates:
            lost.append(f"{lab.updates} weight update{'s' if lab.updates != 1 else ''} stepped")
        if not lost:
            return None
        return f"{what}: {' and '.join(lost)} will be lost, for everyone following."

    def apply(self, action: str, args: dict[str, Any]) -> Reconfigured | None:
        """Do ``action`` with ``args`` (already ``checked``). The checks that depend on
        the lab come first, so a refused action (PayloadError) changes nothing.
        ``play`` and ``pause`` change no numbers: the caller runs or stops its loop."""
        self.check(action, args)
        lab = self.lab
        if action == "step":
            lab.advance(args["granularity"])
        elif action == "jump":
            lab.jump(args["phase"], args["t"])
        elif action == "train":
            lab.train(args["epochs"])
        elif action == "reset":
            lab.reset()
        elif action == "select":
            self.unit, self.layer = args["unit"], args["layer"]
        elif action == "configure":
            return self.configure(args["config"])
        elif action not in ("play", "pause"):
            raise PayloadError("bad_choice", f"unknown action {action!r}", "action")
        return None

    def configure(self, changes: dict[str, Any]) -> Reconfigured:
        """Apply ``changes`` to CONFIG_FIELDS: the learning rate, noise and clipping
        carry on training from the current weights; anything else is a new network."""
        wanted, config = self._wanted(changes)
        changed = self._changed(wanted)
        rebuilt = self._rebuilds(wanted)
        if rebuilt:
            if config != self.spec.config:  # the lesson's own settings cost nothing
                budget.admit(config, self.owner)  # over budget: refused, nothing changed
            self.lab = Lab(config)
            self.unit = min(self.unit, config.model.hidden - 1)
            self.layer = None
        elif changed:
            self.lab.configure(**{k: wanted[k] for k in changed})
        message = " ".join(filter(None, [snap_note(changes), change_message(changed)]))
        return Reconfigured(changed, rebuilt, message, wanted)

    def data_config(self, series: Series, *, dry: bool = False) -> tuple[dict[str, Any], LabConfig]:
        """The options and config of this lab on ``series``; PayloadError if the lab does
        not offer own data or the series does not fit it (with ``dry``: or is over the
        compile budget). Changes nothing."""
        if "own_data" not in self.spec.controls:
            raise PayloadError("not_offered", "This lab trains on its own data only.", "data")
        options = options_of(self.lab.config) | {"dataset": OWN}
        config = to_lab_config(options, series)
        if dry and config != self.spec.config:
            budget.admit(config, self.owner, dry=True)
        return options, config

    def use_data(self, series: Series) -> Reconfigured:
        """Train on the learner's ``series`` (checked: ``owndata``) from now on: a new
        network with fresh weights, as any change of data. PayloadError if the lab
        does not offer it, the series is too short for its window or the new programs
        are over budget; nothing changes then."""
        options, config = self.data_config(series)
        if config != self.spec.config:
            budget.admit(config, self.owner)
        before = self.lab.config.series
        self.lab = Lab(config)
        self.unit = min(self.unit, config.model.hidden - 1)
        self.layer = None
        verb = "Rescaled" if before is not None and before.values == series.values else "Loaded"
        message = f"{verb} {owndata.title(series)}: a new network with fresh weights."
        return Reconfigured(["dataset"], True, message, options)

    def _changed(self, wanted: dict[str, Any]) -> list[str]:
        current = options_of(self.lab.config)
        return sorted(k for k in wanted if wanted[k] != current[k])

    def _rebuilds(self, wanted: dict[str, Any]) -> bool:
        return not set(self._changed(wanted)) <= KEEP_TRAINING

    def export_weights(self, lesson: str) -> dict[str, Any]:
        """The file of the lab's weights, settings and training so far."""
        return weights.to_document(self.lab, lesson, self.spec.id)

    def read_weights(self, document: Any) -> weights.Loaded:
        """A weights file read into a new lab shaped like this one; changes nothing
        (PayloadError if the file does not fit). ``take`` puts that lab in use."""

        def admit(config: LabConfig) -> None:
            if config != self.spec.config:
                budget.admit(config, self.owner)

        return weights.read(document, self.lab, admit=admit)

    def take(self, loaded: weights.Loaded) -> None:
        """Use the lab ``read_weights`` built; PayloadError (nothing changed) if this
        lab has changed shape since."""
        if weights.shape_of(loaded.lab) != weights.shape_of(self.lab):
            raise PayloadError(
                "conflict", "The lab changed shape while the file was read: load it again.", "lab"
            )
        self.lab = loaded.lab

    def shaped_figures(self) -> dict[str, str]:
        """The figures of the lab's current shape (new ones after a rebuild)."""
        return views.figures(replace(self.spec, options=options_of(self.lab.config)))

    def sources(self, *, full: bool) -> dict[str, dict[str, list[Any]]]:
        """The views' new data at the lab's position (see ``views.sources``)."""
        return views.sources(
            self.lab, self.unit, full=full, views=self.spec.views, layer=self.layer, held=self.held
        )

    def _wanted(self, changes: dict[str, Any]) -> tuple[dict[str, Any], LabConfig]:
        """The lab's options with ``changes`` applied, and their engine config;
        PayloadError on anything unknown, out of range or refused by the engine."""
        if not changes:
            raise PayloadError("missing_field", "config must name at least one field", "config")
        wanted = merge_options(options_of(self.lab.config), changes)
        return wanted, to_lab_config(wanted, self.lab.config.series)

    def _check_jump(self, phase: str, t: int | None) -> None:
        if t is None:
            return
        if t >= self.lab.config.train.window:
            raise PayloadError("out_of_range", "t must be inside the window", "t")
        if phase not in ("forward", "backward"):
            raise PayloadError("bad_value", "t applies to the forward and backward phases", "t")

    def _check_select(self, unit: int, layer: int | None) -> None:
        model = self.lab.config.model
        if unit >= model.hidden:
            raise PayloadError("out_of_range", "unit must be below the hidden size", "unit")
        if layer is not None and layer >= model.layers:
            raise PayloadError("out_of_range", "layer must be below the number of layers", "layer")
