"""Taking over a live session: any teacher of the session's class (its owner or a
co-teacher, as teach says through ``live.who_teaches``) may become its presenter, e.g.
when the presenter's laptop dies. A mixin of ``LiveNamespace``.

    takeover {code}    a teacher of the class: present this session from now on

The presenter is part of the session's state in the store (Redis and the database), and
every presenter event checks it against the sign-in, so a takeover holds on every
process at once: it is a change like any other (``seq`` goes on by one; the lab, polls
and votes are untouched), noted in the record ("Grace took over from Ada"). The staff
pages are told (``takeover {code, name}``); the one that no longer presents learns it
from its next beat (``presenting: false``), becomes a watcher (no longer staff, not
counted as present) and can only take the session back. Students notice nothing.
The class page and the presenter's page take over through ``POST /live/<code>/takeover``
(live/pages.py), which calls ``take_over``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_socketio import leave_room

from course.live import record
from course.live.polls import CODE_FIELD
from course.live.presence import room
from course.live.state import LiveState
from course.live.teachers import teaches
from course.storage import db
from course.web.flood import code_attempt
from course.web.sockets import acked, sid
from course.web.validation import PayloadError

SCHEMAS = {"takeover": {"code": CODE_FIELD}}
handler = acked(SCHEMAS, area="live")


class Takeover:
    socketio: Any
    namespace: str
    members: dict[str, tuple[str, str, bool]]  # sid → (code, learner, staff)
    guard: Any
    state: Callable[[str], LiveState]
    stored_view: Callable[[str], dict[str, Any]]
    change: Callable[..., dict[str, Any] | None]
    _depart: Callable[..., None]
    _signed_in: Callable[[], str | None]  # the instructor behind this event, if any

    def take_over(self, code: str, instructor: str) -> dict[str, Any]:
        """Make ``instructor`` the presenter of session ``code``; the session's view.
        Refused (``forbidden``) unless they teach the session's class (a session for no
        class has no one to hand it over to), and once it has ended."""
        state = self.state(code)
        if not teaches(state.class_id, instructor):
            raise PayloadError(
                "forbidden", "only a teacher of the session's class can take it over"
            )
        if state.ended:
            raise PayloadError("ended", "this session has ended")
        if state.presenter == instructor:
            return self.stored_view(code)
        with db.sessions()() as session:
            name = record.instructor_name(session, instructor)

        def take(s: LiveState) -> bool:
            if s.presenter == instructor:  # taken over meanwhile (another process)
                return False
            s.presenter, s.presenter_name, s.owner = instructor, name, instructor
            return True

        view = self.change(code, take)
        if view is None:
            return self.stored_view(code)
        payload = {"code": code, "name": name}
        self.socketio.emit("takeover", payload, namespace=self.namespace, to=room(code, staff=True))
        return view

    def _still_presenting(self, code: str, state: LiveState) -> bool:
        """Whether this staff connection's instructor still presents ``state``; if not
        (someone took over), it becomes a watcher: out of the staff room and presence."""
        if self._signed_in() == state.presenter:
            return True
        with self.guard:
            self.members[sid()] = (code, "", False)
        leave_room(room(code, staff=True))
        self._depart(code, sid(), staff=True)
        return False

    @handler("takeover")
    def on_takeover(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        me = self._signed_in()
        if me is None:
            raise PayloadError("forbidden", "sign in as a teacher of the class to take over")
        with code_attempt():
            self.state(code)
        return {"state": self.take_over(code, me)}
