"""Live classroom sessions: one shared lab driven by the presenter, followed by
every student's view (the ``/live`` Socket.IO namespace).

- ``state``: the authoritative state of a session and the actions that change it;
- ``store``: where that state lives so every server process sees it (memory for one
  process, Redis for several: ``redisstore``), behind its durable record in the
  database (``durable``), so no restart loses a session;
- ``namespace``: the socket events, with roles decided on the server; ``play`` (the
  play loop, owned by a living process), ``presence`` (heartbeats), ``polls``,
  ``access`` and ``takeover`` (a teacher of the class becomes the presenter) are its
  mixins; ``teachers``: what it asks teach about a class (``who_teaches``);
- ``pages``: the student's, presenter's and projector's pages (``qr``: the join URL's
  code), and the session ``record``'s pages and downloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from course.live.namespace import LiveNamespace
    from engine import Lab


def init_app(app: Flask) -> None:
    """The /live namespace (on Redis when ``REDIS_URL`` is set) and the session pages."""
    from course.extensions import socketio
    from course.live import pages
    from course.live.durable import make_store
    from course.live.namespace import LiveNamespace
    from course.live.polls import inline_lock
    from course.storage import db

    # Redis (or memory) for speed, the database for what must survive a restart.
    app.extensions["live_store"] = make_store(app.config["REDIS_URL"], db.sessions(app))
    sessions = LiveNamespace("/live")
    app.extensions["live"] = sessions
    socketio.on_namespace(sessions)
    # A lesson's question that is a session's open poll is shut in the lesson meanwhile.
    app.extensions.setdefault("quiz_locks", []).append(inline_lock)
    app.register_blueprint(pages.bp)


def sessions() -> LiveNamespace:
    """This app's live sessions."""
    return current_app.extensions["live"]  # type: ignore[no-any-return]


def explore_copy(code: str, lesson: str, lab_id: str) -> Lab:
    """A private copy of live session ``code``'s lab for a student who breaks away
    (see ``LiveNamespace.explore_copy``), from the current app's sessions."""
    return sessions().explore_copy(code, lesson, lab_id)


def who_signed_in(app: Flask, check: Callable[[], str | None]) -> None:
    """Have ``check()`` name the signed-in instructor on every event and session page
    (teach's, which refuses a cookie signed out or expired); without it, the cookie's
    ``instructor_id`` as it is."""
    app.extensions["live_instructor"] = check


def when_ended(app: Flask, record: Callable[[str, dict[str, Any]], None]) -> None:
    """Call ``record(code, summary)`` when a presenter ends a session."""
    app.extensions["live_ended"] = record


def who_is_member(
    app: Flask, check: Callable[[int, str], str | None], class_name: Callable[[int], str | None]
) -> None:
    """Have ``check(class_id, learner)`` give a learner's name in a class, or None if
    they are not in it: a session for a class admits its members under that name;
    ``class_name(class_id)`` names the class on the session's pages."""
    app.extensions["live_member"] = check
    app.extensions["live_class_name"] = class_name


def who_teaches(
    app: Flask, teaches: Callable[[int, str], bool], zone: Callable[[int], str | None]
) -> None:
    """Have ``teaches(class_id, instructor)`` say whether an instructor owns or co-teaches
    a class (they may take over its sessions and read their records), and
    ``zone(class_id)`` give the class's time zone (its records' times are shown in it)."""
    app.extensions["live_teaches"] = teaches
    app.extensions["live_class_zone"] = zone


def when_attended(app: Flask, record: Callable[..., None]) -> None:
    """Call ``record(code, learner, name, guest=, event=)`` when a student joins
    (``join``), is still here (``beat``, at most every ``access.TOUCH_SECONDS``),
    leaves (``leave``) or is removed (``removed``)."""
    app.extensions["live_attended"] = record
