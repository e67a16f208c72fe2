"""Who may be in a live session, and the presenter's say over who is (issue 15, item 3).
A mixin of ``LiveNamespace``.

A session started for a class admits the class's members under their class name (the
roster is teach's: it hands over a function, ``live.who_is_member``), guests with the
session code only while the presenter lets them in (``guests``), marked "(guest)"
wherever a name shows (presence, poll answers, the session record); never a learner
the presenter removed. A session for no class (``class_id`` None) admits anyone with
the code under the name they type.

Events (staff only, but ``mode``):

    guests  {code, allowed}    may guests join with the code? (those here stay)
    remove  {code, who}        out at once: their pages leave the session (disconnected)
                               and they cannot join it again
    pull    {code, who}        back to the class's view (a student exploring alone)
    mode    {code, exploring}  a student's page: exploring on its own, or following

``who`` is the opaque id of a staff presence entry (``people``): a hash of the session
code and the learner id, so no learner id leaves the server. Who came, under which
name, and for how long goes to teach through ``live.when_attended`` (the session
record's attendance, read by the gradebook).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from course.live.polls import CODE_FIELD
from course.live.state import LiveState
from course.live.store import LiveStore
from course.web.sockets import acked, sid
from course.web.validation import Field, PayloadError, plain_text

log = logging.getLogger(__name__)

GUEST = " (guest)"  # after a guest's name, wherever it shows
TOUCH_SECONDS = 30.0  # a present student's attendance is written at most this often
WHO = Field(str, required=True, max_length=32)
SCHEMAS: dict[str, dict[str, Field]] = {
    "guests": {"code": CODE_FIELD, "allowed": Field(bool, required=True)},
    "remove": {"code": CODE_FIELD, "who": WHO},
    "pull": {"code": CODE_FIELD, "who": WHO},
    "mode": {"code": CODE_FIELD, "exploring": Field(bool, required=True)},
}
handler = acked(SCHEMAS, area="live")


@dataclass(frozen=True)
class Seat:
    """How a student sits in a session: the name everyone sees, and whether a guest."""

    name: str
    guest: bool

    @property
    def label(self) -> str:
        return self.name + GUEST if self.guest else self.name


def learner_room(code: str, learner: str) -> str:
    """Every page one learner has open in the session (for ``pull`` and ``remove``)."""
    return f"live:{code}:learner:{learner}"


def members_only(state: LiveState) -> PayloadError:
    return PayloadError(
        "members_only",
        "This live session is for the members of its class. Open it from My classes "
        "(join the class first with its code), or ask your teacher to let guests in.",
        "code",
    )


def removed() -> PayloadError:
    return PayloadError("removed", "The presenter removed you from this live session.", "code")


class Seating:
    socketio: Any
    namespace: str
    members: dict[str, tuple[str, str, bool]]  # sid → (code, learner, staff)
    names: dict[str, str]  # sid → the label shown for the student
    exploring: dict[str, bool]  # sid → exploring on its own (this process's connections)
    touched: dict[tuple[str, str], float]  # (code, learner) → attendance last written
    state: Callable[[str], LiveState]
    _presenter: Callable[[str], LiveState]
    _member: Callable[[str], tuple[str, str, bool]]
    _changed: Callable[..., dict[str, Any]]
    _send_presence: Callable[[str], None]

    @property
    def store(self) -> LiveStore:  # the namespace's: the app's store
        raise NotImplementedError

    # -- admission ----------------------------------------------------------------------
    def _admit(
        self, state: LiveState, learner: str, typed: str | None, *, watching: bool, teacher: bool
    ) -> Seat:
        """The seat of a student (or a projector, ``watching``) joining ``state``, or
        a refusal. ``teacher``: an instructor is signed in (a projector they open)."""
        if learner and learner in state.removed:
            raise removed()
        name = plain_text(typed or "") or "Anonymous"
        if state.class_id is None:
            return Seat(name, guest=False)
        member = self.member_name(state.class_id, learner) if learner else None
        if member is not None:
            return Seat(member, guest=False)
        if state.guests or (watching and teacher):
            return Seat(name, guest=True)
        raise members_only(state)

    def member_name(self, class_id: int, learner: str) -> str | None:
        check = current_app.extensions.get("live_member")  # see live.who_is_member
        return None if check is None else check(class_id, learner)  # type: ignore[no-any-return]

    def _may_copy(self, state: LiveState, learner: str | None) -> bool:
        """Whether this learner may take a private copy of the session's lab."""
        if learner and learner in state.removed:
            return False
        if state.class_id is None or state.guests:
            return True
        return learner is not None and self.member_name(state.class_id, learner) is not None

    # -- who is here, for staff -----------------------------------------------------------
    def who(self, code: str, learner: str) -> str:
        """The opaque id staff see for ``learner`` in session ``code``."""
        key = str(current_app.secret_key).encode()
        return hmac.new(key, f"{code}:{learner}".encode(), hashlib.sha256).hexdigest()[:16]

    def people(self, code: str) -> list[dict[str, Any]]:
        """The students here as staff see them: id, name, guest?, exploring?"""
        found = [
            {
                "id": self.who(code, learner),
                "name": name,
                "guest": name.endswith(GUEST),
                "exploring": exploring,
            }
            for learner, (name, exploring) in self.store.people(code).items()
        ]
        return sorted(found, key=lambda p: (p["name"].casefold(), p["id"]))

    def _learner(self, code: str, who: str) -> tuple[str, str]:
        """The learner (and name) behind a staff presence id, among those here."""
        for learner, (name, _) in self.store.people(code).items():
            if hmac.compare_digest(self.who(code, learner), who):
                return learner, name
        raise PayloadError("not_found", "that student is no longer in the session", "who")

    # -- the presenter's say --------------------------------------------------------------
    @handler("guests")
    def on_guests(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        if self._presenter(code).class_id is None:
            raise PayloadError("bad_value", "this session is open to anyone with the code")

        def allow(s: LiveState) -> None:
            s.guests = data["allowed"]

        return {"state": self._changed(code, allow)}

    @handler("remove")
    def on_remove(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        self._presenter(code)
        learner, name = self._learner(code, data["who"])

        def remove(s: LiveState) -> None:
            if learner not in s.removed:
                s.removed.append(learner)

        view = self._changed(code, remove)
        message = {"code": code, "message": removed().message}
        self.socketio.emit(
            "removed", message, namespace=self.namespace, to=learner_room(code, learner)
        )
        # Their pages leave the session at once, here and on other processes (through the
        # message queue); a rejoin is refused above.
        for conn in self.store.connections(code, learner):
            self.socketio.server.disconnect(conn, namespace=self.namespace)
            self.store.gone(code, conn)
        self._attended(code, learner, name, "removed")
        self._send_presence(code)
        return {"state": view, "removed": name}

    @handler("pull")
    def on_pull(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        self._presenter(code)
        learner, name = self._learner(code, data["who"])
        self.socketio.emit(
            "pull", {"code": code}, namespace=self.namespace, to=learner_room(code, learner)
        )
        return {"pulled": name}

    @handler("mode")
    def on_mode(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        _, learner, staff = self._member(code)
        if staff or not learner:
            raise PayloadError("forbidden", "only students explore")
        self.exploring[sid()] = data["exploring"]
        self.store.beat(
            code,
            sid(),
            learner,
            self.names.get(sid(), ""),
            staff=False,
            exploring=data["exploring"],
        )
        self._send_presence(code)
        return {"exploring": data["exploring"]}

    # -- attendance, for the session record and the gradebook ------------------------------
    def _attended(self, code: str, learner: str, label: str, event: str) -> None:
        """Tell teach that ``learner`` joined, is still here (at most every
        ``TOUCH_SECONDS``), left or was removed. Never fails the event: attendance is
        a record, not a condition of taking part."""
        record = current_app.extensions.get("live_attended")  # see live.when_attended
        if record is None or not learner:
            return
        now = time.monotonic()
        last = self.touched.get((code, learner))
        if event == "beat" and last is not None and now - last < TOUCH_SECONDS:
            return
        if event in ("leave", "removed"):
            self.touched.pop((code, learner), None)
        else:
            self.touched[(code, learner)] = now
        guest = label.endswith(GUEST)
        name = label[: -len(GUEST)] if guest else label
        try:
            record(code, learner, name, guest=guest, event=event)
        except Exception:
            log.exception("attendance of live session %s not recorded", code)
