"""Socket.IO namespace ``/lab``: a learner's own labs.

Client events (each answered through its ack, ``{"ok": true, ...}`` or
``{"ok": false, "error": {code, message, field}}``):

    open    {lesson, lab, snapshot?,      start a lab from a lesson's lab block; a shared
             resume?}                     link's snapshot, or the tab's own lab on a reload
                                          (``kept``: reply ``kept`` says which)
    open    {lesson, lab, config?,        an old-style link replays epochs, then window
             epochs?, updates?, position?} updates, then puts the cursor at position
    share   {lab}                         keep the lab as it is for a link (reply ``snapshot``)
    step    {lab, granularity}            advance by compute | timestep | epoch
    play    {lab, granularity, speed}     advance repeatedly; frames pushed as "frame"
                                          (by epoch, each epoch's phases: ``pacing``)
    pause   {lab}
    reset   {lab}                         fresh weights from the seed
    train   {lab, epochs}                 train whole epochs now, an epoch a slice
                                          (``scheduler``): within a budget of seconds,
                                          stopped when the learner leaves; the reply says
                                          ``trained`` (epochs) and ``stopped`` (why, or null)
    select  {lab, unit, layer?}           which unit (and layer: null follows the stepper)
                                          the cell diagram shows
    jump    {lab, phase, t?}              to the start of a phase (and time step)
    configure {lab, config}               change CONFIG_FIELDS; learning rate, noise and
                                          clipping keep the weights, anything else builds a
                                          new network (reply ``rebuilt``, ``figures``, ``info``)
    data    {lab, text? | file?, name?,   train on the learner's own series (pasted text,
             scale}                       or a CSV file's bytes; neither: the data in use,
                                          scaled or not): a new network (reply as
                                          ``configure``'s); refused with the line at fault
    export  {lab}                         the lab's weights file (``document``: see
                                          ``weights``), to download
    import  {lab, weights}                load a weights file into this lab: same cell,
                                          layers and units only; its other settings come
                                          with it; the cursor goes to the start of the
                                          window (reply as ``configure``'s)

Handlers validate, then act; a bad payload changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Any

from course.lab import budget, control, owndata, views
from course.lab.kept import KeptLabs
from course.lab.pacing import Player
from course.lab.scheduler import Scheduler
from course.lab.session import LabSession
from course.lab.spec import (
    lab_info,
    options_of,
    reset_message,
    ticks,
    with_overrides,
)
from course.lab.weights import FIELD as WEIGHTS
from course.web import wire
from course.web.sockets import Lessons, Limits, acked, sid
from course.web.validation import Field, PayloadError
from engine import Lab

log = logging.getLogger(__name__)

LAB_ID = Field(str, required=True, max_length=64)
MAX_SHARED_EPOCHS = 50
MAX_SHARED_UPDATES = 50
TRAIN_QUEUE_SECONDS = 30  # how long a train request waits for a free trainer
SCHEMAS: dict[str, dict[str, Field]] = {
    "open": {
        "lesson": Field(str, required=True, max_length=64),
        "lab": LAB_ID,
        "config": Field(dict),
        "live": Field(str, max_length=6),  # explore a private copy of this live session's lab
        # A shared link's state: training is deterministic given the seed, so replaying
        # it restores the same numbers (capped: a link must open in seconds).
        "epochs": Field(int, minimum=0, maximum=MAX_SHARED_EPOCHS),
        "updates": Field(int, minimum=0, maximum=MAX_SHARED_UPDATES),
        "position": Field(int, minimum=0),
        "snapshot": Field(str, max_length=64),  # a shared link's key (kept, links)
        "resume": Field(str, max_length=64),  # the browser tab's id: its lab on a reload
    },
    "export": {"lab": LAB_ID},
    # Its size is checked against the lab's own (``weights.read``); the socket's message
    # limit (engine.io's max_http_buffer_size) bounds it before that.
    "import": {"lab": LAB_ID, WEIGHTS: Field(dict, required=True)},
    "data": {"lab": LAB_ID} | owndata.SCHEMA,
} | {action: {"lab": LAB_ID} | fields for action, fields in control.ACTIONS.items()}
# Events that count as working with a lab (opening a page does not).
TOUCHING = frozenset({"step", "play", "jump", "train", "reset", "configure", "import", "data"})


handler = acked(SCHEMAS, area="lab", touching=TOUCHING, id_field="lab")


# A private copy of a live session's shared lab: (code, lesson slug, lab id) → Lab,
# PayloadError if that session shows another lab or does not allow exploring.
LiveCopy = Callable[[str, str, str], Lab]


class LabNamespace(KeptLabs):
    widget, plural = "lab", "labs"
    limits = Limits(("MAX_LABS_PER_CONNECTION", 4), ("MAX_LABS", 200))

    def __init__(
        self,
        namespace: str,
        lessons: Lessons,
        live_copy: LiveCopy | None = None,
        scheduler: Scheduler | None = None,
        train_budget: float | None = None,
    ) -> None:
        super().__init__(namespace, lessons)
        self.live_copy = live_copy  # given by the app when it runs live sessions
        self.scheduler = scheduler or Scheduler()  # the cores: clicks first, training fair
        self.train_budget = train_budget  # seconds of training one `train` may use

    def closed(self, session: LabSession) -> None:
        session.stop.set()  # a play loop ends with its connection, or when opened afresh
        session.gone.set()  # and a training at its next epoch
        self.keep(session)  # for a reload

    def learner_lab(self, learner: str, lesson_id: str, lab_id: str) -> LabSession | None:
        """The learner's open lab (in any of their tabs), for questions about its numbers."""
        found: LabSession | None = self.learner_widget(learner, lesson_id, lab_id)
        return found

    # -- events ----------------------------------------------------------------
    @handler("open")
    def on_open(self, data: dict[str, Any]) -> dict[str, Any]:
        lesson = self._lesson(data["lesson"])
        spec = lesson.labs.get(data["lab"])
        if spec is None:
            raise PayloadError("not_found", f"lesson has no lab {data['lab']!r}", "lab")
        if data["live"] is not None:
            if self.live_copy is None:
                raise PayloadError("not_found", "no live session with that code", "live")
            lab = self.live_copy(data["live"], lesson.slug, spec.id)
            config = lab.config
        else:
            config = with_overrides(spec, data["config"])
            lab = None
            if config != spec.config:  # a shared link's settings: charged before any change
                budget.admit(config, self.learner() or f"connection:{sid()}")
        self._make_room(spec.id)
        opening = self.kept_lab(lesson.id, spec, data)
        if opening.restored is not None:
            opened = opening.restored.lab
        else:
            opened = lab or Lab(config)
            _replay(opened, data, self._trainer(self.learner() or sid()))
        session = LabSession(spec, opened, lesson.id, self.learner())
        self.track(session, data, opening)
        self._register(spec.id, session)
        config = opened.config
        reply: dict[str, Any] = {"info": lab_info(spec, config), "kept": opening.kept}
        if config != spec.config:  # a link's or a kept lab's settings: figures of that shape
            reply["figures"] = views.figures(replace(spec, options=options_of(config)))
        reply |= session.payload(full=True)
        session.dirty, session.unkept = False, None  # as opened: nothing to keep yet
        return reply

    def _act(self, action: str, data: dict[str, Any], *, full: bool) -> dict[str, Any]:
        """Stop playing, then do ``action`` (see ``control``) and answer the new frame:
        a click before others' training, a step by epoch as a slice of training."""
        session = self._session(data["lab"])
        args = {k: v for k, v in data.items() if k != "lab"}
        session.check(action, args)  # before the play loop stops: a refusal changes nothing
        session.stop.set()
        trains = action == "step" and args["granularity"] == "epoch"
        with self._turn(session.learner or sid(), trains), session.lock:
            session.apply(action, args)
            return session.payload(full=full)

    def _turn(self, learner: str, trains: bool) -> AbstractContextManager[None]:
        """Wait for ``learner``'s turn: a training slice, or an interactive event."""
        return self.scheduler.slice(learner) if trains else self.scheduler.interactive()

    def _trainer(self, learner: str) -> Callable[[Lab, int], None]:
        """Train a lab not yet shared with anyone (a link being replayed), sliced."""

        def train(lab: Lab, epochs: int) -> None:
            self.scheduler.train(learner, epochs, lambda: lab.train(1), budget=None,
                                 gone=threading.Event())  # fmt: skip

        return train

    @handler("step")
    def on_step(self, data: dict[str, Any]) -> dict[str, Any]:
        return self._act("step", data, full=data["granularity"] == "epoch")

    @handler("jump")
    def on_jump(self, data: dict[str, Any]) -> dict[str, Any]:
        return self._act("jump", data, full=False)

    @handler("train")
    def on_train(self, data: dict[str, Any]) -> dict[str, Any]:
        # One training per learner, a few per address, MAX_TRAINING on the server.
        with self.training(TRAIN_QUEUE_SECONDS, "the server is training other labs; try again"):
            return self._train(data)

    def _train(self, data: dict[str, Any]) -> dict[str, Any]:
        """Train in slices of one epoch (the scheduler's): clicks go in between, the
        request stops at its time budget or when its page goes."""
        session = self._session(data["lab"])
        session.stop.set()

        def one() -> None:  # the lab is free between epochs: a step goes in between
            with session.lock:
                session.lab.train(1)

        done = self.scheduler.train(session.learner or sid(), data["epochs"], one,
                                    budget=self.train_budget, gone=session.gone)  # fmt: skip
        reply: dict[str, Any] = {"trained": done.epochs, "stopped": done.stopped}
        if done.stopped == "budget":
            reply["message"] = (
                f"Trained {done.epochs} of {data['epochs']} epochs: one request may use "
                f"{self.train_budget:g} s of the server's time. Train again to go on."
            )
        with session.lock:
            return reply | session.payload(full=True)

    @handler("reset")
    def on_reset(self, data: dict[str, Any]) -> dict[str, Any]:
        reply = self._act("reset", data, full=True)
        session = self._session(data["lab"])  # the network note says what Reset did
        info = lab_info(session.spec, session.lab.config)
        return {"message": reset_message(session.lab.config), "info": info} | reply

    @handler("select")
    def on_select(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        with session.lock:  # choosing what to look at does not stop a play loop
            session.apply("select", {"unit": data["unit"], "layer": data["layer"]})
            return session.payload(full=False)

    @handler("configure")
    def on_configure(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.check("configure", {"config": data["config"]})  # before the loop stops
        session.stop.set()
        with self.scheduler.interactive(), session.lock:
            done = session.configure(data["config"])
            reply = {"changed": done.changed, "rebuilt": done.rebuilt, "message": done.message}
            reply |= {"info": lab_info(session.spec, session.lab.config), "config": done.options}
            if done.rebuilt:
                reply["figures"] = session.shaped_figures()
            return reply | session.payload(full=True)

    @handler("data")
    def on_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """Train on the learner's own series from now on (``owndata``): read and checked
        before anything stops, so a refusal changes nothing."""
        session = self._session(data["lab"])
        with session.lock:
            config = session.lab.config
        series = owndata.read(data, window=config.train.window, current=config.series)
        with session.lock:
            session.data_config(series, dry=True)  # before the play loop stops
        session.stop.set()
        with self.scheduler.interactive(), session.lock:
            done = session.use_data(series)
            reply = {"changed": done.changed, "rebuilt": True, "message": done.message}
            reply |= {"info": lab_info(session.spec, session.lab.config), "config": done.options}
            reply["figures"] = session.shaped_figures()
            return reply | session.payload(full=True)

    @handler("export")
    def on_export(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        with session.lock:  # a play loop may be changing the weights
            return {"lab": session.spec.id, "document": session.export_weights(session.lesson_id)}

    @handler("import")
    def on_import(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        # The file is read into a new lab first (the slow part, outside the lock): a
        # refused file changes nothing, not even a play loop.
        loaded = session.read_weights(data[WEIGHTS])
        with session.lock:
            session.take(loaded)
            session.stop.set()
            reply = {"changed": loaded.changed, "rebuilt": loaded.rebuilt}
            reply |= {"message": loaded.message, "config": options_of(session.lab.config)}
            reply["info"] = lab_info(session.spec, session.lab.config)
            if loaded.rebuilt:
                reply["figures"] = session.shaped_figures()
            return reply | session.payload(full=True)

    @handler("pause")
    def on_pause(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.stop.set()
        with session.lock:  # the play loop is done with this frame: it is where we are
            return session.payload(full=True)

    @handler("play")
    def on_play(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["lab"])
        session.stop.set()
        stop = threading.Event()
        session.stop = stop
        player = Player(data["granularity"], data["speed"], session.lab.config.train.window)
        self.socketio.start_background_task(self._play, sid(), session, stop, player)
        return {"lab": session.spec.id, "playing": True}

    def _play(
        self,
        sid: str,
        session: LabSession,
        stop: threading.Event,
        player: Player,
    ) -> None:
        """Advance and push frames until paused, disconnected or diverged."""
        trains = player.granularity == "epoch"
        try:
            for _ in ticks(player.interval, stop):
                # A frame by epoch trains (a slice); others are no click: no priority.
                turn = self.scheduler.slice(session.learner or sid) if trains else nullcontext()
                with turn, session.lock:
                    if stop.is_set():
                        break
                    trained = player.advance(session.lab)
                    if session.lab.status == "diverged":
                        stop.set()
                    payload = wire.encoded(session.payload(full=trained))
                self.push("frame", payload, to=sid)
        except Exception:
            log.exception("playing lab %s failed", session.spec.id)
            stop.set()


def _replay(lab: Lab, data: dict[str, Any], train: Callable[[Lab, int], None]) -> None:
    """Bring a fresh lab to a shared link's state: epochs (by ``train``), then window
    updates, then the cursor. Exact for a learner who trained before stepping through
    updates."""
    shared = [data[k] for k in ("epochs", "updates", "position") if data[k] is not None]
    if shared and data["live"] is not None:
        raise PayloadError("bad_value", "a live session's lab cannot be replayed", "live")
    if data["position"] is not None and data["position"] >= lab.total_positions:
        raise PayloadError("out_of_range", "position must be inside the lab's cycle", "position")
    if data["epochs"]:
        train(lab, data["epochs"])
    for _ in range(data["updates"] or 0):
        lab.position = lab.total_positions - 1
        lab.advance("compute")  # stepping past `update` applies the window's weight change
    if data["position"] is not None:
        lab.position = data["position"]
