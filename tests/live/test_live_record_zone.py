"""A session record shows its times in its class's time zone, as every other teaching
page does (and says which zone): the HTML page, the CSV and the JSON of a session of a
class in New York show New York's times; a session for no class shows UTC. A
co-teacher of the class reads the record too; another instructor does not."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from livekit import Person, instructor, make_class, start_for_class
from sqlalchemy import select

from course.storage import db
from course.storage.models import LiveEvent, LiveRecord

ZONE = "America/New_York"


def test_a_class_sessions_record_is_in_the_classs_time_zone(app, people):
    ada, bea = instructor(app, "Zoe"), instructor(app, "Bea")
    owner = Person(app, instructor=ada)
    people.append(owner)
    code = start_for_class(owner, make_class(app, ada, [bea], ZONE))
    assert owner.call("join", {"code": code})["role"] == "presenter"
    ann = Person(app)
    people.append(ann)
    assert ann.call("join", {"code": code, "name": "Ann"})["ok"]
    owner.call("present", {"code": code, "action": "step"})
    rec = owner.call("end", {"code": code})["summary"]["record"]

    with app.app_context():
        session = db.get_session()
        row = session.get(LiveRecord, rec)
        assert row is not None and row.ended_at is not None
        stored = list(session.scalars(select(LiveEvent).where(LiveEvent.record == rec)))
    here = ZoneInfo(ZONE)
    local = [e.at.astimezone(here) for e in stored]  # the conversion, done here
    # New York is four or five hours behind UTC: a page in UTC would differ
    assert all(t.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4)) for t in local)

    page = owner.client.get(f"/live/records/{rec}").get_data(as_text=True)
    assert f"time ({ZONE})" in page
    cells = re.findall(r'<td><time datetime="[^"]+">(\d\d:\d\d:\d\d)</time></td>', page)
    assert cells == [t.strftime("%H:%M:%S") for t in local]
    began = row.started_at.astimezone(here)
    start = began.strftime("%Y-%m-%d %H:%M ") + str(began.tzname())  # EST or EDT
    assert start in page

    rows = list(csv.reader(io.StringIO(owner.client.get(f"/live/records/{rec}.csv").text)))
    assert rows[0][1] == f"time ({ZONE})"
    kept = [r for r in rows[1:] if r[3] not in ("choice", "answer")]
    assert [r[1] for r in kept] == [t.strftime("%Y-%m-%d %H:%M:%S") for t in local]

    doc = json.loads(owner.client.get(f"/live/records/{rec}.json").get_data(as_text=True))
    assert doc["time_zone"] == ZONE
    assert [datetime.fromisoformat(e["at"]) for e in doc["timeline"]] == [e.at for e in stored]
    assert [e["at"][-6:] for e in doc["timeline"]] == [t.isoformat()[-6:] for t in local]

    listing = owner.client.get("/live/records").get_data(as_text=True)
    assert start in listing

    # a co-teacher of the class reads it (the class page links to it); no one else does
    co = Person(app, instructor=bea)
    other = Person(app, instructor=instructor(app, "Otto"))
    people += [co, other]
    assert co.client.get(f"/live/records/{rec}.csv").status_code == 200
    assert other.client.get(f"/live/records/{rec}").status_code == 404


def test_a_session_for_no_class_keeps_utc(app, people, session_code):
    owner = Person(app, instructor=instructor(app, "teacher-1"))
    people.append(owner)
    assert owner.call("join", {"code": session_code})["role"] == "presenter"
    owner.call("present", {"code": session_code, "action": "step"})
    rec = owner.call("end", {"code": session_code})["summary"]["record"]
    page = owner.client.get(f"/live/records/{rec}").get_data(as_text=True)
    assert "time (UTC)" in page and " UTC</time>" in page
    header = owner.client.get(f"/live/records/{rec}.csv").text.splitlines()[0]
    assert header.split(",")[1] == "time (UTC)"
