"""Socket.IO namespace ``/lab``: a learner's own labs.

Client events (each answered through its ack, ``{"ok": true, ...}`` or
``{"ok": false, "error": {code, message, field}}``):

    open    {lesson, lab, config?}        start a lab from a lesson's lab block
    step    {lab, granularity}            advance by compute | timestep | epoch
    play    {lab, granularity, speed}     advance repeatedly; frames pushed as "frame"
    pause   {lab}
    reset   {lab}                         fresh weights from the seed
    train   {lab, epochs}                 train whole epochs now
    select  {lab, unit}                   which unit the cell diagram shows
    jump    {lab, phase, t?}              to the start of a phase (and time step)

Handlers validate, then act; a bad payload changes nothing.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_socketio import Namespace

from course import progress, views, wire
from course.explanations import explain
from course.identity import current_learner_id
from course.labs import LabSpec, with_overrides
from course.validation import Field, PayloadError, validate
from engine import GRANULARITIES, Lab
from engine.snapshot import from_bytes, to_bytes
from engine.stepper import PHASES

log = logging.getLogger(__name__)

LAB_ID = Field(str, required=True, max_length=64)
SCHEMAS: dict[str, dict[str, Field]] = {
    "open": {
        "lesson": Field(str, required=True, max_length=64),
        "lab": LAB_ID,
        "config": Field(dict),
        "live": Field(str, max_length=6),  # explore a private copy of this live session's lab
    },
    "step": {"lab": LAB_ID, "granularity": Field(str, default="compute", choices=GRANULARITIES)},
    "play": {
        "lab": LAB_ID,
        "granularity": Field(str, default="compute", choices=GRANULARITIES),
        "speed": Field(float, default=1.0, minimum=0.25, maximum=8.0),
    },
    "pause": {"lab": LAB_ID},
    "jump": {
        "lab": LAB_ID,
        "phase": Field(str, required=True, choices=PHASES),
        "t": Field(int, minimum=0, maximum=63),
    },
    "reset": {"lab": LAB_ID},
    "train": {"lab": LAB_ID, "epochs": Field(int, default=1, minimum=1, maximum=100)},
    "select": {"lab": LAB_ID, "unit": Field(int, required=True, minimum=0, maximum=63)},
}
# Events that count as working with a lab (opening a page does not).
TOUCHING = frozenset({"step", "play", "jump", "train", "reset"})
# Seconds between frames while playing at speed 1×.
PLAY_INTERVAL = {"compute": 0.6, "timestep": 1.2, "epoch": 0.1}


class LabSession:
    """One learner's lab and what they are looking at; all access under ``lock``."""

    def __init__(self, spec: LabSpec, lab: Lab, lesson_id: str, learner: str | None) -> None:
        self.spec = spec
        self.lab = lab
        self.lesson_id = lesson_id
        self.learner = learner  # pseudonymous learner id from the signed cookie, if any
        self.touched = False  # recorded in the learner's progress on the first action
        self.unit = 0
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.stop.set()  # not playing

    def payload(self, *, full: bool) -> dict[str, Any]:
        return {
            "lab": self.spec.id,
            "frame": (frame := self.lab.frame()),
            "explain": explain(self.lab.config.model.cell, frame),
            "sources": views.sources(self.lab, self.unit, full=full, views=self.spec.views),
            "playing": not self.stop.is_set(),
        }


