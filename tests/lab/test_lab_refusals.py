"""The /lab socket refuses what it should: a bad payload gets a clear error naming its
field and changes nothing; a connection and the server hold only so many labs; no ack
carries a number JSON cannot."""

from __future__ import annotations

import math

import pytest
from labkit import LAB, LESSON, open_lab, step
from socketkit import ask, ok, pushed

from course.lessons.registry import LessonRegistry

# -- bad payloads ------------------------------------------------------------------------

OPEN = {"lesson": LESSON, "lab": LAB}
NAN, INF = float("nan"), float("inf")
BAD = {
    "not an object (list)": ("step", [LAB], None),
    "not an object (string)": ("step", LAB, None),
    "not an object (number)": ("train", 5, None),
    "unknown field": ("step", {"lab": LAB, "speed": 2}, "speed"),
    "unknown field in open": ("open", OPEN | {"colour": "red"}, "colour"),
    "unknown config field": ("open", OPEN | {"config": {"colour": "red"}}, "config.colour"),
    "missing lab": ("step", {"granularity": "compute"}, "lab"),
    "missing lab in train": ("train", {"epochs": 2}, "lab"),
    "missing lesson": ("open", {"lab": LAB}, "lesson"),
    "missing unit": ("select", {"lab": LAB}, "unit"),
    "lab not a string": ("step", {"lab": 7}, "lab"),
    "bool epochs": ("train", {"lab": LAB, "epochs": True}, "epochs"),
    "fractional epochs": ("train", {"lab": LAB, "epochs": 2.5}, "epochs"),
    "string epochs": ("train", {"lab": LAB, "epochs": "5"}, "epochs"),
    "string speed": ("play", {"lab": LAB, "speed": "fast"}, "speed"),
    "bool unit": ("select", {"lab": LAB, "unit": False}, "unit"),
    "config not an object": ("open", OPEN | {"config": [1, 2]}, "config"),
    "bool layers": ("open", OPEN | {"config": {"layers": True}}, "config.layers"),
    "string learning_rate": (
        "open",
        OPEN | {"config": {"learning_rate": "0.1"}},
        "config.learning_rate",
    ),
    "NaN speed": ("play", {"lab": LAB, "speed": NAN}, "speed"),
    "inf speed": ("play", {"lab": LAB, "speed": INF}, "speed"),
    "NaN learning_rate": (
        "open",
        OPEN | {"config": {"learning_rate": NAN}},
        "config.learning_rate",
    ),
    "-inf noise": ("open", OPEN | {"config": {"noise": -INF}}, "config.noise"),
    "huge integer speed": ("play", {"lab": LAB, "speed": 10**99}, "speed"),
    "epochs 0": ("train", {"lab": LAB, "epochs": 0}, "epochs"),
    "epochs 1000": ("train", {"lab": LAB, "epochs": 1000}, "epochs"),
    "speed 100": ("play", {"lab": LAB, "speed": 100}, "speed"),
    "speed 0": ("play", {"lab": LAB, "speed": 0}, "speed"),
    "unit 99": ("select", {"lab": LAB, "unit": 99}, "unit"),
    "unit 16 of 16": ("select", {"lab": LAB, "unit": 16}, "unit"),
    "unit -1": ("select", {"lab": LAB, "unit": -1}, "unit"),
    "layers 8": ("open", OPEN | {"config": {"layers": 8}}, "config.layers"),
    "layers 0": ("open", OPEN | {"config": {"layers": 0}}, "config.layers"),
    "hidden 3": ("open", OPEN | {"config": {"hidden": 3}}, "config.hidden"),
    "learning_rate 10": ("open", OPEN | {"config": {"learning_rate": 10}}, "config.learning_rate"),
    "noise 1": ("open", OPEN | {"config": {"noise": 1}}, "config.noise"),
    "unknown model": ("open", OPEN | {"config": {"model": "transformer"}}, "config.model"),
    "unknown lesson": ("open", {"lesson": "no-such-lesson", "lab": LAB}, "lesson"),
    "unknown lab": ("open", {"lesson": LESSON, "lab": "no-such-lab"}, "lab"),
    "unknown granularity": ("step", {"lab": LAB, "granularity": "gate"}, "granularity"),
    "unknown play granularity": ("play", {"lab": LAB, "granularity": "forever"}, "granularity"),
    "lab not open": ("step", {"lab": "not-open"}, "lab"),
    "lab id too long": ("step", {"lab": "x" * 65}, "lab"),
}


