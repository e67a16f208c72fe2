"""What every Socket.IO namespace of ours does around an event: spend the connection's
event budget, validate the payload, turn any failure into an error ack that changes
nothing, keep the reply plain and finite, and note that a learner worked with a
widget; and the bookkeeping of the namespaces that hold a learner's widgets (connect
and open within the server's limits and each learner's and address's fair share,
look up, touched)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app, request
from flask_socketio import Namespace

from course.storage import progress
from course.web import wire
from course.web.fair import FairGate, Holder, holder, refuse_past, setting
from course.web.identity import current_learner_id
from course.web.origins import refuse_unwelcome
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
    anything else is logged and answered as an internal error. Arguments after the
    payload are refused (``extra_arguments``); an event past the connection's budget
    never gets here (``web.flood.install``)."""

    def handler(event: str | None) -> Callable[[Handler], Handler]:
        def wrap(fn: Handler) -> Handler:
            @functools.wraps(fn)
            def inner(self: Any, data: Any = None, *extra: Any) -> Any:
                try:
                    if extra:
                        raise PayloadError(
                            "extra_arguments", "send one payload object and nothing after it"
                        )
                    checked = validate(data, schemas[event]) if event else data
                    reply = fn(self, checked)
                    if event in touching and id_field is not None:
                        self._touched(checked[id_field])
                except PayloadError as error:
                    return error.as_ack()
                except Exception:
                    log.exception("%s event %s failed", area, event)
                    return PayloadError("internal", "the server could not do that").as_ack()
                return wire.encoded({"ok": True} | reply)  # as it is now

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
    playgrounds, tasks), and know the learner and address behind them. Subclasses name
    their widget (the payload's id field, and the word in errors) and their limits;
    the fair shares (``web.fair``) are ``MAX_<PLURAL>_PER_LEARNER``/``_PER_ADDRESS``."""

    widget = "widget"
    plural = "widgets"
    limits = Limits(("MAX_WIDGETS_PER_CONNECTION", 4), ("MAX_WIDGETS", 200))
    training_total = ("MAX_TRAINING", 8)  # trainings at once on this namespace

    def __init__(self, namespace: str, lessons: Lessons) -> None:
        super().__init__(namespace)
        self.lessons = lessons
        self.sessions: dict[str, dict[str, Any]] = {}  # sid → widget id → its session
        self.holders: dict[str, Holder] = {}  # sid → the learner and address behind it
        self.registry_lock = threading.Lock()
        self._gate: FairGate | None = None

    def push(self, event: str, data: Any, to: str) -> None:
        """Send ``event`` to ``to``, a connection of this process (a learner's own widget):
        straight to it, not round the message queue. With several processes, every emit
        goes out through Redis and comes back through each process's listener; for a
        lab playing at 20 frames a second that was a Redis round trip and a pickle per
        frame (bench/room.py --nginx 2: 12.8 frames/s against 17.4 on one process)."""
        self.socketio.emit(event, data, to=to, namespace=self.namespace, ignore_queue=True)

    def on_connect(self, auth: Any = None) -> None:
        refuse_unwelcome()
        who = holder(current_learner_id(create=False))
        with self.registry_lock:
            try:
                refuse_past("connections", "connections", who, list(self.holders.values()))
            except PayloadError as error:
                raise ConnectionRefusedError(error.as_ack()["error"]) from None
            self.sessions[sid()] = {}
            self.holders[sid()] = who

    def on_disconnect(self, reason: Any = None) -> None:
        with self.registry_lock:
            gone = self.sessions.pop(sid(), {})
            self.holders.pop(sid(), None)
        for session in gone.values():
            self.closed(session)

    def closed(self, session: Any) -> None:
        """A widget's connection went away, or it was opened afresh (stop whatever it
        was running)."""

    def learner(self) -> str | None:
        """The learner behind this connection."""
        found = self.holders.get(sid())
        return found.learner if found else None

    def holder(self) -> Holder:
        """The learner and address behind this connection."""
        return self.holders.get(sid()) or holder(None)

    @property
    def trainers(self) -> FairGate:
        """This namespace's trainings at once, shared fairly (made on first use, from the
        app config of that moment)."""
        if self._gate is None:
            with self.registry_lock:
                if self._gate is None:
                    self._gate = FairGate(
                        int(current_app.config.get(*self.training_total)),
                        setting("MAX_TRAINING_PER_LEARNER"),
                        setting("MAX_TRAINING_PER_ADDRESS"),
                    )
        return self._gate

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
        """Refuse to open ``widget_id`` when this connection, its learner, its address or
        the server holds as many widgets as its limits allow (opening one again replaces
        it: always room), naming the limit reached."""
        per_connection = int(current_app.config.get(*self.limits.per_connection))
        total = int(current_app.config.get(*self.limits.total))
        with self.registry_lock:
            mine = self.sessions.get(sid())
            if mine is None:
                raise PayloadError("disconnected", "this connection has closed; reconnect")
            if widget_id in mine:
                return
            if len(mine) >= per_connection:
                raise PayloadError(
                    f"too_many_{self.plural}",
                    f"{per_connection} {self.plural} are open on this page's connection, the "
                    "most one may; close one first",
                )
            holders = [self.holders[s] for s, open_ in self.sessions.items() for _ in open_]
            refuse_past(self.plural, self.plural, self.holder(), holders)
            if len(holders) >= total:
                raise PayloadError(
                    f"too_many_{self.plural}",
                    f"the server has {total} {self.plural} open, all it can hold; try again "
                    "in a while",
                )

    def _register(self, widget_id: str, session: Opened) -> None:
        """Hold ``session`` as this connection's ``widget_id``; one opened before stops.
        A connection that closed while the widget was being built holds nothing: its
        slot would otherwise stay taken with no one to free it."""
        with self.registry_lock:
            mine = self.sessions.get(sid())
            old = None if mine is None else mine.get(widget_id)
            if mine is not None:
                mine[widget_id] = session
        if old is not None:
            self.closed(old)
        if mine is None:
            self.closed(session)
            raise PayloadError("disconnected", "this connection has closed; reconnect")

    @contextmanager
    def training(self, timeout: float | None, busy: str) -> Iterator[None]:
        """A training of this connection's learner for the block: refused past the
        learner's share, waiting for a trainer (``timeout``) past the address's or the
        server's."""
        who = self.holder()
        with self.trainers.claimed(who), self.trainers.slot(who, timeout, busy):
            yield

    def _touched(self, widget_id: str) -> None:
        """Record, once, that the learner worked with this widget (opening it does not count)."""
        session: Opened = self._session(widget_id)
        if session.touched or session.learner is None:
            return
        session.touched = True
        progress.record(session.learner, session.lesson_id, "lab", widget_id)
