"""A learner's own data on /lab (``data``): pasted numbers or a CSV file's bytes load
into the lab, which then trains on them and shows them; a bad series is refused
naming the line, and nothing changes; a link and a reload bring the data back exactly;
Reset keeps it, choosing a function leaves it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient
from labkit import GRU, LAB, LESSON, open_lab
from socketkit import Socket, ok, refused

from course.lessons.registry import lessons
from course.warmup import offered
from engine.series import Series
from engine.window import window_programs

TAB = "tab-owndata-0123456789"
Connect = Callable[..., Socket]
# A series no built-in function is: a slow ramp with a wobble, 3…41.
VALUES = [round(3 + 0.4 * k + 2 * math.sin(k), 3) for k in range(96)]
TEXT = "level\n" + "\n".join(map(str, VALUES))
LOW, HIGH = min(VALUES), max(VALUES)


def scaled(v: float) -> float:
    return 2 * (v - LOW) / (HIGH - LOW) - 1


def whole(sock: Socket) -> dict[str, Any]:
    """The lab as the page holds it (``pause`` sends every source), and its settings."""
    ack = ok(sock, "pause", {"lab": LAB})
    return {"frame": ack["frame"], "sources": ack["sources"]}


def train(sock: Socket, epochs: int) -> dict[str, Any]:
    """Train ``epochs`` epochs, asking again when a request's time budget cut it short
    (on a busy machine one request may train fewer)."""
    done, ack = 0, {}
    while done < epochs:
        ack = ok(sock, "train", {"lab": LAB, "epochs": epochs - done})
        assert ack["trained"] > 0 or ack["stopped"] == "budget", ack["stopped"]
        done += ack["trained"]
    return ack


def load(sock: Socket, **payload: Any) -> dict[str, Any]:
    return ok(sock, "data", {"lab": LAB} | payload)


@pytest.fixture
def learner(client: FlaskClient, socket: Connect) -> Socket:
    assert client.get(f"/lessons/{LESSON}").status_code == 200
    return socket("/lab")


def test_pasted_numbers_are_what_the_lab_reads_trains_on_and_names(learner: Socket) -> None:
    open_lab(learner, config=GRU)
    ack = load(learner, text=TEXT, scale=True)
    assert ack["rebuilt"] and ack["frame"]["epoch"] == 0
    own = ack["info"]["own"]
    assert own["points"] == 96 and own["scaled"] and own["column"] == "level"
    assert f"2·(x − {LOW:g}) / ({HIGH:g} − {LOW:g}) − 1" in own["note"]
    assert ack["info"]["config"]["dataset"] == "own"
    assert "figures" in ack and "your data" in ack["figures"]["sequence"]  # its axis says so
    seq = whole(learner)["sources"]
    target = seq["seq_target"]
    # The targets are the points after the window's, scaled; positions are point numbers.
    assert target["y"][:20] == pytest.approx([scaled(v) for v in VALUES[1:21]], abs=1e-6)
    assert target["x"][:3] == [2.0, 3.0, 4.0]
    assert seq["seq_name"]["text"] == ["your data (level)"]
    trained = train(learner, 3)
    assert trained["frame"]["epoch"] == 3 and trained["frame"]["status"] == "ok"
    assert trained["frame"]["loss"] is not None and trained["frame"]["loss"] < 1.0
    # The window on the plot is the first 15 points as read (no noise in this lab).
    shown = trained["sources"]["seq_input"]["y"]
    assert shown == pytest.approx([scaled(v) for v in VALUES[:15]], abs=1e-6)


def test_a_csv_file_goes_as_bytes_with_positions(learner: Socket) -> None:
    open_lab(learner, config=GRU)
    rows = "\n".join(f"{2000 + k},{v}" for k, v in enumerate(VALUES[:40]))
    ack = load(learner, file=("year,level\n" + rows).encode(), name="levels.csv", scale=True)
    assert ack["info"]["own"]["name"] == "levels.csv" and ack["info"]["own"]["axis"] == "year"
    seq = whole(learner)["sources"]
    assert seq["seq_target"]["x"][0] == 2001.0
    # 40 points: the continuation runs past the data, where there is no target.
    assert seq["seq_target"]["y"][38] is not None and seq["seq_target"]["y"][39] is None
    assert seq["seq_name"]["text"] == ["your data (levels.csv: level)"]


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        ({"text": "1\n2\nthree\n" + "\n".join(["4"] * 20)}, "not_a_number", "Line 3"),
        ({"text": "\n".join(["1", "2"] * 5)}, "too_short", "10 points are too few"),
        ({"text": "1\nNaN\n" + "\n".join(["4", "5"] * 10)}, "not_finite", "Line 2"),
        (
            {"file": b"PK\x03\x04\x14\x00\x06\x00\xff\xfe", "name": "book.xlsx"},
            "not_text",
            "book.xlsx",
        ),
        ({"text": TEXT, "file": TEXT.encode()}, "bad_value", "not both"),
        ({}, "empty", "no data yet"),
    ],
)
def test_bad_data_is_refused_naming_the_problem_and_changes_nothing(
    learner: Socket, payload: dict[str, Any], code: str, words: str
) -> None:
    open_lab(learner, config=GRU)
    train(learner, 1)
    before = whole(learner)
    error = refused(learner, "data", {"lab": LAB} | payload)
    assert error["code"] == code and error["field"] == "data"
    assert words in error["message"], error["message"]
    assert whole(learner) == before


def test_data_that_no_longer_fits_is_refused_and_the_lab_keeps_its_data(learner: Socket) -> None:
    open_lab(learner, config=GRU)
    load(learner, text=TEXT, scale=True)
    before = whole(learner)
    error = refused(learner, "data", {"lab": LAB, "scale": False})  # 3…41 read as they are
    assert error["code"] == "unscaled_range" and "scale into [−1, 1]" in error["message"]
    assert whole(learner) == before


def test_a_lab_that_does_not_offer_it_refuses(socket: Connect) -> None:
    sock = socket("/lab")
    ok(sock, "open", {"lesson": "training", "lab": "explode"})
    error = refused(sock, "data", {"lab": "explode", "text": TEXT})
    assert error["code"] == "not_offered"


def test_reset_keeps_the_data_and_a_function_leaves_it(learner: Socket) -> None:
    open_lab(learner, config=GRU)
    loaded = load(learner, text=TEXT, scale=True)
    train(learner, 1)
    reset = ok(learner, "reset", {"lab": LAB})
    assert "on your data" in reset["message"] and reset["info"]["own"]["points"] == 96
    assert reset["frame"]["epoch"] == 0
    assert whole(learner)["sources"]["seq_target"] == loaded["sources"]["seq_target"]
    back = ok(learner, "configure", {"lab": LAB, "config": {"dataset": "sine"}})
    assert back["info"]["own"] is None and back["info"]["config"]["dataset"] == "sine"
    assert whole(learner)["sources"]["seq_name"]["text"] == []
    # "own" is not a choice without a series.
    error = refused(learner, "configure", {"lab": LAB, "config": {"dataset": "own"}})
    assert "load one first" in error["message"]


def test_unticking_scale_reads_small_data_as_it_is(learner: Socket) -> None:
    open_lab(learner, config=GRU)
    small = [round(0.5 * math.sin(0.4 * k), 4) for k in range(60)]
    load(learner, text="\n".join(map(str, small)), scale=True)
    ack = load(learner, scale=False)  # the same data, no longer scaled
    assert ack["info"]["own"]["scaled"] is False and ack["message"].startswith("Rescaled")
    assert "read as they are" in ack["info"]["own"]["note"]
    target = whole(learner)["sources"]["seq_target"]["y"]
    assert target[:10] == pytest.approx(small[1:11], abs=1e-6)


def test_a_link_and_a_reload_bring_the_data_back_exactly(
    learner: Socket, socket: Connect, app: Any
) -> None:
    open_lab(learner, config=GRU, resume=TAB)
    load(learner, text=TEXT, scale=True)
    train(learner, 2)
    ok(learner, "step", {"lab": LAB, "granularity": "timestep"})
    before = whole(learner)
    key = ok(learner, "share", {"lab": LAB})["snapshot"]
    browser = app.test_client()
    assert browser.get(f"/lessons/{LESSON}").status_code == 200
    stranger = socket("/lab", browser)
    ack = open_lab(stranger, snapshot=key)
    assert ack["kept"]["from"] == "link" and ack["info"]["own"]["points"] == 96
    assert "your data" in ack["figures"]["sequence"]
    assert {"frame": ack["frame"], "sources": ack["sources"]} == before
    for sock in (learner, stranger):  # and both train on to the same numbers
        train(sock, 1)
    assert whole(stranger) == whole(learner)
    after = whole(learner)
    learner.close()
    page = socket("/lab")
    resumed = open_lab(page, resume=TAB, snapshot=key)
    assert resumed["kept"]["from"] == "resume" and resumed["info"]["own"]["points"] == 96
    assert {"frame": resumed["frame"], "sources": resumed["sources"]} == after


def test_a_weights_file_of_own_data_loads_only_where_that_data_is(
    learner: Socket, socket: Connect
) -> None:
    open_lab(learner, config=GRU)
    load(learner, text=TEXT, scale=True)
    train(learner, 1)
    document = ok(learner, "export", {"lab": LAB})["document"]
    assert document["config"]["dataset"] == "own"
    other = socket("/lab")
    open_lab(other, config=GRU)
    before = whole(other)
    error = refused(other, "import", {"lab": LAB, "weights": document})
    assert error["code"] == "no_data" and "load that data" in error["message"]
    assert whole(other) == before
    load(other, text=TEXT, scale=True)
    loaded = ok(other, "import", {"lab": LAB, "weights": document})
    assert loaded["info"]["own"]["points"] == 96 and loaded["frame"]["epoch"] == 1
    assert whole(other)["sources"]["seq_prediction"] == whole(learner)["sources"]["seq_prediction"]


def test_the_warm_up_compiles_the_own_data_epoch_of_a_lab_that_offers_it(app: Any) -> None:
    with app.app_context():
        feed = lessons(app).get("data").labs["feed"]
    own = [c for c in offered(feed) if c.series is not None]
    assert len(own) == 1 and own[0].model == feed.config.model
    # The series is a run-time argument: any series of the lab's shape uses that program.
    mine = replace(own[0], series=Series(tuple(VALUES)))
    assert window_programs(mine) == window_programs(own[0])


def test_the_lab_says_when_it_reads_other_data_than_its_title_names(learner: Socket) -> None:
    """The title names the lesson's data ("A sine wave…"): under it, a sentence says so
    whenever the lab reads something else, and goes when it reads the lesson's again."""
    opened = open_lab(learner, config=GRU)
    assert opened["info"]["data_now"] is None
    square = ok(learner, "configure", {"lab": LAB, "config": {"dataset": "square"}})
    assert square["info"]["data_now"] == "Now reading a square wave, not the data the title names."
    mine = load(learner, text=TEXT, scale=True)
    assert mine["info"]["data_now"].startswith("Now reading your data (level)")
    back = ok(learner, "configure", {"lab": LAB, "config": {"dataset": "sine"}})
    assert back["info"]["data_now"] is None
