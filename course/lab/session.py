"""One learner's lab on the ``/lab`` namespace: the lab, what the learner is looking at
(``LabControl``), and what the namespace needs to play, keep and restore it."""

from __future__ import annotations

import threading
import time
from typing import Any

from course.lab.control import LabControl
from course.lab.explanations import explain
from course.lab.spec import LabSpec
from course.web.sockets import sid
from engine import Lab
from engine.snapshot import to_bytes


class LabSession(LabControl):
    """One learner's lab and what they are looking at; all access under ``lock``."""

    def __init__(self, spec: LabSpec, lab: Lab, lesson_id: str, learner: str | None) -> None:
        super().__init__(spec, lab, owner=learner or f"connection:{sid()}")
        self.lesson_id = lesson_id
        self.learner = learner  # pseudonymous learner id from the signed cookie, if any
        self.touched = False  # recorded in the learner's progress on the first action
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self.stop.set()  # not playing
        self.tab: str | None = None  # the browser tab it is kept under for a reload (kept)
        self.origin: str | None = None  # the link it was opened from or shared as
        self.dirty = False  # changed since opened: keep it when its connection goes
        self.unkept: float | None = None  # when it changed after it was last kept (monotonic)
        self.gone = threading.Event()  # its connection closed, or it was opened afresh

    def snapshot(self) -> bytes:
        """The lab as bytes (``engine.snapshot``); the caller holds ``lock``."""
        return to_bytes(self.lab)

    def payload(self, *, full: bool) -> dict[str, Any]:
        self.dirty = True  # a new frame: something may have changed
        if self.unkept is None:
            self.unkept = time.monotonic()
        return {
            "lab": self.spec.id,
            "frame": (frame := self.lab.frame()),
            "explain": explain(self.lab.config.model.cell, frame),
            "sources": self.sources(full=full),
            "playing": not self.stop.is_set(),
        }
