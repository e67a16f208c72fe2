"""Who is in a live session, by heartbeat: every page sends ``beat`` every few seconds
and counts as present until ``PRESENCE_SECONDS`` after the last, so the pages of a
crashed process drop out by themselves. A mixin of ``LiveNamespace``.

``beat {code}`` answers what a page needs to notice trouble on its own: the session's
``seq`` (a page behind it asks for the whole state: it missed a push, e.g. while
Redis restarted), whether the presenter is here (and, to a presenter's page whose
session another teacher took over, ``presenting: false``: see live/takeover.py), and,
for staff, who is (``presence``:
the names; ``people``: each with an id for remove and pull, guest or not, exploring
or not: see live/access.py). A beat that
fails (``unavailable``) tells the page to show "reconnecting" and beat again sooner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from course.live.state import CODE, LiveState
from course.live.store import LiveStore
from course.web.sockets import acked, sid
from course.web.validation import Field, PayloadError

SCHEMAS = {"beat": {"code": Field(str, required=True, max_length=6)}}
handler = acked(SCHEMAS, area="live")


def room(code: str, staff: bool = False) -> str:
    return f"live:{code}:staff" if staff else f"live:{code}"


class Presence:
    socketio: Any
    namespace: str
    members: dict[str, tuple[str, str, bool]]  # sid → (code, learner, staff)
    names: dict[str, str]  # sid → the name given at join
    exploring: dict[str, bool]  # sid → exploring on its own
    state: Callable[[str], LiveState]
    people: Callable[[str], list[dict[str, Any]]]
    _attended: Callable[[str, str, str, str], None]
    _check_player: Callable[[str, LiveState], None]
    _poll_welcome: Callable[..., dict[str, Any]]
    _check_timer: Callable[[str, LiveState], None]
    _still_presenting: Callable[[str, LiveState], bool]

    @property
    def store(self) -> LiveStore:  # the namespace's: the app's store
        raise NotImplementedError

    def _arrive(self, code: str, learner: str, name: str, *, staff: bool) -> None:
        """This connection is here (again): tell staff if it is news."""
        exploring = self.exploring.get(sid(), False)
        if self.store.beat(code, sid(), learner, name, staff=staff, exploring=exploring):
            if staff:
                self._send_presenter(code, here=True)
            else:
                self._send_presence(code)

    def _depart(self, code: str, conn: str, *, staff: bool) -> None:
        self.store.gone(code, conn)
        if staff:
            if not self.store.presenter_here(code):
                self._send_presenter(code, here=False)
        else:
            self._send_presence(code)

    def _send_presence(self, code: str) -> None:
        people = self.people(code)
        payload = {
            "code": code,
            "present": sorted(p["name"] for p in people),
            "count": len(people),
            "people": people,
        }
        self.socketio.emit("presence", payload, namespace=self.namespace, to=room(code, staff=True))

    def _send_presenter(self, code: str, *, here: bool) -> None:
        payload = {"code": code, "here": here}
        self.socketio.emit("presenter", payload, namespace=self.namespace, to=room(code))

    def _welcome(
        self, code: str, state: LiveState, learner: str, *, staff: bool, watching: bool
    ) -> dict[str, Any]:
        """What a joining page learns besides the state: who is here (staff), whether
        the presenter is (students), the poll's votes or
        the student's own (see ``polls._poll_welcome``). While Redis is down the page
        gets the last acknowledged state (from the database) and ``reconnecting``; its
        beats bring the rest once Redis is back."""
        reply: dict[str, Any] = {}
        try:
            self._check_player(code, state)
            if staff:
                self._arrive(code, learner, "", staff=True)
                reply["people"] = self.people(code)
                reply["presence"] = sorted(p["name"] for p in reply["people"])
            elif not watching:
                self._arrive(code, learner, self.names.get(sid(), ""), staff=False)
                reply["presenter"] = self.store.presenter_here(code)
            reply |= self._poll_welcome(code, state, learner, staff=staff, watching=watching)
        except PayloadError as error:
            if error.code != "unavailable":
                raise
            reply["reconnecting"] = True
        return reply

    @handler("beat")
    def on_beat(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        member = self.members.get(sid())
        if not CODE.fullmatch(code) or member is None or member[0] != code:
            raise PayloadError("not_joined", "join the session first", "code")
        _, learner, staff = member
        state = self.state(code)
        demoted = staff and not self._still_presenting(code, state)  # someone took over
        staff = staff and not demoted
        if staff or learner:  # a projector watches without counting
            self._arrive(code, learner, self.names.get(sid(), ""), staff=staff)
        if learner and not staff and learner in state.removed:  # (their socket is closed)
            self.store.gone(code, sid())
            raise PayloadError("removed", "The presenter removed you from this live session.")
        if learner and not staff:
            self._attended(code, learner, self.names.get(sid(), ""), "beat")
        self._check_player(code, state)
        self._check_timer(code, state)  # a poll whose timer's process died
        reply: dict[str, Any] = {"seq": self.store.seq(code), "presenter": True}
        if staff:
            reply["people"] = self.people(code)
            reply["presence"] = sorted(p["name"] for p in reply["people"])
        else:
            reply["presenter"] = self.store.presenter_here(code)
        if demoted:  # the page stops presenting, and says who does
            reply |= {"presenting": False, "presenter_name": state.presenter_name}
        return reply
