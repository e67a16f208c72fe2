"""A teacher of the class takes over a live session someone else presents (issue 15,
item 6), e.g. when the presenter's laptop dies: they present from where the class was
(seq, lab, poll and votes go on), the old presenter's page is told and refused from then
on, students notice nothing, and no one else may take over."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from livekit import Person, instructor, make_class, start_for_class, token
from sqlalchemy import delete

from course.live import record_view
from course.storage import db
from course.storage.models import Classroom


@pytest.fixture
def room(app: Flask, people: list[Person]) -> Any:
    """A class session presented by its owner, Ada; Grace co-teaches; Ann (a guest) is
    in, and has voted in the open poll after a step."""
    ada, grace = instructor(app, "Ada"), instructor(app, "Grace")
    class_id = make_class(app, ada, [grace])
    owner = Person(app, instructor=ada)
    ann = Person(app)
    people += [owner, ann]
    code = start_for_class(owner, class_id)
    assert owner.call("join", {"code": code})["role"] == "presenter"
    assert ann.call("join", {"code": code, "name": "Ann"})["seat"]["guest"]
    owner.call("present", {"code": code, "action": "step"})
    opened = owner.call("poll", {"code": code, "op": "open", "quiz": "forget-gate"})["state"]
    choice = opened["poll"]["choices"][1]["id"]
    assert ann.call("answer", {"code": code, "poll": 1, "answer": {"choice": choice}})["ok"]
    yield {"code": code, "class_id": class_id, "ada": ada, "grace": grace, "owner": owner,
           "ann": ann, "before": opened, "choice": choice}  # fmt: skip
    with app.app_context(), db.transaction() as session:
        session.execute(delete(Classroom).where(Classroom.id == class_id))


def test_a_co_teacher_takes_over_and_the_session_goes_on(app, people, room):
    code, owner, ann, before = room["code"], room["owner"], room["ann"], room["before"]
    grace = Person(app, instructor=room["grace"])
    people.append(grace)
    opened = grace.client.get(f"/live/{code}")  # the students' page sends her on
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/present")
    page = grace.client.get(f"/live/{code}/present")  # not hers yet: who presents, a button
    assert page.status_code == 200
    assert "Ada is presenting" in page.get_data(as_text=True)
    assert f'action="/live/{code}/takeover"' in page.get_data(as_text=True)

    taken = grace.call("takeover", {"code": code})
    assert taken["ok"], taken
    view = taken["state"]
    assert view["seq"] == before["seq"] + 1  # a change like any other: seq goes on
    assert view["frame"] == before["frame"] and view["poll"] == before["poll"]
    pushed = ann.pushed("state")  # (reading what was pushed empties the inbox)
    assert pushed[-1] == view and view["sources"] == pushed[-2]["sources"]  # the lab as it was

    # the old presenter's page is told, refused, and its next beat says it no longer presents
    assert owner.pushed("takeover") == [{"code": code, "name": "Grace"}]
    refused = owner.call("present", {"code": code, "action": "step"})
    assert refused["error"]["code"] == "forbidden" and "Grace" in refused["error"]["message"]
    beat = owner.call("beat", {"code": code})
    assert beat["presenting"] is False and beat["presenter_name"] == "Grace"
    assert owner.client.get(f"/live/{code}/present").status_code == 200  # take it back?

    # the new presenter joins as staff, sees Ann's vote, and steps on from the same seq
    joined = grace.call("join", {"code": code})
    assert joined["role"] == "presenter" and joined["votes"]["answered"] == 1
    assert joined["votes"]["counts"] == {room["choice"]: 1}
    step = grace.call("present", {"code": code, "action": "step"})["state"]
    assert step["seq"] == view["seq"] + 1
    assert step["frame"]["position"] == before["frame"]["position"] + 1
    assert [s["seq"] for s in ann.pushed("state")] == [step["seq"]]  # no gap for Ann
    assert not ann.pushed("takeover")  # students notice nothing
    assert owner.call("beat", {"code": code})["ok"]  # still following, as a watcher
    assert "presenting" not in owner.call("beat", {"code": code})

    # the record says who took over, and names Grace for what she did
    ended = grace.call("end", {"code": code})
    with app.app_context():
        found = record_view.load(db.get_session(), ended["summary"]["record"], room["grace"])
    assert found is not None
    lines = [(e["kind"], e["who"], e["what"]) for e in found.events]
    assert ("takeover", "Grace", "Grace took over from Ada") in lines
    steps = [who for kind, who, _ in lines if kind == "step"]
    assert steps == ["Ada", "Grace"]


def test_only_a_teacher_of_the_class_may_take_over(app, people, room):
    code = room["code"]
    stranger = Person(app, instructor=instructor(app, "Stranger"))
    people.append(stranger)
    refused = stranger.call("takeover", {"code": code})
    assert refused["error"]["code"] == "forbidden"
    assert stranger.client.get(f"/live/{code}/present").status_code == 404
    posted = stranger.client.post(f"/live/{code}/takeover", data={"csrf_token": token(stranger)})
    assert posted.status_code == 404
    assert room["ann"].call("takeover", {"code": code})["error"]["code"] == "forbidden"
    # the presenter is still Ada, on every event
    assert room["owner"].call("present", {"code": code, "action": "step"})["ok"]


def test_the_class_page_takes_over_and_the_old_presenter_can_take_it_back(app, people, room):
    code = room["code"]
    grace = Person(app, instructor=room["grace"])
    people.append(grace)
    page = grace.client.get(f"/teach/classes/{room['class_id']}").get_data(as_text=True)
    assert "Ada presents" in page and f'action="/live/{code}/takeover"' in page
    posted = grace.client.post(f"/live/{code}/takeover", data={"csrf_token": token(grace)})
    assert posted.status_code == 302 and posted.headers["Location"].endswith(
        f"/live/{code}/present"
    )
    presenting = grace.client.get(f"/live/{code}/present").get_data(as_text=True)
    assert 'data-live-role="presenter"' in presenting
    assert room["owner"].pushed("takeover")[-1]["name"] == "Grace"

    # Ada takes it back the same way; Grace's page is told in turn
    grace_page = grace.call("join", {"code": code})
    assert grace_page["role"] == "presenter"
    ada = room["owner"]
    back = ada.call("takeover", {"code": code})
    assert back["ok"] and grace.pushed("takeover")[-1]["name"] == "Ada"
    assert ada.call("join", {"code": code})["role"] == "presenter"
    assert ada.call("present", {"code": code, "action": "step"})["ok"]
    assert grace.call("present", {"code": code, "action": "step"})["error"]["code"] == "forbidden"


def test_a_session_for_no_class_cannot_be_taken_over(app, people, session_code):
    other = Person(app, instructor=instructor(app, "Grace"))
    people.append(other)
    assert other.call("takeover", {"code": session_code})["error"]["code"] == "forbidden"
