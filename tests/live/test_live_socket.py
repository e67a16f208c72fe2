"""Live sessions over /live: the presenter drives one shared lab; every student's
view follows with identical numbers, in order; roles come from the server."""

from __future__ import annotations

from typing import Any

from flask import Flask
from labkit import as_drawn
from livekit import LESSON, Person, instructor, presenter, student
from socketkit import ask, connect

from course.live.state import LiveState


def test_every_follower_receives_identical_frames_in_order(app, people, session_code):
    teacher = presenter(app, people, session_code)
    students = [student(app, people, session_code, f"S{k}") for k in range(3)]
    for s in students:
        s.pushed("state")  # drop what came before
    acks = [teacher.call("present", {"code": session_code, "action": "step"}) for _ in range(5)]
    assert all(a["ok"] for a in acks)
    sent = [a["state"] for a in acks]
    for s in students:
        got = s.pushed("state")
        assert [g["seq"] for g in got] == [v["seq"] for v in sent]  # in order, none missing
        assert got == sent  # the same numbers, field for field
    assert sent[-1]["frame"]["step_index"] == 5  # from x, five compute steps into the cell


def test_a_student_cannot_present_and_nothing_changes(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Mallory")
    before = pupil.call("sync", {"code": session_code})["state"]
    for event, payload in [
        ("present", {"code": session_code, "action": "step"}),
        ("present", {"code": session_code, "action": "train", "epochs": 5}),
        ("poll", {"code": session_code, "op": "open", "quiz": "forget-gate"}),
        ("explore", {"code": session_code, "allowed": True}),
        ("end", {"code": session_code}),
    ]:
        ack = pupil.call(event, payload)
        assert ack == {
            "ok": False,
            "error": {"code": "forbidden", "message": ack["error"]["message"], "field": None},
        }
    # a forged claim in the payload changes nothing either
    ack = pupil.call("present", {"code": session_code, "action": "step", "role": "presenter"})
    assert not ack["ok"]
    after = teacher.call("sync", {"code": session_code})["state"]
    assert after == before and after["seq"] == before["seq"]


def in_step(full: dict[str, Any], last: dict[str, Any]) -> None:
    """A joiner's full state shows what followers see after ``last`` (which carried
    only the sources that changed)."""
    assert full["seq"] == last["seq"] and full["frame"] == last["frame"]
    for name, columns in last["sources"].items():
        assert {k: full["sources"][name][k] for k in columns} == columns
    assert set(full["sources"]) >= set(last["sources"])


def test_a_late_joiner_and_a_reconnecting_student_are_in_step_at_once(app, people, session_code):
    teacher = presenter(app, people, session_code)
    early = student(app, people, session_code, "Early")
    teacher.call("present", {"code": session_code, "action": "step", "granularity": "timestep"})
    last = teacher.call("present", {"code": session_code, "action": "step"})["state"]
    late = student(app, people, session_code, "Late")
    in_step(late.call("sync", {"code": session_code})["state"], last)
    early.close()
    early.sock = early.connect()
    ack = early.call("join", {"code": session_code, "name": "Early"})
    in_step(ack["state"], last)
    presence = teacher.call("join", {"code": session_code})["presence"]
    assert sorted(presence) == ["Early", "Late"]  # rejoining is not a second person


def test_explore_a_private_copy_then_follow_again(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Eve")
    teacher.call("present", {"code": session_code, "action": "step", "granularity": "timestep"})
    with connect(app, "/lab", pupil.client) as lab:
        open_copy = {"lesson": LESSON, "lab": "cell-walk", "live": session_code}
        refused = ask(lab, "open", open_copy)
        assert not refused["ok"] and refused["error"]["code"] == "forbidden"
        teacher.call("explore", {"code": session_code, "allowed": True})
        mine = ask(lab, "open", open_copy)
        shared = teacher.call("sync", {"code": session_code})["state"]
        here = {k: mine["frame"][k] for k in ("epoch", "phase", "position", "t", "layer", "step")}
        assert here == {k: shared["frame"][k] for k in here}  # the copy starts where the class is
        for _ in range(3):
            ask(lab, "step", {"lab": "cell-walk"})
        assert (
            teacher.call("sync", {"code": session_code})["state"] == shared
        )  # the class did not move
        back = pupil.call("sync", {"code": session_code})["state"]
        assert back == shared


def test_when_the_class_ends_its_students_may_go_on_with_a_copy(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Eve")
    teacher.call("present", {"code": session_code, "action": "step", "granularity": "timestep"})
    last = teacher.call("present", {"code": session_code, "action": "step"})["state"]
    open_copy = {"lesson": LESSON, "lab": "cell-walk", "live": session_code}
    with connect(app, "/lab", pupil.client) as lab:
        assert ask(lab, "open", open_copy)["error"]["code"] == "forbidden"  # not while it runs
        assert teacher.call("end", {"code": session_code})["ok"]
        mine = ask(lab, "open", open_copy)
        here = {k: mine["frame"][k] for k in ("epoch", "phase", "position", "t", "layer", "step")}
        assert here == {k: last["frame"][k] for k in here}  # where the class stopped
        assert ask(lab, "step", {"lab": "cell-walk"})["ok"]


def test_bad_payloads_get_clear_errors(app, people, session_code):
    teacher = presenter(app, people, session_code)
    for payload, code in [
        ({"code": session_code, "action": "fly"}, "bad_choice"),
        ({"code": session_code, "action": "step", "granularity": "year"}, "bad_choice"),
        ({"code": session_code, "action": "layers", "change": 5}, "bad_choice"),
        ({"code": "NOPE00", "action": "step"}, "not_found"),
        ({"code": session_code}, "missing_field"),
        ("step", "bad_payload"),
    ]:
        ack = teacher.call("present", payload)
        assert not ack["ok"] and ack["error"]["code"] == code, (payload, ack)
    assert teacher.call("join", {"code": "abc"})["error"]["code"] == "not_found"


def test_presenter_changes_reach_followers(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Pat")
    grown = teacher.call("present", {"code": session_code, "action": "layers", "change": 1})[
        "state"
    ]
    assert grown["info"]["layers"] == 4
    trained = teacher.call("present", {"code": session_code, "action": "train", "epochs": 2})[
        "state"
    ]
    assert trained["frame"]["epoch"] == 2 and len(trained["sources"]["loss"]["loss"]) == 2
    changed = teacher.call(
        "present",
        {"code": session_code, "action": "configure", "config": {"model": "gru", "hidden": 8}}
        | {"confirm": True},  # it wipes the two epochs: the presenter confirmed
    )["state"]
    assert changed["info"]["cell"] == "gru" and changed["frame"]["epoch"] == 0
    assert pupil.pushed("state")[-1] == changed


def test_ending_stores_a_summary_and_freezes_the_session(app, people, session_code):
    teacher = presenter(app, people, session_code)
    student(app, people, session_code, "Quinn")
    ended = teacher.call("end", {"code": session_code})
    assert ended["ok"] and ended["summary"]["present"] == ["Quinn"]
    again = teacher.call("present", {"code": session_code, "action": "step"})
    assert again["error"]["code"] == "ended"


def test_session_pages_and_who_may_open_them(app, people, session_code):
    anyone = app.test_client()
    page = anyone.get(f"/live/{session_code}").get_data(as_text=True)
    assert f'data-live-code="{session_code}"' in page and 'data-live-role="student"' in page
    assert "poll-pick" not in page  # no staff controls for students
    assert (
        anyone.get(f"/live/{session_code.lower()}").status_code == 200
    )  # codes are typed in any case
    assert anyone.get(f"/live/{session_code}/present").status_code in (302, 404)
    other = Person(app, instructor=instructor(app, "teacher-2"))
    people.append(other)
    assert other.client.get(f"/live/{session_code}/present").status_code == 404
    teacher = Person(app, instructor=instructor(app, "teacher-1"))
    people.append(teacher)
    staff = teacher.client.get(f"/live/{session_code}/present").get_data(as_text=True)
    assert 'data-live-role="presenter"' in staff and "poll-pick" in staff
    assert 'data-live-role="projector"' in anyone.get(f"/live/{session_code}/projector").get_data(
        as_text=True
    )
    assert anyone.get("/live").status_code == 200
    assert anyone.get(f"/live?code={session_code}").status_code == 302
    assert anyone.get("/live?code=ZZZZZZ").status_code == 404
    assert anyone.get("/live/nope").status_code == 404


def test_a_projector_watches_without_counting_or_voting(app, people, session_code):
    teacher = presenter(app, people, session_code)
    screen = Person(app)
    people.append(screen)
    ack = screen.call("join", {"code": session_code, "watch": True})
    assert ack["ok"] and ack["state"]["seq"] == 0
    assert teacher.call("join", {"code": session_code})["presence"] == []
    teacher.call("poll", {"code": session_code, "op": "open", "quiz": "forget-gate"})
    vote = screen.call("answer", {"code": session_code, "poll": 1, "answer": {"choice": "x"}})
    assert vote["error"]["code"] == "forbidden"
    step = teacher.call("present", {"code": session_code, "action": "step"})["state"]
    assert screen.pushed("state")[-1] == step


def test_the_presenters_settings_work_like_a_learners(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Sam")
    trained = teacher.call("present", {"code": session_code, "action": "train", "epochs": 1})
    faster = {"code": session_code, "action": "configure", "config": {"learning_rate": 0.05}}
    kept = teacher.call("present", faster)["state"]
    assert kept["frame"]["epoch"] == trained["state"]["frame"]["epoch"] == 1  # training goes on
    assert "figures" not in kept and "goes on" in kept["message"]
    wider = {"code": session_code, "action": "configure", "config": {"hidden": 8}, "confirm": True}
    rebuilt = teacher.call("present", wider)["state"]
    assert rebuilt["frame"]["epoch"] == 0 and rebuilt["info"]["hidden"] == 8
    assert "resets training" in rebuilt["message"] and set(rebuilt["figures"]) >= {
        "cell",
        "heatmap",
    }
    assert pupil.pushed("state")[-1]["figures"] == rebuilt["figures"]  # everyone re-embeds
    step = teacher.call("present", {"code": session_code, "action": "step"})["state"]
    assert "figures" not in step  # only once
    late = student(app, people, session_code, "Late")
    assert late.call("sync", {"code": session_code})["state"]["figures"] == rebuilt["figures"]
    bad = teacher.call(
        "present", {"code": session_code, "action": "configure", "config": {"hidden": 3}}
    )
    assert bad["error"]["field"] == "config.hidden"


def merged(state: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """What a follower shows after applying ``later`` on ``state``: a source's columns
    replace those it had, the others stay (as lab.js merges them)."""
    sources = {name: dict(columns) for name, columns in state["sources"].items()}
    for name, columns in later["sources"].items():
        sources[name] = sources.get(name, {}) | columns
    return later | {"sources": sources}


def fresh_view(app: Flask, code: str) -> dict[str, Any]:
    """The full state built from scratch, as another process would rebuild the session
    from its store: what every follower should be showing now."""
    meta, _, lab_bytes = app.extensions["live_store"].load(code)
    lesson = app.extensions["lessons"].get(meta["lesson"])
    return LiveState.restore(meta, lab_bytes, lesson).view(full=True)


def test_a_follower_sees_the_gradient_labels_in_the_backward_phase(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Grace")
    shown = pupil.call("sync", {"code": session_code})["state"]
    for action in ({"action": "step"}, {"action": "jump", "phase": "backward"}):
        teacher.call("present", {"code": session_code, **action})
    for state in pupil.pushed("state"):
        shown = merged(shown, state)
    boxes = shown["sources"]["cell_boxes"]
    labels = dict(zip(boxes["name"], boxes["label"], strict=True))
    assert labels["h"] == "∂L/∂hₜ"  # not "hₜ output": the boxes now hold gradients
    assert boxes["label"] == fresh_view(app, session_code)["sources"]["cell_boxes"]["label"]


def test_merged_partial_states_always_equal_a_full_one(app, people, session_code):
    """Partial states leave out the columns LAYOUT_COLUMNS calls fixed: a follower that
    merges them must show, at every frame through every phase, what a newcomer would."""
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Ada")
    shown = pupil.call("sync", {"code": session_code})["state"]
    run: list[dict[str, Any]] = [
        {"action": "step"},
        {"action": "step"},
        {"action": "step", "granularity": "timestep"},
        {"action": "select", "unit": 2},
        {"action": "step"},
        {"action": "select", "unit": 2, "layer": 0},  # zoomed into a layer below the stepper
        {"action": "step"},
        {"action": "jump", "phase": "validate"},
        {"action": "jump", "phase": "backward"},
        {"action": "step"},
        {"action": "step", "granularity": "timestep"},
        {"action": "jump", "phase": "update"},
        {"action": "step"},
        {"action": "step"},  # into the next epoch's forward pass
        {"action": "jump", "phase": "forward", "t": 5},
    ]
    for action in run:
        assert teacher.call("present", {"code": session_code, **action})["ok"]
        (state,) = pupil.pushed("state")
        shown = merged(shown, state)
        expected = as_drawn(fresh_view(app, session_code)["sources"])
        drawn = as_drawn(shown["sources"])
        assert drawn.keys() == expected.keys(), action
        for name, columns in expected.items():
            assert drawn[name] == columns, (action, name)
