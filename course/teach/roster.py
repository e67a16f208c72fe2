"""Importing a class's roster from a CSV of names and e-mails (the routes are in
classes.py).

An imported student is a ``RosterInvite``: a row the teacher sees as "not joined
yet", and that the student claims on the join page with the class code and their
e-mail, becoming a member under the roster's name (students.py). Nothing else is
created for them before that: they have no learner id (no browser) until they come.

The whole file is checked before anything is written: any bad line refuses the
import, naming every such line; an e-mail already on the roster (invited or joined)
is left as it is and counted. Names must tell students apart: two students of a
class never share a name (case aside), so a teacher can always say who is who.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.storage.models import Enrollment, RosterInvite
from course.teach.accounts import EMAIL

MAX_BYTES = 64 * 1024  # a roster of several hundred students fits many times over
MAX_ROWS = 500
MAX_NAME = 40  # as a joining student's display name
MAX_EMAIL = 254
HEADERS = {"name": "name", "full name": "name", "student": "name"} | {
    key: "email" for key in ("email", "e-mail", "mail", "email address", "e-mail address")
}


@dataclass(frozen=True)
class Row:
    line: int
    name: str
    email: str  # lowercase


class RosterError(ValueError):
    """A roster that cannot be imported; ``errors`` says why, line by line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RosterError([f"The file is larger than {MAX_BYTES // 1024} KB."])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(
            ["The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”."]
        ) from None


def parse(text: str) -> list[Row]:
    """The rows of a roster: ``name, email`` per line (either order), with or without a
    header line; commas, semicolons or tabs (pasted from a spreadsheet) between."""
    if len(text.encode()) > MAX_BYTES:
        raise RosterError([f"The roster is larger than {MAX_BYTES // 1024} KB."])
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise RosterError(["The roster is empty: one student per line, name and e-mail."])
    first = lines[0][1]
    delimiter = "\t" if "\t" in first else ";" if ";" in first and "," not in first else ","
    cells = {
        n: [c.strip() for c in next(csv.reader([line], delimiter=delimiter))] for n, line in lines
    }
    columns = _header(cells[lines[0][0]])
    if columns is not None:
        lines = lines[1:]
    if len(lines) > MAX_ROWS:
        raise RosterError([f"{len(lines)} students: at most {MAX_ROWS} in one import."])
    errors: list[str] = []
    rows: list[Row] = []
    for n, _ in lines:
        row = _row(n, cells[n], columns, errors)
        if row is not None:
            rows.append(row)
    seen_email: dict[str, int] = {}
    seen_name: dict[str, int] = {}
    for row in rows:
        if row.email in seen_email:
            errors.append(
                f"Line {row.line}: {row.email} is already on line {seen_email[row.email]}."
            )
        if row.name.casefold() in seen_name:
            errors.append(
                f"Line {row.line}: “{row.name}” is also on line {seen_name[row.name.casefold()]}; "
                "add an initial so you can tell them apart."
            )
        seen_email.setdefault(row.email, row.line)
        seen_name.setdefault(row.name.casefold(), row.line)
    if errors:
        raise RosterError(sorted(errors, key=_line_number))
    return rows


def _line_number(error: str) -> int:
    return int(error.split(":")[0].split()[-1]) if error.startswith("Line ") else 0


def _header(cells: list[str]) -> tuple[int, int] | None:
    """(name column, email column) if ``cells`` is a header line."""
    found = {HEADERS.get(c.casefold()): i for i, c in enumerate(cells)}
    if "name" in found and "email" in found:
        return found["name"], found["email"]
    return None


def _row(
    n: int, cells: list[str], columns: tuple[int, int] | None, errors: list[str]
) -> Row | None:
    if columns is not None:
        if len(cells) <= max(columns):
            errors.append(f"Line {n}: {len(cells)} column(s); the header has {max(columns) + 1}.")
            return None
        name, email = cells[columns[0]], cells[columns[1]]
    else:
        if len(cells) != 2:
            errors.append(f"Line {n}: {len(cells)} column(s); expected a name and an e-mail.")
            return None
        name, email = cells if "@" not in cells[0] else cells[::-1]
    name = " ".join(name.split())
    email = email.strip().lower()
    bad = False
    if not 1 <= len(name) <= MAX_NAME or not name.isprintable():
        errors.append(f"Line {n}: the name must be 1–{MAX_NAME} characters.")
        bad = True
    if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
        shown = email if len(email) <= 60 else email[:57] + "…"
        errors.append(f"Line {n}: “{shown}” is not an e-mail address.")
        bad = True
    return None if bad else Row(n, name, email)


def import_rows(session: Session, class_id: int, rows: list[Row]) -> tuple[int, int]:
    """Add the rows as invitations (in the caller's transaction); (added, already
    there). Raises ``RosterError`` (nothing added) if a new row's name is a member's
    or another invitation's."""
    invited = {
        i.email: i
        for i in session.scalars(select(RosterInvite).where(RosterInvite.class_id == class_id))
    }
    enrolled = list(session.scalars(select(Enrollment).where(Enrollment.class_id == class_id)))
    known = set(invited) | {e.email for e in enrolled if e.email}
    taken = {i.name.casefold(): "invited" for i in invited.values()} | {
        e.display_name.casefold(): "joined" for e in enrolled
    }
    new = [row for row in rows if row.email not in known]
    errors = [
        f"Line {row.line}: a student on the roster is already called “{row.name}”; "
        "add an initial so you can tell them apart."
        for row in new
        if row.name.casefold() in taken
    ]
    if errors:
        raise RosterError(errors)
    for row in new:
        session.add(RosterInvite(class_id=class_id, email=row.email, name=row.name))
    return len(new), len(rows) - len(new)


def invites(session: Session, class_id: int) -> list[RosterInvite]:
    """Students imported who have not joined yet, by name."""
    query = select(RosterInvite).where(RosterInvite.class_id == class_id)
    return list(session.scalars(query.order_by(func.lower(RosterInvite.name))))
