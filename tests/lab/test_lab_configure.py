"""The /lab ``configure`` event: learning rate and noise change without a reset,
anything that changes the network or its data builds a new one and says so, and
every limit is refused with a clear error that changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from labkit import GRU, LAB, open_lab, step
from socketkit import ask, ok

from course.lab.spec import CONFIG_FIELDS, LAB_HIDDEN_SIZES


def configure(client, **config: Any) -> dict[str, Any]:
    return ok(client, "configure", {"lab": LAB, "config": config})


def test_learning_rate_and_noise_change_without_a_reset(lab_client):
    open_lab(lab_client)
    trained = ok(lab_client, "train", {"lab": LAB, "epochs": 1})
    ack = configure(lab_client, learning_rate=0.1, noise=0.2)
    assert ack["rebuilt"] is False
    assert ack["changed"] == ["learning_rate", "noise"]
    assert "training goes on" in ack["message"]
    assert "figures" not in ack
    assert ack["frame"]["epoch"] == 1  # the trained weights are kept
    assert ack["info"]["config"]["learning_rate"] == 0.1
    assert ack["info"]["config"]["noise"] == 0.2
    # Noise is added to the inputs the network reads, not to the targets.
    before, after = trained["sources"]["seq_input"]["y"], ack["sources"]["seq_input"]["y"]
    assert before != after
    assert trained["sources"]["seq_target"] == ack["sources"]["seq_target"]
    update = ok(lab_client, "jump", {"lab": LAB, "phase": "update"})
    assert update["frame"]["learning_rate"] == 0.1


def test_changing_the_layers_builds_a_new_network_and_says_so(lab_client):
    open_lab(lab_client)
    ok(lab_client, "train", {"lab": LAB, "epochs": 1})
    ack = configure(lab_client, **GRU)
    assert ack["rebuilt"] is True
    assert ack["changed"] == ["hidden", "layers", "model"]
    assert "resets training" in ack["message"]
    assert ack["frame"]["epoch"] == 0 and ack["frame"]["loss"] is None
    assert ack["info"] | {"config": None} == ack["info"] | {
        "cell": "gru", "layers": 1, "hidden": 4, "steps": ["x", "r", "z", "n", "h"], "config": None,
    }  # fmt: skip
    # New figures for the new shape: the heatmap has four units now.
    assert set(ack["figures"]) == {
        "cell",
        "cell_narrow",
        "heatmap",
        "weights",
        "weights_delta",
        "sequence",
        "loss",
    }
    assert set(ack["sources"]["cell_heatmap"]["unit"]) == {0, 1, 2, 3}
    # The lab goes on with the new network.
    assert step(lab_client)["frame"]["step"] == "r"
    # A later change that keeps training remembers the earlier ones.
    ack = configure(lab_client, learning_rate=0.05)
    assert ack["rebuilt"] is False and ack["info"]["cell"] == "gru"


def test_a_dataset_or_batch_size_change_rebuilds(lab_client):
    open_lab(lab_client, config=GRU)
    ack = configure(lab_client, dataset="square")
    assert ack["rebuilt"] is True and "the dataset resets training" in ack["message"]
    ack = configure(lab_client, batch_size=10)
    assert ack["rebuilt"] is True and ack["info"]["config"]["batch_size"] == 10
    assert "batch size" in ack["message"]


def test_setting_the_same_value_changes_nothing(lab_client):
    open_lab(lab_client)
    step(lab_client)
    ack = configure(lab_client, layers=3)
    assert ack["changed"] == [] and ack["rebuilt"] is False
    assert ack["frame"]["position"] == 1


LIMITS = {
    "learning_rate too small": ("learning_rate", 1e-5),
    "learning_rate too large": ("learning_rate", 2.0),
    "batch_size 4": ("batch_size", 4),
    "batch_size 51": ("batch_size", 51),
    "noise below 0": ("noise", -0.1),
    "noise 0.5": ("noise", 0.5),
    "hidden 3": ("hidden", 3),
    "hidden 128": ("hidden", 128),
    "layers 0": ("layers", 0),
    "layers 8": ("layers", 8),
    "unknown dataset": ("dataset", "stocks"),
    "unknown cell": ("model", "transformer"),
    "unknown activation": ("activation", "softmax"),
    "layers not a number": ("layers", "four"),
    "learning_rate NaN": ("learning_rate", float("nan")),
    "unknown field": ("dropout", 0.5),
}


@pytest.mark.parametrize("name, value", LIMITS.values(), ids=LIMITS.keys())
def test_every_limit_is_refused_and_changes_nothing(lab_client, name, value):
    open_lab(lab_client)
    before = step(lab_client)
    ack = ask(lab_client, "configure", {"lab": LAB, "config": {"learning_rate": 0.5, name: value}})
    assert ack["ok"] is False
    assert ack["error"]["field"] == f"config.{name}"
    assert ack["error"]["message"]
    after = ok(lab_client, "select", {"lab": LAB, "unit": 0})
    assert after["frame"] == before["frame"]  # same position, same numbers
    assert ok(lab_client, "jump", {"lab": LAB, "phase": "update"})["frame"]["learning_rate"] == 0.01


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"lab": LAB}, "config"),
        ({"lab": LAB, "config": {}}, "config"),
        ({"lab": LAB, "config": [1]}, "config"),
        ({"lab": "not-open", "config": {"layers": 2}}, "lab"),
    ],
)
def test_a_malformed_configure_is_refused(lab_client, payload, field):
    open_lab(lab_client)
    ack = ask(lab_client, "configure", payload)
    assert ack["ok"] is False and ack["error"]["field"] == field


def test_limits_match_the_controls_the_page_offers():
    assert CONFIG_FIELDS["learning_rate"].minimum == 1e-4
    assert CONFIG_FIELDS["learning_rate"].maximum == 1.0
    assert (CONFIG_FIELDS["batch_size"].minimum, CONFIG_FIELDS["batch_size"].maximum) == (5, 50)
    assert CONFIG_FIELDS["noise"].maximum == 0.4
    assert CONFIG_FIELDS["hidden"].choices == LAB_HIDDEN_SIZES == (2, 4, 8, 16)  # compile budget
    assert (CONFIG_FIELDS["layers"].minimum, CONFIG_FIELDS["layers"].maximum) == (1, 7)


def test_select_a_layer_shows_that_layers_cell(lab_client):
    open_lab(lab_client)
    for _ in range(7 + 2):  # layer 1 done, layer 2 at its second step (f)
        step(lab_client)
    own = ok(lab_client, "select", {"lab": LAB, "unit": 0})
    assert own["frame"]["layer"] == 1
    below = ok(lab_client, "select", {"lab": LAB, "unit": 0, "layer": 0})
    assert "…" not in below["sources"]["cell_boxes"]["value"]  # layer 1 has finished this time step
    above = ok(lab_client, "select", {"lab": LAB, "unit": 0, "layer": 2})
    cells = above["sources"]["cell_boxes"]
    boxes = dict(zip(cells["name"], cells["value"], strict=True))
    assert boxes["h"] == "…" and boxes["h_prev"] != "…"  # only what it carried
    refused = ask(lab_client, "select", {"lab": LAB, "unit": 0, "layer": 3})
    assert refused["ok"] is False and refused["error"]["field"] == "layer"
