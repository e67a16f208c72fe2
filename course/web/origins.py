"""Which pages may open our sockets: the Socket.IO origin check.

Browsers send the page's ``Origin`` with every websocket and polling request. By
default only the server's own origin may connect (python-engineio compares it with
the request's scheme and ``Host``, or the ``X-Forwarded-*`` a proxy sets); behind a
proxy that rewrites those, ``SOCKET_ORIGINS`` lists the origins to accept (a list, or
a comma-separated string in the environment). Note that python-engineio reads an
empty list as "no check at all", so an empty setting means the default here.

Whatever is configured (even ``*``), an instructor's connection from a foreign
origin is refused in the connect handler: a page elsewhere must never drive a live
session with the instructor's cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, session


def configured(app: Flask) -> list[str] | str | None:
    """``cors_allowed_origins`` for python-engineio: None (same origin) unless listed."""
    value: Any = app.config.get("SOCKET_ORIGINS")
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not value:
        return None
    listed = [str(origin).strip().rstrip("/") for origin in value if str(origin).strip()]
    return "*" if "*" in listed else (listed or None)


def own_origins() -> set[str]:
    """This request's own origin, as the browser would write it (and as a proxy that
    sets ``X-Forwarded-Proto``/``-Host`` reports it)."""
    environ = request.environ
    scheme = str(environ.get("wsgi.url_scheme") or "http")
    host = str(environ.get("HTTP_HOST") or "")
    origins = {f"{scheme}://{host}"}
    if int(current_app.config.get("PROXIES", 0) or 0):
        forwarded_scheme = str(environ.get("HTTP_X_FORWARDED_PROTO") or scheme)
        forwarded_host = str(environ.get("HTTP_X_FORWARDED_HOST") or host)
        forwarded_scheme = forwarded_scheme.split(",")[0].strip()
        forwarded_host = forwarded_host.split(",")[0].strip()
        origins.add(f"{forwarded_scheme}://{forwarded_host}")
    return origins


def foreign_instructor() -> bool:
    """True when an instructor's cookie arrives from a page of another origin (or an
    opaque ``null`` one); a request without ``Origin`` is no browser page's."""
    if not session.get("instructor_id"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    listed = configured(current_app)
    allowed = own_origins() | (set(listed) if isinstance(listed, list) else set())
    return origin.rstrip("/") not in allowed


def refuse_unwelcome() -> None:
    """Refuse this connection (``ConnectionRefusedError``) if its ``Host`` is not one
    the server answers to (``web.security``: sockets do not pass Flask's request
    hooks), or if ``foreign_instructor``."""
    from course.web.security import allowed_hosts, host_name

    hosts = allowed_hosts(current_app)
    if hosts is not None and host_name(request.host) not in hosts:
        raise ConnectionRefusedError(
            {"code": "unknown_host", "message": "this server does not answer to that name",
             "field": None}
        )  # fmt: skip
    if foreign_instructor():
        raise ConnectionRefusedError(
            {
                "code": "foreign_origin",
                "message": "instructor sessions connect only from this site's own pages",
                "field": None,
            }
        )
