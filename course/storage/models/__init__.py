"""Tables for learners' progress and quiz attempts; for teaching (instructors, classes,
enrollments, assignments and live-session records); for labs kept between page loads
(shared-link snapshots and each learner's resumable labs); and the durable state of
running live sessions (SQLAlchemy 2 declarative).

Types are portable: the same schema runs on SQLite and PostgreSQL. Times are
stored and returned in UTC. Schema changes go through ``course/migrations``; a
test checks that the migrations build exactly this metadata. One module per area
(``learning``, ``teaching``, ``labs``, ``live``) on the shared ``base``; importing this
package declares every table, so ``Base.metadata`` is complete.
"""

from __future__ import annotations

from course.storage.models.base import NAMING, Base, UTCDateTime, new_learner_id, utcnow
from course.storage.models.labs import LabResume, LabSnapshot
from course.storage.models.learning import KINDS, Learner, ProgressMark, QuizAttempt, QuizReveal
from course.storage.models.live import (
    LiveAttendance,
    LiveEvent,
    LiveRecord,
    LiveSessionRecord,
    LiveSessionState,
    LiveVote,
)
from course.storage.models.teaching import (
    Assignment,
    Classroom,
    CoTeacher,
    Enrollment,
    Extension,
    Instructor,
    RosterInvite,
)

__all__ = [
    "Base",
    "NAMING",
    "UTCDateTime",
    "new_learner_id",
    "utcnow",
    "KINDS",
    "Learner",
    "ProgressMark",
    "QuizAttempt",
    "QuizReveal",
    "Assignment",
    "Classroom",
    "CoTeacher",
    "Enrollment",
    "Extension",
    "Instructor",
    "RosterInvite",
    "LabResume",
    "LabSnapshot",
    "LiveAttendance",
    "LiveEvent",
    "LiveRecord",
    "LiveSessionRecord",
    "LiveSessionState",
    "LiveVote",
]
