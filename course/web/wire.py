"""What goes on the wire: plain JSON types and finite numbers only."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def clean(value: Any) -> Any:
    """A copy of ``value`` with numpy types made plain and non-finite floats as None.

    Python's json writes bare NaN, which browsers reject (the socket.io client
    then disconnects), so nothing non-finite may pass.
    """
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def rounded(value: Any, digits: int = 5) -> Any:
    """``value`` (already clean) with every float rounded to ``digits`` significant
    digits: what a view can show, in a third of the bytes. For payloads sent to many
    clients at once."""
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    return value
