"""A lab's weights as a file, over /lab: ``export`` gives the document, ``import`` loads
it into a lab of the same shape and the views show the same numbers; a file that does
not fit gets a clear error naming what does not, and the lab stays as it was.

The lesson's lab (3 × LSTM 16) only, so nothing new is compiled.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from labkit import LAB, LESSON, open_lab
from socketkit import Socket, ask, connect, ok, pushed

from course.extensions import socketio
from course.lab.weights import FORMAT, MAX_LOSSES, VERSION
from engine.model import ModelConfig, init_params
from engine.snapshot import weights_to_json


@pytest.fixture
def second(socket: Callable[..., Socket]) -> Socket:
    """Another /lab connection of the learner (a fresh page)."""
    return socket("/lab")


@pytest.fixture(scope="module")
def trained(app) -> dict[str, Any]:
    """The weights file of the lesson's lab trained two epochs (made once: training is slow)."""
    with connect(app, "/lab", app.test_client()) as connection:
        open_lab(connection)
        ok(connection, "train", {"lab": LAB, "epochs": 2})
        return ok(connection, "export", {"lab": LAB})["document"]


def load(client, document: Any) -> dict[str, Any]:
    return ask(client, "import", {"lab": LAB, "weights": document})


def now(client) -> dict[str, Any]:
    """Everything the lab shows where it is: the frame and every view's full data."""
    ack = ok(client, "pause", {"lab": LAB})  # changes nothing; answers the full state
    return {"frame": ack["frame"], "sources": ack["sources"]}


def walk(client) -> list[dict[str, Any]]:
    """Step from the start of the window through forward, validate and backward, a few
    compute steps and then a time step at a time: every frame and what the views got.
    (Not the update phase: its ΔW depends on the optimiser's state, which a weights
    file does not carry.)"""
    ok(client, "jump", {"lab": LAB, "phase": "forward"})
    seen = [now(client)]
    moves = ["compute"] * 8 + ["timestep"] * 40
    for granularity in moves:
        ack = ok(client, "step", {"lab": LAB, "granularity": granularity})
        if ack["frame"]["phase"] == "update":
            break
        seen.append({"frame": ack["frame"], "sources": ack["sources"]})
    return seen


# -- export and import ---------------------------------------------------------------


def test_export_is_a_versioned_document_of_the_labs_weights_and_settings(lab_client, trained):
    info = open_lab(lab_client)["info"]
    assert (trained["format"], trained["version"]) == (FORMAT, VERSION)
    assert (trained["lesson"], trained["lab"]) == (LESSON, LAB)
    assert trained["config"] == info["config"]  # the lesson's settings: nothing changed
    assert trained["training"]["epoch"] == 2 and len(trained["training"]["losses"]) == 2
    weights = trained["weights"]
    assert len(weights["layers"]) == 3 and set(weights["layers"][0]) == {"W_x", "W_h", "b"}
    assert len(weights["layers"][0]["W_h"]) == 4 * 16  # rows: the gates i, f, g, o


def test_weights_loaded_into_a_fresh_lab_give_identical_frames(lab_client, second, trained):
    # The lab that was saved, rebuilt the same way: open, train two epochs (deterministic).
    open_lab(lab_client)
    ok(lab_client, "train", {"lab": LAB, "epochs": 2})
    assert ok(lab_client, "export", {"lab": LAB})["document"] == trained
    ok(lab_client, "step", {"lab": LAB})  # wherever it is, the walk starts at position 0

    open_lab(second)
    for _ in range(5):
        ok(second, "step", {"lab": LAB})  # somewhere else in an untrained lab
    loaded = load(second, json.loads(json.dumps(trained)))  # as a file goes and comes back
    assert loaded["ok"] is True, loaded
    assert loaded["message"] == "Loaded weights: 3 × LSTM 16, epoch 2."
    assert (loaded["changed"], loaded["rebuilt"]) == ([], False) and "figures" not in loaded
    assert loaded["frame"]["phase"] == "validate" and loaded["playing"] is False
    assert (
        loaded["frame"]["epoch"] == 2
        and loaded["frame"]["loss"] == trained["training"]["losses"][-1]
    )
    assert loaded["sources"]["loss"]["loss"] == trained["training"]["losses"]

    original, copied = walk(lab_client), walk(second)
    assert [s["frame"]["phase"] for s in copied][-1] == "backward"
    assert len(copied) == len(original)
    for at, (a, b) in enumerate(zip(original, copied, strict=True)):
        assert a == b, f"differs at step {at} ({a['frame']['phase']} t={a['frame']['t']})"
    # Exported again, the loaded lab gives the same file.
    assert ok(second, "export", {"lab": LAB})["document"] == trained


