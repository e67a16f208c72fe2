"""The gradebook as a teacher reads it: question titles, points and percent, due dates
in the class's time zone with extensions and late flags, revealed answers, the CSV
with the page's columns, and per-question statistics (quizzes, predictions and a
live poll) equal to a count kept by the test. Every answer goes through the real
routes and sockets; on SQLite and PostgreSQL (the ``database_url`` fixture)."""

from __future__ import annotations

import csv
import html
import io
import math
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from socketkit import connect, ok
from sqlalchemy import select
from teachkit import Learner, Person, Tables, build_app, join_code, signed_in

from course import zones
from course.storage import db
from course.storage.models import Assignment, Classroom
from course.teach.gradebook import csv_cell

SINGLE = ["plain option alpha", "plain option bravo", "plain option charlie"]


@pytest.fixture
def app(database_url: str, cache: Path) -> Iterator[Flask]:
    app = build_app(database_url, cache)
    yield app
    db.dispose(app)


def page(person: Person, path: str) -> str:
    reply = person.get(path)
    assert reply.status_code == 200, reply.status_code
    return reply.get_data(as_text=True)


def enrol(app: Flask, teacher: Person, *names: str, zone: str = "UTC") -> tuple[int, list[Learner]]:
    reply = teacher.post("/teach/classes", {"name": "RNNs", "time_zone": zone})
    class_id = int(reply.headers["Location"].rsplit("/", 1)[1])
    code = join_code(page(teacher, f"/teach/classes/{class_id}"))
    people = []
    for name in names:
        person = Learner(app)
        person.open_lesson()
        assert person.join(code, name).status_code == 302
        people.append(person)
    return class_id, people


def assign(teacher: Person, class_id: int, due: str) -> None:
    reply = teacher.post(
        f"/teach/classes/{class_id}/assignments", {"what": "lesson:canary", "due": due}
    )
    assert reply.status_code == 302


def gradebook(teacher: Person, class_id: int) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """The gradebook page's table: group row, header row, rows by student name."""
    table = Tables(page(teacher, f"/teach/classes/{class_id}/gradebook")).tables["gradebook"]
    return table[0], table[1], {row[0]: row for row in table[2:]}


def cell(teacher: Person, class_id: int, student: str, column: str) -> str:
    _, header, rows = gradebook(teacher, class_id)
    return rows[student][header.index(column)]


# -- the table and its CSV -------------------------------------------------------------