def handler(event: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Validate the payload against ``SCHEMAS[event]``, turn errors into error acks,
    and keep the reply finite and plain."""

    def wrap(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(fn)
        def inner(self: LabNamespace, data: Any = None) -> dict[str, Any]:
            try:
                checked = validate(data, SCHEMAS[event])
                reply = fn(self, checked)
                if event in TOUCHING:
                    self._touched(checked["lab"])
            except PayloadError as error:
                return error.as_ack()
            except Exception:
                log.exception("lab event %s failed", event)
                return PayloadError("internal", "the server could not do that").as_ack()
            return wire.clean({"ok": True} | reply)

        return inner

    return wrap


class LabNamespace(Namespace):
    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.sessions: dict[str, dict[str, LabSession]] = {}
        self.learners: dict[str, str | None] = {}  # sid → learner id
        self.registry_lock = threading.Lock()

    # -- connection ------------------------------------------------------------
    def on_connect(self, auth: Any = None) -> None:
        with self.registry_lock:
            self.sessions[request.sid] = {}  # type: ignore[attr-defined]
            self.learners[request.sid] = current_learner_id(create=False)  # type: ignore[attr-defined]

    def on_disconnect(self, reason: Any = None) -> None:
        with self.registry_lock:
            labs = self.sessions.pop(request.sid, {})  # type: ignore[attr-defined]
            self.learners.pop(request.sid, None)  # type: ignore[attr-defined]
        for session in labs.values():
            session.stop.set()

    def learner_lab(self, learner: str, lesson_id: str, lab_id: str) -> LabSession | None:
        """The learner's open lab (in any of their tabs), for questions about its numbers."""
        with self.registry_lock:
            for labs in self.sessions.values():
                found = labs.get(lab_id)
                if found and found.learner == learner and found.lesson_id == lesson_id:
                    return found
        return None

    def _touched(self, lab_id: str) -> None:
        session = self._session(lab_id)
        if session.touched or session.learner is None:
            return
        session.touched = True
        progress.record(session.learner, session.lesson_id, "lab", lab_id)

    def _session(self, lab_id: str) -> LabSession:
        session = self.sessions.get(request.sid, {}).get(lab_id)  # type: ignore[attr-defined]
        if session is None:
            raise PayloadError("no_lab", f"lab {lab_id!r} is not open; send open first", "lab")
        return session

    def _live_copy(self, code: str, lesson: str, lab_id: str) -> Lab:
        """A private copy of a live session's shared lab, if the presenter allows exploring."""
        state = current_app.extensions["live"].state(code)
        if state.lesson != lesson or state.spec.id != lab_id:
            raise PayloadError("bad_value", "that live session shows another lab", "live")
        if not state.explore:
            raise PayloadError("forbidden", "the presenter has not allowed exploring", "live")
        with state.lock:
            return from_bytes(to_bytes(state.lab))

    # -- events ----------------------------------------------------------------
    @handler("open")
    def on_open(self, data: dict[str, Any]) -> dict[str, Any]:
        lesson = current_app.extensions["lessons"].get(data["lesson"])
        if lesson is None:
            raise PayloadError("not_found", f"no lesson {data['lesson']!r}", "lesson")
        spec = lesson.labs.get(data["lab"])
        if spec is None:
            raise PayloadError("not_found", f"lesson has no lab {data['lab']!r}", "lab")
        if data["live"] is not None:
            lab = self._live_copy(data["live"], lesson.slug, spec.id)
            config = lab.config
        else:
            config = with_overrides(spec, data["config"])
            lab = None
        sid = request.sid  # type: ignore[attr-defined]
        with self.registry_lock:
            mine = self.sessions.setdefault(sid, {})
            total = sum(len(labs) for labs in self.sessions.values())
            if spec.id not in mine and (
                len(mine) >= current_app.config["MAX_LABS_PER_CONNECTION"]
                or total >= current_app.config["MAX_LABS"]
            ):
                raise PayloadError("too_many_labs", "too many labs are open; close a page")
        learner = self.learners.get(sid)
        session = LabSession(spec, lab or Lab(config), lesson.id, learner)
        with self.registry_lock:
            old = self.sessions.setdefault(sid, {}).get(spec.id)
            if old is not None:
                old.stop.set()
            self.sessions[sid][spec.id] = session
        info = {
            "id": spec.id,
            "cell": config.model.cell,
            "layers": config.model.layers,
            "hidden": config.model.hidden,
            "window": config.train.window,
            "steps": list(config.model.steps),
            "granularity": spec.granularity,
        }
        return {"info": info} | session.payload(full=True)

    @handler("step")
    def on_step(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.stop.set()
        with session.lock:
            session.lab.advance(data["granularity"])
            return session.payload(full=data["granularity"] == "epoch")

    @handler("jump")
    def on_jump(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        if data["t"] is not None and data["t"] >= session.lab.config.train.window:
            raise PayloadError("out_of_range", "t must be inside the window", "t")
        if data["t"] is not None and data["phase"] not in ("forward", "backward"):
            raise PayloadError("bad_value", "t applies to the forward and backward phases", "t")
        session.stop.set()
        with session.lock:
            session.lab.jump(data["phase"], data["t"])
            return session.payload(full=False)

    @handler("train")
    def on_train(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.stop.set()
        with session.lock:
            session.lab.train(data["epochs"])
            return session.payload(full=True)

    @handler("reset")
    def on_reset(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.stop.set()
        with session.lock:
            session.lab.reset()
            return session.payload(full=True)

    @handler("select")
    def on_select(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        if data["unit"] >= session.lab.config.model.hidden:
            raise PayloadError("out_of_range", "unit must be below the hidden size", "unit")
        with session.lock:
            session.unit = data["unit"]
            return session.payload(full=False)

    @handler("pause")
    def on_pause(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.stop.set()
        return {"lab": session.spec.id, "playing": False}

    @handler("play")
    def on_play(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.stop.set()
        stop = threading.Event()
        session.stop = stop
        interval = PLAY_INTERVAL[data["granularity"]] / data["speed"]
        sid = request.sid  # type: ignore[attr-defined]
        self.socketio.start_background_task(
            self._play, sid, session, stop, data["granularity"], interval
        )
        return {"lab": session.spec.id, "playing": True}

    def _play(
        self,
        sid: str,
        session: LabSession,
        stop: threading.Event,
        granularity: str,
        interval: float,
    ) -> None:
        """Advance and push frames until paused, disconnected or diverged."""
        try:
            while not stop.is_set():
                with session.lock:
                    if stop.is_set():
                        break
                    session.lab.advance(granularity)
                    if session.lab.status == "diverged":
                        stop.set()
                    payload = wire.clean(session.payload(full=granularity == "epoch"))
                self.emit("frame", payload, room=sid)
                stop.wait(interval)
        except Exception:
            log.exception("playing lab %s failed", session.spec.id)
            stop.set()
