"""A learner's own series: numbers read in order, as the built-in functions are.

The network reads the values one per time step, in the order given; positions (an
optional first column: a time, a year) only label the plot's axis. Training cuts
random windows from the series as it samples windows of a function: a window of T
inputs starts at a random point s ∈ {0, …, N − T − 1} and reads

    x_t = v_{s+t},  target y_t = v_{s+t+1}   (t = 0 … T − 1),

so N ≥ T + 1 points make at least one window. The displayed window is the first T
points; its continuation is compared with the points after it, as far as there are any.

Scaling (``scaled``, on unless the learner turns it off), min–max into [−1, 1]:

    v′ = 2 (v − min) / (max − min) − 1

so the smallest value reads −1 and the largest +1, the range the built-in functions
span. Unscaled values are read as given and must lie within ±UNSCALED_LIMIT, the range
every view of a lab draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from engine.data import NOISE_COLUMNS

Array = jax.Array

OWN = "own"  # the dataset name of a lab that reads a learner's series
MAX_POINTS = 5000  # the longest series; every series is padded to this on the device
VALUE_LIMIT = 1e9  # |value| and |position| at most this (scaling stays exact enough)
UNSCALED_LIMIT = 1.6  # unscaled values must lie within ±this: the views' range
MAX_NAME = 80  # characters of a name (file, column)


@dataclass(frozen=True)
class Series:
    """A learner's series: ``values`` as given (the network reads ``read()``), optional
    ``positions`` for the plot's axis, and names for the page."""

    values: tuple[float, ...]
    scaled: bool = True
    positions: tuple[float, ...] | None = None
    name: str = ""  # where it came from: a file's name, or "" (pasted)
    column: str = ""  # the values' column name (a header), if any
    axis: str = ""  # the positions' column name, if any

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _numbers("values", self.values))
        n = len(self.values)
        if not 2 <= n <= MAX_POINTS:
            raise ValueError(f"a series must have 2 to {MAX_POINTS} points, not {n}")
        if not isinstance(self.scaled, bool):
            raise ValueError("scaled must be true or false")
        if self.positions is not None:
            positions = _numbers("positions", self.positions)
            if len(positions) != n:
                raise ValueError("positions must be as many as the values")
            if any(b <= a for a, b in zip(positions, positions[1:], strict=False)):
                raise ValueError("positions must increase from one point to the next")
            object.__setattr__(self, "positions", positions)
        for name in ("name", "column", "axis"):
            text = getattr(self, name)
            if not isinstance(text, str) or len(text) > MAX_NAME:
                raise ValueError(f"{name} must be text of at most {MAX_NAME} characters")
        if self.scaled and self.low == self.high:
            raise ValueError("a constant series cannot be scaled into [−1, 1]")
        if not self.scaled and max(abs(self.low), abs(self.high)) > UNSCALED_LIMIT:
            raise ValueError(f"unscaled values must lie within ±{UNSCALED_LIMIT}")

    def __len__(self) -> int:
        return len(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def read(self) -> np.ndarray:
        """The values as the network reads them (float32, scaled if ``scaled``)."""
        v = np.asarray(self.values, np.float64)
        if self.scaled:
            v = 2.0 * (v - self.low) / (self.high - self.low) - 1.0
        return v.astype(np.float32)

    def padded(self) -> np.ndarray:
        """``read()`` padded with zeros to MAX_POINTS: one shape for every series."""
        out = np.zeros(MAX_POINTS, np.float32)
        out[: len(self)] = self.read()
        return out

    def axis_positions(self, n: int) -> np.ndarray:
        """``n`` positions for the plot: the given ones (else the point numbers 1, 2, …),
        continued past the last point with the mean spacing."""
        given = np.arange(1, len(self) + 1, dtype=np.float64)
        if self.positions is not None:
            given = np.asarray(self.positions, np.float64)
        step = (given[-1] - given[0]) / (len(given) - 1)
        beyond = given[-1] + step * np.arange(1, max(0, n - len(given)) + 1)
        return np.concatenate([given, beyond])[:n]


def _numbers(name: str, given: Any) -> tuple[float, ...]:
    if not isinstance(given, list | tuple):
        raise ValueError(f"{name} must be a list of numbers")
    out = []
    for k, v in enumerate(given):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{name}[{k}] is not a number")
        v = float(v)
        if not math.isfinite(v) or abs(v) > VALUE_LIMIT:
            raise ValueError(f"{name}[{k}] must be a finite number within ±{VALUE_LIMIT:g}")
        out.append(v)
    return tuple(out)


def sample_series_windows(
    values: Array, length: Array, window: Array, n: int, steps: int, noise: Array, key: Array
) -> tuple[Array, Array]:
    """``n`` random windows of the series ``values[:length]`` (padded to MAX_POINTS):
    inputs (n, steps, 1) with uniform noise in [−noise, noise] and clean next-point
    targets (n, steps, 1). ``window`` (T) is the real window, ``steps`` its bucket: a
    start s is drawn in {0, …, length − T − 1}, so every target a real step reads,
    v_{s+t+1} with t < T, is in the series (the padded steps are masked)."""
    k_start, k_noise = jax.random.split(key)
    starts = jax.random.randint(k_start, (n, 1), 0, length - window)
    seq = values[jnp.minimum(starts + jnp.arange(steps + 1), MAX_POINTS - 1)]  # (n, T+1)
    draws = jax.random.uniform(k_noise, (n, NOISE_COLUMNS), minval=-1, maxval=1)[:, :steps]
    inputs = seq[:, :-1] + noise * draws
    return inputs[..., None], seq[:, 1:, None]
