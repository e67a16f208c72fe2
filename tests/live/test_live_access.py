"""Sessions belong to a class: its members join under their class name, a non-member
is refused unless the presenter lets guests in (then marked as a guest everywhere), a
removed participant is out at once and stays out, the presenter sees who is exploring
and can bring them back, and who took part reaches the session record."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from livekit import LESSON, Person, instructor
from quizpage import TOKEN
from socketkit import refused
from sqlalchemy import select, update

from course.storage import db
from course.storage.models import Classroom, LiveAttendance, LiveSessionRecord
from course.teach import attendance


def csrf(person: Person) -> str:
    found = TOKEN.search(person.client.get("/classes").get_data(as_text=True))
    assert found is not None
    return found.group(1)


class Class:
    """A class made through the real routes: its teacher and join code."""

    def __init__(self, app: Flask, people: list[Person]) -> None:
        self.app = app
        self.people = people
        self.teacher = Person(app, instructor=instructor(app, "teacher-1"))
        people.append(self.teacher)
        made = self.teacher.client.post(
            "/teach/classes", data={"name": "RNNs, spring", "csrf_token": csrf(self.teacher)}
        )
        self.id = int(made.headers["Location"].rsplit("/", 1)[1])
        with app.app_context():
            self.join_code = db.get_session().get(Classroom, self.id).join_code

    def member(self, name: str) -> Person:
        """A student who joined the class with its code and ``name``."""
        person = Person(self.app)
        self.people.append(person)
        joined = person.client.post(
            "/join", data={"code": self.join_code, "name": name, "csrf_token": csrf(person)}
        )
        assert joined.status_code == 302, joined.get_data(as_text=True)
        return person

    def outsider(self) -> Person:
        person = Person(self.app)
        self.people.append(person)
        return person

    def start(self, access: str = "class") -> str:
        form = {"class_id": str(self.id), "lab": f"{LESSON}/cell-walk", "access": access}
        started = self.teacher.client.post(
            "/teach/live", data=form | {"csrf_token": csrf(self.teacher)}
        )
        found = re.fullmatch(r"/live/([A-Z0-9]{6})/present", started.headers["Location"])
        assert found is not None
        code = found.group(1)
        assert self.teacher.call("join", {"code": code})["role"] == "presenter"
        return code


@pytest.fixture
def klass(app: Flask, people: list[Person]) -> Class:
    return Class(app, people)


def test_a_member_joins_under_the_class_name_and_a_non_member_is_refused(app: Flask, klass: Class):
    ana = klass.member("Ana Student")
    code = klass.start()
    joined = ana.call("join", {"code": code, "name": "whatever she types"})
    assert joined["ok"] and joined["seat"] == {"name": "Ana Student", "guest": False}
    page = ana.client.get(f"/live/{code}").get_data(as_text=True)
    assert 'data-member="Ana Student"' in page and "RNNs, spring" in page  # no name asked

    eve = klass.outsider()
    error = refused(eve.sock, "join", {"code": code, "name": "Eve"})
    assert error["code"] == "members_only"
    assert refused(eve.sock, "sync", {"code": code})["code"] == "not_joined"
    shown = eve.client.get(f"/live/{code}")
    assert shown.status_code == 403 and "for the members of" in shown.get_data(as_text=True)
    watch = refused(eve.sock, "join", {"code": code, "watch": True})  # no projector either
    assert watch["code"] == "members_only"
    presence = klass.teacher.call("beat", {"code": code})["presence"]
    assert presence == ["Ana Student"]


def test_guests_only_when_the_presenter_allows_and_marked_as_guests(app: Flask, klass: Class):
    ana = klass.member("Ana Student")
    code = klass.start()
    guest = klass.outsider()
    assert refused(guest.sock, "join", {"code": code, "name": "Gus"})["code"] == "members_only"
    # only the presenter opens the door
    ana.call("join", {"code": code})
    assert refused(ana.sock, "guests", {"code": code, "allowed": True})["code"] == "forbidden"
    allowed = klass.teacher.call("guests", {"code": code, "allowed": True})
    assert allowed["ok"] and allowed["state"]["access"] == {"class": True, "guests": True}
    assert guest.client.get(f"/live/{code}").status_code == 200
    joined = guest.call("join", {"code": code, "name": "Gus"})
    assert joined["ok"] and joined["seat"] == {"name": "Gus", "guest": True}
    here = klass.teacher.call("beat", {"code": code})
    assert here["presence"] == ["Ana Student", "Gus (guest)"]
    assert [(p["name"], p["guest"]) for p in here["people"]] == [
        ("Ana Student", False),
        ("Gus (guest)", True),
    ]
    # in a poll's list of who answered, too
    klass.teacher.call("poll", {"code": code, "op": "open", "quiz": "forget-gate"})
    page = guest.client.get(f"/lessons/{LESSON}").get_data(as_text=True)
    choice = re.findall(r'data-item="(\w+)"', page.split('data-quiz="forget-gate"')[1])[0]
    answer = {"code": code, "poll": 1, "answer": {"choice": choice}}
    assert guest.call("answer", answer)["ok"]
    assert klass.teacher.pushed("votes")[-1]["who"] == ["Gus (guest)"]
    # closing the door keeps who is in, and refuses newcomers
    klass.teacher.call("guests", {"code": code, "allowed": False})
    late = klass.outsider()
    assert refused(late.sock, "join", {"code": code, "name": "Late"})["code"] == "members_only"
    assert guest.call("sync", {"code": code})["ok"]
    # the session record marks the guest
    with app.app_context():
        came = attendance.participation(db.get_session(), klass.id)
    assert sorted((a.name, a.guest, a.member) for a in came) == [
        ("Ana Student", False, True),
        ("Gus", True, False),
    ]


def test_an_open_session_admits_guests_from_the_start(app: Flask, klass: Class):
    code = klass.start(access="open")
    guest = klass.outsider()
    assert guest.call("join", {"code": code, "name": "Gus"})["seat"]["guest"] is True


def test_a_removed_participant_is_out_at_once_and_cannot_rejoin(app: Flask, klass: Class):
    ana, ben = klass.member("Ana Student"), klass.member("Ben Student")
    code = klass.start()
    for person in (ana, ben):
        assert person.call("join", {"code": code})["ok"]
    people = {p["name"]: p["id"] for p in klass.teacher.call("beat", {"code": code})["people"]}
    # a student cannot remove anyone
    assert refused(ana.sock, "remove", {"code": code, "who": people["Ben Student"]})["code"] == (
        "forbidden"
    )
    ben.pushed("state")
    done = klass.teacher.call("remove", {"code": code, "who": people["Ben Student"]})
    assert done["ok"] and done["removed"] == "Ben Student"
    assert not ben.sock.connection.is_connected("/live")  # out at once, told why first
    told = [m["args"][0] for m in ben.sock.connection.queue if m["name"] == "removed"]
    assert told[0]["message"].startswith("The presenter removed you")
    klass.teacher.call("present", {"code": code, "action": "step"})
    assert ana.pushed("state")  # the class goes on without him
    assert klass.teacher.call("beat", {"code": code})["presence"] == ["Ana Student"]
    # he cannot come back: not on a new connection, not by reloading the page
    ben.sock = ben.connect()
    assert refused(ben.sock, "join", {"code": code, "name": "Ben"})["code"] == "removed"
    assert ben.client.get(f"/live/{code}").status_code == 403
    with app.app_context():
        row = db.get_session().scalar(
            select(LiveAttendance).where(LiveAttendance.name == "Ben Student")
        )
        assert row is not None and row.removed and not row.here
    unknown = refused(klass.teacher.sock, "remove", {"code": code, "who": "0123456789abcdef"})
    assert unknown["code"] == "not_found"


def test_the_presenter_sees_who_explores_and_brings_them_back(app: Flask, klass: Class):
    ana = klass.member("Ana Student")
    code = klass.start()
    ana.call("join", {"code": code})
    klass.teacher.pushed("presence")
    assert ana.call("mode", {"code": code, "exploring": True})["ok"]
    pushed = klass.teacher.pushed("presence")[-1]["people"]
    assert [(p["name"], p["exploring"]) for p in pushed] == [("Ana Student", True)]
    assert klass.teacher.call("beat", {"code": code})["people"][0]["exploring"] is True
    assert refused(klass.teacher.sock, "mode", {"code": code, "exploring": True})["code"] == (
        "forbidden"
    )
    who = pushed[0]["id"]
    assert klass.teacher.call("pull", {"code": code, "who": who})["pulled"] == "Ana Student"
    assert ana.pushed("pull") == [{"code": code}]
    ana.call("mode", {"code": code, "exploring": False})
    assert klass.teacher.pushed("presence")[-1]["people"][0]["exploring"] is False


def test_time_present_adds_up_between_touches_and_stops_at_a_departure(app: Flask, klass: Class):
    klass.member("Ana Student")
    code = klass.start()
    with app.app_context():
        record = db.get_session().scalar(
            select(LiveSessionRecord).where(LiveSessionRecord.code == code)
        )
        learner = "learner-of-test"
        attendance.record(code, learner, "Ana Student", guest=False, event="join")

        def back(seconds: float) -> None:  # as if the last touch was that long ago
            with db.transaction() as session:
                row = session.get(LiveAttendance, (record.id, learner))
                session.execute(
                    update(LiveAttendance)
                    .where(LiveAttendance.learner_id == learner)
                    .values(last_seen=row.last_seen - timedelta(seconds=seconds))
                )

        def seconds() -> float:
            with db.sessions()() as session:
                return session.get(LiveAttendance, (record.id, learner)).seconds

        back(20)
        attendance.record(code, learner, "Ana Student", guest=False, event="beat")
        assert 20 <= seconds() < 25
        back(10)
        attendance.record(code, learner, "Ana Student", guest=False, event="leave")
        assert 30 <= seconds() < 35
        back(40)  # away: not counted
        attendance.record(code, learner, "Ana Student", guest=False, event="join")
        assert 30 <= seconds() < 35
        back(attendance.GAP_SECONDS + 5)  # no touch for too long (a crash): not counted
        attendance.record(code, learner, "Ana Student", guest=False, event="beat")
        assert 30 <= seconds() < 35
