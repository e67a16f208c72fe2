"""The settings a lesson's lab may offer beside the data: cell kind, hidden size (a
fixed set), optimizer and gradient clipping, each through ``configure``. A good value
does what the page says (a reshape or a new optimizer is a new network; clipping
keeps the weights); a bad one is refused with a clear error and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from labkit import LAB, open_lab, step
from socketkit import ask, ok

from course.lab.spec import CONFIG_FIELDS, LAB_HIDDEN_SIZES


def configure(client, **config: Any) -> dict[str, Any]:
    return ok(client, "configure", {"lab": LAB, "config": config})


def update_norms(client) -> dict[str, float]:
    """‖ΔW‖ per matrix of layer 1 that the window's update would apply."""
    return ok(client, "jump", {"lab": LAB, "phase": "update"})["frame"]["delta_norms"]


def test_the_page_offers_a_small_fixed_set_of_hidden_sizes():
    assert LAB_HIDDEN_SIZES == (2, 4, 8, 16)
    assert CONFIG_FIELDS["hidden"].choices == LAB_HIDDEN_SIZES
    assert CONFIG_FIELDS["optimizer"].choices == ("rmsprop", "adam", "sgd")


def test_switching_to_a_gru_of_eight_units_builds_that_network(lab_client):
    open_lab(lab_client)
    ok(lab_client, "train", {"lab": LAB, "epochs": 1})
    ack = configure(lab_client, model="gru", hidden=8)
    assert ack["rebuilt"] is True and ack["changed"] == ["hidden", "model"]
    assert ack["message"] == (
        "Changing the hidden size and the cell kind resets training: "
        "a new network with fresh weights."
    )
    assert (ack["info"]["cell"], ack["info"]["hidden"]) == ("gru", 8)
    assert ack["frame"]["epoch"] == 0
    assert set(ack["sources"]["cell_heatmap"]["unit"]) == set(range(8))
    assert "cell" in ack["figures"]  # the GRU's diagram replaces the LSTM's
    assert step(lab_client)["frame"]["step"] == "r"


def test_another_optimizer_is_a_new_network_that_updates_differently(lab_client):
    open_lab(lab_client)
    rmsprop = update_norms(lab_client)
    ack = configure(lab_client, optimizer="sgd")
    assert ack["rebuilt"] is True and ack["info"]["config"]["optimizer"] == "sgd"
    assert "the optimizer resets training" in ack["message"]
    sgd = update_norms(lab_client)
    assert sgd["W_h"] != pytest.approx(rmsprop["W_h"], rel=0.01)
    configure(lab_client, optimizer="adam")
    assert update_norms(lab_client)["W_h"] != pytest.approx(sgd["W_h"], rel=0.01)


def test_clipping_off_keeps_the_weights_and_lets_the_whole_gradient_through(lab_client):
    open_lab(lab_client)
    configure(lab_client, optimizer="sgd")  # ΔW = −η·g: the clipping shows plainly
    clipped = update_norms(lab_client)
    ack = configure(lab_client, clip=False)
    assert ack["rebuilt"] is False and ack["changed"] == ["clip"]
    assert ack["message"] == "Changed gradient clipping; training goes on from the current weights."
    assert ack["info"]["config"]["clip"] is False
    whole = update_norms(lab_client)
    # The untrained lab's gradient has a global norm near 2: clipping halves every ΔW.
    ratios = [whole[name] / clipped[name] for name in ("W_x", "W_h", "b")]
    assert ratios[0] > 1.5
    assert ratios == pytest.approx([ratios[0]] * 3, rel=1e-3)
    # Training goes on from the trained weights with clipping off, and back on.
    ok(lab_client, "train", {"lab": LAB, "epochs": 1})
    ack = configure(lab_client, clip=True)
    assert ack["rebuilt"] is False and ack["frame"]["epoch"] == 1


BAD = {
    "hidden 32 (not offered)": ("hidden", 32),
    "hidden 1 (not offered)": ("hidden", 1),
    "hidden 6": ("hidden", 6),
    "hidden as text": ("hidden", "8"),
    "unknown optimizer": ("optimizer", "adagrad"),
    "optimizer upper case": ("optimizer", "Adam"),
    "clip as text": ("clip", "yes"),
    "clip as a number": ("clip", 1),
    "unknown cell": ("model", "gru2"),
}


@pytest.mark.parametrize("name, value", BAD.values(), ids=BAD.keys())
def test_a_bad_setting_is_refused_and_changes_nothing(lab_client, name, value):
    open_lab(lab_client)
    before = step(lab_client)
    ack = ask(lab_client, "configure", {"lab": LAB, "config": {"model": "gru", name: value}})
    assert ack["ok"] is False
    assert ack["error"]["field"] == f"config.{name}" and ack["error"]["message"]
    after = ok(lab_client, "select", {"lab": LAB, "unit": 0})
    assert after["frame"] == before["frame"]  # same cell kind, position and numbers
    assert after["frame"]["step"] == "f"  # still the LSTM (a GRU steps to r)
    assert update_norms(lab_client) == update_norms(lab_client)  # nothing pending changed
    assert ok(lab_client, "configure", {"lab": LAB, "config": {"layers": 3}})["changed"] == []


def test_a_lesson_block_may_offer_the_new_controls():
    from course.lab.spec import parse_block

    spec = parse_block("x", {"controls": ["model", "hidden", "optimizer", "clip"]})
    assert spec.controls == ("model", "hidden", "optimizer", "clip")
    assert spec.options["clip"] is True
    with pytest.raises(Exception, match="controls"):
        parse_block("x", {"controls": ["momentum"]})
