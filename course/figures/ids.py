"""Model ids made unique per embed, so one page can hold the same figure twice.

BokehJS finds models by id; figures built once and cached (the playground's, the
tasks') are sent with every id suffixed afresh.
"""

from __future__ import annotations

from typing import Any


def renamed(value: Any, suffix: str) -> Any:
    """A copy of a json_item with every model id (``"id"`` and ``"root_id"``) suffixed."""
    if isinstance(value, dict):
        return {
            k: v + suffix if k in ("id", "root_id") and isinstance(v, str) else renamed(v, suffix)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [renamed(v, suffix) for v in value]
    return value
