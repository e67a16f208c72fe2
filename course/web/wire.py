"""What goes on the wire: plain JSON types and finite numbers only."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from socketio import packet


def clean(value: Any) -> Any:
    """A copy of ``value`` with numpy types made plain and non-finite floats as None.

    Python's json writes bare NaN, which browsers reject (the socket.io client
    then disconnects), so nothing non-finite may pass.

    A frame holds a couple of thousand numbers, and a room of learners playing sends
    hundreds of frames a second: the plain types are found by exact type first (an
    ``isinstance`` against a union is several times slower), and a finite float in a
    list is kept without a call (``v - v`` is 0 only for a finite v).
    """
    kind = type(value)
    if kind is float:
        return value if value - value == 0.0 else None
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        return [v if type(v) is float and v - v == 0.0 else clean(v) for v in value]
    if kind is dict:
        return {k if type(k) is str else str(k): clean(v) for k, v in value.items()}
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


class PlainPacket(packet.Packet):
    """A Socket.IO packet that never looks for binary attachments in what it sends:
    everything we send is made plain JSON by ``clean`` first (a ``bytes`` would fail
    to encode, loudly). python-socketio otherwise walks every number of every frame
    once more to find none, which cost as much as ``clean`` itself."""

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        return False
