"""Cross-site request forgery protection for every state-changing request.

Each session gets a random token. Pages put it in ``<meta name="csrf-token"
content="{{ csrf_token() }}">`` (or a form field ``csrf_token``); scripts send it
back in the ``X-CSRF-Token`` header. A POST, PUT, PATCH or DELETE without the
right token, or from another origin, is refused with a 400 JSON error before the
view runs, so nothing changes. ``@exempt`` opts a view out (none does today).
Socket.IO traffic never reaches these hooks: its origin check is
``cors_allowed_origins``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, jsonify, request, session

SESSION_KEY = "csrf"
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

View = TypeVar("View", bound=Callable[..., Any])


def csrf_token() -> str:
    """This session's token, created on first use."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def exempt(view: View) -> View:
    """Let ``view`` accept unsafe methods without a token (e.g. a signed webhook)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def _same_origin(origin: str) -> bool:
    """Whether an ``Origin`` header names this server (host and port; the scheme is
    left out so a TLS-terminating proxy does not break it) or a trusted origin."""
    if origin in current_app.config.get("CSRF_TRUSTED_ORIGINS", ()):
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def problem() -> str | None:
    """Why this request must be refused, or None when it may go on."""
    if request.method not in UNSAFE_METHODS or request.endpoint is None:
        return None  # safe, or no such route (404/405 follow)
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "csrf_exempt", False):
        return None
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin):
        return "cross-origin request refused"
    sent = request.headers.get(HEADER) or request.form.get(FIELD) or ""
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not expected:
        return "no CSRF token in this session; reload the page"
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return "missing or wrong CSRF token; reload the page"
    return None


def init_app(app: Flask) -> None:
    """Check every unsafe request; expose ``csrf_token()`` to templates."""
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def check_csrf() -> Response | tuple[Response, int] | None:
        message = problem()
        if message is None:
            return None
        body = {"ok": False, "error": {"code": "csrf", "message": message, "field": None}}
        return jsonify(body), 400
