"""Live sessions: the record of each session an instructor ran and who attended it, and
the durable state of running sessions behind Redis (``course/live/durable.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from course.storage.models.base import Base, utcnow

# -- live-session records: what ran, and who attended -------------------------------------


class LiveSessionRecord(Base):
    """A live classroom session an instructor ran: when, on what, and how it ended."""

    __tablename__ = "live_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), index=True)  # reused once a session expires
    instructor_id: Mapped[int] = mapped_column(
        ForeignKey("instructors.id", ondelete="CASCADE"), index=True
    )
    class_id: Mapped[int | None] = mapped_column(
        ForeignKey("classes.id", ondelete="SET NULL"), index=True
    )
    lesson_id: Mapped[str] = mapped_column(String(64))
    lab_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class LiveAttendance(Base):
    """One learner in one live session: under which name, a class member or a guest,
    when they first joined and were last seen, how long they were present (to within
    ``course.teach.attendance.TOUCH_SECONDS``), and whether the presenter removed them."""

    __tablename__ = "live_attendance"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(40))
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    here: Mapped[bool] = mapped_column(Boolean, default=True)  # no departure seen since
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


# -- running live sessions: the durable record behind Redis (course/live/durable.py) ---


class LiveSessionState(Base):
    """A running live session as last acknowledged: the state without the lab
    (``meta``, with ``seq``), the full view a late joiner receives, and the lab's
    snapshot (engine/snapshot.py). A process or Redis restart rebuilds it from here."""

    __tablename__ = "live_states"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # reused once stale
    seq: Mapped[int] = mapped_column(Integer)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    view: Mapped[dict[str, Any]] = mapped_column(JSON)
    lab: Mapped[bytes] = mapped_column(LargeBinary)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LiveVote(Base):
    """A student's current answer to a poll of a running live session."""

    __tablename__ = "live_votes"

    code: Mapped[str] = mapped_column(
        ForeignKey("live_states.code", ondelete="CASCADE"), primary_key=True
    )
    poll: Mapped[str] = mapped_column(String(64), primary_key=True)
    learner: Mapped[str] = mapped_column(String(64), primary_key=True)
    answer: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveRecord(Base):
    """The record of one live session, kept after it ends (issue 15, item 5): who
    presented what, from when to when. Its timeline is in ``live_events``."""

    __tablename__ = "live_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the state's ``record``
    code: Mapped[str] = mapped_column(String(6), index=True)  # reused once a session expires
    presenter: Mapped[str] = mapped_column(String(64), index=True)  # the instructor's id
    presenter_name: Mapped[str] = mapped_column(String(80))
    lesson_id: Mapped[str] = mapped_column(String(64))
    lab_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    # The session's class (None: a session for anyone with the code): its teachers read
    # the record, in its time zone. No foreign key: a record outlives its class.
    class_id: Mapped[int | None] = mapped_column(Integer, index=True)


class LiveEvent(Base):
    """One line of a session's timeline: at ``seq`` (the state it produced; joins and
    poll results carry the seq they happened at), ``who`` did ``kind`` (step, train,
    reset, configure, play, epoch, poll, join, end, …), said in ``what``, with the
    numbers in ``data`` (epoch, loss; a poll's distribution and every answer)."""

    __tablename__ = "live_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    record: Mapped[str] = mapped_column(
        ForeignKey("live_records.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    who: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(String(400))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
