"""The live polls a class answered: every vote cast in the class's live sessions, as
the gradebook reads them.

This is the one place that knows where live votes are kept (``live_votes``, the
durable record of ``course/live/durable.py``), so a change in how polls store
rounds changes this function only. Assumed today: a vote row is a learner's current
answer to one poll of one running session (``round`` 1: one round per poll); a
session's code names, among the class's live-session records, the newest one with
that code (a code is reused only once its old session's rows are gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from course.storage.models import LiveSessionRecord, LiveVote


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
    votes = session.scalars(select(LiveVote).where(LiveVote.code.in_(codes)))
    found = [
        PollVote(
            record=owner.id,
            started_at=owner.started_at,
            lesson_id=owner.lesson_id,
            quiz_id=vote.poll,
            round=1,
            learner_id=vote.learner,
            answer=vote.answer,
            at=vote.updated_at,
        )
        for vote in votes
        if (owner := newest[vote.code]).class_id == class_id
    ]
    return sorted(found, key=lambda v: (v.started_at, v.record, v.quiz_id, v.round, v.at))


def _records_with(session: Session, codes: Iterable[str]) -> list[LiveSessionRecord]:
    return list(session.scalars(select(LiveSessionRecord).where(LiveSessionRecord.code.in_(codes))))
