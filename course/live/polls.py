"""Polls in a live session, as peer instruction: the presenter puts a question to the
class (one of the lesson's choice questions, or one they type: options or a number),
students vote (again = change their vote), staff see the tally as it comes in (the
projector too, if the presenter chooses), the presenter reveals the counts and the
answer; a revote after the discussion keeps both rounds, shown side by side. A timer
closes the poll at a time the server set. A mixin of ``LiveNamespace``, which holds
the store and makes the changes; the poll itself is ``pollstate.Poll``, in the state.

Events (see ``SCHEMAS``):

    poll    {code, op, ...}   presenter only. op: open {quiz} | ask {question} | close |
                              results | answer | revote | timer {seconds} | live {on}
    answer  {code, poll, answer}   a student's vote in the open round of poll number
                                   ``poll``: {"choice": id} or {"value": number}

While a lesson's question is the live poll, its own copy on the lesson page is shut
for the session's students (``inline_lock``, which the quiz API asks) until the
presenter reveals the answer. ``poll_record`` is every poll of a session with its
rounds and who answered what, for the session record.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g, session

from course.lessons.registry import Lesson, lessons
from course.live.pollstate import (
    LETTERS,
    MAX_ROUNDS,
    MAX_SECONDS,
    Poll,
    adhoc,
    from_quiz,
    tally,
    vote_key,
)
from course.live.presence import room
from course.live.state import CODE, LiveState
from course.live.store import LiveStore
from course.web.sockets import acked, sid
from course.web.validation import Field, PayloadError

CODE_FIELD = Field(str, required=True, max_length=6)
OPS = ("open", "ask", "close", "results", "answer", "revote", "timer", "live")
SCHEMAS: dict[str, dict[str, Field]] = {
    "poll": {
        "code": CODE_FIELD,
        "op": Field(str, required=True, choices=OPS),
        "quiz": Field(str, max_length=64),  # open
        "question": Field(dict),  # ask: see pollstate.ADHOC
        "seconds": Field(int, minimum=1, maximum=MAX_SECONDS),  # timer
        "on": Field(bool),  # live: the projector shows counts as they come in
    },
    "answer": {
        "code": CODE_FIELD,
        "poll": Field(int, required=True, minimum=1),
        "answer": Field(dict, required=True),
    },
}
SESSION_KEY = "live_code"  # the live session this browser's student page last opened
handler = acked(SCHEMAS, area="live")


def screen_room(code: str) -> str:
    """The projectors of session ``code`` (counts as they come in, if the presenter wants)."""
    return f"live:{code}:screen"


def now_ms() -> int:
    return int(time.time() * 1000)


class Polling:
    socketio: Any
    namespace: str
    names: dict[str, str]
    state: Callable[[str], LiveState]
    change: Callable[..., dict[str, Any] | None]
    _presenter: Callable[[str], LiveState]
    _changed: Callable[..., dict[str, Any]]
    _member: Callable[[str], tuple[str, str, bool]]

    @property
    def store(self) -> LiveStore:  # the namespace's: the app's store
        raise NotImplementedError

    @handler("poll")
    def on_poll(self, data: dict[str, Any]) -> dict[str, Any]:
        code, op = data["code"], data["op"]
        state = self._presenter(code)
        if op in ("open", "ask"):
            number = len(state.asked) + (state.poll is not None) + 1
            if op == "open":
                lesson = lesson_of(state)
                quiz = lesson.quizzes.get(data["quiz"] or "")
                if quiz is None:
                    raise PayloadError("not_found", "no question with that id here", "quiz")
                new = from_quiz(number, lesson, quiz, str(current_app.secret_key))
            else:
                new = adhoc(number, data["question"])

            def put(s: LiveState) -> None:
                if s.poll is not None:
                    s.asked.append(s.poll.as_dict())
                s.poll = new

            return {"state": self._changed(code, put)}
        poll = state.poll
        if poll is None:
            raise PayloadError("no_poll", "no question is open")
        if op == "answer" and not poll.graded:
            raise PayloadError("no_answer", "this question has no answer to show")
        if op == "revote" and (poll.round >= MAX_ROUNDS or poll.show_answer):
            why = "the answer is already shown" if poll.show_answer else "this was the revote"
            raise PayloadError("no_revote", f"no revote: {why}")
        if op == "timer" and not poll.open:
            raise PayloadError("closed", "the poll is closed: no timer to set")
        if op == "timer" and data["seconds"] is None:
            raise PayloadError("missing", "seconds is required", "seconds")
        if op == "live" and data["on"] is None:
            raise PayloadError("missing", "on is required", "on")

        def update(s: LiveState) -> None:
            p = s.poll
            assert p is not None
            if op in ("close", "results", "answer"):  # nothing is revealed while votes come in
                p.open, p.ends_at = False, None
            if op == "results":
                p.results = {
                    str(r): tally(p, self.store.votes(code, vote_key(p.number, r)))
                    for r in range(1, p.round + 1)
                }
                p.show_results = True
            elif op == "answer":
                p.show_answer = True
            elif op == "revote":
                p.round += 1
                p.open, p.show_results, p.ends_at = True, False, None
            elif op == "timer":
                p.ends_at = now_ms() + 1000 * data["seconds"]
            elif op == "live":
                p.live_counts = data["on"]

        view = self._changed(code, update)
        current = self.state(code).poll
        assert current is not None
        if op == "timer":
            self._expire_at(code, current)
        if op in ("live", "revote"):
            self._send_votes(code, current)
        return {"state": view}

    @handler("answer")
    def on_answer(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        member = self._member(code)
        if member[2] or not member[1]:
            raise PayloadError("forbidden", "only students vote")
        state = self.state(code)
        poll = state.poll
        if poll is None or not poll.open or poll.number != data["poll"]:
            raise PayloadError("closed", "that question is not open", "poll")
        if poll.ends_at is not None and now_ms() >= poll.ends_at:
            self._expire(code, poll.number, poll.ends_at)  # its timer's process may be gone
            raise PayloadError("closed", "time is up: the poll is closed", "poll")
        vote = poll.checked_vote(data["answer"])
        self.store.vote(code, poll.vote_key, member[1], vote | {"name": self.names.get(sid(), "")})
        self._send_votes(code, poll)
        return {"recorded": True, "round": poll.round}

    # -- what pages learn besides the state ------------------------------------------
    def _poll_welcome(
        self, code: str, state: LiveState, learner: str, *, staff: bool, watching: bool
    ) -> dict[str, Any]:
        """For a joining page: the server's clock (for the countdown), and for the open
        poll the tally (staff; the projector if counts are live) or the student's own
        vote in every round (``mine``: round → answer)."""
        reply: dict[str, Any] = {"now": now_ms()}
        poll = state.poll
        if poll is None:
            return reply
        self._check_timer(code, state)
        if staff:
            reply["votes"] = self._tally(code, poll)
        elif watching:
            if poll.live_counts:
                reply["votes"] = self._tally(code, poll, names=False)
        else:
            mine = {}
            for r in range(1, poll.round + 1):
                vote = self.store.votes(code, vote_key(poll.number, r)).get(learner)
                if vote is not None:
                    mine[str(r)] = {k: v for k, v in vote.items() if k != "name"}
            reply["mine"] = mine
        return reply

    def _tally(self, code: str, poll: Poll, *, names: bool = True) -> dict[str, Any]:
        votes = self.store.votes(code, poll.vote_key)
        found = {"poll": poll.number, "round": poll.round} | tally(poll, votes)
        if names:
            found["who"] = sorted(str(vote.get("name") or "?") for vote in votes.values())
        return found

    def _send_votes(self, code: str, poll: Poll) -> None:
        payload = {"code": code} | self._tally(code, poll)
        self.socketio.emit("votes", payload, namespace=self.namespace, to=room(code, staff=True))
        if poll.live_counts:
            payload = {"code": code} | self._tally(code, poll, names=False)
            self.socketio.emit("votes", payload, namespace=self.namespace, to=screen_room(code))

    # -- the timer -------------------------------------------------------------------------
    def _expire_at(self, code: str, poll: Poll) -> None:
        """Close ``poll`` at its ``ends_at`` (a later timer or change supersedes this
        one). If this process dies first, the next vote or join closes it."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        number, ends_at = poll.number, poll.ends_at
        assert ends_at is not None

        def wait_then_close() -> None:
            time.sleep(max(0.0, (ends_at - now_ms()) / 1000))  # the timer itself, not a sync
            # The store down or the session gone: nothing to close.
            with app.app_context(), contextlib.suppress(PayloadError):
                self._expire(code, number, ends_at)

        threading.Thread(target=wait_then_close, name=f"poll-timer-{code}", daemon=True).start()

    def _check_timer(self, code: str, state: LiveState) -> None:
        """Close the poll if its time is up and its timer's process did not (it died):
        every page's beat asks, so a poll closes within a beat of its end anyway."""
        poll = state.poll
        if poll is None or not poll.open or poll.ends_at is None:
            return
        if now_ms() >= poll.ends_at:
            self._expire(code, poll.number, poll.ends_at)

    def _expire(self, code: str, number: int, ends_at: int) -> None:
        def close(s: LiveState) -> bool:
            p = s.poll
            if p is None or p.number != number or p.ends_at != ends_at or not p.open:
                return False  # closed, reset or replaced meanwhile
            p.open, p.ends_at = False, None
            s.message = "Time is up: the poll is closed."
            return True

        self.change(code, close)


