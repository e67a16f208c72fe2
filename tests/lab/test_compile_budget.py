"""The compile budget (course/lab/budget.py): settings come from fixed sets (a batch
size snaps, and the lab says so; a hidden size outside the set is refused), and new
compiled programs are rationed per learner and server-wide, with a clear error that
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from labkit import LAB, LESSON, open_lab
from socketkit import ask, ok

from course.lab import budget
from course.lab.budget import CompileBudget
from course.lab.spec import LAB_BATCH_SIZES, LAB_HIDDEN_SIZES
from course.lessons.registry import lessons
from course.warmup import offered, warm
from course.web.validation import PayloadError
from engine import LabConfig, ModelConfig, TrainSpec
from engine.programs import PROGRAMS
from engine.window import window_programs

# Settings no other test compiles: their programs are new to this process.
NEVER_COMPILED = {"model": "gru", "layers": 5, "hidden": 2, "window": 61, "optimizer": "sgd"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refusal(call: Any) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        call()
    return caught.value


def test_the_budget_counts_programs_per_learner_and_for_the_server() -> None:
    clock = Clock()
    spend = CompileBudget((6, 60.0), (10, 60.0), clock=clock)
    spend.charge("ada", 4)
    error = refusal(lambda: spend.charge("ada", 4))  # 8 > 6 for ada
    assert error.code == "too_many_compilations" and "6 new network programs" in error.message
    assert "try again in 60 s" in error.message
    spend.charge("ada", 2)  # the refusal counted nothing: 4 + 2 fit
    spend.charge("bob", 4)  # 10 for the server
    assert refusal(lambda: spend.charge("cy", 1)).code == "busy"
    spend.charge("cy", 0)  # nothing new costs nothing, even over budget
    clock.now += 30
    assert "try again in 30 s" in refusal(lambda: spend.charge("ada", 1)).message
    clock.now += 30  # a minute on: the window is empty again
    spend.charge("ada", 6)
    assert refusal(lambda: spend.charge("ada", 1, dry=True)).code == "too_many_compilations"


def test_a_dry_charge_checks_without_counting() -> None:
    spend = CompileBudget((4, 60.0), (100, 60.0), clock=Clock())
    for _ in range(3):
        spend.charge("ada", 4, dry=True)
    spend.charge("ada", 4)
    assert refusal(lambda: spend.charge("ada", 1, dry=True)).code == "too_many_compilations"


def test_an_off_bucket_batch_size_snaps_and_the_lab_says_so(lab_client: Any) -> None:
    open_lab(lab_client)
    ack = ok(lab_client, "configure", {"lab": LAB, "config": {"batch_size": 15}})
    assert ack["config"]["batch_size"] == 10 and ack["info"]["config"]["batch_size"] == 10
    assert ack["message"].startswith("Batch size 15 → 10: batch sizes come in 5, 10, 25 and 50.")
    assert ack["changed"] == ["batch_size"] and ack["rebuilt"] is True
    again = ok(lab_client, "configure", {"lab": LAB, "config": {"batch_size": 50}})
    assert again["config"]["batch_size"] == 50 and "→" not in again["message"]
    assert LAB_BATCH_SIZES == (5, 10, 25, 50)


def test_a_hidden_size_outside_the_set_is_refused_and_changes_nothing(lab_client: Any) -> None:
    open_lab(lab_client)
    before = ok(lab_client, "pause", {"lab": LAB})
    for hidden in (1, 32, 64):
        ack = ask(lab_client, "configure", {"lab": LAB, "config": {"hidden": hidden}})
        assert ack["ok"] is False
        assert (ack["error"]["code"], ack["error"]["field"]) == ("bad_choice", "config.hidden")
        assert ack["error"]["message"] == "hidden must be one of: 2, 4, 8, 16"
    assert LAB_HIDDEN_SIZES == (2, 4, 8, 16)
    after = ok(lab_client, "pause", {"lab": LAB})
    assert after["frame"] == before["frame"] and after["sources"] == before["sources"]


@pytest.mark.parametrize(
    ("per_learner", "server", "code"),
    [((0, 60.0), (1000, 60.0), "too_many_compilations"), ((1000, 60.0), (0, 60.0), "busy")],
)
def test_over_budget_a_new_shape_is_refused_and_the_lab_is_unchanged(
    lab_client: Any,
    monkeypatch: pytest.MonkeyPatch,
    per_learner: tuple[int, float],
    server: tuple[int, float],
    code: str,
) -> None:
    opened = open_lab(lab_client)
    ok(lab_client, "step", {"lab": LAB, "granularity": "timestep"})
    before = ok(lab_client, "pause", {"lab": LAB})
    monkeypatch.setattr(budget, "BUDGET", CompileBudget(per_learner, server))
    ack = ask(lab_client, "configure", {"lab": LAB, "config": NEVER_COMPILED})
    assert ack["ok"] is False
    assert (ack["error"]["code"], ack["error"]["field"]) == (code, "config")
    assert "again in 60 s" in ack["error"]["message"]
    after = ok(lab_client, "pause", {"lab": LAB})
    assert after["frame"] == before["frame"] and after["sources"] == before["sources"]
    # What compiles nothing new still works: the learning rate keeps the same programs.
    done = ok(lab_client, "configure", {"lab": LAB, "config": {"learning_rate": 0.05}})
    assert done["rebuilt"] is False and done["info"]["hidden"] == opened["info"]["hidden"]
    # A shared link with those settings is refused too, and opens no lab.
    link = ask(lab_client, "open", {"lesson": LESSON, "lab": LAB, "config": NEVER_COMPILED})
    assert link["ok"] is False and link["error"]["code"] == code
    assert ok(lab_client, "pause", {"lab": LAB})["frame"] == after["frame"]


def test_the_warm_up_covers_what_a_lesson_lab_offers(app: Flask) -> None:
    with app.app_context():
        feed = lessons(app).get("data").labs["feed"]  # type: ignore[union-attr]
    configs = list(offered(feed))
    assert {"layers", "batch_size"} <= set(feed.controls)
    assert {c.model.layers for c in configs} == set(range(1, 8))
    assert {c.train.batch_size for c in configs} == set(LAB_BATCH_SIZES)
    assert configs[-1] == feed.config  # the lesson's own settings, touched last


def test_a_lab_warmed_again_after_its_programs_were_evicted_has_them_in_memory() -> None:
    """The warm-up touches the lessons' defaults last so they stay in memory; one whose
    programs the later variants pushed out is compiled again, not skipped."""
    first = LabConfig(model=ModelConfig(cell="rnn", hidden=2), train=TrainSpec(window=5))
    other = LabConfig(model=ModelConfig(cell="gru", hidden=2), train=TrainSpec(window=5))
    limit = PROGRAMS.limit
    try:
        PROGRAMS.resize(len(window_programs(first)))  # room for one lab's programs
        warm(first)
        warm(other)  # pushes the first lab's programs out
        assert not any(key in PROGRAMS for key in window_programs(first))
        warm(first)
        assert all(key in PROGRAMS for key in window_programs(first))
    finally:
        PROGRAMS.resize(limit)
