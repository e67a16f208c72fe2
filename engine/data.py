"""Generated function data (no downloads): windows of a periodic function.

exploRNN's setting: a window of 15 input points builds up the state; the model
predicts the next point at every step, and after the window it continues about
32 points by feeding its own predictions back in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

Array = jax.Array


# Each function takes its array module ``xp``: jax.numpy inside jitted training,
# NumPy for the displayed window (no device round trip, no tiny compiled programs).
def _sine(x: Any, xp: Any = jnp) -> Any:
    return xp.sin(x)


def _sawtooth(x: Any, xp: Any = jnp) -> Any:
    return -1.0 + 2.0 * (xp.mod(x, np.pi) / np.pi)


def _square(x: Any, xp: Any = jnp) -> Any:
    return xp.sign(xp.sin(np.pi * x / 2.0))


def _composite(x: Any, xp: Any = jnp) -> Any:
    return (xp.sin(1.5 * x) + xp.sin(4.5 * x)) * 2.0 / 3.0


@dataclass(frozen=True)
class FunctionData:
    """A periodic function sampled every ``dx``."""

    name: str
    fn: Callable[..., Any]
    period: float
    dx: float


FUNCTIONS: dict[str, FunctionData] = {
    "sine": FunctionData("sine", _sine, 2 * np.pi, 0.2),
    "sawtooth": FunctionData("sawtooth", _sawtooth, np.pi, 0.1),
    "square": FunctionData("square", _square, 4.0, 0.125),
    "composite": FunctionData("composite", _composite, 4 * np.pi / 3, 0.1),
}


def positions(data: FunctionData, start: float, n: int) -> np.ndarray:
    """``n`` sample positions x_0 … x_{n-1} from ``start`` (float32, as trained on)."""
    return (np.float32(start) + np.float32(data.dx) * np.arange(n, dtype=np.float32)).astype(
        np.float32
    )


NOISE_COLUMNS = 64  # noise is drawn for this many steps whatever the window, so a
# window padded to its bucket (engine.programs) reads the same noise as the window itself


def sample_windows(
    data: FunctionData, n: int, window: int, noise: Array, *, key: Array
) -> tuple[Array, Array]:
    """``n`` random windows: inputs (n, T, 1) with uniform noise in [−noise, noise], and
    clean next-point targets (n, T, 1), where target_t = f(x_{t+1})."""
    return _sample(data.fn, data.period, data.dx, n, window, noise, key)


def sample_any_windows(
    index: Array, n: int, window: int, noise: Array, *, key: Array
) -> tuple[Array, Array]:
    """``sample_windows`` of the ``index``-th function of FUNCTIONS, chosen at run time:
    one compiled program serves every function."""
    table = list(FUNCTIONS.values())
    period = jnp.asarray([d.period for d in table], jnp.float32)[index]
    dx = jnp.asarray([d.dx for d in table], jnp.float32)[index]
    branches = [d.fn for d in table]

    def fn(x: Array) -> Array:
        return jax.lax.switch(index, branches, x)

    return _sample(fn, period, dx, n, window, noise, key)


def _sample(
    fn: Callable[..., Any], period: Any, dx: Any, n: int, window: int, noise: Array, key: Array
) -> tuple[Array, Array]:
    if window > NOISE_COLUMNS:
        raise ValueError(f"window must be at most {NOISE_COLUMNS}")
    k_start, k_noise = jax.random.split(key)
    starts = jax.random.uniform(k_start, (n, 1), maxval=period)
    xs = starts + dx * jnp.arange(window + 1, dtype=jnp.float32)  # (n, T+1)
    values = fn(xs)
    draws = jax.random.uniform(k_noise, (n, NOISE_COLUMNS), minval=-1, maxval=1)[:, :window]
    inputs = values[:, :-1] + noise * draws
    return inputs[..., None], values[:, 1:, None]
