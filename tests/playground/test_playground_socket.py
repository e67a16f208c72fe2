"""The /playground socket, through acks as the browser uses it: open, configure, step, run,
reset; the numbers are engine.playground.simulate's; bad payloads are refused and change
nothing; limits hold; and every number the module 1 lesson quotes is what the unit shows."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

import pytest
import socketkit
from socketkit import Socket, refused

from course.playground.views import number
from course.storage import progress
from course.web.identity import SESSION_KEY
from engine.playground import PlaygroundConfig, make_sequence, simulate

NS, LESSON = "/playground", "why-recurrence"
SINE = PlaygroundConfig(w_x=1, w_h=0, b=0, activation="tanh", sequence="sine", length=13)


def ok(sock: Socket, event: str, **payload: Any) -> dict[str, Any]:
    return socketkit.ok(sock, event, {"playground": "sine"} | payload)


def open_(sock: Socket, playground: str = "sine") -> dict[str, Any]:
    return socketkit.ok(sock, "open", {"lesson": LESSON, "playground": playground})


def shown(ack: dict[str, Any], box: str) -> str:
    boxes = ack["sources"]["pg_boxes"]
    return boxes["value"][boxes["name"].index(box)]


@pytest.fixture
def pg(client, socket) -> Socket:
    """A learner's /playground connection (after a page visit, so they have a learner id)."""
    client.get(f"/lessons/{LESSON}")
    return socket(NS)


# -- open, step, run, reset --------------------------------------------------------------


def test_open_starts_at_t0_from_the_lesson_block_with_figures(pg):
    ack = open_(pg)
    assert ack["config"] == asdict(SINE)
    assert ack["frame"]["t"] == 0 and ack["frame"]["h"] == 0.0 and ack["frame"]["T"] == 13
    assert ack["describe"]["description"] == make_sequence("sine", 13).description
    assert sorted(ack["controls"]) == sorted(asdict(SINE))  # the block shows every control
    for role in ("diagram", "series"):
        item = json.loads(ack["figures"][role])
        assert item["root_id"] and item["doc"]["roots"]
    assert {"pg_boxes", "pg_terms", "pg_ops", "pg_inputs", "pg_h"} <= set(ack["sources"])
    assert ack["sources"]["pg_h"]["t"] == [0]


def test_two_opens_give_figures_with_different_model_ids(pg):
    first, second = open_(pg, "sine")["figures"], open_(pg, "memory")["figures"]
    assert json.loads(first["diagram"])["root_id"] != json.loads(second["diagram"])["root_id"]


def test_stepping_reveals_the_engines_numbers_one_time_step_at_a_time(pg):
    open_(pg)
    trace = simulate(SINE)
    for t in range(1, 14):
        ack = ok(pg, "step")
        frame = ack["frame"]
        assert frame["t"] == t and frame["done"] == (t == 13)
        assert frame["x"] == trace.x[t - 1] and frame["h"] == trace.h[t - 1]
        assert frame["h_prev"] == (trace.h[t - 2] if t > 1 else 0.0)
        assert shown(ack, "h") == number(trace.h[t - 1]) and shown(ack, "x") == number(
            trace.x[t - 1]
        )
        assert ack["sources"]["pg_h"]["y"] == [0.0, *trace.h[:t]]
    assert ok(pg, "step")["frame"]["t"] == 13  # at the end it stays on the last step


def test_run_goes_to_the_end_with_the_same_numbers_as_stepping(pg):
    open_(pg)
    stepped = [ok(pg, "step")["frame"]["h"] for _ in range(13)]
    ok(pg, "reset")
    ran = ok(pg, "run")
    assert ran["frame"]["t"] == 13 and ran["frame"]["history"]["h"] == stepped
    assert stepped == list(simulate(SINE).h)


def test_reset_goes_back_to_h0_and_keeps_the_settings(pg):
    open_(pg)
    ok(pg, "configure", w_h=0.5, h0=-1)
    ok(pg, "run")
    ack = ok(pg, "reset")
    assert ack["frame"]["t"] == 0 and ack["frame"]["h"] == -1.0 and ack["config"]["w_h"] == 0.5
    assert ack["equation"] == "h₀ = −1.000: nothing has been fed in yet."


# -- configure ---------------------------------------------------------------------------


def test_configure_recomputes_the_steps_taken_and_keeps_the_learners_place(pg):
    open_(pg)
    for _ in range(6):
        ok(pg, "step")
    ack = ok(pg, "configure", w_h=0.5)
    changed = replace(SINE, w_h=0.5)
    assert ack["frame"]["t"] == 6
    assert ack["frame"]["history"]["h"] == list(simulate(changed).h[:6])
    assert ack["equation"] == "h₆ = tanh(1.00·0.000 + 0.50·0.732 + 0.00) = tanh(0.366) = 0.350"
    ack = ok(pg, "configure", length=4)  # a shorter sequence: the place moves to its end
    assert ack["frame"]["t"] == 4 and ack["frame"]["done"]


