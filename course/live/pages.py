"""Pages of a live session: the student's, the presenter's and the projector's.

Each is the lesson page with the session's lab following (or driving) the shared
lab; the presenter's page also has the staff panel. Who presents is decided here
from the login, as in the socket namespace.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from course.lessons.registry import Lesson, lessons
from course.live import sessions
from course.live.namespace import instructor_id
from course.live.polls import remember_session
from course.live.state import CODE, LiveState
from course.pages import render_lesson
from course.web.identity import current_learner_id
from course.web.validation import PayloadError

bp = Blueprint("live", __name__)


def _session(code: str) -> tuple[LiveState, Lesson]:
    code = code.upper()
    if not CODE.fullmatch(code):
        abort(404)
    try:
        state = sessions().state(code)
    except PayloadError as error:
        abort(503 if error.code == "unavailable" else 404)  # 503: the store is down, retry
    lesson: Lesson | None = lessons().get(state.lesson)
    if lesson is None:
        abort(404)
    return state, lesson


def _page(
    code: str, role: str, member: str | None = None, found: tuple[LiveState, Lesson] | None = None
) -> str:
    state, lesson = found or _session(code)
    live = {"code": state.code, "role": role, "lab": state.spec.id, "member": member}
    if state.class_id is not None:
        live["class_name"] = class_name(state.class_id)
    return render_lesson(lesson, live=live)


def class_name(class_id: int) -> str:
    found = current_app.extensions.get("live_class_name")  # see live.who_is_member
    return "" if found is None else str(found(class_id) or "")


@bp.get("/live")
def enter() -> ResponseReturnValue:
    """Students type the code their teacher shows."""
    code = (request.args.get("code") or "").strip().upper()
    if not code:
        return render_template("live_enter.html", code="", error=None)
    if CODE.fullmatch(code) and sessions().store.seq(code) is not None:
        return redirect(url_for("live.follow", code=code))
    error = "No live session has that code. Check it with your teacher."
    return render_template("live_enter.html", code=code, error=error), 404


@bp.get("/live/<code>")
def follow(code: str) -> ResponseReturnValue:
    """A student's page: a member of the session's class is in under their class
    name (no name asked); anyone else only if guests may join (see live/access.py)."""
    found = _session(code)
    state = found[0]
    learner = current_learner_id()
    member = None
    if state.class_id is not None and learner is not None:
        member = sessions().member_name(state.class_id, learner)
    if learner is not None and learner in state.removed:
        error = "The presenter removed you from this live session."
        return render_template("live_enter.html", code="", error=error), 403
    if state.class_id is not None and member is None and not state.guests:
        error = (
            f"This live session is for the members of “{class_name(state.class_id)}”. "
            "Join the class with its code, then open the session from My classes."
        )
        return render_template("live_enter.html", code="", error=error, join=True), 403
    page = _page(code, "student", member, found)
    remember_session(code.upper())  # its polls shut their questions' copies in the lesson
    return page


@bp.get("/live/<code>/present")
def present(code: str) -> ResponseReturnValue:
    state, _ = _session(code)
    if instructor_id() is None and "accounts.login" in current_app.view_functions:
        return redirect(url_for("accounts.login", next=request.path))
    if instructor_id() != state.presenter:
        abort(404)  # no hint that the session exists
    return _page(code, "presenter")


@bp.get("/live/<code>/projector")
def projector(code: str) -> ResponseReturnValue:
    return _page(code, "projector")