def test_the_files_other_settings_come_with_the_weights(lab_client, second):
    settings = {"dataset": "square", "noise": 0.1, "learning_rate": 0.05, "seed": 7}
    saved = open_lab(lab_client, config=settings)
    document = ok(lab_client, "export", {"lab": LAB})["document"]
    assert document["config"] == saved["info"]["config"]
    ok(lab_client, "jump", {"lab": LAB, "phase": "validate"})  # where a loaded lab opens
    shown = ok(lab_client, "pause", {"lab": LAB})  # everything it shows there

    open_lab(second)
    loaded = load(second, document)
    assert loaded["ok"] is True, loaded
    assert loaded["changed"] == ["dataset", "learning_rate", "noise", "seed"]
    assert loaded["message"] == (
        "Loaded weights: 3 × LSTM 16, epoch 0. The file's settings came with them: "
        "the dataset, the learning rate, the noise and the seed."
    )
    assert loaded["rebuilt"] is True and loaded["figures"]  # new settings, new figures
    assert loaded["config"] == loaded["info"]["config"] == saved["info"]["config"]
    assert loaded["frame"] == shown["frame"]
    assert loaded["sources"] == shown["sources"]


def test_training_goes_on_from_the_loaded_weights(lab_client, trained):
    open_lab(lab_client)
    assert load(lab_client, trained)["ok"] is True
    frame = ok(lab_client, "train", {"lab": LAB, "epochs": 1})["frame"]
    assert frame["epoch"] == 3 and math.isfinite(frame["loss"])
    assert frame["loss"] < trained["training"]["losses"][0]


def test_the_largest_lab_a_lesson_offers_fits_in_one_socket_message(app):
    """lessons/02-data.md offers up to 7 layers of 16 LSTM units: its file must go back
    over the socket, whose messages engine.io caps (max_http_buffer_size)."""
    largest = SimpleNamespace(params=init_params(ModelConfig("lstm", 7, 16), key=0))
    weights = weights_to_json(largest)  # type: ignore[arg-type]
    document = {"format": FORMAT, "version": VERSION, "config": {}, "weights": weights}
    envelope = json.dumps(["import", {"lab": "x" * 64, "weights": document}])
    assert len(envelope.encode()) < socketio.server.eio.max_http_buffer_size - 1000


# -- refusals ------------------------------------------------------------------------

Change = Callable[[dict[str, Any]], object]


def entry(path: tuple[Any, ...], value: Any) -> Change:
    """Set one entry of the file, by its path."""

    def change(document: dict[str, Any]) -> None:
        node = document
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def layer(n: int) -> tuple[str, ...]:
    return ("weights", "layers", n)


