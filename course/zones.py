"""Time zones: a class keeps its teacher's zone (an IANA name, chosen when the class is
created, the browser's by default); teaching pages show times and read due dates in
it, and so do the records of its live sessions. Students' pages carry the UTC
instant too, and ``teach.js`` shows it in the student's own zone.

Times are stored in UTC; a zone is only ever used to show or read a time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT = "UTC"
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


@cache
def names() -> tuple[str, ...]:
    """Every zone a class may have, sorted (``UTC`` first)."""
    found = {name for name in available_timezones() if "/" in name and not name.startswith("Etc/")}
    return (DEFAULT, *sorted(found))


def valid(name: str) -> str | None:
    """``name`` if it is a zone we offer, else None (no path tricks, no odd spellings)."""
    return name if name in names() else None


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC for a name we do not know (an old row, a typo)."""
    try:
        return ZoneInfo(valid(name or "") or DEFAULT)
    except ZoneInfoNotFoundError:  # the system's tz database lacks it
        return ZoneInfo(DEFAULT)


def shown(moment: datetime | None, name: str | None = DEFAULT) -> str:
    """A time as teaching pages and exports show it: ``2026-12-01 18:00 CET``
    (the zone's abbreviation at that instant; ``UTC`` for UTC)."""
    if moment is None:
        return ""
    local = moment.astimezone(zone(name))
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")


def iso(moment: datetime) -> str:
    """The instant for a ``<time datetime>`` attribute: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str, name: str | None = DEFAULT) -> datetime:
    """A date and time from a form, in zone ``name`` unless it carries its own offset;
    returned in UTC. ValueError if it is not one, or lies outside 2000–2200 (or
    its offset takes it past the calendar's ends). A wall time that a clock change
    skips or repeats is read with the offset in force before the change."""
    moment = datetime.fromisoformat(text.strip())
    try:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone(name))
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError("out of range")
    return moment


def form_value(moment: datetime, name: str | None = DEFAULT) -> str:
    """The value a ``datetime-local`` input shows for ``moment`` in zone ``name``."""
    return moment.astimezone(zone(name)).strftime("%Y-%m-%dT%H:%M")
