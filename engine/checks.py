"""Checks for configuration fields: each failure is a ``ValueError`` naming the field.

The constructors of ``ModelConfig``, ``TrainSpec`` and ``LabConfig`` call these before
comparing anything, so a string, a bool posing as an int or a NaN is reported as a bad
value of that field rather than surfacing later as a ``TypeError`` inside a jitted run.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import numpy as np


def exact_int(name: str, value: Any, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` in [low, high]; floats and bools are rejected."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be between {low} and {high}, not {value}")
    return value


def finite_float(
    name: str, value: Any, low: float | None = None, high: float | None = None
) -> float:
    """``value`` as a finite ``float`` in [low, high]; strings, bools and None are rejected."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, not {value}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be between {low:g} and {high:g}, not {value:g}")
    return value


def choice(name: str, value: Any, choices: Collection[str]) -> str:
    """``value`` if it is one of the string ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, not {value!r}")
    return value


def instance(name: str, value: Any, kind: type) -> None:
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be a {kind.__name__}, not {value!r}")


def normalise(obj: Any, name: str, value: Any) -> None:
    """Store a checked value on a frozen dataclass (e.g. ``np.int64(3)`` becomes ``3``)."""
    object.__setattr__(obj, name, value)