def lesson_of(state: LiveState) -> Lesson:
    found = lessons().get(state.lesson)
    if found is None:  # the lesson was removed since the session started
        raise PayloadError("not_found", "this session's lesson is no longer served", "code")
    return found


# -- the lesson's own copy of a live question ------------------------------------------
def remember_session(code: str) -> None:
    """This browser's student page is in session ``code`` (its inline questions follow
    the session's polls: see ``inline_lock``)."""
    session[SESSION_KEY] = code


def inline_lock(lesson: str, quiz_id: str) -> str | None:
    """Why the lesson ``lesson``'s question ``quiz_id`` may not be answered or shown on
    this browser now (None: it may): it is the open poll of the live session the
    browser is in, and the presenter has not revealed the answer."""
    code = session.get(SESSION_KEY)
    if not isinstance(code, str) or not CODE.fullmatch(code):
        return None
    if "live_poll" not in g:  # once per request: a page asks for all its questions at once
        try:
            g.live_poll = current_app.extensions["live"].state(code)
        except PayloadError as error:
            g.live_poll = error
    state = g.live_poll
    if isinstance(state, PayloadError):
        if state.code == "unavailable":
            return "the class's server is reconnecting: try again in a moment"
        return None  # the session is over
    poll = state.poll
    if state.ended or poll is None or state.lesson != lesson or poll.quiz != quiz_id:
        return None
    if not poll.hides_inline():
        return None
    return "this question is the class's live poll: answer it in the poll panel"


