"""The HTTP and socket edge, shared by every area: the learner's identity cookie,
CSRF checks, rate limits, security headers, payload validation (``validation``,
``http``), the socket plumbing (``sockets``), what may go on the wire (``wire``),
and BokehJS and the npm libraries served from this server (``assets``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from course.web import assets, csrf, errors, identity, ratelimit, security

    identity.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app)  # before the areas that add their own limits
    security.init_app(app)
    app.register_blueprint(assets.bp)
    errors.init_app(app)  # error pages lead back to the course; JSON endpoints keep JSON
