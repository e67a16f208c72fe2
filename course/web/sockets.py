"""What every Socket.IO namespace of ours does around an event: validate the payload,
turn any failure into an error ack that changes nothing, keep the reply plain and
finite, and note that a learner worked with a widget."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Collection
from typing import Any

from flask import request
from flask_socketio import Namespace

from course.web import wire
from course.web.identity import current_learner_id
from course.web.validation import Field, PayloadError, validate

log = logging.getLogger(__name__)

Handler = Callable[..., dict[str, Any]]


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


class LearnerNamespace(Namespace):
    """A namespace whose connections each hold a learner's open widgets by id
    (labs, playgrounds, tasks), and know the learner behind them."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.sessions: dict[str, dict[str, Any]] = {}  # sid → widget id → its session
        self.learners: dict[str, str | None] = {}  # sid → learner id
        self.registry_lock = threading.Lock()

    def on_connect(self, auth: Any = None) -> None:
        with self.registry_lock:
            self.sessions[request.sid] = {}  # type: ignore[attr-defined]
            self.learners[request.sid] = current_learner_id(create=False)  # type: ignore[attr-defined]

    def on_disconnect(self, reason: Any = None) -> None:
        with self.registry_lock:
            gone = self.sessions.pop(request.sid, {})  # type: ignore[attr-defined]
            self.learners.pop(request.sid, None)  # type: ignore[attr-defined]
        for session in gone.values():
            self.closed(session)

    def closed(self, session: Any) -> None:
        """A widget's connection went away (stop whatever it was running)."""
