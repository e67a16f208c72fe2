"""Teaching: an instructor's classes, roster, assignments, gradebook and live-session
records, and the student side (joining a class, seeing what is due).

Every instructor route checks the login and that the class is the instructor's own
(404 otherwise, the same as a class that does not exist). ``init_app`` registers the
blueprints and has the live sessions tell ``live.ended`` when a presenter ends one,
ask ``attendance.member_name`` who is in a class, tell ``attendance.record`` who
came, and ask ``live.teaches`` who teaches a class (and ``live.class_zone`` its zone).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from course.live import when_attended, when_ended, who_is_member, who_signed_in, who_teaches
from course.web import ratelimit


def utc(moment: datetime | None) -> str:
    """A time as shown on teaching pages and in exports: ``2026-12-01 17:00 UTC``."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def init_app(app: Flask) -> None:
    from course import zones
    from course.teach import (
        accounts,
        assignments,
        attendance,
        classes,
        gradebook,
        live,
        students,
    )

    accounts.init_app(app)  # instructors: /login, /logout
    # after ratelimit.init_app
    ratelimit.add(app, "join", app.config.setdefault("JOIN_RATE_LIMIT", "60/60"))
    app.add_template_filter(utc, "utc")
    app.add_template_filter(zones.shown, "in_zone")  # {{ when | in_zone(class.time_zone) }}
    app.add_template_filter(zones.iso, "iso")
    app.add_template_global(zones.names, "time_zones")
    for blueprint in (classes.bp, assignments.bp, gradebook.bp, live.bp, students.bp):
        app.register_blueprint(blueprint)
    when_ended(app, live.ended)
    who_signed_in(app, accounts.signed_in_id)
    who_is_member(app, attendance.member_name, attendance.class_name)
    when_attended(app, attendance.record)
    who_teaches(app, live.teaches, live.class_zone)
