"""The HTTP edge answers like the socket edge: a JSON body is checked against a
``Field`` schema (``course.web.validation``), and every refusal is
``{"ok": false, "error": {code, message, field}}`` with the status that fits,
sent before anything changes.

A blueprint registers ``json_error`` for ``PayloadError``, so a view may simply
let one through (from ``json_body`` or deeper) to answer 400; a refusal with
another status is returned with ``json_error(error, status)``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from course.web.validation import Field, PayloadError, validate


def json_error(error: PayloadError, status: int = 400, **beside: Any) -> Response:
    """``error`` as a JSON refusal; ``beside`` goes next to it (e.g. the learner's state)."""
    reply = jsonify(error.as_ack() | beside)
    reply.status_code = status
    return reply


def json_body(schema: dict[str, Field]) -> dict[str, Any]:
    """The request's JSON body checked against ``schema`` (a ``PayloadError`` if it
    does not fit; no body at all counts as ``{}``)."""
    return validate(request.get_json(silent=True), schema)
