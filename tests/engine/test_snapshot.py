"""Lab snapshots (engine.snapshot.to_bytes / from_bytes) and weights as JSON.

A snapshot must restore the identical lab and continue with the identical numbers;
damaged bytes must be a ValueError and nothing else (they arrive from links and the
database); bad weights must be a ValueError that leaves the lab as it was.
"""

from __future__ import annotations

import copy
import io
import json
import math
import zipfile
from collections.abc import Callable

import jax
import numpy as np
import pytest

from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.snapshot import (
    MAGIC,
    MAX_BYTES,
    Trained,
    WeightsError,
    from_bytes,
    load_weights,
    read_weights,
    to_bytes,
    weight_count,
    weights_to_json,
)


def config(cell: str, optimizer: str, **kw) -> LabConfig:
    model = ModelConfig(cell=cell, layers=2, hidden=4)
    train = TrainSpec(window=5, sequences=10, batch_size=5, optimizer=optimizer)
    return LabConfig(model=model, train=train, continuation=8, **kw)


CONFIGS = {
    "lstm-adam": config("lstm", "adam", seed=3, noise=0.1),  # Adam's state holds an int count
    "rnn-rmsprop": config("rnn", "rmsprop", seed=4, learning_rate=0.05),
    "gru-sgd": config("gru", "sgd", seed=5, start=1.0),  # SGD has an empty state
}


def through_update(lab: Lab) -> None:
    """Walk the update phase and step past it: one single-window update applied."""
    lab.jump("update")
    for _ in range(lab.config.model.layers + 1):
        lab.advance("compute")
    assert lab.position == 0


def busy(lab: Lab, epochs: int = 1) -> Lab:
    """A lab with history: trained, one stepped update, the cursor inside a backward cell."""
    lab.train(epochs)
    through_update(lab)
    lab.jump("backward", t=2)
    lab.advance("compute")
    return lab


def leaves(tree) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def state(lab: Lab) -> dict:
    """Everything a snapshot promises to keep, as comparable host values."""
    return {
        "config": lab.config,
        "epoch": lab.epoch,
        "updates": lab.updates,
        "losses": list(lab.losses),
        "status": lab.status,
        "position": lab.position,
        "params": leaves(lab.params),
        "params_tree": jax.tree_util.tree_structure(lab.params),
        "opt_state": leaves(lab.opt_state),
        "opt_tree": jax.tree_util.tree_structure(lab.opt_state),
        "key": np.asarray(jax.random.key_data(lab.key)),
        "key_impl": str(jax.random.key_impl(lab.key)),
        "trace": leaves(lab.trace),
        "sequence": lab.sequence(),
        "frame": lab.frame(),
    }


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        if isinstance(x, list) and x and isinstance(x[0], np.ndarray):
            assert len(x) == len(y), name
            for u, v in zip(x, y, strict=True):
                assert u.dtype == v.dtype and u.shape == v.shape, name
                assert np.array_equal(u, v, equal_nan=True), name
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        else:
            assert x == y, name


# -- restoring ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CONFIGS)
def test_restore_gives_the_identical_lab(name):
    lab = busy(Lab(CONFIGS[name]))
    restored = from_bytes(to_bytes(lab))
    assert_same(state(restored), state(lab))
    assert lab.frame()["phase"] == "backward" and lab.updates == 1 and lab.epoch == 1


def script(lab: Lab) -> list:
    """Continue a lab: two epochs, five compute steps, the update phase and past it."""
    frames = [lab.advance("epoch"), lab.advance("epoch")]
    frames += [lab.advance("compute") for _ in range(5)]
    frames.append(lab.jump("update"))
    frames += [lab.advance("compute") for _ in range(lab.config.model.layers + 1)]
    frames += [lab.advance("timestep"), lab.jump("backward"), lab.advance("timestep")]
    return frames


@pytest.mark.parametrize("name", CONFIGS)
def test_snapshot_restore_continue_equals_continue(name):
    lab = busy(Lab(CONFIGS[name]))
    clone = from_bytes(to_bytes(lab))
    assert script(clone) == script(lab)
    assert lab.updates == 2 and lab.epoch == 3
    assert_same(state(clone), state(lab))
    # and a snapshot of the continued clone restores to the continued original too
    assert_same(state(from_bytes(to_bytes(clone))), state(lab))


def test_the_same_lab_gives_the_same_bytes():
    """A shared link names a snapshot by the hash of its bytes: no member of the archive
    carries the time it was written, so the same lab is always the same bytes."""
    lab = busy(Lab(CONFIGS["lstm-adam"]))
    data = to_bytes(lab)
    archive = zipfile.ZipFile(io.BytesIO(data[data.index(b"PK\x03\x04") :]))
    assert {member.date_time for member in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert to_bytes(from_bytes(data)) == data


def test_default_lab_snapshot_is_compact_and_restores():
    """The default lab (LSTM, 3 layers, hidden 16, window 15, RMSprop): about 25 kB fresh and
    about 45 kB once the optimiser state is filled (measured on numpy 2.4's zip deflate)."""
    lab = Lab()
    lab.jump("forward", t=7)
    lab.advance("compute")
    fresh = to_bytes(lab)
    assert len(fresh) < 200_000
    assert_same(state(from_bytes(fresh)), state(lab))
    through_update(lab)  # v = 0.1 g²: random-looking numbers that compress less
    lab.jump("backward", t=4)
    data = to_bytes(lab)
    assert len(data) < 200_000
    assert_same(state(from_bytes(data)), state(lab))


# -- damaged bytes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot() -> bytes:
    lab = Lab(CONFIGS["rnn-rmsprop"])
    lab.jump("backward", t=1)
    return to_bytes(lab)


def split(data: bytes) -> tuple[dict, bytes, int]:
    size = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "big")
    start = len(MAGIC) + 4
    return json.loads(data[start : start + size]), data[start + size :], start + size