def test_the_gradebook_page_and_its_csv_agree_cell_by_cell(app: Flask, teacher: Person):
    class_id, (ana, mallory) = enrol(app, teacher, "Ana", '=HYPERLINK("http://x")')
    assign(teacher, class_id, "2030-01-01T12:00")
    ana.mark("section", "first-section")
    ana.step_lab("tiny")
    [right] = ana.ids("single", "plain option bravo")
    ana.answer("single", {"choice": right})
    [one] = ana.ids("multiple", "first right one")
    ana.answer("multiple", {"choices": [one]})  # 0.5
    mallory.mark("section", "first-section")
    mallory.mark("section", "questions")
    [wrong] = mallory.ids("single", "plain option alpha")
    mallory.answer("single", {"choice": wrong})
    mallory.answer("single", {"choice": right})  # the best of the two counts
    mallory.answer("numeric", {"value": 0.2})  # wrong: 0
    [this] = mallory.ids("poll", "this")
    mallory.answer("poll", {"choice": this})  # a poll has no column

    groups, header, rows = gradebook(teacher, class_id)
    exported = teacher.get(f"/teach/classes/{class_id}/gradebook.csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    cells = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert cells[0] == header  # the same columns, in the same order
    assert cells[1:] == [[csv_cell(c) for c in row] for row in rows.values()]
    # the class page shows the same table
    on_class_page = Tables(page(teacher, f"/teach/classes/{class_id}")).tables["gradebook"]
    assert on_class_page[1] == header and on_class_page[2:] == list(rows.values())

    titles = ["Pick the canary.", "Pick both.", "What number?", "Which word?", "Which code?",
              "Order them.", "Match them.", "What is f at t = 2 for unit 1?"]  # fmt: skip
    assert groups == ["", "Canary lesson"]
    assert header == [
        "Student", "Last activity", "Total points (of 8)", "Total %",
        *(f"Canary lesson · {label}" for label in [
            "Due", "Status", "Sections read", "Labs worked",
            *(f"{title} (1 pt)" for title in titles), "Points (of 8)", "Score %",
        ]),
    ]  # fmt: skip
    assert list(rows) == sorted(rows)  # by name
    due = "2030-01-01 12:00 UTC"
    assert rows["Ana"][2:] == ["1.5", "19%", due, "open", "1/2", "1/1",
                               "1", "0.5", "", "", "", "", "", "", "1.5", "19%"]  # fmt: skip
    mallory_row = rows['=HYPERLINK("http://x")']
    assert mallory_row[2:] == ["1", "13%", due, "open", "2/2", "0/1",
                               "1", "", "0", "", "", "", "", "", "1", "13%"]  # fmt: skip
    # last activity: today, in the class's zone
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert rows["Ana"][1].startswith(today) and rows["Ana"][1].endswith(" UTC")
    # CSV injection: the name is text in a spreadsheet, shown as typed on the page
    [exported_row] = [row for row in cells if row[0].startswith("'")]
    assert exported_row[0] == '\'=HYPERLINK("http://x")'


def test_the_gradebook_shows_an_answer_the_student_revealed(app: Flask, teacher: Person):
    """Issue 17: the reveal is recorded against the student and shown by the points it
    follows; the attempt they try after it is refused, so it never scores."""
    class_id, [ana] = enrol(app, teacher, "Ana")
    assign(teacher, class_id, "2030-01-01T12:00")
    [wrong, right] = ana.ids("single", "plain option alpha", "plain option bravo")
    ana.answer("single", {"choice": wrong})
    reveal = "/api/lessons/canary/quizzes/single/reveal"
    assert ana.client.post(reveal, headers=ana.headers()).get_json()["revealed"] is True
    body = {"submission_id": uuid.uuid4().hex, "answer": {"choice": right}}
    later = ana.client.post(
        "/api/lessons/canary/quizzes/single/attempts", json=body, headers=ana.headers()
    )
    assert later.status_code == 409 and later.get_json()["error"]["code"] == "revealed"

    column = "Canary lesson · Pick the canary. (1 pt)"
    assert cell(teacher, class_id, "Ana", column) == "0 (answer shown)"
    assert cell(teacher, class_id, "Ana", "Total points (of 8)") == "0"
    exported = teacher.get(f"/teach/classes/{class_id}/gradebook.csv").get_data().decode()
    assert "0 (answer shown)" in exported
    assert 'class="is-revealed">0 (answer shown)<' in page(
        teacher, f"/teach/classes/{class_id}/gradebook"
    )


@pytest.mark.parametrize(
    ("text", "safe"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("Ana", "Ana"), ("0.5", "0.5"), ("", "")],
)  # fmt: skip
def test_csv_cells_never_start_a_formula(text: str, safe: str):
    assert csv_cell(text) == safe


# -- due dates, extensions, late flags --------------------------------------------------


def test_an_extension_changes_the_late_flag(app: Flask, teacher: Person):
    class_id, [ana, ben] = enrol(app, teacher, "Ana", "Ben")
    assign(teacher, class_id, "2021-03-01T09:00")  # already past
    status = "Canary lesson · Status"
    assert cell(teacher, class_id, "Ana", status) == "late"
    assert cell(teacher, class_id, "Ben", status) == "late"
    assert 'class="is-late">late<' in page(teacher, f"/teach/classes/{class_id}/gradebook")
    with app.app_context():
        [assignment_id] = db.get_session().scalars(select(Assignment.id)).all()
    ana_id = ana.session()["learner"]
    extend = f"/teach/classes/{class_id}/assignments/{assignment_id}/extensions"
    assert teacher.post(extend, {"learner": ana_id, "due": "2099-06-01T09:00"}).status_code == 302
    assert cell(teacher, class_id, "Ana", status) == "open"
    assert (
        cell(teacher, class_id, "Ana", "Canary lesson · Due") == "2099-06-01 09:00 UTC (extended)"
    )
    assert cell(teacher, class_id, "Ben", status) == "late"  # only hers moved
    assert cell(teacher, class_id, "Ben", "Canary lesson · Due") == "2021-03-01 09:00 UTC"
    teacher.post(f"{extend}/{ana_id}/delete")
    assert cell(teacher, class_id, "Ana", status) == "late"


def test_done_late_when_finished_after_the_due_date():
    from course.teach.gradebook import _status

    due = datetime(2030, 1, 1, 12, tzinfo=UTC)
    before, after = datetime(2030, 1, 1, 11, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)
    assert _status(before, due, now=after) == "done"
    assert _status(after, due, now=after) == "done late"
    assert _status(None, due, now=before) == "open"
    assert _status(None, due, now=after) == "late"


# -- time zones -------------------------------------------------------------------------


def test_dates_are_shown_in_the_class_time_zone_and_students_get_the_instant(
    app: Flask, teacher: Person
):
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "utc+2"):
        reply = teacher.post("/teach/classes", {"name": "Nowhere", "time_zone": bad})
        assert reply.status_code == 302 and reply.headers["Location"].endswith("/teach/")
    assert "Pick a time zone from the list." in page(teacher, "/teach/")
    with app.app_context():
        assert db.get_session().scalars(select(Classroom)).all() == []  # nothing created

    class_id, [ana] = enrol(app, teacher, "Ana", zone="America/New_York")
    assign(teacher, class_id, "2030-01-15T12:00")  # noon in New York, winter: UTC−5
    with app.app_context():
        [stored] = db.get_session().scalars(select(Assignment.due_at)).all()
    assert stored == datetime(2030, 1, 15, 17, 0, tzinfo=UTC)
    class_page = page(teacher, f"/teach/classes/{class_id}")
    assert "Due (America/New_York)" in class_page
    assert Tables(class_page).tables["assignments"][1][1] == "2030-01-15 12:00 EST"
    assert "due 2030-01-15 12:00 EST" in class_page  # the flash
    assert cell(teacher, class_id, "Ana", "Canary lesson · Due") == "2030-01-15 12:00 EST"
    assert "2030-01-15 12:00 EST" in teacher.get(
        f"/teach/classes/{class_id}/gradebook.csv"
    ).get_data(as_text=True)
    # the student's page carries the instant; teach.js shows it in their own zone
    mine = page(ana, "/classes")
    assert '<time datetime="2030-01-15T17:00:00Z" data-local>2030-01-15 12:00 EST</time>' in mine

    assign(teacher, class_id, "2030-07-01T09:00")  # summer: EDT, UTC−4
    assert cell(teacher, class_id, "Ana", "Canary lesson · Due") == "2030-07-01 09:00 EDT"
    zone = f"/teach/classes/{class_id}/assignments/time-zone"
    assert teacher.post(zone, {"time_zone": "Asia/Kolkata"}).status_code == 302
    assert cell(teacher, class_id, "Ana", "Canary lesson · Due") == "2030-07-01 18:30 IST"
    teacher.post(zone, {"time_zone": "Nowhere/Special"})
    assert "Pick a time zone from the list." in page(teacher, f"/teach/classes/{class_id}")
    assert cell(teacher, class_id, "Ana", "Canary lesson · Due") == "2030-07-01 18:30 IST"


