"""The live polls a class answered: every vote cast in the class's live sessions, as
the gradebook reads them.

This is the one place that knows where live votes are kept (``live_votes``, the
durable record of ``course/live/durable.py``), so a change in how polls store
rounds changes this function only. A vote row is a learner's answer to one round of
one poll of a session, under its ``course.live.pollstate.vote_key``;
which lesson question a poll number put is in the session's state (``live_states``:
its ``poll`` and the ``asked`` before it), kept after the session (only its lab goes).
Questions the presenter typed are not lesson questions: they are not in the
gradebook. A session's code names, among the class's live-session records, the
newest one with that code (a code is reused only once its old session's rows are
gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from course.live.pollstate import parse_vote_key
from course.storage.models import LiveSessionRecord, LiveSessionState, LiveVote


@dataclass(frozen=True)
class PollVote:
    """One learner's answer to one poll of one live session of the class."""

    record: int  # the LiveSessionRecord's id
    started_at: datetime  # when that session started
    lesson_id: str
    quiz_id: str
    round: int  # 1; a revote after discussion would be 2
    learner_id: str
    answer: Any  # as the quiz's grader takes it: {"choice": item id}
    at: datetime


def class_votes(session: Session, class_id: int) -> list[PollVote]:
    """Every vote cast in class ``class_id``'s live sessions, oldest session first."""
    mine = list(
        session.scalars(select(LiveSessionRecord).where(LiveSessionRecord.class_id == class_id))
    )
    if not mine:
        return []
    codes = {record.code for record in mine}
    newest: dict[str, LiveSessionRecord] = {}
    for record in _records_with(session, codes):  # another class's session may reuse a code
        known = newest.get(record.code)
        if known is None or (record.started_at, record.id) > (known.started_at, known.id):
            newest[record.code] = record
    questions = _questions(session, codes)
    votes = session.scalars(select(LiveVote).where(LiveVote.code.in_(codes)))
    found = []
    for vote in votes:
        owner = newest[vote.code]
        key = parse_vote_key(vote.poll)
        if owner.class_id != class_id or key is None:
            continue
        number, round_ = key
        quiz = questions.get((vote.code, number))
        if not quiz:
            continue
        found.append(
            PollVote(
                record=owner.id,
                started_at=owner.started_at,
                lesson_id=owner.lesson_id,
                quiz_id=quiz,
                round=round_,
                learner_id=vote.learner,
                answer={k: v for k, v in vote.answer.items() if k != "name"},  # as cast
                at=vote.updated_at,
            )
        )
    return sorted(found, key=lambda v: (v.started_at, v.record, v.quiz_id, v.round, v.at))


def _records_with(session: Session, codes: Iterable[str]) -> list[LiveSessionRecord]:
    return list(session.scalars(select(LiveSessionRecord).where(LiveSessionRecord.code.in_(codes))))


def _questions(session: Session, codes: Iterable[str]) -> dict[tuple[str, str], str]:
    """(code, poll number) → the lesson quiz id that poll put ("" for a typed one)."""
    found: dict[tuple[str, str], str] = {}
    for state in session.scalars(select(LiveSessionState).where(LiveSessionState.code.in_(codes))):
        polls = [*state.meta.get("asked", []), state.meta.get("poll")]
        for poll in polls:
            if poll:
                found[(state.code, str(poll.get("number")))] = str(poll.get("quiz") or "")
    return found
