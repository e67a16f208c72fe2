"""A live session's record as its instructor reads it (written by ``live.record``): the
timeline with every time in its class's zone, its polls, and its JSON and CSV downloads;
who may read it (its presenter and the class's teachers)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from course import zones
from course.live.teachers import class_zone, teaches
from course.storage.models import LiveEvent, LiveRecord


@dataclass(frozen=True)
class Record:
    """A session's record as the instructor reads it."""

    id: str
    code: str
    presenter: str
    presenter_name: str
    lesson_id: str
    lab_id: str
    started_at: datetime
    ended_at: datetime | None
    events: list[dict[str, Any]]
    time_zone: str = "UTC"  # its class's (IANA name): every time is shown in it

    def local(self, moment: datetime) -> datetime:
        """``moment`` (stored in UTC) in the record's time zone."""
        return moment.astimezone(zones.zone(self.time_zone))

    def clock(self, moment: datetime) -> str:
        """A timeline line's time: ``08:05:09``, in the record's zone."""
        return self.local(moment).strftime("%H:%M:%S")

    def shown(self, moment: datetime) -> str:
        return zones.shown(moment, self.time_zone)

    @property
    def polls(self) -> list[dict[str, Any]]:
        """Every poll's last kept result, in the order first asked."""
        kept: dict[str, dict[str, Any]] = {}
        for event in self.events:
            if event["kind"] == "result":
                kept.pop(event["data"]["quiz"], None)
                kept[event["data"]["quiz"]] = event["data"] | {"seq": event["seq"]}
        return list(kept.values())

    @property
    def students(self) -> list[str]:
        return [e["who"] for e in self.events if e["kind"] == "join"]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "presenter": self.presenter_name,
            "lesson": self.lesson_id,
            "lab": self.lab_id,
            "time_zone": self.time_zone,  # every time below carries its offset from UTC
            "started_at": self.local(self.started_at).isoformat(),
            "ended_at": self.local(self.ended_at).isoformat() if self.ended_at else None,
            "students": self.students,
            "timeline": [e | {"at": self.local(e["at"]).isoformat()} for e in self.events],
            "polls": self.polls,
        }

    def as_csv(self) -> str:
        """One row per timeline line; a poll's result is followed by a row per choice
        (``choice``: letter, text, count) and per answer (``answer``: who, letters). Times
        are in the record's zone, named in their column's header."""
        out = io.StringIO()
        rows = csv.writer(out)
        rows.writerow(["seq", f"time ({self.time_zone})", "who", "kind", "what", "epoch", "loss"])
        for e in self.events:
            data = e["data"]
            at = self.local(e["at"]).strftime("%Y-%m-%d %H:%M:%S")
            rows.writerow([e["seq"], at, e["who"], e["kind"], e["what"], data.get("epoch", ""),
                           "" if data.get("loss") is None else f"{data['loss']:.6g}"])  # fmt: skip
            if e["kind"] != "result":
                continue
            for c in data["choices"]:
                what = f"{c['letter']}. {c['text']}" + (" (correct)" if c["correct"] else "")
                rows.writerow([e["seq"], at, "", "choice", what, "", c["count"]])
            for a in data["answers"]:
                rows.writerow([e["seq"], at, a["name"], "answer", " ".join(a["choices"]), "", ""])
        return out.getvalue()


def _read(session: Session, row: LiveRecord) -> Record:
    events = session.scalars(
        select(LiveEvent).where(LiveEvent.record == row.id).order_by(LiveEvent.id)
    )
    return Record(
        row.id, row.code, row.presenter, row.presenter_name, row.lesson_id, row.lab_id,
        row.started_at, row.ended_at,
        [{"seq": e.seq, "at": e.at, "who": e.who, "kind": e.kind, "what": e.what, "data": e.data}
         for e in events],
        class_zone(row.class_id),
    )  # fmt: skip


def load(session: Session, record: str, reader: str) -> Record | None:
    """Record ``record`` if instructor ``reader`` presented it or teaches its class (a
    co-teacher who took the session over, or who reads it afterwards)."""
    row = session.get(LiveRecord, record)
    if row is None or (row.presenter != reader and not teaches(row.class_id, reader)):
        return None
    return _read(session, row)


def of_presenter(session: Session, presenter: str) -> list[LiveRecord]:
    """A presenter's sessions, newest first."""
    return list(
        session.scalars(
            select(LiveRecord)
            .where(LiveRecord.presenter == presenter)
            .order_by(LiveRecord.started_at.desc())
        )
    )