def test_parsing_and_showing_times_in_a_zone():
    moment = zones.parse("2030-03-31T02:30", "Europe/Paris")  # skipped by the clock change
    assert moment == datetime(2030, 3, 31, 1, 30, tzinfo=UTC)  # read with the winter offset
    assert zones.shown(moment, "Europe/Paris") == "2030-03-31 03:30 CEST"
    assert zones.parse("2030-01-01T12:00+02:00", "America/New_York") == datetime(
        2030, 1, 1, 10, tzinfo=UTC
    )
    for bad in ("1999-12-31T23:00", "not a date", "9999-12-31T23:59-23:59"):
        with pytest.raises(ValueError):
            zones.parse(bad, "UTC")
    assert zones.valid("Europe/Paris") == "Europe/Paris" and zones.valid("Europe/../x") is None
    assert zones.shown(moment, "No/Such") == "2030-03-31 01:30 UTC"  # an unknown zone: UTC


# -- per-question statistics ---------------------------------------------------------------


def share(right: int, answered: int) -> str:
    """The "Correct" cell: a whole percent, halves up, then the count."""
    return f"{math.floor(100 * right / answered + 0.5)}% ({right} of {answered})"


def answers_cell(labels: list[str], counts: Counter[str], right: set[str] = frozenset()) -> str:
    """The statistics' "Answers" cell as the page reads: letter · text [✓] count."""
    parts = []
    for n, label in enumerate(labels):
        mark = " ✓" if label in right else ""
        parts.append(f"{chr(65 + n)} · {label}{mark} {counts[label]}")
    return " ".join(parts)


