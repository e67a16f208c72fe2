"""Exports: a lab's forward pass as an animated GIF.

    GET /export/<lesson>/<lab>.gif?steps=45&size=800&frame_ms=120

uses the lab block's configuration (fresh weights from its seed). Options are
checked at the edge: a bad one is a 400 with ``{"ok": false, "error": {...}}``.
Rendering is CPU work, so one runs at a time and recent results are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from course.lab.gif import MAX_STEPS, GifError, GifOptions, check_steps, render_gif
from course.lab.spec import LabSpec
from course.web.validation import PayloadError

bp = Blueprint("exports", __name__, url_prefix="/export")

CACHE_SIZE = 16  # GIFs kept (a few hundred kB each)
WAIT_SECONDS = 20  # for a render already running, before answering 503


class GifExports:
    """Per-app state: the lessons whose labs may be exported, one render at a time,
    and the last few results."""

    def __init__(self, lessons: Callable[[str], Any]) -> None:
        self.lessons = lessons  # slug → lesson or None
        self.lock = threading.Lock()
        self.cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


def init_app(app: Flask, lessons: Callable[[str], Any]) -> None:
    """Serve the exports of ``lessons``' labs (slug → lesson or None)."""
    app.extensions["gif_exports"] = GifExports(lessons)
    app.register_blueprint(bp)

    @app.context_processor
    def gif_links() -> dict[str, Any]:
        return {"gif_url": default_url}


def default_steps(spec: LabSpec) -> int:
    """One frame per cell (time step × layer), as many as a GIF may have."""
    config = spec.config
    return min(MAX_STEPS, config.train.window * config.model.layers)


def default_url(slug: str, spec: LabSpec) -> str:
    return url_for("exports.lab_gif", slug=slug, lab_id=spec.id, steps=default_steps(spec))


def _error(status: int, code: str, message: str, field: str | None = None) -> ResponseReturnValue:
    return jsonify(PayloadError(code, message, field).as_ack()), status


def _options(args: Any, spec: LabSpec) -> GifOptions:
    known = {"steps", "size", "frame_ms"}
    for name in args:
        if name not in known:
            raise GifError(name, f"unknown option {name!r}; use steps, size and frame_ms")
    values: dict[str, int] = {}
    for name in known & set(args):
        text = args.get(name, "")
        if not text.strip().lstrip("-").isdigit():
            raise GifError(name, f"{name} must be a whole number")
        values[name] = int(text)
    values.setdefault("steps", default_steps(spec))
    options = GifOptions(**values)
    check_steps(spec.config, options.steps)
    return options


@bp.get("/<slug>/<lab_id>.gif")
def lab_gif(slug: str, lab_id: str) -> ResponseReturnValue:
    lesson = current_app.extensions["gif_exports"].lessons(slug)
    if lesson is None:
        return _error(404, "not_found", f"no lesson {slug!r}", "lesson")
    spec = lesson.labs.get(lab_id)
    if spec is None:
        return _error(404, "not_found", f"lesson {slug!r} has no lab {lab_id!r}", "lab")
    try:
        options = _options(request.args, spec)
        data = _render(spec, options)
    except GifError as error:
        return _error(400, "bad_option", error.message, error.field)
    except TimeoutError:
        return _error(503, "busy", "another GIF is being drawn; try again in a moment")
    return Response(
        data,
        mimetype="image/gif",
        headers={
            "Content-Disposition": f'attachment; filename="unrolled-{slug}-{lab_id}.gif"',
            "Cache-Control": "public, max-age=3600",
        },
    )


def _render(spec: LabSpec, options: GifOptions) -> bytes:
    state: GifExports = current_app.extensions["gif_exports"]
    key = (spec.config, options)
    if not state.lock.acquire(timeout=WAIT_SECONDS):
        raise TimeoutError
    try:
        if key in state.cache:
            state.cache.move_to_end(key)
            return state.cache[key]
        data = render_gif(spec.config, options)
        state.cache[key] = data
        while len(state.cache) > CACHE_SIZE:
            state.cache.popitem(last=False)
        return data
    finally:
        state.lock.release()
