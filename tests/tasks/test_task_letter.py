"""A letter through a cell over /task: the walk steps through the text model's forward
pass one compute step at a time, its numbers are the task's own (the last softmax is the
bars, the arithmetic adds up), it follows the start, the temperature and the weights, and
a bad request is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import socketkit
from socketkit import Socket, refused

from course.figures.palette import ORANGE
from engine.model import COMPUTE_STEPS

NS, LESSON = "/task", "tasks"
STEPS = (*COMPUTE_STEPS["gru"], "y", "p")  # the lesson's abab: one GRU layer, then the readout


def walk(sock: Socket, move: str = "stay", **payload: Any) -> dict[str, Any]:
    return socketkit.ok(sock, "walk", {"task": "abab", "move": move} | payload)


@pytest.fixture
def tk(client, socket) -> Socket:
    client.get(f"/lessons/{LESSON}")
    sock = socket(NS)
    socketkit.ok(sock, "open", {"lesson": LESSON, "task": "abab"})
    return sock


def test_open_starts_at_the_first_character(client, socket):
    client.get(f"/lessons/{LESSON}")
    sock = socket(NS)
    ack = socketkit.ok(sock, "open", {"lesson": LESSON, "task": "abab"})
    assert {"cell", "cell_narrow", "lw_probs", "lw_scores", "lw_input", "lw_chars"} <= set(
        ack["figures"]
    )
    w = ack["walk"]
    assert (w["chars"], w["t"], w["step"], w["position"], w["positions"]) == ("abab", 0, "x", 0, 28)
    assert len(ack["sources"]["lw_input"]["value"]) == 16  # the embedding row E['a']
    assert ack["sources"]["lw_scores"]["y"] == [] and ack["sources"]["lw_probs"]["p"] == [0, 0]
    lorem = socketkit.ok(sock, "open", {"lesson": LESSON, "task": "lorem"})
    assert "walk" not in lorem and "cell" not in lorem["figures"]  # only where the lesson asks
    error = refused(sock, "walk", {"task": "lorem", "move": "next"})
    assert error["code"] == "no_walk"


def test_stepping_goes_through_every_compute_step_in_order(tk):
    seen = []
    for position in range(1, 28):
        ack = walk(tk, "next")
        w = ack["walk"]
        assert w["position"] == position
        seen.append((w["t"], w["step"]))
        boxes = ack["sources"]["cell_boxes"]
        lit = {n for n, fill in zip(boxes["name"], boxes["fill"], strict=True) if fill == ORANGE}
        if w["layer"] is None:
            assert lit == set()  # the readout: the cell is done
        else:  # the box just computed is lit ("x" with the state it reads)
            assert lit == ({"x", "h_prev"} if w["step"] == "x" else {w["step"]})
    expected = [(t, s) for t in range(4) for s in STEPS][1:]
    assert seen == expected
    assert walk(tk, "next")["walk"]["position"] == 27  # the end holds


def softmaxes(sock: Socket) -> list[tuple[str | None, list[float]]]:
    """(the next character, the softmax) after each character of the start."""
    walk(sock, "start")
    out = []
    for _ in range(4):
        ack = walk(sock, "next_char")
        out.append((ack["walk"]["next"], ack["sources"]["lw_probs"]["p"]))
    return out


def test_the_lesson_s_claims(tk):
    """Untrained, every bar near one half; trained five epochs, almost everything on the
    character that comes next (lesson 5, "Now look inside")."""
    assert all(0.4 < p < 0.6 for _, probs in softmaxes(tk) for p in probs)
    socketkit.ok(tk, "train", {"task": "abab", "epochs": 5})
    for nxt, probs in softmaxes(tk)[:-1]:
        assert probs["ab".index(nxt)] > 0.99


def test_the_last_softmax_is_the_bars_and_the_arithmetic_adds_up(tk):
    socketkit.ok(tk, "train", {"task": "abab", "epochs": 5})
    ack = walk(tk, "end")
    w, sources = ack["walk"], ack["sources"]
    assert (w["t"], w["step"], w["next"]) == (3, "p", None)
    assert sources["lw_probs"]["p"] == pytest.approx(sources["tk_probs"]["p"], abs=1e-6)
    assert w["choice"] == "a" == ack["prediction"]["next"]
    rows = sources["cell_arithmetic"]["rows"]
    assert [r["name"] for r in rows] == ["y", "p"]  # the arg max is what comes next: one pair
    y, p = rows[0]["terms"], rows[1]["terms"]
    assert y["wh"] + y["b"] == pytest.approx(y["value"], abs=1e-5)
    assert p["e"] / p["sum"] == pytest.approx(p["value"], abs=1e-6)
    assert p["value"] == pytest.approx(sources["lw_probs"]["p"][0], abs=1e-6)
    # a trained network guesses every next character of abab
    assert sources["lw_guess"]["char"] == ["b", "a", "b", "a"]
    back = walk(tk, "back_char")["walk"]
    assert (back["t"], back["step"], back["next"], back["choice"]) == (2, "p", "b", "b")


def test_cell_arithmetic_follows_the_unit(tk):
    for _ in range(3):
        ack = walk(tk, "next")
    assert ack["walk"]["step"] == "n"
    rows = {r["name"]: r["terms"] for r in ack["sources"]["cell_arithmetic"]["rows"]}
    assert list(rows) == ["r", "z", "n"]
    n0 = rows["n"]
    assert np.tanh(n0["pre"]) == pytest.approx(n0["value"], abs=1e-6)
    other = walk(tk, unit=31)
    assert other["walk"]["position"] == 3  # a new unit does not move the cursor
    n31 = {r["name"]: r["terms"] for r in other["sources"]["cell_arithmetic"]["rows"]}["n"]
    assert n31["value"] != n0["value"]
    assert "Unit 31" in other["sources"]["cell_arithmetic"]["heading"]


def test_the_walk_follows_the_start_temperature_and_weights(tk):
    walk(tk, "next_char")
    assert walk(tk, "next")["walk"]["position"] == 7
    hot = socketkit.ok(tk, "predict", {"task": "abab", "prefix": "abab", "temperature": 2.0})
    assert hot["walk"]["position"] == 7  # same start: the cursor stays
    trained = socketkit.ok(tk, "train", {"task": "abab", "epochs": 1})
    assert trained["walk"]["position"] == 7
    ack = socketkit.ok(tk, "predict", {"task": "abab", "prefix": "ba", "temperature": 1.0})
    w = ack["walk"]
    assert (w["chars"], w["position"], w["positions"]) == ("ba", 0, 14)  # a new start: its first


def test_bad_walks_are_refused_and_change_nothing(tk, socket):
    walk(tk, "next")
    assert refused(tk, "walk", {"task": "abab", "move": "sideways"})["field"] == "move"
    assert refused(tk, "walk", {"task": "abab", "move": "next", "unit": 32})["field"] == "unit"
    assert refused(tk, "walk", {"task": "abab", "unit": -1})["field"] == "unit"
    assert refused(tk, "walk", {"task": "abab", "by": "epoch"})["code"] == "unknown_field"
    assert refused(tk, "walk", {"task": "nope"})["field"] == "task"
    assert walk(tk)["walk"]["position"] == 1  # none of them moved the cursor
    socketkit.ok(tk, "open", {"lesson": LESSON, "task": "feelings"})
    assert refused(tk, "walk", {"task": "feelings"})["code"] == "wrong_kind"