def test_per_question_statistics_equal_a_count_of_the_answers(app: Flask, teacher: Person):
    class_id, people = enrol(app, teacher, "Ana", "Ben", "Cy", "Dee")
    ana, ben, cy, dee = people
    assign(teacher, class_id, "2030-01-01T12:00")
    # what each student answers, in order; the latest answer is the one that counts
    single = {ana: ["plain option alpha", "plain option bravo"], ben: ["plain option alpha"],
              cy: ["plain option bravo"], dee: []}  # fmt: skip
    multiple = {ana: [["first right one"]], ben: [["first right one", "second right one"]],
                cy: [["a wrong one"], ["first right one", "second right one"]]}  # fmt: skip
    guesses = {ana: "a", ben: "b", cy: "a"}
    numbers = {ana: 3, ben: 3, cy: 7.5, dee: 3}
    for person, picks in single.items():
        for pick in picks:
            person.answer("single", {"choice": person.ids("single", pick)[0]})
    for person, rounds in multiple.items():
        for picks in rounds:
            person.answer("multiple", {"choices": person.ids("multiple", *picks)})
    for person, guess in guesses.items():
        person.mark("predict", "guess", guess)
    for person, number in numbers.items():
        person.mark("predict", "number", number)
    # a live session of this class with the single-choice question as a poll
    reply = teacher.post("/teach/live", {"class_id": str(class_id), "lab": "canary/tiny"})
    code = reply.headers["Location"].split("/")[2]
    votes = {
        ana: ["plain option alpha"],
        ben: ["plain option bravo"],
        cy: ["plain option alpha", "plain option bravo"],
    }  # fmt: skip; Cy changes her vote
    with connect(app, "/live", teacher.client) as presenter:
        ok(presenter, "join", {"code": code})
        ok(presenter, "poll", {"code": code, "op": "open", "quiz": "single"})
        for person, picks in votes.items():
            with connect(app, "/live", person.client) as sock:
                ok(sock, "join", {"code": code, "name": "?"})
                for pick in picks:
                    answer = {"choice": person.ids("single", pick)[0]}
                    ok(sock, "answer", {"code": code, "poll": 1, "answer": answer})
        ok(presenter, "poll", {"code": code, "op": "answer"})

    stats = {
        (row[0], row[1].split(" ")[0] + (" poll" if "poll" in row[1] else "")): row
        for row in Tables(page(teacher, f"/teach/classes/{class_id}/gradebook")).tables[
            "question-stats"
        ][1:]
    }

    def row(title: str, kind: str) -> list[str]:
        return stats[(f"{title}Canary lesson", kind)]

    latest = Counter(picks[-1] for picks in single.values() if picks)
    right = latest["plain option bravo"]
    answered = sum(latest.values())
    got = row("Pick the canary.", "quiz")
    assert got[2:] == [str(answered), share(right, answered),
                       answers_cell(SINGLE, latest, {"plain option bravo"})]  # fmt: skip

    picked: Counter[str] = Counter()
    exact = 0
    for rounds in multiple.values():
        picked.update(rounds[-1])
        exact += set(rounds[-1]) == {"first right one", "second right one"}
    got = row("Pick both.", "quiz")
    labels = ["first right one", "a wrong one", "second right one"]
    both = {"first right one", "second right one"}
    assert got[2:] == [str(len(multiple)), share(exact, 3),
                       answers_cell(labels, picked, both)]  # fmt: skip

    chosen = Counter({"a": "it rises", "b": "it falls"}[g] for g in guesses.values())
    got = row("Will it rise?", "prediction")
    assert got[2:] == [str(len(guesses)), "—", answers_cell(["it rises", "it falls"], chosen)]
    got = row("How big?", "prediction")
    by_value = Counter(numbers.values()).most_common()
    assert got[2:] == [str(len(numbers)), "—", " ".join(f"{v:.4g} {n}" for v, n in by_value)]

    cast = Counter(picks[-1] for picks in votes.values())  # a changed vote counts once
    polled = [r for (title, kind), r in stats.items() if kind == "live poll"]
    [poll] = polled
    assert poll[0] == "Pick the canary.Canary lesson" and poll[1].startswith("live poll")
    n, ok_votes = sum(cast.values()), cast["plain option bravo"]
    assert poll[2:] == [str(n), share(ok_votes, n),
                        answers_cell(SINGLE, cast, {"plain option bravo"})]  # fmt: skip
    # the gradebook counts each student's live polls
    column = "Live polls answered (of 1)"
    assert [cell(teacher, class_id, name, column) for name in ("Ana", "Ben", "Cy", "Dee")] == [
        "1", "1", "1", "0",
    ]  # fmt: skip


