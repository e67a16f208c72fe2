"""Who took part in a class's live sessions: the /live namespace reports each student
joining, staying (a touch at most every ``TOUCH_SECONDS``), leaving or being removed
(``record``, handed over through ``live.when_attended``); ``participation`` reads it
back for the gradebook and the session record.

Time present is summed from touches: the time since the last touch counts if the
student was still here (no departure seen) and it is at most ``GAP_SECONDS`` old, so
the total is right to within ``TOUCH_SECONDS`` (a crashed process loses at most that
much of each of its students' time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.live.access import TOUCH_SECONDS
from course.storage import db
from course.storage.models import Classroom, Enrollment, LiveAttendance, LiveSessionRecord, utcnow

GAP_SECONDS = TOUCH_SECONDS + 30.0  # longer between touches: they were away


def _open_record(session: Session, code: str) -> LiveSessionRecord | None:
    """The running session's record (codes are reused once a session expires)."""
    return session.scalar(
        select(LiveSessionRecord)
        .where(LiveSessionRecord.code == code, LiveSessionRecord.ended_at.is_(None))
        .order_by(LiveSessionRecord.started_at.desc(), LiveSessionRecord.id.desc())
        .limit(1)
    )


def record(code: str, learner: str, name: str, *, guest: bool, event: str) -> None:
    """Note that ``learner`` joined / is here / left / was removed from session ``code``."""
    for attempt in range(2):  # two tabs of one learner joining at once: retry once
        try:
            with db.transaction() as session:
                _record(session, code, learner, name, guest=guest, event=event)
            return
        except IntegrityError:
            if attempt:
                raise


def _record(
    session: Session, code: str, learner: str, name: str, *, guest: bool, event: str
) -> None:
    found = _open_record(session, code)
    if found is None:
        return
    now = utcnow()
    row = session.get(LiveAttendance, (found.id, learner))
    if row is None:
        row = LiveAttendance(
            session_id=found.id,
            learner_id=learner,
            name=name[:40],
            guest=guest,
            joined_at=now,
            last_seen=now,
            seconds=0.0,
            here=True,
            removed=False,
        )
        session.add(row)
    else:
        since = (now - row.last_seen).total_seconds()
        if row.here and 0 < since <= GAP_SECONDS:
            row.seconds += since
        row.last_seen = now
        row.name, row.guest = name[:40], guest
    row.here = event in ("join", "beat")
    if event == "removed":
        row.removed = True


@dataclass(frozen=True)
class Attended:
    """One learner in one live session of the class."""

    session_id: int
    code: str
    lesson_id: str
    started_at: datetime
    learner_id: str
    name: str
    member: bool  # in the class's roster now (a guest, or someone who left it, is not)
    guest: bool  # joined as a guest
    joined_at: datetime
    seconds: float  # present, to within TOUCH_SECONDS
    removed: bool


def participation(session: Session, class_id: int) -> list[Attended]:
    """Every learner's attendance of every live session of class ``class_id``, oldest
    session first, then by name: for the gradebook (members) and the session record
    (everyone, guests marked)."""
    members = set(
        session.scalars(select(Enrollment.learner_id).where(Enrollment.class_id == class_id))
    )
    rows = session.execute(
        select(LiveAttendance, LiveSessionRecord)
        .join(LiveSessionRecord, LiveSessionRecord.id == LiveAttendance.session_id)
        .where(LiveSessionRecord.class_id == class_id)
        .order_by(LiveSessionRecord.started_at, LiveSessionRecord.id, LiveAttendance.name)
    )
    return [
        Attended(
            session_id=record_.id,
            code=record_.code,
            lesson_id=record_.lesson_id,
            started_at=record_.started_at,
            learner_id=row.learner_id,
            name=row.name,
            member=row.learner_id in members,
            guest=row.guest,
            joined_at=row.joined_at,
            seconds=round(row.seconds, 1),
            removed=row.removed,
        )
        for row, record_ in rows
    ]


def member_name(class_id: int, learner: str) -> str | None:
    """A learner's name in class ``class_id``, or None if not in it (for /live)."""
    with db.sessions()() as session:
        return session.scalar(
            select(Enrollment.display_name).where(
                Enrollment.class_id == class_id, Enrollment.learner_id == learner
            )
        )


def class_name(class_id: int) -> str | None:
    """A class's name, for the pages of its live sessions."""
    with db.sessions()() as session:
        found = session.get(Classroom, class_id)
        return None if found is None else found.name