@pytest.mark.parametrize(
    "changes",
    [
        {"activation": "relu", "w_x": -2.5, "b": 0.25},
        {"sequence": "exponential", "scaled": False, "length": 30},
        {"sequence": "fibonacci", "h0": 5, "w_h": -5},
        {"activation": "sigmoid", "sequence": "linear"},
    ],
)
def test_configured_values_equal_simulate(pg, changes):
    open_(pg)
    ack = ok(pg, "configure", **changes)
    config = replace(SINE, **changes)
    assert ack["config"] == asdict(config)
    ran = ok(pg, "run")
    assert ran["frame"]["history"]["h"] == list(simulate(config).h)
    assert ran["describe"]["raw"] == list(
        make_sequence(config.sequence, config.length, config.scaled).raw
    )


def test_a_shared_links_replay_shows_the_sharers_numbers(socket, pg):
    """share.js links carry only the settings and t: a fresh connection that configures,
    then steps t times (as playground.js does) must see what the sharer saw, however the
    sharer interleaved stepping and changing settings."""
    open_(pg)
    ok(pg, "configure", w_h=1.0)
    for _ in range(2):
        ok(pg, "step")
    ok(pg, "configure", activation="sigmoid", sequence="linear")
    for _ in range(2):
        shared = ok(pg, "step")
    with socket(NS) as other:
        open_(other)
        ok(other, "configure", w_h=1.0, activation="sigmoid", sequence="linear")
        for _ in range(4):
            replayed = ok(other, "step")
    assert replayed["frame"]["t"] == shared["frame"]["t"] == 4
    for part in ("config", "describe", "frame", "equation", "sources"):
        assert replayed[part] == shared[part], part


def test_the_wildest_settings_stay_finite_on_the_wire(pg):
    open_(pg)
    ok(pg, "configure", w_x=5, w_h=5, b=5, h0=5, activation="relu")
    ok(pg, "configure", sequence="exponential", scaled=False, length=30)
    ack = ok(pg, "run")  # ask() has already checked json.dumps(allow_nan=False)
    assert all(v is not None for v in ack["frame"]["history"]["h"])


BAD: list[tuple[str, Any, str, str | None]] = [
    ("configure", {"playground": "sine", "w_h": 7}, "out_of_range", "w_h"),
    ("configure", {"playground": "sine", "w_x": -5.5}, "out_of_range", "w_x"),
    ("configure", {"playground": "sine", "b": "1"}, "bad_type", "b"),
    ("configure", {"playground": "sine", "h0": True}, "bad_type", "h0"),
    ("configure", {"playground": "sine", "w_h": float("nan")}, "bad_value", "w_h"),
    ("configure", {"playground": "sine", "w_h": float("inf")}, "bad_value", "w_h"),
    ("configure", {"playground": "sine", "activation": "softmax"}, "bad_choice", "activation"),
    ("configure", {"playground": "sine", "sequence": "primes"}, "bad_choice", "sequence"),
    ("configure", {"playground": "sine", "length": 31}, "out_of_range", "length"),
    ("configure", {"playground": "sine", "length": 1}, "out_of_range", "length"),
    ("configure", {"playground": "sine", "length": 2.5}, "bad_type", "length"),
    ("configure", {"playground": "sine", "scaled": "yes"}, "bad_type", "scaled"),
    ("configure", {"playground": "sine", "w_h": 1, "colour": 1}, "unknown_field", "colour"),
    ("configure", {"w_h": 1}, "missing_field", "playground"),
    ("configure", {"playground": "elsewhere", "w_h": 1}, "no_playground", "playground"),
    ("configure", [1, 2], "bad_payload", None),
    ("step", "sine", "bad_payload", None),
    ("step", {"playground": 3}, "bad_type", "playground"),
    ("step", {"playground": "x" * 65}, "too_long", "playground"),
    ("run", {"playground": "sine", "t": 3}, "unknown_field", "t"),
    ("reset", {}, "missing_field", "playground"),
    ("open", {"lesson": LESSON, "playground": "nowhere"}, "not_found", "playground"),
    ("open", {"lesson": "no-such-lesson", "playground": "sine"}, "not_found", "lesson"),
    ("open", {"lesson": LESSON}, "missing_field", "playground"),
]


@pytest.mark.parametrize("event, payload, code, field", BAD)
def test_a_bad_payload_is_refused_and_changes_nothing(pg, event, payload, code, field):
    open_(pg)
    ok(pg, "configure", w_h=0.5)
    for _ in range(3):
        ok(pg, "step")
    before = ok(pg, "configure")  # configure with no changes: where we are
    error = refused(pg, event, payload)
    assert (error["code"], error["field"]) == (code, field)
    after = ok(pg, "configure")
    assert (after["config"], after["frame"]) == (before["config"], before["frame"])


def test_events_before_open_are_refused(pg):
    for event in ("configure", "step", "run", "reset"):
        assert refused(pg, event, {"playground": "sine"})["code"] == "no_playground"


# -- limits, connections, progress --------------------------------------------------------