# -- the session record ------------------------------------------------------------------
def poll_record(store: LiveStore, state: LiveState) -> list[dict[str, Any]]:
    """Every poll of session ``state`` in the order asked: the question, its options
    with their letters, the right letters (or value), and per round the counts by
    letter (or number) and who answered what (learner id, name, letter or value)."""
    asked = [Poll.from_dict(p) for p in state.asked]
    if state.poll is not None:
        asked.append(state.poll)
    record = []
    for poll in asked:
        letter = poll.letters
        rounds = []
        for r in range(1, poll.round + 1):
            votes = store.votes(state.code, vote_key(poll.number, r))
            counts = tally(poll, votes)["counts"]
            answers = [
                {
                    "learner": learner,
                    "name": vote.get("name", ""),
                    "answer": poll.label(vote) if poll.kind == "choice" else vote.get("value"),
                }
                for learner, vote in sorted(votes.items())
            ]
            rounds.append(
                {
                    "round": r,
                    "counts": {letter.get(k, k): n for k, n in counts.items()},
                    "answered": len(votes),
                    "answers": answers,
                }
            )
        record.append(
            {
                "number": poll.number,
                "quiz": poll.quiz,
                "kind": poll.kind,
                "prompt": poll.prompt,
                "options": {c["letter"]: c["html"] for c in poll.choices},
                "answer": poll.right_labels(),
                "rounds": rounds,
            }
        )
    return record


__all__ = ["LETTERS", "Polling", "inline_lock", "poll_record", "remember_session"]