def join(header: dict | None, archive: bytes, raw: bytes | None = None) -> bytes:
    head = json.dumps(header).encode() if raw is None else raw
    return MAGIC + len(head).to_bytes(4, "big") + head + archive


def header_with(change: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    def damage(data: bytes) -> bytes:
        header, archive, _ = split(data)
        header = copy.deepcopy(header)
        change(header)
        return join(header, archive)

    return damage


def arrays_with(**changes) -> Callable[[bytes], bytes]:
    """Rewrite the .npz part: a name set to None is removed, otherwise replaced."""

    def damage(data: bytes) -> bytes:
        header, archive, _ = split(data)
        npz = np.load(io.BytesIO(archive))
        arrays = {name: npz[name] for name in npz.files}
        for name, value in changes.items():
            if value is None:
                arrays.pop(name)
            else:
                arrays[name] = value(arrays[name]) if callable(value) else value
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return join(header, buffer.getvalue())

    return damage


def model(**kw) -> Callable[[dict], object]:
    return lambda h: h["config"]["model"].update(kw)


def truncate_at(where: Callable[[bytes], int]) -> Callable[[bytes], bytes]:
    return lambda data: data[: where(data)]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    # truncated anywhere
    "empty": truncate_at(lambda d: 0),
    "inside magic": truncate_at(lambda d: 3),
    "magic only": truncate_at(lambda d: len(MAGIC)),
    "inside length": truncate_at(lambda d: len(MAGIC) + 2),
    "inside header": truncate_at(lambda d: len(MAGIC) + 4 + 40),
    "header only": truncate_at(lambda d: split(d)[2]),
    "inside zip": truncate_at(lambda d: split(d)[2] + 30),
    "half": truncate_at(lambda d: len(d) // 2),
    "last byte missing": truncate_at(lambda d: len(d) - 1),
    # not ours
    "wrong magic": lambda d: b"UNRL2" + d[len(MAGIC) :],
    "zip file": lambda d: d[split(d)[2] :],
    "too large": lambda d: d + bytes(MAX_BYTES),
    "length past the end": lambda d: (
        d[: len(MAGIC)] + (2**31).to_bytes(4, "big") + d[len(MAGIC) + 4 :]
    ),  # fmt: skip
    "header not json": lambda d: join(None, split(d)[1], b"\xff{not json"),
    "header a list": lambda d: join(None, split(d)[1], b"[1, 2]"),
    # tampered config, out of range
    "layers 9": header_with(model(layers=9)),
    "layers 0": header_with(model(layers=0)),
    "hidden 3": header_with(model(hidden=3)),
    "cell vanilla": header_with(model(cell="vanilla")),
    "window 1": header_with(lambda h: h["config"]["train"].update(window=1)),
    "learning rate 5": header_with(lambda h: h["config"].update(learning_rate=5.0)),
    "unknown config field": header_with(lambda h: h["config"].update(colour="red")),
    "config missing": header_with(lambda h: h.pop("config")),
    # tampered config, wrong type (passes the range checks, breaks the lab)
    "layers 2.5": header_with(model(layers=2.5)),
    "hidden 4.0": header_with(model(hidden=4.0)),
    "seed 1.5": header_with(lambda h: h["config"].update(seed=1.5)),
    # tampered cursor and counters
    "cursor at the end": lambda d: header_with(
        lambda h: h.update(position=from_bytes(d).total_positions)
    )(d),  # fmt: skip
    "cursor -1": header_with(lambda h: h.update(position=-1)),
    "cursor huge": header_with(lambda h: h.update(position=10**9)),
    "cursor null": header_with(lambda h: h.update(position=None)),
    "epoch null": header_with(lambda h: h.update(epoch=None)),
    "epoch missing": header_with(lambda h: h.pop("epoch")),
    "losses a number": header_with(lambda h: h.update(losses=5)),
    # tampered arrays
    "key missing": arrays_with(key=None),
    "key of 3 words": arrays_with(key=np.zeros(3, np.uint32)),
    "key of floats": arrays_with(key=np.zeros(2, np.float32)),
    "two keys": arrays_with(key=np.zeros((2, 2), np.uint32)),
    "weight missing": arrays_with(p0=None),
    "weight transposed": arrays_with(p0=lambda a: a.T.copy()),
    "optimiser state missing": arrays_with(o0=None),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_damaged_bytes_are_a_value_error_and_nothing_else(snapshot, damage):
    data = DAMAGE[damage](snapshot)
    assert data != snapshot
    with pytest.raises(ValueError):
        from_bytes(data)


def test_the_undamaged_snapshot_restores(snapshot):
    assert from_bytes(snapshot).frame()["phase"] == "backward"


def test_restored_frames_stay_finite_with_a_tampered_loss(snapshot):
    """NaN is valid in Python's json; a restored lab must still never put it in a frame."""
    data = header_with(lambda h: h.update(losses=[0.5, math.nan]))(snapshot)
    try:
        lab = from_bytes(data)
    except ValueError:
        return  # refusing the snapshot is fine too
    frame = lab.frame()
    bad = {k: v for k, v in frame.items() if isinstance(v, float) and not math.isfinite(v)}
    assert not bad, f"non-finite numbers in a restored frame: {bad}"
    json.dumps(frame, allow_nan=False)


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