def test_a_connection_may_open_only_so_many_playgrounds(app, pg, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PLAYGROUNDS_PER_CONNECTION", 2)
    open_(pg, "sine")
    open_(pg, "memory")
    error = refused(pg, "open", {"lesson": LESSON, "playground": "fibonacci"})
    assert error["code"] == "too_many_playgrounds"
    open_(pg, "sine")  # opening one again starts it afresh, within the limit
    assert ok(pg, "step")["frame"]["t"] == 1


def test_the_server_holds_only_so_many_playgrounds(app, socket, pg, monkeypatch):
    open_(pg, "sine")
    monkeypatch.setitem(app.config, "MAX_PLAYGROUNDS", 1)
    with socket(NS) as other:
        error = refused(other, "open", {"lesson": LESSON, "playground": "sine"})
        assert error["code"] == "too_many_playgrounds"


def test_each_connection_has_its_own_playground(socket, pg):
    open_(pg)
    with socket(NS) as other:
        open_(other)
        for _ in range(4):
            ok(pg, "step")
        assert ok(other, "step")["frame"]["t"] == 1
        assert ok(pg, "reset")["frame"]["t"] == 0


def test_working_the_playground_is_recorded_in_the_learners_progress(app, client, pg):
    open_(pg, "memory")
    with client.session_transaction() as session:
        learner = session[SESSION_KEY]
    with app.app_context():
        assert "memory" not in progress.of(learner).get(LESSON, {}).get("labs", [])
    ok(pg, "step", playground="memory")
    with app.app_context():
        assert "memory" in progress.of(learner)[LESSON]["labs"]


# -- the lesson tells the truth ------------------------------------------------------------

# (playground, settings, time step, the h_t the lesson quotes)
LESSON_CLAIMS = [
    ("sine", {}, 6, "0.000"),
    ("sine", {}, 12, "0.000"),
    ("sine", {"w_h": 0.5}, 6, "0.350"),
    ("sine", {"w_h": 0.5}, 12, "−0.350"),
    ("sine", {"w_h": 0.8}, 6, "0.589"),
    ("sine", {"w_h": 0.8}, 12, "−0.589"),
    ("memory", {}, 1, "0.462"),
    ("memory", {}, 2, "0.227"),
    ("memory", {}, 3, "0.113"),
    ("memory", {}, 10, "0.001"),
    ("memory", {}, 11, "0.000"),
    ("memory", {"w_h": 0}, 1, "0.000"),
    ("memory", {"w_h": 0.9}, 10, "0.184"),
    ("memory", {"w_h": 0.9}, 30, "0.021"),
    ("memory", {"w_h": 1}, 30, "0.217"),
    ("memory", {"w_h": 2}, 3, "0.958"),
    ("memory", {"w_h": 2}, 30, "0.958"),
    ("memory", {"activation": "relu", "w_h": 1}, 30, "1.000"),
    ("memory", {"activation": "relu", "w_h": 1.5}, 10, "57.665"),
    ("memory", {"activation": "relu", "w_h": 1.5}, 20, "3325.257"),
    ("memory", {"activation": "relu", "w_h": 1.5}, 30, "1.92×10⁵"),
    ("memory", {"activation": "relu", "w_h": 2}, 30, "1.07×10⁹"),
    ("fibonacci", {}, 1, "0.018"),
    ("fibonacci", {}, 2, "0.027"),
    ("fibonacci", {}, 3, "0.050"),
    ("fibonacci", {}, 10, "0.874"),
    ("fibonacci", {"scaled": False}, 1, "0.762"),
    ("fibonacci", {"scaled": False}, 2, "0.881"),
    ("fibonacci", {"scaled": False}, 3, "0.985"),
    ("fibonacci", {"scaled": False}, 4, "0.998"),
    *(("fibonacci", {"scaled": False}, t, "1.000") for t in range(5, 11)),
    ("fibonacci", {"scaled": False, "activation": "relu"}, 10, "79.600"),
    (
        "fibonacci",
        {"scaled": False, "activation": "relu", "sequence": "exponential", "length": 30},
        30,
        "7.16×10⁸",
    ),
    # the hand-computed quiz: ReLU on 0.1, 0.2, 0.3, …
    ("fibonacci", {"activation": "relu", "sequence": "linear"}, 3, "0.425"),
]


@pytest.mark.parametrize("playground, settings, t, quoted", LESSON_CLAIMS)
def test_every_number_the_lesson_quotes_is_what_the_unit_shows(pg, playground, settings, t, quoted):
    open_(pg, playground)
    ok(pg, "configure", playground=playground, **settings)
    for _ in range(t):
        ack = ok(pg, "step", playground=playground)
    assert shown(ack, "h") == quoted


def test_the_lesson_places_its_three_playgrounds_as_written(app):
    lesson = app.extensions["lessons"].get(LESSON)
    specs = lesson.playgrounds
    assert [kind for kind, _ in lesson.segments()].count("playground") == 3
    assert specs["memory"].controls == ("w_h", "h0", "activation", "w_x", "b")
    fib = make_sequence("fibonacci", 10)
    assert fib.scale == 55 and "divided by 55" in fib.description
    assert specs["fibonacci"].config == PlaygroundConfig()