@pytest.mark.parametrize("event, payload, field", BAD.values(), ids=BAD.keys())
def test_bad_payload_is_refused_and_changes_nothing(lab_client, event, payload, field):
    open_lab(lab_client)
    step(lab_client)
    expected = step(lab_client)  # the second compute step, as it should be
    ok(lab_client, "reset", {"lab": LAB})
    step(lab_client)

    ack = ask(lab_client, event, payload)
    assert ack["ok"] is False
    assert set(ack["error"]) == {"code", "message", "field"}
    assert ack["error"]["code"] and ack["error"]["message"]
    assert ack["error"]["field"] == field

    assert step(lab_client) == expected
    assert pushed(lab_client) == []


def test_step_before_open_is_refused(lab_client):
    ack = ask(lab_client, "step", {"lab": LAB})
    assert ack["ok"] is False
    assert ack["error"]["field"] == "lab"
    open_lab(lab_client)
    assert step(lab_client)["frame"]["position"] == 1


# -- limits ------------------------------------------------------------------------------

# Several labs in one lesson, all the shape of labkit.GRU, so nothing new is compiled.
MANY_LABS = (
    "---\nid: many\ntitle: Many labs\nmodule: 1\norder: 1\nobjectives: [x]\nminutes: 1\n---\n"
    + "".join(
        f"\n/// lab | lab-{n}\n    model: gru\n    layers: 1\n    hidden: 4\n///\n"
        for n in range(4)
    )
)


@pytest.fixture
def many_labs(app, tmp_path, monkeypatch):
    (tmp_path / "01-many.md").write_text(MANY_LABS, encoding="utf-8")
    monkeypatch.setitem(app.extensions, "lessons", LessonRegistry.load(tmp_path))
    monkeypatch.setitem(app.config, "MAX_LABS_PER_CONNECTION", 2)


def test_a_connection_may_open_only_so_many_labs(lab_client, many_labs):
    for n in (0, 1):
        ok(lab_client, "open", {"lesson": "many", "lab": f"lab-{n}"})
    refused = ask(lab_client, "open", {"lesson": "many", "lab": "lab-2"})
    assert refused["ok"] is False
    assert refused["error"]["code"] == "too_many_labs"
    # Reopening one already open is fine, and the open ones still work.
    ok(lab_client, "open", {"lesson": "many", "lab": "lab-0"})
    assert step(lab_client, lab="lab-1")["frame"]["step"] == "r"
    assert ask(lab_client, "step", {"lab": "lab-2"})["ok"] is False


def test_the_server_may_hold_only_so_many_labs(app, socket, lab_client, many_labs, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_LABS", 2)
    for n in (0, 1):
        ok(lab_client, "open", {"lesson": "many", "lab": f"lab-{n}"})
    other = socket("/lab")
    assert ask(other, "open", {"lesson": "many", "lab": "lab-0"})["ok"] is False
    lab_client.close()  # closing a page frees its labs
    ok(other, "open", {"lesson": "many", "lab": "lab-0"})


def test_acks_never_carry_non_finite_numbers(lab_client):
    # ask() checks every ack; this checks the full payload once more, by hand.
    ack = open_lab(lab_client)
    numbers = [v for source in ack["sources"].values() for col in source.values() for v in col]
    assert all(math.isfinite(v) for v in numbers if isinstance(v, float))
