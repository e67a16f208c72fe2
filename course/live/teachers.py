"""What a live session asks teach about its class (teach hands the answers over through
``live.who_teaches``): who teaches it (they may take its sessions over and read their
records) and its time zone (its records' times are shown in it)."""

from __future__ import annotations

from flask import current_app


def teaches(class_id: int | None, instructor: str | None) -> bool:
    """Whether ``instructor`` teaches class ``class_id`` (through ``who_teaches``)."""
    check = current_app.extensions.get("live_teaches")
    if check is None or class_id is None or not instructor:
        return False
    return bool(check(class_id, instructor))


def class_zone(class_id: int | None) -> str:
    """The IANA name of the zone a session's times are shown in: its class's; UTC for a
    session of no class, as every teaching page shows a time with no class's zone."""
    found = current_app.extensions.get("live_class_zone")
    zone = found(class_id) if found is not None and class_id is not None else None
    return zone or "UTC"
