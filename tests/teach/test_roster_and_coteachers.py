"""Roster import (a CSV of names and e-mails, all or nothing, every bad line named),
students claiming their row with the class code and their e-mail, and co-teachers
(what they may and may not do, and revoking them). Through the real routes, on SQLite
and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from teachkit import Person, Tables, build_app, join_code, signed_in

from course.storage import db
from course.storage.models import Classroom, CoTeacher, Enrollment, RosterInvite
from course.teach import roster as rosters


@pytest.fixture
def app(database_url: str, cache: Path) -> Iterator[Flask]:
    app = build_app(database_url, cache)
    yield app
    db.dispose(app)


def page(person: Person, class_id: int) -> str:
    reply = person.get(f"/teach/classes/{class_id}")
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def invited(app: Flask, class_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.get_session().scalars(
            select(RosterInvite).where(RosterInvite.class_id == class_id)
        )
        return sorted((r.name, r.email) for r in rows)


def errors(html: str) -> list[str]:
    box = html.split('id="roster-errors"')[1].split("</div>")[0]
    return [re.sub(r"\s+", " ", e).strip() for e in re.findall(r"<li>(.*?)</li>", box, re.S)]


# -- import -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ada Lovelace, ada@school.example\nAlan Turing, alan-at-school\n, grace@school.example",
            ["Line 2: “alan-at-school” is not an e-mail address.",
             "Line 3: the name must be 1–40 characters."],
        ),
        (
            "Ada, ada@school.example\nAda Two, ada@school.example\nada, x@school.example",
            ["Line 2: ada@school.example is already on line 1.",
             "Line 3: “ada” is also on line 1; add an initial so you can tell them apart."],
        ),
        ("Ada, ada@school.example, x\n", ["Line 1: 3 column(s); expected a name and an e-mail."]),
        ("name,email\nAda\n", ["Line 2: 1 column(s); the header has 2."]),
        ("\n\n", ["The roster is empty: one student per line, name and e-mail."]),
        (
            "".join(f"S{k}, s{k}@school.example\n" for k in range(501)),
            ["501 students: at most 500 in one import."],
        ),
    ],
)  # fmt: skip
def test_a_bad_roster_names_every_bad_line_and_imports_nothing(
    app: Flask, teacher: Person, text: str, expected: list[str]
):
    class_id = teacher.create_class()
    reply = teacher.post(f"/teach/classes/{class_id}/roster", {"text": text})
    assert reply.status_code == 400
    html = reply.get_data(as_text=True)
    assert errors(html) == expected
    assert "Nothing was imported" in html
    assert invited(app, class_id) == []


def test_a_file_too_large_or_not_utf8_is_refused(app: Flask, teacher: Person):
    class_id = teacher.create_class()
    big = b"Ada Lovelace, ada@school.example\n" * 3000
    latin = "Zoë Ça, zoe@school.example\n".encode("latin-1")
    for data, message in [(big, "larger than 64 KB"), (latin, "not UTF-8 text")]:
        form = {"file": (io.BytesIO(data), "class.csv"), "csrf_token": teacher.token}
        reply = teacher.client.post(f"/teach/classes/{class_id}/roster", data=form)
        assert reply.status_code == 400 and message in reply.get_data(as_text=True)
    assert invited(app, class_id) == []


def test_import_a_spreadsheet_then_again_with_more_students(app: Flask, teacher: Person):
    class_id = teacher.create_class()
    first = (
        "Student ID;E-mail;Name\n"
        "17;ADA@School.example;Ada  Lovelace\n"
        "18;alan@school.example;Alan Turing\n"
    )
    form = {
        "file": (io.BytesIO(first.encode("utf-8-sig")), "class.csv"),
        "csrf_token": teacher.token,
    }
    reply = teacher.client.post(f"/teach/classes/{class_id}/roster", data=form)
    assert reply.status_code == 302
    assert invited(app, class_id) == [
        ("Ada Lovelace", "ada@school.example"),
        ("Alan Turing", "alan@school.example"),
    ]
    # pasted from a spreadsheet (tabs), e-mail first: the known row is left as it is
    again = "ada@school.example\tAda L.\ngrace@school.example\tGrace Hopper\n"
    reply = teacher.post(f"/teach/classes/{class_id}/roster", {"text": again})
    assert reply.status_code == 302
    shown = page(teacher, class_id)
    assert "1 student added to the roster, 1 already on it." in shown
    rows = Tables(shown).tables["roster"][1:]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Ada Lovelace", "ada@school.example", "not joined yet"),
        ("Alan Turing", "alan@school.example", "not joined yet"),
        ("Grace Hopper", "grace@school.example", "not joined yet"),
    ]
    # a new row under a name the class already has is refused, whole
    clash = "Grace Hopper, other@school.example\nKatherine Johnson, kj@school.example\n"
    reply = teacher.post(f"/teach/classes/{class_id}/roster", {"text": clash})
    assert reply.status_code == 400
    assert errors(reply.get_data(as_text=True)) == [
        "Line 1: a student on the roster is already called “Grace Hopper”; "
        "add an initial so you can tell them apart."
    ]
    assert len(invited(app, class_id)) == 3
    # and a row can be taken off
    teacher.post(f"/teach/classes/{class_id}/invites/remove", {"email": "alan@school.example"})
    assert [n for n, _ in invited(app, class_id)] == ["Ada Lovelace", "Grace Hopper"]


def test_a_student_claims_their_row_with_the_code_and_their_email(app: Flask, teacher: Person):
    class_id = teacher.create_class()
    teacher.post(f"/teach/classes/{class_id}/roster", {"text": "Ada Lovelace, ada@school.example"})
    code = join_code(page(teacher, class_id))
    ada = Person(app)
    unknown = ada.post("/join", {"code": code, "email": "nobody@school.example"})
    assert unknown.status_code == 404
    assert "roster. Check it, or ask your teacher" in unknown.get_data(as_text=True)
    by_name = ada.post("/join", {"code": code, "name": "ada lovelace"})
    assert by_name.status_code == 409 and "type your e-mail" in by_name.get_data(as_text=True)
    claimed = ada.post("/join", {"code": code, "email": " ADA@school.example "})
    assert claimed.status_code == 302
    assert "You are in “RNNs, autumn” as Ada Lovelace." in ada.get("/classes").get_data(
        as_text=True
    )
    assert invited(app, class_id) == []
    with app.app_context():
        member = db.get_session().scalar(select(Enrollment))
        assert (member.display_name, member.email) == ("Ada Lovelace", "ada@school.example")
    rows = Tables(page(teacher, class_id)).tables["roster"][1:]
    assert [(r[0], r[1]) for r in rows] == [("Ada Lovelace", "ada@school.example")]
    # another browser with her e-mail cannot pass for her
    other = Person(app).post("/join", {"code": code, "email": "ada@school.example"})
    assert other.status_code == 409
    assert "Someone already joined with that e-mail" in other.get_data(as_text=True)


# -- co-teachers -------------------------------------------------------------------------


def test_a_co_teacher_teaches_the_class_but_cannot_archive_it_or_add_teachers(
    app: Flask, teacher: Person
):
    class_id = teacher.create_class("Shared")
    bob = signed_in(app, "bob@example.org", "Bob")
    base = f"/teach/classes/{class_id}"
    assert bob.get(base).status_code == 404  # not yet
    missing = teacher.post(f"{base}/teachers", {"email": "carol@example.org"})
    assert missing.status_code == 302
    assert "No instructor has the account" in page(teacher, class_id)
    assert teacher.post(f"{base}/teachers", {"email": "Bob@Example.org"}).status_code == 302
    # Bob sees it, on his dashboard too, and teaches it
    assert "Shared" in bob.get("/teach/").get_data(as_text=True)
    assert "co-teaching with Ada" in bob.get("/teach/").get_data(as_text=True)
    assert "You co-teach this class" in page(bob, class_id)
    assert bob.get(f"{base}/gradebook.csv").status_code == 200
    started = bob.post("/teach/live", {"class_id": str(class_id), "lab": "canary/tiny"})
    assert started.status_code == 302 and started.headers["Location"].endswith("/present")
    assert bob.post(f"{base}/roster", {"text": "Ann, ann@school.example"}).status_code == 302
    # but the owner's say stays the owner's
    assert bob.post(f"{base}/archive", {"archived": "1"}).status_code == 403
    assert bob.post(f"{base}/teachers", {"email": "bob@example.org"}).status_code == 403
    with app.app_context():
        bob_id = db.get_session().scalar(select(CoTeacher.instructor_id))
    assert bob.post(f"{base}/teachers/{bob_id}/revoke").status_code == 403
    with app.app_context():
        assert not db.get_session().get(Classroom, class_id).archived
    assert "Archive class" not in page(bob, class_id)
    # revoked: gone at once
    assert teacher.post(f"{base}/teachers/{bob_id}/revoke").status_code == 302
    assert bob.get(base).status_code == 404
    assert bob.get(f"{base}/gradebook.csv").status_code == 404
    refused = bob.post("/teach/live", {"class_id": str(class_id), "lab": "canary/tiny"})
    assert refused.status_code == 404


def test_the_parser_reads_either_column_order_without_a_header():
    rows = rosters.parse("a@x.org, Ann\nBen, b@x.org\n")
    assert [(r.line, r.name, r.email) for r in rows] == [
        (1, "Ann", "a@x.org"),
        (2, "Ben", "b@x.org"),
    ]
