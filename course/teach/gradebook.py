"""The gradebook: per student and per assigned lesson, sections read, labs worked and
the best score of each graded question, with a total; on the class page and as CSV.

A question whose answer the student chose to see is marked ``(answer shown)`` by
its score: that score is from the attempts before (none are taken after).

``build`` makes the table once, as text cells; the page and the CSV both write those
cells, so they cannot disagree. Polls are not graded and have no column.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass

from flask import Blueprint, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.learner_api import sections
from course.storage import db
from course.storage.models import Classroom, Enrollment, ProgressMark, QuizAttempt, QuizReveal
from course.teach import utc
from course.teach.accounts import login_required
from course.teach.assignments import of_class
from course.teach.common import class_or_404

bp = Blueprint("gradebook", __name__, url_prefix="/teach/classes/<int:class_id>")

SHOWN = "(answer shown)"  # by a score whose answer the student revealed
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    group: str  # the lesson's title; "" for the student's own columns and the total
    label: str

    @property
    def header(self) -> str:
        """The column's full name, as in the CSV (the page shows ``label`` under ``group``)."""
        return f"{self.group} · {self.label}" if self.group else self.label


@dataclass(frozen=True)
class Gradebook:
    columns: list[Column]
    rows: list[list[str]]  # one per student, a cell per column

    @property
    def header(self) -> list[str]:
        return [column.header for column in self.columns]

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


def build(session: Session, classroom: Classroom) -> Gradebook:
    """The class's gradebook: students by name, lessons in course order."""
    students = list(
        session.scalars(
            select(Enrollment)
            .where(Enrollment.class_id == classroom.id)
            .order_by(Enrollment.display_name, Enrollment.joined_at)
        )
    )
    lessons = [a.lesson for a in of_class(session, classroom.id) if a.lesson is not None]
    learner_ids = [s.learner_id for s in students]
    lesson_ids = [lesson.id for lesson in lessons]
    done: dict[tuple[str, str, str], set[str]] = defaultdict(set)  # learner, lesson, kind
    best: dict[tuple[str, str, str], float] = {}  # learner, lesson, quiz
    revealed: set[tuple[str, str, str]] = set()  # learner, lesson, quiz
    if learner_ids and lesson_ids:
        marks = select(
            ProgressMark.learner_id, ProgressMark.lesson_id, ProgressMark.kind, ProgressMark.key
        ).where(
            ProgressMark.learner_id.in_(learner_ids),
            ProgressMark.lesson_id.in_(lesson_ids),
            ProgressMark.kind.in_(("section", "lab")),
        )
        for learner, lesson_id, kind, key in session.execute(marks):
            done[(learner, lesson_id, kind)].add(key)
        scores = (
            select(
                QuizAttempt.learner_id,
                QuizAttempt.lesson_id,
                QuizAttempt.quiz_id,
                func.max(QuizAttempt.score),
            )
            .where(QuizAttempt.learner_id.in_(learner_ids), QuizAttempt.lesson_id.in_(lesson_ids))
            .group_by(QuizAttempt.learner_id, QuizAttempt.lesson_id, QuizAttempt.quiz_id)
        )
        for learner, lesson_id, quiz_id, score in session.execute(scores):
            best[(learner, lesson_id, quiz_id)] = float(score)
        reveals = select(QuizReveal.learner_id, QuizReveal.lesson_id, QuizReveal.quiz_id).where(
            QuizReveal.learner_id.in_(learner_ids), QuizReveal.lesson_id.in_(lesson_ids)
        )
        revealed = {(who, lesson, quiz) for who, lesson, quiz in session.execute(reveals)}

    columns = [Column("", "Student"), Column("", "Joined")]
    graded = {
        lesson.id: [q for q, quiz in lesson.quizzes.items() if quiz.graded] for lesson in lessons
    }
    for lesson in lessons:
        columns.append(Column(lesson.title, "sections read"))
        columns.append(Column(lesson.title, "labs worked"))
        columns.extend(Column(lesson.title, quiz_id) for quiz_id in graded[lesson.id])
    questions = sum(len(q) for q in graded.values())
    columns.append(Column("", f"Quiz total (of {questions})"))

    anchors = {lesson.id: {anchor for anchor, _ in sections(lesson)} for lesson in lessons}
    rows = []
    for student in students:
        who = student.learner_id
        row = [student.display_name, utc(student.joined_at)]
        total = 0.0
        for lesson in lessons:
            labs = {*lesson.labs, *lesson.playgrounds}
            read = len(done[(who, lesson.id, "section")] & anchors[lesson.id])
            worked = len(done[(who, lesson.id, "lab")] & labs)
            row += [f"{read}/{len(anchors[lesson.id])}", f"{worked}/{len(labs)}"]
            for quiz_id in graded[lesson.id]:
                mine = best.get((who, lesson.id, quiz_id))
                total += mine or 0.0
                cell = "" if mine is None else number(mine)
                if (who, lesson.id, quiz_id) in revealed:
                    cell = f"{cell} {SHOWN}".strip()
                row.append(cell)
        row.append(number(total))
        rows.append(row)
    return Gradebook(columns, rows)


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs (CSV injection): a leading
    ``'`` before anything that would start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in [book.header, *book.rows]:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


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
