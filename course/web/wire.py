"""What goes on the wire: plain JSON types and finite numbers only.

Socket.IO packets are written by orjson (``text``): it writes numpy arrays and
scalars as they are and every non-finite float as ``null``, so a frame of a few
thousand numbers is encoded without first being copied into Python lists. Python's
json writes bare NaN, which browsers reject (the socket.io client then disconnects).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
from socketio import packet

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """``value`` as JSON: numpy as plain numbers, every non-finite float as null."""
    return orjson.dumps(value, default=_plain, option=_OPTIONS)


def encoded(value: Any) -> orjson.Fragment:
    """``value`` encoded now, sent verbatim inside whatever packet carries it: a
    snapshot of state taken while its lock is held, not when the packet is written."""
    return orjson.Fragment(dumps(value))


def _plain(value: Any) -> Any:
    """What orjson does not write itself: numpy arrays that are not C-contiguous or of
    another dtype (float16, object), and numpy scalars it does not know."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot go on the wire")


def text(value: Any, **_: Any) -> str:
    """``dumps`` as a ``str``, for python-socketio's packets (``web.http.SocketJSON``);
    its ``separators`` and other json-module options are orjson's already."""
    return dumps(value).decode()


def clean(value: Any) -> Any:
    """A copy of ``value`` with numpy types made plain and non-finite floats as None:
    for what is stored or reworked in Python (a live session's state), not for
    what only goes on the wire (``dumps`` does that without a copy).

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
    """A Socket.IO packet written by orjson that never looks for binary attachments in
    what it sends (a ``bytes`` would fail to encode, loudly): python-socketio
    otherwise walks every number of every frame to find none."""

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        return False
