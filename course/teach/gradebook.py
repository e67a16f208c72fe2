"""The gradebook: per student and per assigned lesson, the due date (their own if
extended), whether it is late, sections read, labs worked and the points of each
graded question (by its title), with points and percent per lesson and in total,
live polls answered and the last activity; on its page (and the class page) and as
CSV. Times are in the class's time zone.

A question whose answer the student chose to see is marked ``(answer shown)`` by
its points: those are from the attempts before (none are taken after).

A lesson is *done* once every section is read, every lab worked and every graded
question tried; *done late* if that happened after the student's due date; *late*
if the due date has passed and it is not done; *open* before.

``build`` makes the table once, as cells (text and a sort key); the page and the CSV
both write those cells' text, so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import zones
from course.lessons.path import sections
from course.lessons.registry import Lesson, lessons
from course.storage import db
from course.storage.models import Classroom, Enrollment, utcnow
from course.teach import activity, statistics
from course.teach.accounts import login_required
from course.teach.assignments import Assigned, of_class
from course.teach.common import class_or_404

bp = Blueprint("gradebook", __name__, url_prefix="/teach/classes/<int:class_id>")

SHOWN = "(answer shown)"  # by a score whose answer the student revealed
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Sorting by status puts what needs a teacher's attention first.
STATUS_ORDER = {"late": 0, "done late": 1, "open": 2, "done": 3}


@dataclass(frozen=True)
class Column:
    group: str  # the lesson's title; "" for the student's own columns and the totals
    label: str
    full: str = ""  # the whole question, when ``label`` is its shortened title

    @property
    def header(self) -> str:
        """The column's full name, as in the CSV (the page shows ``label`` under ``group``)."""
        return f"{self.group} · {self.label}" if self.group else self.label


@dataclass(frozen=True)
class Cell:
    text: str
    sort: float | str | None = None  # None: sorts last, whichever the direction
    flag: str = ""  # "late", "revealed", "extended": how the page marks it


@dataclass(frozen=True)
class Gradebook:
    zone: str
    columns: list[Column]
    rows: list[list[Cell]]  # one per student, a cell per column
    polls: int = 0  # live polls asked in the class's sessions

    @property
    def header(self) -> list[str]:
        return [column.header for column in self.columns]

    def texts(self) -> list[list[str]]:
        return [[cell.text for cell in row] for row in self.rows]

    def groups(self) -> list[tuple[str, int]]:
        """Runs of columns under one group, (title, how many), for the page's top row."""
        runs: list[tuple[str, int]] = []
        for column in self.columns:
            if runs and runs[-1][0] == column.group:
                runs[-1] = (column.group, runs[-1][1] + 1)
            else:
                runs.append((column.group, 1))
        return runs


def number(value: float) -> str:
    """0.5, 1, 0.33: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def percent(part: float, whole: float) -> Cell:
    if not whole:
        return Cell("")
    return Cell(statistics.whole_percent(part, whole), 100 * part / whole)


def students_of(session: Session, class_id: int) -> list[Enrollment]:
    return list(
        session.scalars(
            select(Enrollment)
            .where(Enrollment.class_id == class_id)
            .order_by(Enrollment.display_name, Enrollment.joined_at)
        )
    )


def graded(lesson: Lesson) -> list[Any]:
    """The lesson's graded questions in page order."""
    return [q for kind, q in lesson.segments() if kind == "quiz" and q.graded]


def build(session: Session, classroom: Classroom, *, now: datetime | None = None) -> Gradebook:
    """The class's gradebook: students by name, lessons in course order."""
    book, _ = _build(session, classroom, now=now)
    return book


def _build(
    session: Session, classroom: Classroom, *, now: datetime | None = None
) -> tuple[Gradebook, activity.Activity]:
    now = now or utcnow()
    zone = classroom.time_zone
    students = students_of(session, classroom.id)
    assigned = [a for a in of_class(session, classroom.id) if a.lesson is not None]
    done = activity.read(
        session, classroom.id, students, [lesson.id for lesson in _lessons(assigned)]
    )
    asked = {(v.record, v.quiz_id) for v in done.votes}

    columns = [Column("", "Student"), Column("", "Last activity")]
    if asked:
        columns.append(Column("", f"Live polls answered (of {len(asked)})"))
    questions = {lesson.id: graded(lesson) for lesson in _lessons(assigned)}
    points = {lid: sum(q.points for q in qs) for lid, qs in questions.items()}
    total_points = sum(points.values())
    columns += [Column("", f"Total points (of {number(total_points)})"), Column("", "Total %")]
    for item in _with_lesson(assigned):
        lesson = item.lesson
        columns += [Column(lesson.title, "Due"), Column(lesson.title, "Status")]
        columns += [Column(lesson.title, "Sections read"), Column(lesson.title, "Labs worked")]
        for quiz in questions[lesson.id]:
            name = statistics.title(quiz.prompt, 40)
            full = statistics.title(quiz.prompt, 10_000)
            columns.append(Column(lesson.title, f"{name} ({number(quiz.points)} pt)", full))
        columns += [
            Column(lesson.title, f"Points (of {number(points[lesson.id])})"),
            Column(lesson.title, "Score %"),
        ]

    rows = []
    for student in students:
        who = student.learner_id
        last = done.last.get(who)
        row = [
            Cell(student.display_name, student.display_name.casefold()),
            Cell(zones.shown(last, zone), last.timestamp() if last else None),
        ]
        if asked:
            mine = {(v.record, v.quiz_id) for v in done.votes if v.learner_id == who}
            row.append(Cell(f"{len(mine)}", len(mine)))
        lesson_cells: list[Cell] = []
        earned_total = 0.0
        for item in _with_lesson(assigned):
            cells, earned = _lesson_cells(item, who, done, questions, points, zone, now)
            lesson_cells += cells
            earned_total += earned
        row += [Cell(number(earned_total), earned_total), percent(earned_total, total_points)]
        rows.append(row + lesson_cells)
    return Gradebook(zone, columns, rows, polls=len(asked)), done


