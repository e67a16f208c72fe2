"""A lab's weights as JSON (engine.snapshot.weights_to_json / read_weights /
load_weights): a round trip gives the same forward numbers; bad weights are a
ValueError that names where they do not fit and leaves the lab as it was."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable

import jax
import numpy as np
import pytest
from labstates import CONFIGS, assert_same, busy, leaves, state, through_update

from engine import Lab
from engine.snapshot import (
    Trained,
    WeightsError,
    load_weights,
    read_weights,
    weight_count,
    weights_to_json,
)

# -- weights as JSON -------------------------------------------------------------------------


def forward_frames(lab: Lab) -> list[dict]:
    """The numbers of the forward pass and the validate frame (without counters)."""
    lab.jump("forward")
    frames = [lab.frame()] + [lab.advance("compute") for _ in range(lab.forward_positions)]
    keep = ("phase", "t", "layer", "step", "values", "prediction", "target", "error", "mse")
    return [{k: f[k] for k in keep if k in f} for f in frames]


@pytest.mark.parametrize("name", ("lstm-adam", "rnn-rmsprop"))
def test_weights_json_round_trip_gives_the_same_forward_numbers(name):
    lab = Lab(CONFIGS[name])
    lab.train(1)
    through_update(lab)
    text = json.dumps(weights_to_json(lab), allow_nan=False)
    fresh = Lab(CONFIGS[name])
    fresh.jump("backward", t=3)
    load_weights(fresh, json.loads(text))
    assert fresh.position == fresh.phase_start("validate") and fresh.status == "ok"
    pairs = zip(leaves(fresh.params), leaves(lab.params), strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)
    # the optimiser state starts afresh
    assert all(not np.any(x) for x in leaves(fresh.opt_state))
    assert forward_frames(fresh) == forward_frames(lab)


def entry_of(path: tuple, value) -> Callable[[dict], object]:
    """Set one number of a weight: the path to the matrix, then row (and column)."""

    def change(weights: dict) -> None:
        node = weights
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


BAD_WEIGHTS: dict[str, Callable[[dict], object]] = {
    "W_x transposed": lambda w: w["layers"][0].update(
        W_x=np.asarray(w["layers"][0]["W_x"]).T.tolist()
    ),  # fmt: skip
    "W_h missing": lambda w: w["layers"][1].pop("W_h"),
    "a layer too many": lambda w: w["layers"].append(copy.deepcopy(w["layers"][1])),
    "a layer too few": lambda w: w["layers"].pop(),
    "W_y a row short": lambda w: w.update(W_y=[w["W_y"][0][:-1]]),
    "b_y a scalar": lambda w: w.update(b_y=w["b_y"][0]),
    "W_y missing": lambda w: w.pop("W_y"),
    "layers missing": lambda w: w.pop("layers"),
    "ragged W_h": lambda w: w["layers"][0]["W_h"][1].pop(),
    "NaN": entry_of(("layers", 0, "W_h", 1, 2), math.nan),
    "inf": entry_of(("layers", 1, "b", 0), math.inf),
    "-inf": entry_of(("W_y", 0, 3), -math.inf),
    "1e39 (inf in float32)": entry_of(("layers", 0, "W_x", 0, 0), 1e39),
    "a string": entry_of(("b_y", 0), "abc"),
    "null": entry_of(("layers", 1, "W_x", 2, 1), None),
    "a list for a number": entry_of(("layers", 0, "b", 1), [0.1]),
}


@pytest.fixture
def busy_rnn() -> Lab:
    """A fresh one per test (the programs are compiled once): a failing case may change it."""
    return busy(Lab(CONFIGS["rnn-rmsprop"]))


@pytest.mark.parametrize("bad", BAD_WEIGHTS, ids=list(BAD_WEIGHTS))
def test_bad_weights_are_a_value_error_and_leave_the_lab_unchanged(busy_rnn, bad):
    lab = busy_rnn
    weights = json.loads(json.dumps(weights_to_json(lab)))
    BAD_WEIGHTS[bad](weights)
    before = state(lab)
    with pytest.raises(ValueError):
        load_weights(lab, weights)
    assert_same(state(lab), before)


@pytest.mark.parametrize("data", [None, [], "weights", {"layers": "W_x"}], ids=repr)
def test_weights_that_are_not_an_object_are_a_value_error(busy_rnn, data):
    before = state(busy_rnn)
    with pytest.raises(ValueError):
        load_weights(busy_rnn, data)
    assert_same(state(busy_rnn), before)


# Where the bad weights are, and what is wrong there (the course turns these into the
# field and code of its error).
WHERE = {
    "W_x transposed": ("layers.0.W_x", "shape"),
    "W_h missing": ("layers.1.W_h", "missing"),
    "a layer too many": ("layers", "shape"),
    "W_y a row short": ("W_y", "shape"),
    "b_y a scalar": ("b_y", "shape"),
    "layers missing": ("layers", "missing"),
    "ragged W_h": ("layers.0.W_h", "shape"),
    "NaN": ("layers.0.W_h", "finite"),
    "1e39 (inf in float32)": ("layers.0.W_x", "finite"),
    "a string": ("b_y", "type"),
    "null": ("layers.1.W_x", "type"),
}


@pytest.mark.parametrize("bad", WHERE, ids=list(WHERE))
def test_bad_weights_name_where_they_do_not_fit(busy_rnn, bad):
    weights = json.loads(json.dumps(weights_to_json(busy_rnn)))
    BAD_WEIGHTS[bad](weights)
    with pytest.raises(WeightsError) as caught:
        read_weights(busy_rnn, weights)
    assert (caught.value.where, caught.value.kind) == WHERE[bad]
    assert caught.value.kind in WeightsError.KINDS


def test_a_name_the_model_does_not_have_is_refused(busy_rnn):
    weights = weights_to_json(busy_rnn)
    weights["layers"][0]["W_z"] = [0.0]
    with pytest.raises(WeightsError) as caught:
        read_weights(busy_rnn, weights)
    assert (caught.value.where, caught.value.kind) == ("layers.0.W_z", "unknown")


def test_weights_carry_as_many_numbers_as_the_model_has(busy_rnn):
    weights = weights_to_json(busy_rnn)
    numbers = np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(weights)])
    assert weight_count(busy_rnn) == numbers.size == sum(x.size for x in leaves(busy_rnn.params))


def test_weights_that_are_not_finite_are_not_written(busy_rnn):
    busy_rnn.params = busy_rnn.params._replace(b_y=busy_rnn.params.b_y * np.nan)
    with pytest.raises(ValueError, match="finite"):
        weights_to_json(busy_rnn)


def test_loading_with_the_training_record_sets_epoch_updates_and_losses():
    lab = busy(Lab(CONFIGS["rnn-rmsprop"]), epochs=2)
    fresh = Lab(CONFIGS["rnn-rmsprop"])
    load_weights(fresh, weights_to_json(lab), Trained(lab.epoch, lab.updates, tuple(lab.losses)))
    assert (fresh.epoch, fresh.updates, fresh.losses) == (2, 1, lab.losses)
    assert fresh.frame()["loss"] == lab.losses[-1]
    assert fresh.position == fresh.phase_start("validate")  # as after training


@pytest.mark.parametrize(
    "trained",
    [Trained(1, 0, (0.1, 0.2)), Trained(2, 0, (math.nan,)), Trained(-1), Trained(1.5)],  # type: ignore[arg-type]
    ids=["more losses than epochs", "NaN loss", "negative epoch", "fractional epoch"],
)
def test_a_bad_training_record_is_a_value_error_and_changes_nothing(busy_rnn, trained):
    weights = weights_to_json(busy_rnn)
    before = state(busy_rnn)
    with pytest.raises(ValueError):
        load_weights(busy_rnn, weights, trained)
    assert_same(state(busy_rnn), before)
