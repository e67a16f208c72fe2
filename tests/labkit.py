"""What the /lab socket tests share: the lesson's lab, a small GRU, and the browser's
way of talking to the socket (emit with an ack; every reply must be valid JSON)."""

from __future__ import annotations

import json
from typing import Any

LESSON, LAB = "lstm-cell", "cell-walk"
LSTM_STEPS = ["x", "f", "i", "o", "g", "c", "h"]
GRU = {"layers": 1, "hidden": 4, "model": "gru"}
GRU_STEPS = ["x", "r", "z", "n", "h"]


def ask(client, event: str, payload: Any = None) -> dict[str, Any]:
    """Emit with an ack, as the browser does; the reply must be valid JSON for a browser."""
    ack = client.emit(event, payload, namespace="/lab", callback=True)
    json.dumps(ack, allow_nan=False)
    return ack


def ok(client, event: str, payload: Any = None) -> dict[str, Any]:
    ack = ask(client, event, payload)
    assert ack["ok"] is True, ack
    return ack


def open_lab(client, **extra: Any) -> dict[str, Any]:
    return ok(client, "open", {"lesson": LESSON, "lab": LAB} | extra)


def step(client, granularity: str = "compute", lab: str = LAB) -> dict[str, Any]:
    return ok(client, "step", {"lab": lab, "granularity": granularity})


def pushed(client) -> list[dict[str, Any]]:
    events = client.get_received("/lab")
    for event in events:
        json.dumps(event["args"], allow_nan=False)
    return events
