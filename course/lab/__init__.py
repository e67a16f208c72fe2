"""A learner's labs: a real network trained by the engine and stepped one compute
step at a time. ``spec`` (what a lesson's lab block and a learner may set),
``control`` (what may be done to a lab, for /lab and /live alike), ``pacing`` (how
a lab plays: by epoch, each epoch's phases in turn), ``namespace``
(the /lab socket), ``views`` (the Bokeh figures and their data), ``steps`` (the
words for each compute step), ``explanations``, ``gif`` and ``exports`` (a forward
pass as an animated GIF), ``weights`` (a lab's weights as a file, and back), ``links``
and ``kept`` (labs kept for shared links and reloads)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app

from course.web.sockets import Lessons

if TYPE_CHECKING:
    from course.lab.namespace import LiveCopy
    from course.lab.session import LabSession


def init_app(app: Flask, lessons: Lessons, live_copy: LiveCopy | None = None) -> None:
    """The /lab namespace and the GIF exports of ``lessons``' labs; ``live_copy`` lets
    a student explore a private copy of a live session's lab."""
    from course.extensions import socketio
    from course.lab import budget, exports, kept, links, owndata
    from course.lab.explanations import VIEW_NOTES
    from course.lab.namespace import LabNamespace
    from course.lab.scheduler import Scheduler
    from course.lab.spec import LAB_HIDDEN_SIZES
    from engine.host import limit_compute_threads
    from engine.series import MAX_POINTS

    budget.init_app(app)  # the compile budget and the bound on compiled programs
    app.jinja_env.globals["view_notes"] = VIEW_NOTES
    app.jinja_env.globals["lab_hidden_sizes"] = LAB_HIDDEN_SIZES  # the settings' choices
    # A weights file goes to the server in one socket message: the page refuses a
    # larger one before sending it (engine.io would drop the connection), with room
    # for the message's envelope.
    app.jinja_env.globals["weights_max_bytes"] = socketio.server.eio.max_http_buffer_size - 4096
    app.jinja_env.globals["own_max_bytes"] = owndata.MAX_BYTES  # a learner's own series
    app.jinja_env.globals["own_max_points"] = MAX_POINTS
    links.init_app(app)  # the limits on kept labs
    for name, value in kept.DEFAULTS.items():
        app.config.setdefault(name, value)
    # Training slots (default: every core but one) and one `train` request's seconds.
    # TRAINING_SLOTS_DIR: lock files shared by every process on the machine.
    slots = int(app.config.get("TRAINING_SLOTS", 0)) or None
    shared = app.config.get("TRAINING_SLOTS_DIR") or None
    train_seconds = float(app.config.get("MAX_TRAIN_SECONDS", 20.0))
    scheduler = Scheduler(slots, shared=Path(shared) if shared else None)
    # XLA's pool no bigger than the training at once (engine.host): in a server, set
    # before anything computes; in a process that computed already (tests), as it is.
    limit_compute_threads(scheduler.slots)
    labs = LabNamespace("/lab", lessons, live_copy, scheduler, train_seconds)
    app.extensions["labs"] = labs
    exports.init_app(app, lessons, labs.learner_lab)  # a learner's GIF: their own lab
    socketio.on_namespace(labs)


def learner_lab(learner: str, lesson_id: str, lab_id: str) -> LabSession | None:
    """The learner's open lab ``lab_id`` of that lesson (in any of their tabs), if any."""
    return current_app.extensions["labs"].learner_lab(learner, lesson_id, lab_id)  # type: ignore[no-any-return]