def test_a_poll_of_a_lesson_not_assigned_has_its_statistics(app: Flask, teacher: Person):
    class_id, (ana,) = enrol(app, teacher, "Ana")  # nothing assigned
    reply = teacher.post("/teach/live", {"class_id": str(class_id), "lab": "canary/tiny"})
    code = reply.headers["Location"].split("/")[2]
    with connect(app, "/live", teacher.client) as presenter:
        ok(presenter, "join", {"code": code})
        ok(presenter, "poll", {"code": code, "op": "open", "quiz": "single"})
        with connect(app, "/live", ana.client) as sock:
            ok(sock, "join", {"code": code, "name": "?"})
            answer = {"choice": ana.ids("single", "plain option bravo")[0]}
            ok(sock, "answer", {"code": code, "poll": 1, "answer": answer})
    rows = Tables(page(teacher, f"/teach/classes/{class_id}/gradebook")).tables["question-stats"]
    [poll] = rows[1:]
    assert poll[0] == "Pick the canary.Canary lesson" and poll[1].startswith("live poll")
    assert poll[2:] == ["1", share(1, 1), answers_cell(SINGLE, Counter({"plain option bravo": 1}),
                                                       {"plain option bravo"})]  # fmt: skip


def test_statistics_titles_are_plain_text():
    from course.teach.statistics import title

    assert title("<p>Which gate scales \\(c_{t-1}\\)?</p>") == "Which gate scales c_{t-1}?"
    assert title("<p>a &amp; b</p>") == "a & b"
    long = title("<p>" + "word " * 40 + "</p>", 30)
    assert long.endswith("…") and len(long) <= 30


def test_the_gradebook_page_is_the_teachers_own(app: Flask, teacher: Person):
    class_id, _ = enrol(app, teacher, "Ana")
    eve = signed_in(app, "eve@example.org", "Eve")
    assert eve.get(f"/teach/classes/{class_id}/gradebook").status_code == 404
    zone = f"/teach/classes/{class_id}/assignments/time-zone"
    assert eve.post(zone, {"time_zone": "Asia/Tokyo"}).status_code == 404
    reply = teacher.get(f"/teach/classes/{class_id}/gradebook")
    assert reply.headers["Cache-Control"] == "no-store"
    assert html.escape("Ana") in reply.get_data(as_text=True)
    assert re.search(
        r'<th scope="col" aria-sort="none"><button type="button" class="sort"',
        reply.get_data(as_text=True),
    )