def _lesson_cells(
    item: Assigned,
    who: str,
    done: activity.Activity,
    questions: dict[str, list[Any]],
    points: dict[str, float],
    zone: str,
    now: datetime,
) -> tuple[list[Cell], float]:
    lesson = item.lesson
    assert lesson is not None
    own = next((x.due_at for x in item.extensions if x.learner_id == who), None)
    due = own or item.assignment.due_at
    due_text = zones.shown(due, zone) + (" (extended)" if own else "")
    read = done.marks.get((who, lesson.id, "section"), {})
    worked = done.marks.get((who, lesson.id, "lab"), {})
    anchors = [anchor for anchor, _ in sections(lesson)]
    labs = [*lesson.labs, *lesson.playgrounds]
    firsts: list[datetime | None] = [read[a][0] if a in read else None for a in anchors]
    firsts += [worked[lab][0] if lab in worked else None for lab in labs]
    cells_q: list[Cell] = []
    earned = 0.0
    for quiz in questions[lesson.id]:
        tried = done.attempts.get((who, lesson.id, quiz.id), [])
        firsts.append(tried[0].at if tried else None)
        if not tried:
            cells_q.append(Cell("", None))
            continue
        mine = max(a.score for a in tried) * quiz.points
        earned += mine
        if (who, lesson.id, quiz.id) in done.revealed:
            cells_q.append(Cell(f"{number(mine)} {SHOWN}", mine, "revealed"))
        else:
            cells_q.append(Cell(number(mine), mine))
    finished = None if any(at is None for at in firsts) else max(a for a in firsts if a)
    status = _status(finished, due, now)
    n_read = sum(a in read for a in anchors)
    n_worked = sum(lab in worked for lab in labs)
    cells = [
        Cell(due_text, due.timestamp(), "extended" if own else ""),
        Cell(status, STATUS_ORDER[status], "late" if "late" in status else ""),
        Cell(f"{n_read}/{len(anchors)}", n_read / len(anchors) if anchors else None),
        Cell(f"{n_worked}/{len(labs)}", n_worked / len(labs) if labs else None),
        *cells_q,
        Cell(number(earned), earned),
        percent(earned, points[lesson.id]),
    ]
    return cells, earned


def _status(finished: datetime | None, due: datetime, now: datetime) -> str:
    if finished is not None:
        return "done late" if finished > due else "done"
    return "late" if now > due else "open"


def _with_lesson(assigned: list[Assigned]) -> list[Any]:
    return [a for a in assigned if a.lesson is not None]


def _lessons(assigned: list[Assigned]) -> list[Lesson]:
    return [a.lesson for a in assigned if a.lesson is not None]


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs (CSV injection): a leading
    ``'`` before anything that would start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in [book.header, *book.texts()]:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


@bp.get("/gradebook")
@login_required
def page(class_id: int) -> ResponseReturnValue:
    classroom = class_or_404(class_id)
    session = db.get_session()
    book, done = _build(session, classroom)
    assigned = _lessons([a for a in of_class(session, class_id)])
    learners = [s.learner_id for s in students_of(session, class_id)]
    stats = statistics.build(
        assigned,
        learners,
        done,
        str(current_app.secret_key),
        lambda at: zones.shown(at, classroom.time_zone),
        lessons().lessons.values(),
    )
    return render_template("teach/gradebook.html", classroom=classroom, book=book, stats=stats)


@bp.get("/gradebook.csv")
@login_required
def export(class_id: int) -> Response:
    classroom = class_or_404(class_id)
    body = "\ufeff" + to_csv(build(db.get_session(), classroom))  # BOM: Excel reads UTF-8
    slug = re.sub(r"[^a-z0-9]+", "-", classroom.name.lower()).strip("-") or "class"
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="gradebook-{slug}.csv"',
            "Cache-Control": "no-store",
        },
    )
