"""Polls in a live session: the presenter opens one of the lesson's choice questions,
students vote (again = change their vote), staff see the tally as it comes in, and the
presenter reveals the counts or the answer to everyone. A mixin of ``LiveNamespace``,
which holds the store and makes the changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import current_app

from course.lessons.registry import Lesson, lessons
from course.live.presence import room
from course.live.state import LiveState, Poll
from course.live.store import LiveStore
from course.quizzes import AnswerError, grade, item_ids, quiz_key, solution
from course.web import wire
from course.web.sockets import acked
from course.web.validation import Field, PayloadError

CODE_FIELD = Field(str, required=True, max_length=6)
SCHEMAS: dict[str, dict[str, Field]] = {
    "poll": {
        "code": CODE_FIELD,
        "op": Field(str, required=True, choices=("open", "close", "results", "answer")),
        "quiz": Field(str, max_length=64),
    },
    "answer": {
        "code": CODE_FIELD,
        "quiz": Field(str, required=True, max_length=64),
        "answer": Field(dict, required=True),
    },
}
handler = acked(SCHEMAS, area="live")


class Polling:
    socketio: Any
    namespace: str
    state: Callable[[str], LiveState]
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
        lesson = lesson_of(state)
        if op == "open":
            quiz = lesson.quizzes.get(data["quiz"] or "")
            if quiz is None or quiz.type not in ("single", "poll"):
                raise PayloadError("not_found", "no choice question with that id here", "quiz")
            self.store.clear_votes(code, quiz.id)

            def open_poll(s: LiveState) -> None:
                s.poll = Poll(quiz.id)

            view = self._changed(code, open_poll)
            self._send_votes(code, quiz.id)
            return {"state": view}
        if state.poll is None:
            raise PayloadError("no_poll", "no question is open")

        def update(s: LiveState) -> None:
            assert s.poll is not None
            if op == "close":
                s.poll.open = False
            elif op == "results":
                s.poll.show_results = True
            else:
                s.poll.show_answer = True

        view = self._changed(code, update)
        if op in ("results", "answer"):  # revealed to everyone, explicitly
            reveal = {
                "code": code,
                "quiz": state.poll.quiz,
                "counts": self._tally(code, state.poll.quiz)["counts"],
            }
            if op == "answer":
                reveal["solution"] = self._solution(lesson, state.poll.quiz)
            self.socketio.emit(
                "reveal", wire.clean(reveal), namespace=self.namespace, to=room(code)
            )
        return {"state": view}

    @handler("answer")
    def on_answer(self, data: dict[str, Any]) -> dict[str, Any]:
        code = data["code"]
        member = self._member(code)
        if member[2] or not member[1]:
            raise PayloadError("forbidden", "only students vote")
        state = self.state(code)
        if state.poll is None or not state.poll.open or state.poll.quiz != data["quiz"]:
            raise PayloadError("closed", "that question is not open", "quiz")
        lesson = lesson_of(state)
        quiz = lesson.quizzes[state.poll.quiz]
        ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=str(current_app.secret_key))
        try:
            grade(quiz, data["answer"], item_ids=ids)  # checks the answer's shape; result unused
        except AnswerError as error:
            raise PayloadError(error.code, error.message, error.field) from None
        self.store.vote(code, quiz.id, member[1], data["answer"])
        self._send_votes(code, quiz.id)
        return {"recorded": True}

    def _tally(self, code: str, quiz_id: str) -> dict[str, Any]:
        votes = self.store.votes(code, quiz_id)
        counts: Counter[str] = Counter()
        for answer in votes.values():
            for choice in answer.get("choices", [answer.get("choice")]):
                counts[str(choice)] += 1
        names = self.store.present(code)
        return {
            "quiz": quiz_id,
            "counts": dict(counts),
            "answered": len(votes),
            "who": sorted(names.get(learner, "?") for learner in votes),
        }

    def _send_votes(self, code: str, quiz_id: str) -> None:
        payload = {"code": code} | self._tally(code, quiz_id)
        self.socketio.emit("votes", payload, namespace=self.namespace, to=room(code, staff=True))

    def _solution(self, lesson: Any, quiz_id: str) -> dict[str, Any]:
        quiz = lesson.quizzes[quiz_id]
        if not quiz.graded:
            return {}
        ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=str(current_app.secret_key))
        return solution(quiz, item_ids=ids)


def lesson_of(state: LiveState) -> Lesson:
    found = lessons().get(state.lesson)
    if found is None:  # the lesson was removed since the session started
        raise PayloadError("not_found", "this session's lesson is no longer served", "code")
    return found
