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

import numpy as np
import pytest
from labstates import CONFIGS, assert_same, busy, state, through_update

from engine import Lab
from engine.snapshot import (
    MAGIC,
    MAX_BYTES,
    from_bytes,
    to_bytes,
)

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
