"""The presenter's room: every lab control a class needs, through the same control layer
as a learner's /lab (same numbers, same refusals); a confirmation before a change that
wipes the class's training; the projector's QR code; the session record, kept in the
database and downloadable."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from typing import Any

from labkit import LAB, open_lab
from livekit import LESSON, Person, instructor, presenter, student
from qrdecode import decode_svg
from socketkit import ask, connect

from course.live import record, record_view
from course.storage import db
from course.storage.models import LiveEvent

READOUT = ("epoch", "updates", "phase", "t", "layer", "step", "step_index", "position", "status")

# What a class's presenter does to the lab, in order: every control of the lab's toolbar
# and of its settings (hidden size and cell kind included).
ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("step", {"granularity": "compute"}),
    ("step", {"granularity": "timestep"}),
    ("jump", {"phase": "backward", "t": 3}),
    ("select", {"unit": 2, "layer": 1}),
    ("jump", {"phase": "update"}),
    ("step", {"granularity": "compute"}),  # applies the window's weight change
    ("train", {"epochs": 1}),
    ("configure", {"config": {"learning_rate": 0.05}}),
    ("configure", {"config": {"noise": 0.1}}),
    ("configure", {"config": {"clip": False}}),
    ("step", {"granularity": "epoch"}),
    # three new shapes: a learner's compile budget allows that many a minute
    ("configure", {"config": {"hidden": 8}}),
    ("configure", {"config": {"model": "gru"}}),
    (
        "configure",
        {
            "config": {
                "model": "rnn",
                "activation": "relu",
                "layers": 1,
                "batch_size": 10,
                "dataset": "square",
                "optimizer": "adam",
                "recurrent_scale": 2.0,
            }
        },
    ),  # fmt: skip
    ("train", {"epochs": 2}),
    ("reset", {}),
]
# Refused alike on /lab and /live: (action, args) → (error code, field).
REFUSALS: list[tuple[str, dict[str, Any]]] = [
    ("configure", {"config": {"hidden": 3}}),
    ("configure", {"config": {"model": "cnn"}}),
    ("configure", {"config": {"learning_rate": 5.0}}),
    ("configure", {"config": {"layers": 9}}),
    ("configure", {"config": {"colour": "red"}}),
    ("select", {"unit": 99}),
    ("jump", {"phase": "forward", "t": 60}),
    ("step", {"granularity": "year"}),
    ("train", {"epochs": 0}),
]


def here(frame: dict[str, Any]) -> dict[str, Any]:
    return {k: frame.get(k) for k in READOUT}


def close(a: float | None, b: float | None) -> bool:
    """The live view rounds to 5 significant digits."""
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-9)


def test_the_presenter_has_every_control_of_lab_with_the_same_numbers_and_refusals(
    app, people, session_code
):
    teacher = presenter(app, people, session_code)
    with connect(app, "/lab", app.test_client()) as lab:
        opened = open_lab(lab)
        assert opened["info"] == teacher.call("sync", {"code": session_code})["state"]["info"]
        for action, args in ACTIONS:
            mine = ask(lab, action, {"lab": LAB} | args)
            assert mine["ok"], (action, args, mine)
            live = teacher.call(
                "present", {"code": session_code, "action": action, "confirm": True} | args
            )
            assert live["ok"], (action, args, live)
            view = live["state"]
            assert here(view["frame"]) == here(mine["frame"]), (action, args)
            assert close(view["frame"]["loss"], mine["frame"]["loss"]), (action, args)
            if "info" in mine:
                assert view["info"] == mine["info"], (action, args)
        assert view["info"]["cell"] == "rnn" and view["info"]["hidden"] == 8
        assert view["info"]["config"]["activation"] == "relu"
        assert view["message"] == mine["message"]  # Reset says the same on both
        for action, args in REFUSALS:
            mine = ask(lab, action, {"lab": LAB} | args)
            live = teacher.call("present", {"code": session_code, "action": action} | args)
            assert not mine["ok"] and not live["ok"], (action, args)
            assert live["error"] == mine["error"], (action, args)


def test_a_change_that_wipes_training_needs_confirming_and_says_what_is_lost(
    app, people, session_code
):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Ada")
    fresh = teacher.call(
        "present", {"code": session_code, "action": "configure", "config": {"hidden": 8}}
    )
    assert fresh["ok"]  # nothing trained yet: nothing to lose, nothing to confirm
    trained = teacher.call("present", {"code": session_code, "action": "train", "epochs": 2})
    loss = trained["state"]["frame"]["loss"]
    pupil.pushed("state")
    for action, args in [
        ("reset", {}),
        ("configure", {"config": {"hidden": 4}}),
        ("configure", {"config": {"model": "gru"}}),
        ("layers", {"change": -1}),
    ]:
        refused = teacher.call("present", {"code": session_code, "action": action} | args)
        assert refused["error"]["code"] == "confirm_needed", (action, refused)
        message = refused["error"]["message"]
        assert "2 epochs of training" in message and f"{loss:.3g}" in message, message
        assert "for everyone following" in message
    unchanged = teacher.call("sync", {"code": session_code})["state"]
    assert unchanged["seq"] == trained["state"]["seq"] and unchanged["frame"]["epoch"] == 2
    assert pupil.pushed("state") == []  # the class saw nothing happen
    kept = teacher.call(
        "present", {"code": session_code, "action": "configure", "config": {"noise": 0.2}}
    )
    assert kept["ok"] and kept["state"]["frame"]["epoch"] == 2  # keeps training: no question
    bad = teacher.call("present", {"code": session_code, "action": "reset", "confirm": "yes"})
    assert bad["error"]["code"] == "bad_type" and bad["error"]["field"] == "confirm"
    done = teacher.call(
        "present",
        {"code": session_code, "action": "configure", "config": {"model": "gru"}, "confirm": True},
    )
    assert done["ok"] and done["state"]["info"]["cell"] == "gru"
    assert done["state"]["frame"]["epoch"] == 0
    assert pupil.pushed("state")[-1]["info"]["cell"] == "gru"  # and the class follows


def test_the_presenters_page_offers_every_class_control(app, people, session_code):
    teacher = Person(app, instructor=instructor(app, "teacher-1"))
    people.append(teacher)
    page = teacher.client.get(f"/live/{session_code}/present").get_data(as_text=True)
    lab = page.split('data-lab="cell-walk"')[1].split("</section>")[0]
    for setting in ("learning_rate", "batch_size", "noise", "layers", "hidden", "dataset",
                    "model", "activation", "optimizer", "recurrent_scale", "clip"):  # fmt: skip
        assert f'data-config="{setting}"' in lab, setting
    assert 'data-role="confirm"' in page  # the confirmation dialog
    follower = app.test_client().get(f"/live/{session_code}").get_data(as_text=True)
    assert 'data-config="optimizer"' not in follower  # a student's page: the lesson's own


def test_the_projector_shows_the_join_url_and_its_qr_code(app, session_code):
    page = app.test_client().get(f"/live/{session_code}/projector").get_data(as_text=True)
    join = f"http://localhost/live/{session_code}"
    assert f'data-role="join-url">{join}<' in page
    svg = re.search(r"<svg[^>]*class=\"live-qr-code\".*?</svg>", page, re.S)
    assert svg, "no QR code on the projector"
    assert decode_svg(svg.group(0)) == join
    assert "http" not in svg.group(0).split("</title>")[1]  # drawn here: no image fetched


def votes_for(app, people, code: str) -> tuple[Person, list[Person], list[str]]:
    teacher = presenter(app, people, code)
    ann, ben, cy = (student(app, people, code, n) for n in ("Ann", "Ben", "Cy"))
    page = ann.client.get(f"/lessons/{LESSON}").get_data(as_text=True)
    ids = re.findall(
        r'<div class="quiz-choice" data-item="(\w+)"', page.split('data-quiz="forget-gate"')[1]
    )[:3]
    return teacher, [ann, ben, cy], ids


def test_the_session_record_keeps_the_timeline_and_every_poll(app, people, session_code):
    teacher, (ann, ben, cy), ids = votes_for(app, people, session_code)
    call = teacher.call
    call("present", {"code": session_code, "action": "step"})
    call("present", {"code": session_code, "action": "train", "epochs": 2})
    call("present", {"code": session_code, "action": "configure", "config": {"learning_rate": 0.1}})
    opened = call("poll", {"code": session_code, "op": "open", "quiz": "forget-gate"})
    # the record letters the options as everyone saw them: the lesson's order
    shown = opened["state"]["poll"]["choices"]
    order = [c["id"] for c in shown]
    assert sorted(order) == sorted(ids)
    letter = {c["id"]: c["letter"] for c in shown}
    with app.app_context():
        quiz = app.extensions["lessons"].get(LESSON).quizzes["forget-gate"]
    right = next(i for n, i in enumerate(order) if quiz.choices[n].correct)
    wrong = next(i for i in order if i != right)
    for who, choice in ((ann, right), (ben, wrong), (cy, right)):
        assert who.call("answer", {"code": session_code, "poll": 1, "answer": {"choice": choice}})[
            "ok"
        ]
    ann.close()  # a reconnection is no second join
    ann.sock = ann.connect()
    assert ann.call("join", {"code": session_code, "name": "Ann"})["ok"]
    call("poll", {"code": session_code, "op": "close"})
    call("present", {"code": session_code, "action": "reset", "confirm": True})
    ended = call("end", {"code": session_code})
    rec = ended["summary"]["record"]

    me = instructor(app, "teacher-1")
    with app.app_context():
        found = record_view.load(db.get_session(), rec, me)
    assert found is not None and found.code == session_code and found.ended_at is not None
    kinds = [(e["kind"], e["who"]) for e in found.events]
    joins = [who for kind, who in kinds if kind == "join"]
    assert joins == ["Ann", "Ben", "Cy"] and kinds[:3] == [("join", n) for n in joins]
    timeline = [(e["seq"], e["kind"]) for e in found.events if e["kind"] != "join"]
    assert timeline == [
        (1, "step"), (2, "train"), (3, "configure"), (4, "poll"), (5, "poll"), (5, "result"),
        (6, "reset"), (7, "end"),
    ]  # fmt: skip
    teacher_name = found.presenter_name
    assert all(e["who"] == teacher_name for e in found.events if e["kind"] != "join")
    step = next(e for e in found.events if e["kind"] == "step")
    assert step["what"] == "Step by compute → forward, t 1, layer 1: forget gate f"  # as shown
    opened = next(e for e in found.events if e["kind"] == "poll")
    assert opened["what"] == "Opened poll 1 (“Which quantity does the forget gate \\(f\\) scale?”)"
    train = next(e for e in found.events if e["kind"] == "train")
    assert train["data"]["epoch"] == 2 and "Trained 2 epochs" in train["what"]
    change = next(e for e in found.events if e["kind"] == "configure")
    assert change["data"]["changed"] == {"learning_rate": [0.01, 0.1]}
    (poll,) = found.polls
    counts = {c["letter"]: c["count"] for c in poll["choices"]}
    assert counts == {letter[right]: 2, letter[wrong]: 1} | {
        letter[i]: 0 for i in order if i not in (right, wrong)
    }
    assert {a["name"]: a["choices"] for a in poll["answers"]} == {
        "Ann": [letter[right]], "Ben": [letter[wrong]], "Cy": [letter[right]]
    }  # fmt: skip
    assert next(c for c in poll["choices"] if c["letter"] == letter[right])["correct"]

    # downloads: only for the presenter
    owner = Person(app, instructor=me)
    people.append(owner)
    page = owner.client.get(f"/live/records/{rec}").get_data(as_text=True)
    assert "Who answered what" in page and "Ann: " + letter[right] in page
    as_json = owner.client.get(f"/live/records/{rec}.json")
    assert as_json.headers["Content-Disposition"].startswith("attachment")
    doc = json.loads(as_json.get_data(as_text=True))
    assert doc["students"] == ["Ann", "Ben", "Cy"] and doc["polls"] == json.loads(
        json.dumps(found.polls)
    )
    assert [e["seq"] for e in doc["timeline"]] == [e["seq"] for e in found.events]
    rows = list(csv.DictReader(io.StringIO(owner.client.get(f"/live/records/{rec}.csv").text)))
    answers = {r["who"]: r["what"] for r in rows if r["kind"] == "answer"}
    assert answers == {"Ann": letter[right], "Ben": letter[wrong], "Cy": letter[right]}
    assert [r["kind"] for r in rows if r["kind"] not in ("choice", "answer")] == [
        k for k, _ in kinds
    ]
    other = Person(app, instructor=instructor(app, "teacher-2"))
    people.append(other)
    for suffix in ("", ".csv", ".json"):
        assert other.client.get(f"/live/records/{rec}{suffix}").status_code == 404
    assert app.test_client().get(f"/live/records/{rec}.csv").status_code in (302, 404)
    listing = owner.client.get("/live/records").get_data(as_text=True)
    assert f"/live/records/{rec}" in listing
    assert owner.client.get(f"/live/{session_code}/record").headers["Location"].endswith(rec)


def test_a_play_loops_epochs_are_in_the_record_by_the_server(app, people, session_code):
    teacher = presenter(app, people, session_code)
    teacher.call(
        "present", {"code": session_code, "action": "play", "granularity": "epoch", "speed": 32}
    )
    with app.app_context():
        rec = app.extensions["live"].state(session_code).record

    def epochs() -> list[Any]:
        with app.app_context():
            return list(
                db.get_session().scalars(
                    LiveEvent.__table__.select()
                    .where(LiveEvent.record == rec, LiveEvent.kind == "epoch")
                    .with_only_columns(LiveEvent.who)
                )
            )

    deadline = time.monotonic() + 120
    while len(epochs()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)  # waits on the record's state, with a generous bound
    teacher.call("present", {"code": session_code, "action": "pause"})
    assert len(epochs()) >= 2 and set(epochs()) == {record.PLAYER}
