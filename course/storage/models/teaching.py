"""Teaching: instructors, classes, enrollments, invitations, co-teachers, assignments
and extensions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from course.storage.models.base import Base, utcnow

# -- teaching: instructors, classes, assignments ------------------------------------------


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
    # An IANA zone name (course/zones.py): teaching pages show times in it.
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
