"""Socket.IO namespace ``/live``: classroom sessions on one shared lab.

Client events (answered through acks, ``{"ok": true, ...}`` or an error ack):

    join     {code, name?}              enter a session (if admitted: see live/access.py);
                                        the ack holds the full state and your seat
    sync     {code}                     the full state again (after a gap in seq)
    present  {code, action, ...,        presenter only: step | jump | train | reset |
              confirm?}                 select | configure | layers | play | pause; a
                                        change that wipes training is refused as
                                        ``confirm_needed`` (saying what is lost) unless
                                        ``confirm`` is true
    poll     {code, op, ...}            presenter only: open | ask | close | results |
                                        answer | revote | timer | live (see live/polls.py)
    explore  {code, allowed}            presenter only: may students break away?
    answer   {code, poll, answer}       student: answer the open poll (again = change it)
    end      {code}                     presenter only
    beat     {code}                     every few seconds: still here (see live/presence.py)
    guests | remove | pull | mode       who may be here (see live/access.py)
    takeover {code}                     a teacher of the class presents from now on
                                        (see live/takeover.py)

Every change is noted in the session's record (``live.record``): steps, epochs,
changes, joins and polls with every answer, kept in the database after the session.

Pushed events: ``state`` (the whole view, with ``seq``) and ``presenter`` (here or
not) to everyone in the session; ``presence`` and ``votes`` to the staff room only
(``votes`` to projectors too while the presenter shows counts as they come in);
``pull`` and ``removed`` to one student's pages; ``takeover`` to the staff room.
While the store cannot be reached, events answer ``unavailable`` and change nothing.
Who presents is decided here, from the signed login cookie, on every event; nothing
the client sends can make it a presenter.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app, has_request_context, session
from flask_socketio import Namespace, join_room, leave_room

from course.lessons.registry import lessons
from course.live import record
from course.live.access import Seating, learner_room
from course.live.play import Playing
from course.live.polls import CODE_FIELD, Polling, poll_record, screen_room
from course.live.pollstate import vote_key
from course.live.presence import Presence, room
from course.live.state import CODE, REBUILDS, LiveState, start_session, weights_version
from course.live.store import LiveStore
from course.live.takeover import Takeover
from course.storage import db
from course.web.flood import code_attempt
from course.web.identity import current_learner_id
from course.web.origins import refuse_unwelcome
from course.web.sockets import acked, sid
from course.web.validation import Field, PayloadError, validate
from engine import Lab
from engine.snapshot import from_bytes, to_bytes

log = logging.getLogger(__name__)

SCHEMAS: dict[str, dict[str, Field]] = {
    # watch: a projector, which neither votes nor counts as present
    "join": {
        "code": CODE_FIELD,
        "name": Field(str, max_length=40),
        "watch": Field(bool, default=False),
    },
    "sync": {"code": CODE_FIELD},
    "explore": {"code": CODE_FIELD, "allowed": Field(bool, required=True)},
    "end": {"code": CODE_FIELD},
}


def instructor_id() -> str | None:
    """The logged-in instructor behind this connection (from the signed cookie, checked
    on every event by ``live.who_signed_in``'s function: a signed-out presenter's open
    socket is refused)."""
    check = current_app.extensions.get("live_instructor")
    if check is not None:
        return check()  # type: ignore[no-any-return]
    found = session.get("instructor_id")
    return str(found) if found else None


handler = acked(SCHEMAS, area="live")


class LiveNamespace(Playing, Presence, Polling, Seating, Takeover, Namespace):
    """Holds a cache of the sessions this process has seen; the store is the truth.

    The store is the app's (``course.live.init_app``), read per event: the Socket.IO
    extension, and so this namespace, may serve several apps (tests build many)."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.cache: dict[str, LiveState] = {}
        self.members: dict[str, tuple[str, str, bool]] = {}  # sid → (code, learner, staff)
        self.names: dict[str, str] = {}  # sid → a student's name, "(guest)" after a guest's
        self.exploring: dict[str, bool] = {}  # sid → a student exploring on their own
        self.touched: dict[tuple[str, str], float] = {}  # attendance last written (access.py)
        self.process = uuid.uuid4().hex  # who plays a session (see live/play.py)
        self.players: dict[str, threading.Event] = {}  # code → stop flag of its play loop
        self.guard = threading.Lock()

    @property
    def store(self) -> LiveStore:
        return current_app.extensions["live_store"]  # type: ignore[no-any-return]

    # -- sessions ----------------------------------------------------------------
    def start(
        self,
        lesson: Any,
        lab_id: str,
        presenter: str,
        *,
        class_id: int | None = None,
        guests: bool = True,
    ) -> str:
        """A new session on ``lesson``'s lab, presented by ``presenter``, for the
        members of class ``class_id`` (and guests if ``guests``) or anyone; its code."""
        with db.sessions()() as session:
            name = record.instructor_name(session, presenter)
        state = start_session(
            self.store, lesson, lab_id, presenter, class_id=class_id, guests=guests,
            presenter_name=name,
        )  # fmt: skip
        record.open_record(state)
        with self.guard:
            self.cache[state.code] = state
        return state.code

    def state(self, code: str) -> LiveState:
        """This process's copy of the session, rebuilt if another process moved on."""
        stored_seq = self.store.seq(code)
        if stored_seq is None:
            raise PayloadError("not_found", "no live session with that code", "code")
        cached = self.cache.get(code)
        if cached is not None and cached.seq == stored_seq:
            return cached
        found = self.store.load(code)
        if found is None:
            raise PayloadError("not_found", "no live session with that code", "code")
        meta, view, lab = found
        lesson = lessons().get(meta["lesson"])
        rebuilt = LiveState.restore(meta, lab, lesson)
        rebuilt.last_view = view
        rebuilt.figures = view.get("figures")
        with self.guard:
            self.cache[code] = rebuilt
        return rebuilt

    def explore_copy(self, code: str, lesson: str, lab_id: str) -> Lab:
        """A private copy of session ``code``'s shared lab, for a student who breaks away
        (if the presenter allows exploring, or the session has ended, and the page shows
        that lab)."""
        with code_attempt("live"):
            if not CODE.fullmatch(code):
                raise PayloadError("not_found", "no live session with that code", "live")
            state = self.state(code)
        if state.lesson != lesson or state.spec.id != lab_id:
            raise PayloadError("bad_value", "that live session shows another lab", "live")
        if not (state.explore or state.ended):
            raise PayloadError("forbidden", "the presenter has not allowed exploring", "live")
        if not self._may_copy(state, current_learner_id(create=False)):
            raise PayloadError("forbidden", "you are not in that live session", "live")
        with state.lock:
            return from_bytes(to_bytes(state.lab))

    def stored_view(self, code: str) -> dict[str, Any]:
        found = self.store.load(code)
        if found is None:
            raise PayloadError("not_found", "no live session with that code", "code")
        return found[1]

    def _signed_in(self) -> str | None:
        return instructor_id()

    def _presenter(self, code: str) -> LiveState:
        state = self.state(code)
        if instructor_id() != state.presenter:
            who = state.presenter_name if state.presenter_name and instructor_id() else ""
            said = f"{who} is presenting now: only they can do that" if who else ""
            raise PayloadError("forbidden", said or "only the presenter can do that")
        if state.ended:
            raise PayloadError("ended", "this session has ended")
        return state

    def change(
        self,
        code: str,
        fn: Callable[[LiveState], Any],
        *,
        full: bool = True,
        action: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """Apply ``fn`` to the session under its lock, bump seq, store (the database,
        then the fast path), note it in the session's record (``action``: the
        presenter's, if any) and broadcast; ``None`` if ``fn`` returned False (nothing
        to do). If anything fails, this process's copy is dropped (it may be half
        changed): the next event rebuilds it from the store, which has the last
        acknowledged state."""
        with self.store.lock(code):
            state = self.state(code)
            with state.lock:
                try:
                    before = weights_version(state)
                    noted = record.snapshot(state)
                    if fn(state) is False:
                        return None
                    state.seq += 1
                    rebuilt = weights_version(state) != before
                    view = state.view(full=full)
                    if state.new_figures:  # the network's shape changed: everyone re-embeds
                        view, state.new_figures = view | {"figures": state.figures}, False
                    stored = state.remember(view, full=full)
                    lab = state.lab_bytes() if rebuilt else None
                    self.store.save(code, state.meta(), stored, lab)
                except BaseException:
                    with self.guard:
                        if self.cache.get(code) is state:
                            del self.cache[code]
                    raise
                self._note(state, noted, action)
        self.socketio.emit("state", view, namespace=self.namespace, to=room(code))
        return view

    def _note(
        self, state: LiveState, before: dict[str, Any], action: dict[str, Any] | None
    ) -> None:
        """The change just stored, in the session's record (see ``live.record``). A
        record that cannot be written is logged: the class goes on."""
        try:
            after = record.snapshot(state, viewed=True)
            frame = state.lab.frame() if action and action["action"] == "step" else None
            found = record.lines(before, after, action, frame)
            kept = record.polls_to_keep(before, after)
            if kept:
                with db.sessions()() as session:
                    names = record.names(session, state.record)
                names |= self.store.present(state.code)
                for poll in kept:
                    votes = self.store.votes(state.code, vote_key(poll["number"], poll["round"]))
                    found.append(record.poll_result(poll, votes, names))
            # A presenter's click names them; a play loop's tick (no request) does not.
            by_presenter = has_request_context() and instructor_id() == state.presenter
            record.write(state, None if by_presenter else record.PLAYER, found)
        except Exception:
            log.exception("live session %s: its record could not be written", state.code)

    def _changed(self, code: str, fn: Callable[[LiveState], Any], **kw: Any) -> dict[str, Any]:
        view = self.change(code, fn, **kw)
        assert view is not None  # fn always changes something
        return view

    # -- connection --------------------------------------------------------------
    def on_connect(self, auth: Any = None) -> None:
        refuse_unwelcome()  # an unknown host; an instructor from a foreign origin

    def on_disconnect(self, reason: Any = None) -> None:
        with self.guard:
            member = self.members.pop(sid(), None)
        if member is None:
            return
        label = self.names.pop(sid(), "")
        self.exploring.pop(sid(), None)
        code, learner, staff = member
        if not staff and not learner:  # a projector
            return
        with contextlib.suppress(PayloadError):  # the store is down: the beats expire
            self._depart(code, sid(), staff=staff)
        if not staff:
            self._attended(code, learner, label, "leave")

    # -- events --------------------------------------------------------------------
    @handler("join")
    def on_join(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        with code_attempt():
            state = self.state(code)
        staff = instructor_id() == state.presenter
        learner = current_learner_id(create=False)
        watching = data["watch"] and not staff
        if not staff and not watching and learner is None:
            raise PayloadError("no_learner", "open the session page first (it sets your cookie)")
        seat = None
        if not staff:
            teacher = instructor_id() is not None
            seat = self._admit(
                state, learner or "", data["name"], watching=watching, teacher=teacher
            )
        with self.guard:
            previous = self.members.get(sid())
            self.members[sid()] = (code, "" if watching else learner or "", staff)
        if previous is not None and previous[0] != code:
            leave_room(room(previous[0]))
            leave_room(screen_room(previous[0]))
            if previous[2] or previous[1]:
                self._depart(previous[0], sid(), staff=previous[2])
        elif previous is not None and previous[2] and not staff:  # someone took over
            leave_room(room(code, staff=True))
            self._depart(code, sid(), staff=True)
        join_room(room(code))
        reply: dict[str, Any] = {
            "role": "presenter" if staff else "student",
            "state": self.stored_view(code),
        }
        if staff:
            join_room(room(code, staff=True))
        elif watching:
            join_room(screen_room(code))
        elif seat is not None and learner:
            self.names[sid()] = seat.label
            join_room(learner_room(code, learner))
            reply["seat"] = {"name": seat.name, "guest": seat.guest}
            try:
                record.joined(state, learner, seat.label)
            except Exception:  # the record is no reason to refuse a join
                log.exception("live session %s: its record could not note a join", code)
        welcome = self._welcome(code, state, learner or "", staff=staff, watching=watching)
        if seat is not None and not watching and learner:
            self._attended(code, learner, seat.label, "join")
        return reply | welcome

    @handler("sync")
    def on_sync(self, data: dict[str, Any]) -> dict[str, Any]:
        self._member(data["code"])
        return {"state": self.stored_view(data["code"])}

    @handler(None)
    def on_present(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise PayloadError("bad_payload", "the payload must be an object")
        args = dict(data)
        code = validate({"code": args.pop("code", None)}, {"code": CODE_FIELD})["code"]
        action = validate(
            {"action": args.pop("action", None)}, {"action": Field(str, required=True)}
        )["action"]
        if not CODE.fullmatch(code):
            raise PayloadError("not_found", "no live session with that code", "code")
        self._presenter(code)
        if action == "play":  # the lease first: no one may take the session for orphaned
            self.store.hold_player(code, self.process)

        def act(s: LiveState) -> None:
            s.present(action, args)
            s.player = self.process if s.playing else ""

        view = self._changed(code, act, full=action in REBUILDS, action={"action": action, **args})
        if action == "play":
            self._start_play(code, args)
        elif action in ("pause", *REBUILDS):
            self._stop_play(code)
        return {"state": view}

    @handler("explore")
    def on_explore(self, data: dict[str, Any]) -> dict[str, Any]:
        self._presenter(data["code"])

        def allow(s: LiveState) -> None:
            s.explore = data["allowed"]

        return {"state": self._changed(data["code"], allow)}

    @handler("end")
    def on_end(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        self._presenter(code)
        self._stop_play(code)

        def end(s: LiveState) -> None:
            s.ended = True
            s.playing, s.player = False, ""

        view = self._changed(code, end)
        summary = self.summary(code)
        ended = current_app.extensions.get("live_ended")  # see course.live.when_ended
        if ended is not None:
            ended(code, summary)
        return {"state": view, "summary": summary}

    # -- helpers -------------------------------------------------------------------
    def _member(self, code: str) -> tuple[str, str, bool]:
        member = self.members.get(sid())
        if member is None or member[0] != code:
            raise PayloadError("not_joined", "join the session first", "code")
        if member[1] and not member[2] and member[1] in self.state(code).removed:
            raise PayloadError("removed", "The presenter removed you from this live session.")
        return member

    def summary(self, code: str) -> dict[str, Any]:
        state = self.state(code)
        return {
            "code": code,
            "lesson": state.lesson,
            "lab": state.spec.id,
            "epochs": state.lab.epoch,
            "steps": state.seq,
            "present": sorted(self.store.present(code).values()),
            "last_poll": self._tally(code, state.poll) | {"quiz": state.poll.quiz}
            if state.poll
            else None,
            "polls": poll_record(self.store, state),
            "record": state.record,
        }
