"""Socket.IO namespace ``/playground``: module 1's one-unit RNN, one per lesson block.

Client events (each answered through its ack, ``{"ok": true, ...}`` or
``{"ok": false, "error": {code, message, field}}``):

    open       {lesson, playground}             start from the lesson block's settings;
                                                the ack carries the figures too
    configure  {playground, w_x?, w_h?, b?, h0?, activation?, sequence?, length?, scaled?}
                                                change settings; the time step is kept
    step       {playground}                     one time step forward
    run        {playground}                     to the last time step
    reset      {playground}                     back to t = 0

Every other ack is ``{"ok": true, "playground", "config", "describe", "frame",
"equation", "sources"}``. Handlers validate, then act; a bad payload changes nothing.
The unit is a few float64 multiplications per step, so everything runs inline.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from typing import Any

from course.playground import views
from course.playground.spec import CONFIG_FIELDS, ID, PlaygroundSpec, config_from
from course.web.sockets import LearnerNamespace, Limits, acked
from course.web.validation import Field, PayloadError
from engine.playground import Playground

log = logging.getLogger(__name__)

PLAYGROUND = Field(str, required=True, max_length=64)
SCHEMAS: dict[str, dict[str, Field]] = {
    "open": {"lesson": Field(str, required=True, max_length=64), "playground": PLAYGROUND},
    "configure": {"playground": PLAYGROUND} | CONFIG_FIELDS,
    "step": {"playground": PLAYGROUND},
    "run": {"playground": PLAYGROUND},
    "reset": {"playground": PLAYGROUND},
}
# Events that count as working with the playground (opening the page does not).
TOUCHING = frozenset({"configure", "step", "run"})


class PlaygroundSession:
    """One learner's playground; all access under ``lock``."""

    def __init__(self, spec: PlaygroundSpec, lesson_id: str, learner: str | None) -> None:
        self.spec = spec
        self.playground = Playground(spec.config)
        self.lesson_id = lesson_id
        self.learner = learner
        self.touched = False  # recorded in the learner's progress on the first action
        self.lock = threading.Lock()

    def payload(self) -> dict[str, Any]:
        pg = self.playground
        return {
            "playground": self.spec.id,
            "config": asdict(pg.config),
            "describe": pg.describe(),
            "frame": pg.frame(),
            "equation": views.equation(pg),
            "sources": views.sources(pg),
        }


handler = acked(SCHEMAS, area="playground", touching=TOUCHING, id_field="playground")


class PlaygroundNamespace(LearnerNamespace):
    widget, plural = "playground", "playgrounds"
    limits = Limits(("MAX_PLAYGROUNDS_PER_CONNECTION", 8), ("MAX_PLAYGROUNDS", 2000))

    @handler("open")
    def on_open(self, data: dict[str, Any]) -> dict[str, Any]:
        lesson = self._lesson(data["lesson"])
        spec = (
            lesson.playgrounds.get(data["playground"]) if ID.fullmatch(data["playground"]) else None
        )
        if spec is None:
            raise PayloadError(
                "not_found", f"lesson has no playground {data['playground']!r}", "playground"
            )
        self._make_room(spec.id)
        session = PlaygroundSession(spec, lesson.id, self.learner())
        self._register(spec.id, session)  # opening again starts afresh
        return session.payload() | {
            "controls": list(spec.controls),
            "figures": views.figures(),
        }

    @handler("configure")
    def on_configure(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["playground"])
        changes = {k: v for k, v in data.items() if k in CONFIG_FIELDS}
        with session.lock:
            pg = session.playground
            config = config_from(changes, pg.config)  # PayloadError before anything changes
            t = pg.t
            pg.configure(config)
            # Keep the learner's place: dragging a weight redraws the steps already taken.
            pg.t = min(t, config.length)
            return session.payload()

    @handler("step")
    def on_step(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["playground"])
        with session.lock:
            session.playground.step()
            return session.payload()

    @handler("run")
    def on_run(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["playground"])
        with session.lock:
            session.playground.run()
            return session.payload()

    @handler("reset")
    def on_reset(self, data: dict[str, Any]) -> dict[str, Any]:
        session = self._session(data["playground"])
        with session.lock:
            session.playground.reset()
            return session.payload()
