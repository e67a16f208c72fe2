"""Error pages: a 404, 400, 403, 429 or 500 a learner's browser asks for is a page of
the course (what went wrong, and links back to the lessons); a JSON endpoint's is
JSON, as ``web.http`` answers (``{"ok": false, "error": {...}}``), so scripts still
read a reason."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

from course.web.http import json_error
from course.web.validation import PayloadError

# The words a learner reads, by status; any other status gets werkzeug's own name.
PAGES: dict[int, tuple[str, str]] = {
    400: ("That request could not be read",
          "Something in the address or the form was not as the course expects."),
    403: ("Not open to you", "This page belongs to someone else, or needs you to sign in."),
    404: ("No such page",
          "There is no page at this address: it may have moved, or the link may be mistyped."),
    405: ("Not allowed here", "This address does not take that kind of request."),
    429: ("Too many requests",
          "You have asked for this too often in a short time. Wait a moment and try again."),
    500: ("Something went wrong on our side",
          "The server could not finish your request. Nothing you did caused it; try again soon."),
    503: ("Busy for a moment", "The server is busy. Try again in a moment."),
}  # fmt: skip
JSON_PREFIXES = ("/api/", "/export/", "/healthz")


def wants_json() -> bool:
    """Whether the request went to a JSON endpoint, or asked for JSON rather than HTML."""
    if request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_page(error: HTTPException) -> ResponseReturnValue:
    """``error`` as the course's error page, or as a JSON refusal to a JSON request."""
    status = error.code or 500
    title, words = PAGES.get(status, (error.name, error.description or ""))
    headers = {k: v for k, v in error.get_headers() if k.lower() == "retry-after"}
    if wants_json():
        code = error.name.lower().replace(" ", "_")
        return json_error(PayloadError(code, error.description or error.name), status), headers
    page = render_template("error.html", status=status, title=title, words=words)
    return page, status, headers


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)
    # An exception no view caught reaches here as a 500 (unless the app propagates it).
    app.register_error_handler(InternalServerError, error_page)
