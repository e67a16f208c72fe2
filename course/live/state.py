"""The authoritative state of one live session, and the presenter's actions on it.

Every change increments ``seq``; followers apply a pushed state only if its seq is
the next one they expect, and ask for the full state when they see a gap. The
state holds no Flask objects, so it can be stored and rebuilt in another process.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from course.lab import control
from course.lab.control import LabControl
from course.lab.explanations import explain
from course.lab.spec import RESET_MESSAGE, lab_info
from course.live.pollstate import Poll
from course.live.store import LiveStore
from course.web import wire
from course.web.validation import Field, PayloadError, validate
from engine import Lab
from engine.model import MAX_LAYERS
from engine.snapshot import from_bytes, to_bytes

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed on phones
CODE = re.compile(f"[{CODE_ALPHABET}]{{6}}")

# What the presenter may send with ``present``: what may be done to any lab (the
# same checks and errors as on /lab), and a layer more or less.
ACTIONS: dict[str, dict[str, Field]] = control.ACTIONS | {
    "layers": {"change": Field(int, required=True, choices=(-1, 1))},
}
# A change that throws away what the class's network has learnt (``LabControl.wipes``)
# is refused as ``confirm_needed``, saying what would be lost, unless sent again with this.
CONFIRM = {"confirm": Field(bool, default=False)}
# The frame fields a follower's readout shows (the lab's numbers are in the sources).
READOUT = (
    "epoch",
    "updates",
    "phase",
    "status",
    "loss",
    "position",
    "positions",
    "t",
    "layer",
    "step",
    "step_index",
)
# Columns that change only with the model's shape or the chosen unit: sent in full views.
# Not the boxes' labels: in the backward phase they read "∂L/∂…".
LAYOUT_COLUMNS = {
    "cell_boxes": frozenset({"name", "x", "y", "y_narrow"}),
    "cell_neighbours": frozenset(
        {"name", "x", "y", "w", "h", "x_narrow", "y_narrow", "w_narrow", "h_narrow", "angle_narrow"}
    ),
    "cell_heatmap": frozenset({"row", "unit", "outline"}),
}
# Actions that replace the weights, after which a stored copy of the lab is stale.
REBUILDS = control.REBUILDS | {"layers"}


@dataclass(kw_only=True)
class LiveState(LabControl):
    """One session: which lesson and lab, the shared lab itself (with the unit and layer
    the presenter opened), and the presenter's settings. ``lock`` serialises changes
    within a process."""

    code: str
    lesson: str  # slug
    lesson_id: str
    presenter: str  # instructor id
    presenter_name: str = ""  # as the record names them ("": a session from before names)
    overrides: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    message: str = ""  # what the last change did, for the readout
    figures: dict[str, str] | None = None  # the figures' JSON once the network's shape changed
    new_figures: bool = False  # send ``figures`` with the next view
    record: str = field(default_factory=lambda: uuid.uuid4().hex)  # its session record's id
    playing: bool = False
    player: str = ""  # the process whose play loop advances it (see live/play.py)
    explore: bool = False  # may students break away with a private copy?
    poll: Poll | None = None
    asked: list[dict[str, Any]] = field(default_factory=list)  # earlier polls, as_dict
    ended: bool = False
    # Who may join (see live/access.py): the class's members (None: anyone with the
    # code), guests with the code if ``guests``; never a learner the presenter removed.
    class_id: int | None = None
    guests: bool = True
    removed: list[str] = field(default_factory=list)  # learner ids, never sent out
    last_view: dict[str, Any] | None = field(default=None, repr=False)  # full, as stored
    _layout: Any = field(default=None, repr=False)  # (unit, model) of the last view
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @classmethod
    def start(
        cls,
        code: str,
        lesson: Any,
        lab_id: str,
        presenter: str,
        *,
        class_id: int | None = None,
        guests: bool = True,
        presenter_name: str = "",
    ) -> LiveState:
        spec = lesson.labs.get(lab_id)
        if spec is None:
            raise PayloadError("not_found", f"lesson has no lab {lab_id!r}", "lab")
        return cls(
            spec,
            Lab(spec.config),
            code=code,
            lesson=lesson.slug,
            lesson_id=lesson.id,
            presenter=presenter,
            presenter_name=presenter_name,
            owner=presenter,  # charged for the new programs the presenter's changes compile
            class_id=class_id,
            guests=guests,
        )

    # -- actions -----------------------------------------------------------------
    def present(self, action: str, data: Any) -> None:
        """Do the presenter's ``action`` (``control``'s, or ``layers``: one more or
        fewer). A bad payload raises PayloadError and changes nothing, and so does a
        change that would wipe the network's training without ``confirm: true``."""
        if isinstance(data, dict) and "confirm" in data:
            data = dict(data)
            confirmed = validate({"confirm": data.pop("confirm")}, CONFIRM)["confirm"]
        else:
            confirmed = False
        if action == "layers":
            change = validate(data, ACTIONS["layers"])["change"]
            layers = self.lab.config.model.layers + change
            if not 1 <= layers <= MAX_LAYERS:
                raise PayloadError("out_of_range", f"layers must stay within 1…{MAX_LAYERS}")
            action, data = "configure", {"config": {"layers": layers}}
        args = control.checked(action, data)
        lost = self.wipes(action, args)
        if lost and not confirmed:
            raise PayloadError("confirm_needed", lost, "confirm")
        done = self.apply(action, args)
        if action == "reset":
            self.message = RESET_MESSAGE
        if action in ("play", "pause"):
            self.playing = action == "play"
        if done is not None:
            self.message = done.message
            if done.rebuilt:  # a new shape: new figures for everyone
                self.figures = self.shaped_figures()
                self.new_figures = True
            self.overrides = {
                k: v for k, v in done.options.items() if self.spec.options.get(k) != v
            }

    # -- what followers see ------------------------------------------------------
    def view(self, *, full: bool = True) -> dict[str, Any]:
        """Everything a follower needs to show this moment (JSON-ready, finite, floats
        to 5 significant digits: it goes to every student at once). The frame keeps
        its readout only; the numbers travel in the views' sources."""
        frame = self.lab.frame()
        config = self.lab.config
        readout = {k: frame.get(k) for k in READOUT}
        return wire.rounded(
            wire.clean(
                {
                    "seq": self.seq,
                    "code": self.code,
                    "lesson": self.lesson,
                    "lab": self.spec.id,
                    "info": lab_info(self.spec, config),
                    "frame": readout,
                    "explain": explain(config.model.cell, frame),
                    "sources": self._sources(full),
                    "message": self.message,
                    "unit": self.unit,
                    "playing": self.playing,
                    "explore": self.explore,
                    "poll": self.poll.public() if self.poll else None,
                    "ended": self.ended,
                    "access": {"class": self.class_id is not None, "guests": self.guests},
                }
            )
        )

    def _sources(self, full: bool) -> dict[str, Any]:
        """The views' new data; in a partial view, without the columns that only change
        with the layout or the chosen unit (the browser merges columns)."""
        sources = self.sources(full=full)
        layout = (self.unit, self.layer, self.lab.config.model)
        if not full and layout == self._layout:
            for name, columns in sources.items():
                fixed = LAYOUT_COLUMNS.get(name, frozenset())
                sources[name] = {k: v for k, v in columns.items() if k not in fixed}
        self._layout = layout
        return sources

    def remember(self, view: dict[str, Any], *, full: bool) -> dict[str, Any]:
        """The full view after ``view`` (a partial one carries only what changed,
        column by column); kept as what a late joiner receives, with the current
        figures if the network's shape is no longer the lesson's."""
        if self.figures is not None:
            view = view | {"figures": self.figures}
        if full or self.last_view is None:
            self.last_view = view
            return view
        sources = dict(self.last_view["sources"])
        for name, columns in view["sources"].items():
            sources[name] = sources.get(name, {}) | columns
        self.last_view = view | {"sources": sources}
        return self.last_view

    # -- kept in a shared store --------------------------------------------------
    def meta(self) -> dict[str, Any]:
        """The state without the lab (which travels as snapshot bytes)."""
        return {
            "code": self.code,
            "lesson": self.lesson,
            "lesson_id": self.lesson_id,
            "lab_id": self.spec.id,
            "presenter": self.presenter,
            "presenter_name": self.presenter_name,
            "overrides": self.overrides,
            "unit": self.unit,
            "layer": self.layer,
            "message": self.message,
            "seq": self.seq,
            "record": self.record,
            "playing": self.playing,
            "player": self.player,
            "explore": self.explore,
            "poll": self.poll.as_dict() if self.poll else None,
            "asked": self.asked,
            "ended": self.ended,
            "position": self.lab.position,
            "class_id": self.class_id,
            "guests": self.guests,
            "removed": self.removed,
        }

    def lab_bytes(self) -> bytes:
        return to_bytes(self.lab)

    @classmethod
    def restore(cls, meta: dict[str, Any], lab_bytes: bytes, lesson: Any) -> LiveState:
        lab = from_bytes(lab_bytes)
        lab.position = int(meta["position"])
        found = meta.get("poll")
        poll = Poll.from_dict(found) if found and "number" in found else None  # older: no number
        return cls(
            lesson.labs[meta["lab_id"]],
            lab,
            meta["unit"],
            meta.get("layer"),
            code=meta["code"],
            lesson=meta["lesson"],
            lesson_id=meta["lesson_id"],
            presenter=meta["presenter"],
            presenter_name=meta.get("presenter_name", ""),
            overrides=meta["overrides"],
            message=meta.get("message", ""),
            seq=meta["seq"],
            record=meta.get("record") or meta["code"],
            playing=meta["playing"],
            player=meta.get("player", ""),
            explore=meta["explore"],
            poll=poll,
            asked=meta.get("asked", []),
            ended=meta["ended"],
            class_id=meta.get("class_id"),
            guests=meta.get("guests", True),
            removed=list(meta.get("removed", [])),
        )


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def start_session(
    store: LiveStore,
    lesson: Any,
    lab_id: str,
    presenter: str,
    *,
    class_id: int | None = None,
    guests: bool = True,
    presenter_name: str = "",
) -> LiveState:
    """A new session, saved in ``store`` under a fresh code: for the members of class
    ``class_id`` (and guests with the code if ``guests``), or for anyone (None)."""
    code = new_code()
    while store.seq(code) is not None:
        code = new_code()
    state = LiveState.start(
        code, lesson, lab_id, presenter, class_id=class_id, guests=guests,
        presenter_name=presenter_name,
    )  # fmt: skip
    view = state.remember(state.view(full=True), full=True)
    store.save(code, state.meta(), view, state.lab_bytes())
    return state


def weights_version(state: LiveState) -> tuple[int, int, int, int]:
    """Changes whenever the shared lab's weights may have: a new lab, an update applied
    by stepping, an epoch trained, a reset. Only then is its snapshot stored again."""
    lab = state.lab
    return (id(lab), lab.updates, lab.epoch, len(lab.losses))
