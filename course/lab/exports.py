"""Exports: a lab's forward pass as an animated GIF.

    GET /export/<lesson>/<lab>.gif?steps=45&size=800&frame_ms=120

draws the learner's own open lab as it is now (its weights, epoch and settings), or
the lab block's fresh lab when they have none open. The learner's lab is copied under
its lock (``engine.snapshot``) and drawn outside it, so a long render never holds up
their stepping. Options are checked at the edge: a bad one is a 400 with
``{"ok": false, "error": {...}}``. Rendering is CPU work, so one runs at a time
(server-wide) and recent results are kept, keyed by what the picture shows.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jax
import numpy as np
from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from course.lab.gif import (
    MAX_FRAME_MS,
    MAX_SIZE,
    MAX_STEPS,
    MIN_FRAME_MS,
    MIN_SIZE,
    MIN_STEPS,
    GifError,
    GifOptions,
    check_steps,
    render_lab,
)
from course.lab.spec import LabSpec
from course.web.identity import current_learner_id
from course.web.validation import PayloadError
from engine import Lab, LabConfig
from engine.snapshot import from_bytes, to_bytes

if TYPE_CHECKING:
    from course.lab.session import LabSession

bp = Blueprint("exports", __name__, url_prefix="/export")

CACHE_SIZE = 16  # GIFs kept (a few hundred kB each)
WAIT_SECONDS = 20  # for a render already running, before answering 503
OPTIONS = ("steps", "size", "frame_ms")
WHOLE = re.compile(r"-?[0-9]{1,9}", re.ASCII)

# (learner, lesson id, lab id) → that learner's open lab, if any
OwnLab = Callable[[str, str, str], "LabSession | None"]


class GifExports:
    """Per-app state: the lessons whose labs may be exported, how to find a learner's
    open lab, one render at a time, and the last few results."""

    def __init__(self, lessons: Callable[[str], Any], own_lab: OwnLab | None) -> None:
        self.lessons = lessons  # slug → lesson or None
        self.own_lab = own_lab
        self.lock = threading.Lock()
        self.cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


@dataclass(frozen=True)
class Source:
    """The lab a GIF is drawn from: a learner's (an exact copy, as bytes) or a fresh one.

    ``key`` is everything the picture depends on: the settings, the training so far
    (in the title) and a digest of the weights (a loaded weights file may have the same
    epoch as the weights it replaced). Not the cursor: the GIF shows the whole forward
    pass wherever the learner is.
    """

    config: LabConfig
    epoch: int
    key: tuple[Any, ...]
    snapshot: bytes | None = None  # None: fresh weights from the config's seed

    @classmethod
    def fresh(cls, config: LabConfig) -> Source:
        return cls(config, 0, (config, 0, 0, "seed"))

    @classmethod
    def of(cls, lab: Lab) -> Source:
        """A copy of ``lab`` as it is now (hold its lock)."""
        digest = hashlib.sha256()
        for leaf in jax.tree_util.tree_leaves(lab.params):
            digest.update(np.asarray(leaf).tobytes())
        key = (lab.config, lab.epoch, lab.updates, digest.hexdigest())
        return cls(lab.config, lab.epoch, key, to_bytes(lab))

    def lab(self) -> Lab:
        return Lab(self.config) if self.snapshot is None else from_bytes(self.snapshot)


def init_app(app: Flask, lessons: Callable[[str], Any], own_lab: OwnLab | None = None) -> None:
    """Serve the exports of ``lessons``' labs (slug → lesson or None); ``own_lab`` finds
    the learner's open lab to draw (without it, every GIF is of a fresh lab)."""
    app.extensions["gif_exports"] = GifExports(lessons, own_lab)
    app.register_blueprint(bp)

    @app.context_processor
    def gif_links() -> dict[str, Any]:
        return {"gif_url": default_url, "gif_form": form}


def default_steps(config: LabConfig) -> int:
    """One frame per cell (time step × layer), as many as a GIF may have."""
    return min(MAX_STEPS, config.train.window * config.model.layers)


