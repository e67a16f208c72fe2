"""What the /lab socket tests share: the lesson's lab, a small GRU, and the two moves
most tests make (talking to the socket is tests/socketkit.py's)."""

from __future__ import annotations

from typing import Any

from socketkit import Socket, ok

LESSON, LAB = "lstm-cell", "cell-walk"
LSTM_STEPS = ["x", "f", "i", "o", "g", "c", "h"]
GRU = {"layers": 1, "hidden": 4, "model": "gru"}
GRU_STEPS = ["x", "r", "z", "n", "h"]


def open_lab(sock: Socket, **extra: Any) -> dict[str, Any]:
    return ok(sock, "open", {"lesson": LESSON, "lab": LAB} | extra)


def step(sock: Socket, granularity: str = "compute", lab: str = LAB) -> dict[str, Any]:
    return ok(sock, "step", {"lab": lab, "granularity": granularity})


def as_drawn(sources: dict[str, Any]) -> dict[str, Any]:
    """Sources as the page draws them: a source naming a layout (``_layout``) takes its
    places from the "name@key" layout sent with it or before, over any stale ones
    (static/js/views.js); the layouts themselves are not drawn."""
    layouts = {name: columns for name, columns in sources.items() if "@" in name}
    drawn = {}
    for name, columns in sources.items():
        if "@" in name:
            continue
        keys = columns.get("_layout", [])
        own = {k: v for k, v in columns.items() if k != "_layout"}
        drawn[name] = own | {k: v for key in keys for k, v in layouts[f"{name}@{key}"].items()}
    return drawn