BAD: dict[str, tuple[Change, str, str]] = {
    # the shape
    "fewer layers": (entry(("config", "layers"), 2), "wrong_shape", "weights.config.layers"),
    "other hidden size": (entry(("config", "hidden"), 8), "wrong_shape", "weights.config.hidden"),
    "other cell": (entry(("config", "model"), "gru"), "wrong_shape", "weights.config.model"),
    "no cell named": (
        lambda d: d["config"].pop("model"),
        "missing_field",
        "weights.config.model",
    ),
    "W_x transposed": (
        entry((*layer(0), "W_x"), [[0.1] * 64]),
        "wrong_shape",
        "weights.weights.layers.0.W_x",
    ),
    "a layer too few": (
        lambda d: d["weights"]["layers"].pop(),
        "wrong_shape",
        "weights.weights.layers",
    ),
    "a row short": (
        lambda d: d["weights"]["layers"][2]["W_h"].pop(),
        "wrong_shape",
        "weights.weights.layers.2.W_h",
    ),
    "ragged rows": (
        lambda d: d["weights"]["layers"][1]["W_h"][5].pop(),
        "wrong_shape",
        "weights.weights.layers.1.W_h",
    ),
    "W_y missing": (lambda d: d["weights"].pop("W_y"), "missing_field", "weights.weights.W_y"),
    "an unknown weight": (
        entry((*layer(0), "W_z"), [0.0]),
        "unknown_field",
        "weights.weights.layers.0.W_z",
    ),
    # format and version
    "another format": (entry(("format",), "keras-h5"), "bad_format", "weights.format"),
    "no format": (lambda d: d.pop("format"), "missing_field", "weights.format"),
    "version 2": (entry(("version",), 2), "bad_version", "weights.version"),
    "version as text": (entry(("version",), "1"), "bad_type", "weights.version"),
    "an unknown field": (entry(("extra",), 1), "unknown_field", "weights.extra"),
    # the settings
    "an unknown setting": (
        entry(("config", "colour"), "red"),
        "unknown_field",
        "weights.config.colour",
    ),
    "learning rate 10": (
        entry(("config", "learning_rate"), 10),
        "out_of_range",
        "weights.config.learning_rate",
    ),
    # numbers
    "NaN": (
        entry((*layer(1), "W_h", 3, 2), math.nan),
        "bad_value",
        "weights.weights.layers.1.W_h",
    ),
    "inf": (entry((*layer(2), "b", 0), math.inf), "bad_value", "weights.weights.layers.2.b"),
    "1e39 (inf in float32)": (
        entry(("weights", "W_y", 0, 1), 1e39),
        "bad_value",
        "weights.weights.W_y",
    ),
    "null": (entry((*layer(0), "W_x", 2, 0), None), "bad_type", "weights.weights.layers.0.W_x"),
    "a string": (entry(("weights", "b_y", 0), "0.5"), "bad_type", "weights.weights.b_y"),
    "NaN loss": (entry(("training", "losses", 0), math.nan), "bad_value", "weights.training"),
    "more losses than epochs": (
        lambda d: d["training"]["losses"].append(0.1),
        "bad_value",
        "weights.training",
    ),
    "negative epoch": (entry(("training", "epoch"), -1), "out_of_range", "weights.training.epoch"),
    # size
    "100 000 rows of W_h": (
        entry((*layer(1), "W_h"), [[0.0] * 16] * 100_000),
        "too_large",
        "weights.weights",
    ),
    "four times the rows of every W_h": (
        lambda d: [lay.update(W_h=lay["W_h"] * 4) for lay in d["weights"]["layers"]],
        "too_large",
        "weights.weights",
    ),
    "an extra number in every row": (
        lambda d: [row.append(0.0) for lay in d["weights"]["layers"] for row in lay["W_h"]],
        "wrong_shape",
        "weights.weights.layers.0.W_h",
    ),
    "a long loss history": (
        entry(("training", "losses"), [0.1] * (MAX_LOSSES + 1)),
        "too_long",
        "weights.training.losses",
    ),
}


@pytest.mark.parametrize("bad", BAD, ids=list(BAD))
def test_a_file_that_does_not_fit_is_refused_and_changes_nothing(lab_client, trained, bad):
    change, code, field = BAD[bad]
    document = copy.deepcopy(trained)
    change(document)
    open_lab(lab_client)
    for _ in range(3):
        ok(lab_client, "step", {"lab": LAB})
    before = now(lab_client)

    refused = load(lab_client, document)
    assert refused["ok"] is False
    assert (refused["error"]["code"], refused["error"]["field"]) == (code, field)
    assert refused["error"]["message"]
    assert now(lab_client) == before
    assert pushed(lab_client) == []


@pytest.mark.parametrize(
    "payload, code, field",
    [
        ({"lab": LAB}, "missing_field", "weights"),
        ({"lab": LAB, "weights": [1, 2]}, "bad_type", "weights"),
        ({"lab": LAB, "weights": "{}"}, "bad_type", "weights"),
        ({"lab": "not-open", "weights": {}}, "no_lab", "lab"),
    ],
    ids=["no weights", "a list", "text", "lab not open"],
)
def test_an_import_without_a_file_is_refused(lab_client, payload, code, field):
    open_lab(lab_client)
    before = now(lab_client)
    refused = ask(lab_client, "import", payload)
    assert (refused["ok"], refused["error"]["code"], refused["error"]["field"]) == (
        False,
        code,
        field,
    )
    assert now(lab_client) == before


def test_the_messages_say_what_does_not_fit(lab_client, trained):
    open_lab(lab_client)
    document = copy.deepcopy(trained)
    document["config"]["hidden"] = 8
    assert load(lab_client, document)["error"]["message"] == (
        "These weights are for 3 layers of 8 LSTM units; this lab has 3 layers of 16 LSTM "
        "units. Weights load only into a lab of the same cell, layers and units."
    )
    document = copy.deepcopy(trained)
    document["weights"]["layers"][0]["W_x"] = [[0.1] * 64]
    assert load(lab_client, document)["error"]["message"] == (
        "In the file, layer 1's W_x is 1 × 64, not 64 × 1 as this model needs."
    )
