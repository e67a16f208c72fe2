"""What every Socket.IO namespace of ours does around an event: validate the payload,
turn any failure into an error ack that changes nothing, keep the reply plain and
finite, and note that a learner worked with a widget; and the bookkeeping of the
namespaces that hold a learner's widgets (open within limits, look up, touched)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app, request
from flask_socketio import Namespace

from course.storage import progress
from course.web import wire
from course.web.identity import current_learner_id
from course.web.validation import Field, PayloadError, validate

log = logging.getLogger(__name__)

Handler = Callable[..., dict[str, Any]]
# A lesson by its slug, or None: the app's lesson registry (``LessonRegistry.get``).
Lessons = Callable[[str], Any]


def acked(
    schemas: dict[str, dict[str, Field]],
    *,
    area: str,
    touching: Collection[str] = (),
    id_field: str | None = None,
) -> Callable[[str | None], Callable[[Handler], Handler]]:
    """The ``@handler(event)`` decorator of one namespace.

    The handler gets the payload checked against ``schemas[event]`` (``event=None``:
    it checks it itself). After a successful event in ``touching``, the namespace's
    ``_touched(payload[id_field])`` records it in the learner's progress. Replies are
    ``{"ok": true, ...}``; a ``PayloadError`` becomes ``{"ok": false, "error": …}``,
    anything else is logged and answered as an internal error."""

    def handler(event: str | None) -> Callable[[Handler], Handler]:
        def wrap(fn: Handler) -> Handler:
            @functools.wraps(fn)
            def inner(self: Any, data: Any = None) -> dict[str, Any]:
                try:
                    checked = validate(data, schemas[event]) if event else data
                    reply = fn(self, checked)
                    if event in touching and id_field is not None:
                        self._touched(checked[id_field])
                except PayloadError as error:
                    return error.as_ack()
                except Exception:
                    log.exception("%s event %s failed", area, event)
                    return PayloadError("internal", "the server could not do that").as_ack()
                return wire.clean({"ok": True} | reply)

            return inner

        return wrap

    return handler


def sid() -> str:
    """The Socket.IO id of the connection whose event is being handled."""
    return str(request.sid)  # type: ignore[attr-defined]  # set by Flask-SocketIO per event


class Opened(Protocol):
    """What every open widget (a lab, a playground, a task) knows of its learner."""

    lesson_id: str
    learner: str | None  # pseudonymous learner id from the signed cookie, if any
    touched: bool  # recorded in the learner's progress on the first action


@dataclass(frozen=True)
class Limits:
    """How many widgets of a namespace may be open: app config keys and their defaults."""

    per_connection: tuple[str, int]
    total: tuple[str, int]


class LearnerNamespace(Namespace):
    """A namespace whose connections each hold a learner's open widgets by id (labs,
    playgrounds, tasks), and know the learner behind them. Subclasses name their
    widget (the payload's id field, and the word in errors) and their limits."""

    widget = "widget"
    plural = "widgets"
    limits = Limits(("MAX_WIDGETS_PER_CONNECTION", 4), ("MAX_WIDGETS", 200))

    def __init__(self, namespace: str, lessons: Lessons) -> None:
        super().__init__(namespace)
        self.lessons = lessons
        self.sessions: dict[str, dict[str, Any]] = {}  # sid → widget id → its session
        self.learners: dict[str, str | None] = {}  # sid → learner id
        self.registry_lock = threading.Lock()

    def on_connect(self, auth: Any = None) -> None:
        with self.registry_lock:
            self.sessions[sid()] = {}
            self.learners[sid()] = current_learner_id(create=False)

    def on_disconnect(self, reason: Any = None) -> None:
        with self.registry_lock:
            gone = self.sessions.pop(sid(), {})
            self.learners.pop(sid(), None)
        for session in gone.values():
            self.closed(session)

    def closed(self, session: Any) -> None:
        """A widget's connection went away, or it was opened afresh (stop whatever it
        was running)."""

    def learner(self) -> str | None:
        """The learner behind this connection."""
        return self.learners.get(sid())

    def learner_widget(self, learner: str, lesson_id: str, widget_id: str) -> Any:
        """The learner's open widget ``widget_id`` of that lesson (in any of their tabs),
        for questions about its numbers; None if none is open."""
        with self.registry_lock:
            for open_ in self.sessions.values():
                found = open_.get(widget_id)
                if found is not None and (found.learner, found.lesson_id) == (learner, lesson_id):
                    return found
        return None

    def _lesson(self, slug: str) -> Any:
        """The lesson ``slug``; PayloadError if there is none."""
        found = self.lessons(slug)
        if found is None:
            raise PayloadError("not_found", f"no lesson {slug!r}", "lesson")
        return found

    def _session(self, widget_id: str) -> Any:
        """This connection's open widget ``widget_id``; PayloadError if it is not open."""
        session = self.sessions.get(sid(), {}).get(widget_id)
        if session is None:
            raise PayloadError(
                f"no_{self.widget}",
                f"{self.widget} {widget_id!r} is not open; send open first",
                self.widget,
            )
        return session

    def _make_room(self, widget_id: str) -> None:
        """Refuse to open ``widget_id`` when this connection, or the server, holds as many
        widgets as its limits allow (opening one again replaces it: always room)."""
        per_connection = int(current_app.config.get(*self.limits.per_connection))
        total = int(current_app.config.get(*self.limits.total))
        with self.registry_lock:
            mine = self.sessions.setdefault(sid(), {})
            if widget_id not in mine and (
                len(mine) >= per_connection
                or sum(len(open_) for open_ in self.sessions.values()) >= total
            ):
                raise PayloadError(
                    f"too_many_{self.plural}", f"too many {self.plural} are open; close a page"
                )

    def _register(self, widget_id: str, session: Opened) -> None:
        """Hold ``session`` as this connection's ``widget_id``; one opened before stops."""
        with self.registry_lock:
            old = self.sessions.setdefault(sid(), {}).get(widget_id)
            self.sessions[sid()][widget_id] = session
        if old is not None:
            self.closed(old)

    def _touched(self, widget_id: str) -> None:
        """Record, once, that the learner worked with this widget (opening it does not count)."""
        session: Opened = self._session(widget_id)
        if session.touched or session.learner is None:
            return
        session.touched = True
        progress.record(session.learner, session.lesson_id, "lab", widget_id)
