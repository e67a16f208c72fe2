"""Module 3's exploding gradient: a lab whose first recurrent weights are scaled
(``recurrent_scale``), a loss that blows up becomes the lab's ``diverged`` status, and
clipping tames the same training — the numbers lesson 3 quotes, over the socket and in
the engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from labkit import LAB, open_lab
from socketkit import ask, ok

from course.lab.views.gradients import last_error_dh
from course.lessons.registry import LessonRegistry
from engine import LabConfig
from engine.snapshot import from_bytes, to_bytes
from engine.stepper import Lab

LESSON = LessonRegistry.load(Path(__file__).resolve().parents[2] / "lessons").get("training")


@pytest.fixture(scope="module")
def explode() -> LabConfig:
    return LESSON.labs["explode"].config


def test_the_scale_multiplies_the_first_recurrent_weights_only(explode):
    plain, scaled = Lab(replace(explode, recurrent_scale=1.0)), Lab(explode)
    (a,), (b,) = plain.params.layers, scaled.params.layers
    np.testing.assert_allclose(np.asarray(b.W_h), 3 * np.asarray(a.W_h), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(b.W_x), np.asarray(a.W_x))
    again = from_bytes(to_bytes(scaled))  # a snapshot (a link, a reload) keeps the setting
    assert again.config.recurrent_scale == 3.0
    np.testing.assert_array_equal(np.asarray(again.params.layers[0].W_h), np.asarray(b.W_h))


def test_lesson_3_the_gradient_grows_back_through_time(explode):
    # "about 0.044 at t = 15 and 2.26 at t = 1, over fifty times larger; even the last
    # error alone (dashed) reaches t = 1 about eight times stronger than it started"
    lab = Lab(explode)
    solid = np.linalg.norm(lab.gradients().dh[0], axis=1)
    dashed = np.linalg.norm(last_error_dh(lab)[0], axis=1)
    assert (f"{solid[-1]:.3f}", f"{solid[0]:.2f}") == ("0.044", "2.26")
    assert solid[0] / solid[-1] > 50  # the bar: ≥ 10×
    assert 7 < dashed[0] / dashed[-1] < 9
    plain = np.linalg.norm(last_error_dh(Lab(replace(explode, recurrent_scale=1.0)))[0], axis=1)
    assert plain[0] < plain[-1] / 100  # unscaled, the same network's gradient vanishes


def test_lesson_3_without_clipping_the_loss_blows_up_and_with_it_the_network_learns(explode):
    # "The loss goes 1.113, 11.36, 35.05, then about 18,000 … At the fifth epoch the loss
    # passes a million and the lab stops with Diverged." / "0.596, 0.301, 0.162, … 0.019"
    wild = Lab(explode)
    first, second, third, fourth = wild.train(4)
    assert (f"{first:.3f}", f"{second:.2f}", f"{third:.2f}") == ("1.113", "11.36", "35.05")
    assert 15_000 < fourth < 21_000 and wild.status == "ok"
    assert wild.train(1) == [] and wild.status == "diverged"
    tame = Lab(replace(explode, clip=True))
    losses = tame.train(10)
    assert [f"{loss:.3f}" for loss in losses[:3]] == ["0.596", "0.301", "0.162"]
    assert f"{losses[-1]:.3f}" == "0.019" and tame.status == "ok"


def test_the_scale_is_a_setting_a_lab_may_offer_and_the_server_bounds(lab_client):
    open_lab(lab_client)
    ack = ok(lab_client, "configure", {"lab": LAB, "config": {"recurrent_scale": 2}})
    assert ack["rebuilt"] is True and ack["info"]["config"]["recurrent_scale"] == 2.0
    assert "the scale of the first recurrent weights resets training" in ack["message"]
    for bad in (10, 0, "big"):
        refused = ask(lab_client, "configure", {"lab": LAB, "config": {"recurrent_scale": bad}})
        assert refused["ok"] is False and refused["error"]["field"] == "config.recurrent_scale", (
            refused
        )
    state = ok(lab_client, "configure", {"lab": LAB, "config": {"noise": 0.1}})
    assert state["info"]["config"]["recurrent_scale"] == 2.0  # the refusals changed nothing
