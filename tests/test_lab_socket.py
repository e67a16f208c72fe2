"""The /lab socket, through acks as the browser uses it: open, step, train, reset, select,
play and pause; bad payloads are refused and change nothing; limits hold.

JAX compiles each model shape once per process, so the tests share a few configs: the
lesson's lab (3 × 16 LSTM) and one small GRU (1 × 4).
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
import threading
import time
from typing import Any

import numpy as np
import pytest

from course.labs import ticks
from course.lessons import LessonRegistry
from course.views.cell_layout import LAYOUTS
from engine import Lab

LESSON, LAB = "lstm-cell", "cell-walk"
LSTM_STEPS = ["x", "f", "i", "o", "g", "c", "h"]
GRU = {"layers": 1, "hidden": 4, "model": "gru"}
GRU_STEPS = ["x", "r", "z", "n", "h"]


def ask(client, event: str, payload: Any = None) -> dict[str, Any]:
    """Emit with an ack, as the browser does; the reply must be valid JSON for a browser."""
    ack = client.emit(event, payload, namespace="/lab", callback=True)
    json.dumps(ack, allow_nan=False)
    return ack


def ok(client, event: str, payload: Any = None) -> dict[str, Any]:
    ack = ask(client, event, payload)
    assert ack["ok"] is True, ack
    return ack


def open_lab(client, **extra: Any) -> dict[str, Any]:
    return ok(client, "open", {"lesson": LESSON, "lab": LAB} | extra)


def step(client, granularity: str = "compute", lab: str = LAB) -> dict[str, Any]:
    return ok(client, "step", {"lab": lab, "granularity": granularity})


def pushed(client) -> list[dict[str, Any]]:
    events = client.get_received("/lab")
    for event in events:
        json.dumps(event["args"], allow_nan=False)
    return events


def plain(value: Any) -> Any:
    """What a value looks like after the wire (tuples become lists, and so on)."""
    return json.loads(json.dumps(value))


def highlighted(boxes: dict[str, list[Any]]) -> set[str]:
    widest = max(boxes["line_width"])
    return {n for n, w in zip(boxes["name"], boxes["line_width"], strict=True) if w == widest}


def shown(boxes: dict[str, list[Any]]) -> dict[str, str]:
    return dict(zip(boxes["name"], boxes["value"], strict=True))


@pytest.fixture
def spec(app):
    return app.extensions["lessons"].get(LESSON).labs[LAB]


# -- opening and stepping -------------------------------------------------------------


def test_open_starts_at_the_first_compute_step(lab_client):
    ack = open_lab(lab_client)
    frame = ack["frame"]
    assert (frame["epoch"], frame["phase"], frame["t"], frame["layer"], frame["step"]) == (
        0,
        "forward",
        0,
        0,
        "x",
    )
    assert {"cell_boxes", "cell_heatmap", "seq_prediction", "loss"} <= set(ack["sources"])
    assert ack["info"]["steps"] == LSTM_STEPS
    assert (ack["info"]["layers"], ack["info"]["hidden"]) == (3, 16)
    assert ack["playing"] is False


def test_compute_steps_walk_the_cell_in_order_and_light_up_each_box(lab_client):
    acks = [open_lab(lab_client)] + [step(lab_client) for _ in LSTM_STEPS[1:]]
    assert [a["frame"]["step"] for a in acks] == LSTM_STEPS
    assert all(a["explain"] for a in acks)  # every step is explained in words
    assert highlighted(acks[0]["sources"]["cell_boxes"]) == {"x", "h_prev", "c_prev"}
    for ack in acks[1:]:
        name = ack["frame"]["step"]
        assert highlighted(ack["sources"]["cell_boxes"]) == {name}
        # The box shows the number just computed, for unit 0.
        value = ack["frame"]["values"][name][0]
        assert shown(ack["sources"]["cell_boxes"])[name] == f"{value:+.3f}"
    # Boxes not yet computed show no number.
    assert shown(acks[1]["sources"]["cell_boxes"])["h"] == "…"


def test_after_the_output_the_next_layer_takes_it_as_input(lab_client):
    open_lab(lab_client)
    top = [step(lab_client) for _ in LSTM_STEPS[1:]][-1]["frame"]
    frame = step(lab_client)["frame"]
    assert (frame["t"], frame["layer"], frame["step"]) == (0, 1, "x")
    assert frame["values"]["x"] == top["values"]["h"]


def test_frames_carry_the_engines_numbers(lab_client, spec):
    lab = Lab(spec.config)
    assert open_lab(lab_client)["frame"] == plain(lab.frame())
    for _ in range(2 * len(LSTM_STEPS) + 1):  # into the second layer
        assert step(lab_client)["frame"]["values"] == plain(lab.advance("compute")["values"])


def test_timestep_runs_every_layer_of_a_time_step(lab_client):
    open_lab(lab_client)
    frames = [step(lab_client, "timestep")["frame"] for _ in range(2)]
    assert [(f["t"], f["layer"], f["step"]) for f in frames] == [(0, 2, "h"), (1, 2, "h")]


def test_after_the_window_comes_validation_then_the_backward_pass(lab_client):
    window = open_lab(lab_client)["info"]["window"]
    for _ in range(window):
        frame = step(lab_client, "timestep")["frame"]
    assert frame["t"] == window - 1
    ack = step(lab_client, "timestep")
    frame = ack["frame"]
    assert frame["phase"] == "validate"
    assert len(frame["error"]) == window
    assert frame["mse"] == pytest.approx(sum(e * e for e in frame["error"]) / window)
    assert ack["explain"].startswith("Validation")
    frame = step(lab_client, "timestep")["frame"]
    assert (frame["phase"], frame["t"], frame["layer"]) == ("backward", window - 1, 0)


# -- training, reset, unit --------------------------------------------------------------


def test_training_lowers_the_loss_and_moves_the_prediction(lab_client):
    before = open_lab(lab_client)
    after = ok(lab_client, "train", {"lab": LAB, "epochs": 5})
    losses = after["sources"]["loss"]["loss"]
    assert after["sources"]["loss"]["epoch"] == [1, 2, 3, 4, 5]
    assert losses[-1] < losses[0]
    assert after["frame"]["epoch"] == 5
    assert after["frame"]["loss"] == losses[-1]
    assert (after["frame"]["t"], after["frame"]["step"]) == (0, "x")
    old, new = before["sources"]["seq_prediction"]["y"], after["sources"]["seq_prediction"]["y"]
    assert max(abs(a - b) for a, b in zip(old, new, strict=True)) > 1e-3


def test_epoch_granularity_trains_one_epoch(lab_client):
    open_lab(lab_client)
    ack = step(lab_client, "epoch")
    assert ack["frame"]["epoch"] == 1
    assert len(ack["sources"]["loss"]["loss"]) == 1


def test_reset_returns_to_the_untrained_network(lab_client):
    first = open_lab(lab_client)
    ok(lab_client, "train", {"lab": LAB, "epochs": 1})
    step(lab_client)
    again = ok(lab_client, "reset", {"lab": LAB})
    assert again["frame"] == first["frame"]
    assert again["sources"]["seq_prediction"] == first["sources"]["seq_prediction"]
    assert again["sources"]["loss"] == {"epoch": [], "loss": []}
    assert step(lab_client)["frame"]["step"] == "f"


def test_select_shows_the_chosen_unit(lab_client):
    open_lab(lab_client)
    for _ in LSTM_STEPS[1:]:
        frame = step(lab_client)["frame"]
    ack = ok(lab_client, "select", {"lab": LAB, "unit": 5})
    assert ack["frame"] == frame  # selecting does not move the cursor
    values = frame["values"]
    expected = {name: f"{v[min(5, len(v) - 1)]:+.3f}" for name, v in values.items()}
    assert shown(ack["sources"]["cell_boxes"]) == expected
    heat = ack["sources"]["cell_heatmap"]
    assert {u for u, line in zip(heat["unit"], heat["outline"], strict=True) if line} == {5}
    # The choice sticks for the next steps.
    later = step(lab_client)
    assert shown(later["sources"]["cell_boxes"])["x"] == f"{later['frame']['values']['x'][5]:+.3f}"


def test_open_with_a_config_override(lab_client):
    ack = open_lab(lab_client, config=GRU)
    assert ack["info"]["steps"] == GRU_STEPS
    assert (ack["info"]["cell"], ack["info"]["layers"], ack["info"]["hidden"]) == ("gru", 1, 4)
    assert set(ack["sources"]["cell_boxes"]["name"]) == set(LAYOUTS["gru"])
    assert [step(lab_client)["frame"]["step"] for _ in GRU_STEPS[1:]] == GRU_STEPS[1:]
    # Reopening without the override gives the lesson's lab back.
    assert open_lab(lab_client)["info"]["cell"] == "lstm"


# -- playing ---------------------------------------------------------------------------


def test_play_pushes_frames_until_paused(lab_client):
    open_lab(lab_client)
    ack = ok(lab_client, "play", {"lab": LAB, "granularity": "compute", "speed": 8})
    assert ack["playing"] is True
    time.sleep(0.6)
    frames = [e["args"][0] for e in pushed(lab_client) if e["name"] == "frame"]
    assert len(frames) >= 3
    positions = [f["frame"]["position"] for f in frames]
    assert positions == list(range(1, len(frames) + 1))  # one compute step each, none skipped
    assert all(f["playing"] for f in frames)

    assert ok(lab_client, "pause", {"lab": LAB})["playing"] is False
    time.sleep(0.2)
    pushed(lab_client)  # a frame already on its way when the pause arrived
    time.sleep(0.4)
    assert pushed(lab_client) == []


def test_at_8x_by_compute_step_the_browser_gets_20_updates_a_second(lab_client):
    """The play loop keeps its cadence: the work of a step does not stretch it."""
    open_lab(lab_client)
    ok(lab_client, "play", {"lab": LAB, "granularity": "compute", "speed": 8})
    time.sleep(2.0)
    ok(lab_client, "pause", {"lab": LAB})
    frames = [e for e in pushed(lab_client) if e["name"] == "frame"]
    assert 36 <= len(frames) <= 42  # 20 a second, the first at once


def test_ticks_keep_their_cadence_and_never_burst():
    stop = threading.Event()
    times = []
    for tick in ticks(0.05, stop):
        times.append(time.monotonic())
        if tick == 1:
            time.sleep(0.12)  # a slow step: the next tick comes late, not twice
        if tick == 5:
            stop.set()
    gaps = np.diff(times)
    assert len(times) == 6
    assert gaps[1] >= 0.12 and all(0.04 <= g <= 0.07 for g in gaps[2:])


def test_step_stops_playing(lab_client):
    open_lab(lab_client)
    ok(lab_client, "play", {"lab": LAB, "speed": 8})
    time.sleep(0.2)
    assert step(lab_client)["playing"] is False
    time.sleep(0.2)
    pushed(lab_client)
    time.sleep(0.3)
    assert pushed(lab_client) == []


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

# Several labs in one lesson, all the shape of GRU above so nothing new is compiled.
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


def test_the_server_may_hold_only_so_many_labs(app, client, lab_client, many_labs, monkeypatch):
    from course.extensions import socketio

    monkeypatch.setitem(app.config, "MAX_LABS", 2)
    for n in (0, 1):
        ok(lab_client, "open", {"lesson": "many", "lab": f"lab-{n}"})
    other = socketio.test_client(app, namespace="/lab", flask_test_client=client)
    try:
        assert ask(other, "open", {"lesson": "many", "lab": "lab-0"})["ok"] is False
        lab_client.disconnect(namespace="/lab")  # closing a page frees its labs
        ok(other, "open", {"lesson": "many", "lab": "lab-0"})
    finally:
        other.disconnect(namespace="/lab")


def test_acks_never_carry_non_finite_numbers(lab_client):
    # ask() checks every ack; this checks the full payload once more, by hand.
    ack = open_lab(lab_client)
    numbers = [v for source in ack["sources"].values() for col in source.values() for v in col]
    assert all(math.isfinite(v) for v in numbers if isinstance(v, float))


def _page_sources(client, slug: str, lab: str) -> dict[str, dict[str, Any]]:
    """Every named source's data as the lesson page's figure JSON holds it."""
    html = client.get(f"/lessons/{slug}").get_data(as_text=True)
    section = html[html.index(f'data-lab="{lab}"') :]
    section = section[: section.find('data-lab="', 1)]  # up to the next lab, if any
    found: dict[str, dict[str, Any]] = {}
    for match in re.finditer(r'data-figure-json="\w+">(.*?)</script>', section, re.S):

        def walk(node: Any) -> None:
            if isinstance(node, list):
                for item in node:
                    walk(item)
            elif isinstance(node, dict):
                attributes = node.get("attributes", {})
                if node.get("name") == "ColumnDataSource" and attributes.get("name"):
                    found[attributes["name"]] = dict(attributes["data"]["entries"])
                for value in node.values():
                    walk(value)

        walk(json.loads(match.group(1).replace("<\\/", "</")))
    return found


def _decoded(value: Any) -> Any:
    """Bokeh's base64 ndarray (an image's rows) as nested lists, NaN as None."""
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, dict) and value.get("type") == "ndarray":
        raw = base64.b64decode(value["array"]["data"])
        raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw  # Bokeh gzips large arrays
        flat = np.frombuffer(raw, dtype=value["dtype"])
        grid = flat.reshape(value["shape"]).tolist()
        return [[None if math.isnan(v) else v for v in row] for row in grid]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


@pytest.mark.parametrize(("slug", "lab"), [(LESSON, LAB), ("training", "lstm-window")])
def test_the_page_draws_the_first_frame_that_open_answers(client, lab_client, slug, lab):
    """A lesson page's figures already show a new lab's first frame, so the browser
    does not draw them twice; that is only right if open answers exactly that frame."""
    drawn = _page_sources(client, slug, lab)
    ack = ok(lab_client, "open", {"lesson": slug, "lab": lab})
    assert ack["sources"]
    for name, columns in ack["sources"].items():
        assert name in drawn, name
        for column, values in columns.items():
            assert _same(_decoded(drawn[name][column]), values), (name, column)
