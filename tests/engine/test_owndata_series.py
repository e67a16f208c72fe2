"""A learner's own series in the engine (engine.series): training windows are cut from
it, the displayed window and targets are its points, scaling is the stated map, and a
snapshot keeps it exactly."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from engine import Lab, LabConfig, ModelConfig, TrainSpec
from engine.series import MAX_POINTS, OWN, Series, sample_series_windows
from engine.snapshot import from_bytes, to_bytes
from engine.train import epoch_key

VALUES = tuple(float(v) for v in np.round(np.cumsum(np.sin(np.arange(80) * 0.7)), 4))


def lab_on(series: Series, window: int = 15) -> Lab:
    model = ModelConfig(cell="gru", layers=1, hidden=4)
    return Lab(LabConfig(model=model, train=TrainSpec(dataset=OWN, window=window), series=series))


def test_scaling_is_min_max_into_minus_one_one():
    series = Series(VALUES)
    low, high = min(VALUES), max(VALUES)
    expected = 2 * (np.asarray(VALUES) - low) / (high - low) - 1
    np.testing.assert_allclose(series.read(), expected, atol=1e-6)
    assert series.read().min() == -1.0 and series.read().max() == 1.0
    raw = Series(tuple(v / 100 for v in VALUES), scaled=False)
    np.testing.assert_allclose(raw.read(), np.asarray(VALUES) / 100, rtol=1e-6)


@pytest.mark.parametrize("window", [15, 16, 40])
def test_every_training_window_is_a_stretch_of_the_series(window):
    series = Series(VALUES)
    read = series.read()
    steps = 16 if window <= 16 else 64  # the window's bucket: padded steps are masked
    xs, ys = sample_series_windows(
        jax.device_put(series.padded()), np.int32(len(series)), np.int32(window),
        200, steps, np.float32(0.0), jax.random.key(3),
    )  # fmt: skip
    xs, ys = np.asarray(xs)[..., 0], np.asarray(ys)[..., 0]
    starts = set()
    for inputs, targets in zip(xs, ys, strict=True):
        # The first real input fixes where the window starts; the rest follow in order.
        (start,) = [s for s in range(len(read) - window) if read[s] == inputs[0]][:1]
        starts.add(start)
        np.testing.assert_array_equal(inputs[:window], read[start : start + window])
        np.testing.assert_array_equal(targets[:window], read[start + 1 : start + window + 1])
    assert max(starts) <= len(read) - window - 1  # every real target inside the series
    assert len(starts) > min(20, len(read) - window - 1) // 2  # spread over the series


def test_noise_moves_the_inputs_only():
    series = Series(VALUES)
    args = (jax.device_put(series.padded()), np.int32(len(series)), np.int32(15), 50, 16)
    clean = sample_series_windows(*args, np.float32(0.0), jax.random.key(1))
    noisy = sample_series_windows(*args, np.float32(0.3), jax.random.key(1))
    np.testing.assert_array_equal(clean[1], noisy[1])
    gap = np.abs(np.asarray(noisy[0]) - np.asarray(clean[0]))[:, :15]
    assert 0 < gap.max() <= 0.3 + 1e-6


def test_the_shown_window_and_targets_are_the_series_points():
    series = Series(VALUES[:40], name="mine.csv")
    lab = lab_on(series)
    read = series.read()
    np.testing.assert_array_equal(lab.trace.xs[:, 0], read[:15])
    targets = lab.targets()
    np.testing.assert_array_equal(targets[:39], read[1:40])
    assert np.isnan(targets[39:]).all()  # past the series' end: no target
    seq = lab.sequence()
    assert seq["x_input"][:3] == [1.0, 2.0, 3.0] and seq["window"] == [1.0, 15.0]
    assert seq["target"][39] is None


def test_training_on_a_series_is_its_own_program_and_lowers_the_loss():
    lab = lab_on(Series(VALUES))
    function_lab = Lab(LabConfig(model=lab.config.model, train=TrainSpec(window=15)))
    assert epoch_key(lab.config.model, lab.config.train) != epoch_key(
        function_lab.config.model, function_lab.config.train
    )
    losses = lab.train(8)
    assert len(losses) == 8 and losses[-1] < losses[0]


def test_a_snapshot_keeps_the_series_exactly():
    series = Series(VALUES, positions=tuple(float(1900 + k) for k in range(80)), axis="year")
    lab = lab_on(series)
    lab.train(2)
    back = from_bytes(to_bytes(lab))
    assert back.config == lab.config and back.config.series == series
    assert to_bytes(back) == to_bytes(lab)
    assert back.sequence() == lab.sequence()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"values": (1.0,)}, "2 to"),
        ({"values": (1.0,) * (MAX_POINTS + 1)}, "2 to"),
        ({"values": (1.0, float("nan"))}, "finite"),
        ({"values": (1.0, True)}, "not a number"),
        ({"values": (2.0, 2.0)}, "constant"),
        ({"values": (0.0, 5.0), "scaled": False}, "unscaled"),
        ({"values": (0.0, 1.0), "positions": (2.0, 1.0)}, "increase"),
    ],
)
def test_a_bad_series_is_a_value_error(kwargs, words):
    with pytest.raises(ValueError, match=words):
        Series(**kwargs)


def test_the_config_checks_the_series_against_the_window():
    with pytest.raises(ValueError, match="too short"):
        lab_on(Series(VALUES[:15]))
    with pytest.raises(ValueError, match="load one first"):
        LabConfig(train=TrainSpec(dataset=OWN))
