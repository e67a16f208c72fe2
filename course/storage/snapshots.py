"""Reading and writing kept labs: shared-link snapshots (``LabSnapshot``) and the lab a
learner left in a tab (``LabResume``). Plain functions over a SQLAlchemy ``Session``
that never commit (callers hold ``db.transaction()``); what the bytes mean and whether
they may be trusted is ``course.lab.links``'s business, not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from course.storage.models import LabResume, LabSnapshot
from course.storage.records import _insert, ensure_learner


@dataclass(frozen=True)
class Kept:
    """A kept lab as stored: where it belongs, what the cell view showed, its bytes."""

    lesson_id: str
    lab_id: str
    unit: int
    layer: int | None
    data: bytes
    expires_at: datetime
    origin: str | None = None  # resumes only: the link it came from or was shared as


def stored_bytes(session: Session) -> int:
    """How many bytes of labs the store holds (both tables), for its cap."""
    snapshots = session.scalar(select(func.coalesce(func.sum(LabSnapshot.size), 0)))
    resumes = session.scalar(select(func.coalesce(func.sum(LabResume.size), 0)))
    return int(snapshots or 0) + int(resumes or 0)


def purge(session: Session, now: datetime) -> None:
    """Forget every kept lab that expired before ``now``."""
    session.execute(delete(LabSnapshot).where(LabSnapshot.expires_at < now))
    session.execute(delete(LabResume).where(LabResume.expires_at < now))


def has_snapshot(session: Session, key: str) -> bool:
    return session.get(LabSnapshot, key) is not None


def put_snapshot(
    session: Session, key: str, kept: Kept, creator: str | None, now: datetime
) -> None:
    """Store a snapshot under ``key``; if it is already there (the same lab shared
    again), its expiry moves to ``kept.expires_at`` and its bytes are written again
    (the same bytes, unless the stored ones were damaged)."""
    row = {
        "key": key,
        "lesson_id": kept.lesson_id,
        "lab_id": kept.lab_id,
        "unit": kept.unit,
        "layer": kept.layer,
        "data": kept.data,
        "size": len(kept.data),
        "creator": creator,
        "created_at": now,
        "expires_at": kept.expires_at,
    }
    statement = _insert(session, LabSnapshot).values(**row)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"expires_at": kept.expires_at, "data": kept.data, "size": len(kept.data)},
        )
    )


def get_snapshot(session: Session, key: str) -> Kept | None:
    row = session.get(LabSnapshot, key)
    if row is None:
        return None
    return Kept(row.lesson_id, row.lab_id, row.unit, row.layer, row.data, row.expires_at)


def extend_snapshot(session: Session, key: str, expires_at: datetime) -> None:
    """A link was used: it lasts until ``expires_at`` from now on."""
    session.execute(update(LabSnapshot).where(LabSnapshot.key == key).values(expires_at=expires_at))


def put_resume(
    session: Session, learner: str, tab: str, kept: Kept, now: datetime, keep: int
) -> None:
    """Keep the learner's lab as they left it in ``tab`` (replacing what was kept there
    for that lab), and no more than ``keep`` of their labs: the oldest others go."""
    ensure_learner(session, learner)
    row = {
        "learner_id": learner,
        "tab": tab,
        "lesson_id": kept.lesson_id,
        "lab_id": kept.lab_id,
        "unit": kept.unit,
        "layer": kept.layer,
        "origin": kept.origin,
        "data": kept.data,
        "size": len(kept.data),
        "saved_at": now,
        "expires_at": kept.expires_at,
    }
    statement = _insert(session, LabResume).values(**row)
    where = ("learner_id", "tab", "lesson_id", "lab_id")
    changed = {k: v for k, v in row.items() if k not in where}
    session.execute(statement.on_conflict_do_update(index_elements=list(where), set_=changed))
    mine = session.execute(
        select(LabResume.tab, LabResume.lesson_id, LabResume.lab_id)
        .where(LabResume.learner_id == learner)
        .order_by(LabResume.saved_at.desc())
    ).all()
    for tab_, lesson_id, lab_id in mine[keep:]:
        session.execute(
            delete(LabResume).where(
                LabResume.learner_id == learner,
                LabResume.tab == tab_,
                LabResume.lesson_id == lesson_id,
                LabResume.lab_id == lab_id,
            )
        )


def get_resume(
    session: Session, learner: str, tab: str, lesson_id: str, lab_id: str
) -> Kept | None:
    row = session.get(LabResume, (learner, tab, lesson_id, lab_id))
    if row is None:
        return None
    return Kept(
        row.lesson_id, row.lab_id, row.unit, row.layer, row.data, row.expires_at, row.origin
    )


def extend_resume(
    session: Session, learner: str, tab: str, lesson_id: str, lab_id: str, expires_at: datetime
) -> None:
    session.execute(
        update(LabResume)
        .where(
            LabResume.learner_id == learner,
            LabResume.tab == tab,
            LabResume.lesson_id == lesson_id,
            LabResume.lab_id == lab_id,
        )
        .values(expires_at=expires_at)
    )