def default_url(slug: str, spec: LabSpec) -> str:
    steps = default_steps(spec.config)
    return url_for("exports.lab_gif", slug=slug, lab_id=spec.id, steps=steps)


def form(slug: str, spec: LabSpec) -> dict[str, Any]:
    """What a lab's GIF controls show: the address, and each option's default and range
    (the same limits the route checks)."""
    config = spec.config
    defaults = GifOptions(steps=default_steps(config))
    total = config.train.window * config.model.layers * len(config.model.steps)
    limits = {
        "steps": (MIN_STEPS, min(MAX_STEPS, total)),  # a frame per compute step at most
        "size": (MIN_SIZE, MAX_SIZE),
        "frame_ms": (MIN_FRAME_MS, MAX_FRAME_MS),
    }
    fields = {name: (getattr(defaults, name), *limits[name]) for name in OPTIONS}
    url = url_for("exports.lab_gif", slug=slug, lab_id=spec.id)
    return {"url": url, "fields": fields, "max_steps": MAX_STEPS}


def _error(status: int, code: str, message: str, field: str | None = None) -> ResponseReturnValue:
    return jsonify(PayloadError(code, message, field).as_ack()), status


def _options(args: Any, config: LabConfig) -> GifOptions:
    for name in args:
        if name not in OPTIONS:
            raise GifError(name, f"unknown option {name!r}; use steps, size and frame_ms")
    values: dict[str, int] = {}
    for name in OPTIONS:
        if name not in args:
            continue
        text = args.get(name, "").strip()
        # ASCII digits only: str.isdigit takes "²", which int() refuses; and a few, as
        # int() refuses more than 4,300 of them.
        if not WHOLE.fullmatch(text):
            raise GifError(name, f"{name} must be a whole number")
        values[name] = int(text)
    values.setdefault("steps", default_steps(config))
    options = GifOptions(**values)
    check_steps(config, options.steps)
    return options


@bp.get("/<slug>/<lab_id>.gif")
def lab_gif(slug: str, lab_id: str) -> ResponseReturnValue:
    state: GifExports = current_app.extensions["gif_exports"]
    lesson = state.lessons(slug)
    if lesson is None:
        return _error(404, "not_found", f"no lesson {slug!r}", "lesson")
    spec = lesson.labs.get(lab_id)
    if spec is None:
        return _error(404, "not_found", f"lesson {slug!r} has no lab {lab_id!r}", "lab")
    source = _source(state, lesson.id, spec)
    try:
        options = _options(request.args, source.config)
        data = _render(state, source, options)
    except GifError as error:
        return _error(400, "bad_option", error.message, error.field)
    except TimeoutError:
        return _error(503, "busy", "another GIF is being drawn; try again in a moment")
    name = f"unrolled-{slug}-{lab_id}-epoch{source.epoch}.gif"
    return Response(
        data,
        mimetype="image/gif",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # The same address draws whatever the learner's lab is now.
            "Cache-Control": "private, no-store",
        },
    )


def _source(state: GifExports, lesson_id: str, spec: LabSpec) -> Source:
    """The learner's open lab, copied under its lock; else the lab block's fresh lab."""
    learner = current_learner_id(create=False)
    session = state.own_lab(learner, lesson_id, spec.id) if learner and state.own_lab else None
    if session is None:
        return Source.fresh(spec.config)
    with session.lock:
        return Source.of(session.lab)


def _render(state: GifExports, source: Source, options: GifOptions) -> bytes:
    key = (*source.key, options)
    if not state.lock.acquire(timeout=WAIT_SECONDS):
        raise TimeoutError
    try:
        if key in state.cache:
            state.cache.move_to_end(key)
            return state.cache[key]
        data = render_lab(source.lab(), options)
        state.cache[key] = data
        while len(state.cache) > CACHE_SIZE:
            state.cache.popitem(last=False)
        return data
    finally:
        state.lock.release()
