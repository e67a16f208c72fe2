"""Labs kept between page loads: shared-link snapshots and each learner's resumable labs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from course.storage.models.base import Base, utcnow

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
