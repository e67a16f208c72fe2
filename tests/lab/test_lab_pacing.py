"""Playing by epoch a learner can follow: every epoch shows its phases in order —
the forward pass time step after time step, validate, the backward pass back to
t = 1, the update — before it trains, at about 4 s an epoch at 1×; faster speeds
show fewer time steps, the fastest only the trained epochs. (Cadence, not order, is
test_lab_socket.py's.)"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from labkit import LAB, open_lab
from socketkit import ask, ok, pushed

from course.lab.pacing import EPOCH_SECONDS, MIN_INTERVAL, Player, tour
from engine import Lab, LabConfig, ModelConfig

PHASES = ["forward", "validate", "backward", "update"]
SMALL = LabConfig(model=ModelConfig(cell="gru", layers=1, hidden=4))


def runs(values: list[Any]) -> list[Any]:
    """Consecutive repeats collapsed: [a, a, b, a] → [a, b, a]."""
    return [value for value, _ in itertools.groupby(values)]


def by_epoch(frames: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [list(group) for _, group in itertools.groupby(frames, key=lambda f: f["epoch"])]


def check_epoch(frames: list[dict[str, Any]], window: int, sweep: int) -> None:
    """One epoch's frames: each phase once, in order, each sweep reaching its end."""
    assert runs([f["phase"] for f in frames]) == PHASES
    forward = [f["t"] for f in frames if f["phase"] == "forward"]
    backward = [f["t"] for f in frames if f["phase"] == "backward"]
    assert len(forward) == len(backward) == sweep
    assert forward == sorted(forward) and forward[-1] == window - 1
    assert backward == sorted(backward, reverse=True) and backward[-1] == 0
    # A forward frame shows its time step done (the cell's output), up to the top layer.
    assert all(f["step"] == "h" for f in frames if f["phase"] == "forward")


@pytest.mark.parametrize("speed, sweep", [(1, 15), (2, 15), (8, 4), (16, 1)])
def test_each_epoch_walks_its_phases_in_order_then_trains(speed, sweep):
    lab = Lab(SMALL)
    player = Player("epoch", speed, SMALL.train.window)
    frames, trained = [], []
    for _ in range(3 * len(player.moves) + 1):
        trained.append(player.advance(lab))
        frames.append(lab.frame())
    epochs = by_epoch(frames)
    assert [group[0]["epoch"] for group in epochs] == [0, 1, 2, 3]
    for group in epochs[:3]:
        check_epoch(group, SMALL.train.window, sweep)
    # Training happens on the move after the update, and only there: the loss curve
    # gets one point an epoch, and the next tour shows the new weights' forward pass.
    assert [i for i, t in enumerate(trained) if t] == [len(player.moves) * k for k in (1, 2, 3)]
    assert len(lab.losses) == 3 and epochs[3][0]["phase"] == "forward"


def test_one_epoch_takes_about_four_seconds_at_1x_and_speed_divides_it():
    window = SMALL.train.window
    slow = Player("epoch", 1, window)
    assert slow.interval * len(slow.moves) == pytest.approx(EPOCH_SECONDS)
    assert len(slow.moves) == 2 * window + 2  # every time step, both ways
    fast = Player("epoch", 8, window)
    assert fast.interval * len(fast.moves) == pytest.approx(EPOCH_SECONDS / 8)
    assert fast.interval >= MIN_INTERVAL
    fastest = Player("epoch", 32, window)  # trained epochs only, 8 a second
    assert fastest.moves == [] and fastest.interval == pytest.approx(EPOCH_SECONDS / 32)
    # Steps keep their pace; no speed brings a browser more than 20 frames a second.
    assert Player("compute", 1, window).interval == pytest.approx(0.4)
    assert Player("compute", 32, window).interval == MIN_INTERVAL


def test_the_fastest_speed_trains_an_epoch_a_tick():
    lab = Lab(SMALL)
    player = Player("epoch", 32, SMALL.train.window)
    assert all(player.advance(lab) for _ in range(3))
    assert lab.epoch == 3 and lab.frame()["phase"] == "validate"


def test_a_tour_spreads_its_time_steps_evenly():
    assert tour(15, 3) == [
        ("forward", 4), ("forward", 9), ("forward", 14), ("validate", None),
        ("backward", 10), ("backward", 5), ("backward", 0), ("update", None),
    ]  # fmt: skip


def test_playing_by_epoch_pushes_each_epochs_phases_in_order(lab_client):
    open_lab(lab_client)
    ok(lab_client, "play", {"lab": LAB, "granularity": "epoch", "speed": 8})
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120  # generous: the state decides, not the clock
    while (not frames or frames[-1]["frame"]["epoch"] < 3) and time.monotonic() < deadline:
        frames += [e["args"][0] for e in pushed(lab_client) if e["name"] == "frame"]
        time.sleep(0.05)
    ok(lab_client, "pause", {"lab": LAB})
    epochs = by_epoch([f["frame"] for f in frames])
    assert len(epochs) >= 3, "three epochs were not played in two minutes"
    # Frames are never coalesced on the server: every move of the first epochs arrives.
    for group in epochs[:3]:
        check_epoch(group, 15, 4)
    # The loss curve gets its new point with the epoch that trained it.
    with_loss = [f for f in frames if "loss" in f["sources"]]
    assert [f["frame"]["epoch"] for f in with_loss][:2] == [1, 2]
    assert all(len(f["sources"]["loss"]["loss"]) == f["frame"]["epoch"] for f in with_loss)


def test_a_speed_beyond_the_fastest_is_refused(lab_client):
    open_lab(lab_client)
    ack = ask(lab_client, "play", {"lab": LAB, "granularity": "epoch", "speed": 64})
    assert ack["ok"] is False and ack["error"]["field"] == "speed"
