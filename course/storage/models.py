"""Tables for learners' progress and quiz attempts; for teaching (instructors, classes,
enrollments, assignments and live-session records); for labs kept between page loads
(shared-link snapshots and each learner's resumable labs); and the durable state of
running live sessions (SQLAlchemy 2 declarative).

Types are portable: the same schema runs on SQLite and PostgreSQL. Times are
stored and returned in UTC. Schema changes go through ``course/migrations``; a
test checks that the migrations build exactly this metadata.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

KINDS = ("section", "lab", "predict")
# Constraint names that stay stable across databases, so later migrations can name them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_learner_id() -> str:
    """A random, URL-safe learner id (128 bits)."""
    return secrets.token_urlsafe(16)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use an aware UTC time")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), Any: JSON()}


class Learner(Base):
    """A pseudonymous learner, known by the random id in their signed cookie."""

    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_learner_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the learner signs in (accounts arrive in a later issue, with the FK).
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)


class ProgressMark(Base):
    """One thing a learner did in a lesson: read a section, ran a lab, made a prediction."""

    __tablename__ = "progress_marks"
    __table_args__ = (
        UniqueConstraint("learner_id", "lesson_id", "kind", "key"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    # SQL NULL when absent, not the JSON literal null.
    value: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    """A graded submission; the two unique keys make submission idempotent and the
    attempt limit impossible to exceed, even under concurrent submits."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("learner_id", "submission_id"),
        UniqueConstraint("learner_id", "lesson_id", "quiz_id", "attempt_no"),
        CheckConstraint("attempt_no >= 1", name="attempt_no"),
        CheckConstraint("score >= 0 AND score <= 1", name="score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    attempt_no: Mapped[int]
    submission_id: Mapped[str] = mapped_column(String(64))
    answer: Mapped[Any] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column(Boolean)
    # The feedback as computed at grading time, replayed verbatim on a resubmit.
    graded: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizReveal(Base):
    """The learner chose to see the answer; no attempts after this."""

    __tablename__ = "quiz_reveals"

    learner_id: Mapped[str] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    quiz_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# -- teaching: instructors, classes, assignments, live-session records ------------------


class Instructor(Base):
    """Someone who teaches: signs in with an email and a password (hashed with scrypt)."""

    __tablename__ = "instructors"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lowercase
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who added this instructor (None: the command line).
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("instructors.id", ondelete="SET NULL")
    )
    # Only an admin adds instructors; the first admin comes from the command line.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A signed-in cookie carries the generation it was made in; signing out bumps it,
    # so every cookie made before (a copy, another browser, an open socket) stops working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class Classroom(Base):
    """A class an instructor teaches; learners join it with ``join_code``."""

    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    instructor_id: Mapped[int] = mapped_column(
        ForeignKey("instructors.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    join_code: Mapped[str] = mapped_column(String(6), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # An IANA zone name (course/teach/zones.py): teaching pages show times in it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")


class Enrollment(Base):
    """A learner in a class, under the name they gave when joining."""

    __tablename__ = "enrollments"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[str] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    display_name: Mapped[str] = mapped_column(String(40))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the learner claimed a row of an imported roster (``RosterInvite``).
    email: Mapped[str | None] = mapped_column(String(254))


class RosterInvite(Base):
    """A student on an imported roster who has not joined yet: they claim the row with
    the class code and this e-mail (stored lowercase), and become an ``Enrollment``
    under ``name``."""

    __tablename__ = "roster_invites"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class CoTeacher(Base):
    """Another instructor given access to a class: they run its live sessions, see its
    roster and gradebook, set its assignments; only the owner archives the class or
    changes who co-teaches."""

    __tablename__ = "co_teachers"

    class_id: Mapped[int] = mapped_column(
        ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True
    )
    instructor_id: Mapped[int] = mapped_column(
        ForeignKey("instructors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    """One lesson (by lesson id) assigned to a class, due at a UTC time. Assigning a
    module makes one assignment per lesson in it."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("class_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Extension(Base):
    """A later due date for one learner on one assignment."""

    __tablename__ = "extensions"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), primary_key=True
    )
    learner_id: Mapped[str] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime]


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


# -- labs kept between page loads: shared links and reloads ------------------------------


class LabSnapshot(Base):
    """A lab as a shared link restores it: ``engine.snapshot`` bytes, named by ``key``,
    a hash of the bytes and of where they belong (``course.lab.links``). Expires
    ``expires_at`` unless used again; ``size`` is ``len(data)``, for the store's cap."""

    __tablename__ = "lab_snapshots"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(64))
    lab_id: Mapped[str] = mapped_column(String(64))
    unit: Mapped[int] = mapped_column(Integer)  # the unit and layer the cell view showed
    layer: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    creator: Mapped[str | None] = mapped_column(String(64))  # learner id, if any (no FK: kept)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LabResume(Base):
    """A learner's lab as they left it in one browser tab (``tab``: a random id the tab
    keeps in sessionStorage), so a reload resumes it. ``origin``: the shared link the
    lab was opened from or last shared as, so reloading that link resumes, not reverts."""

    __tablename__ = "lab_resumes"

    learner_id: Mapped[str] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    tab: Mapped[str] = mapped_column(String(64), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    lab_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit: Mapped[int] = mapped_column(Integer)
    layer: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


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
