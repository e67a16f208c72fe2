"""The HTTP edge answers like the socket edge: a JSON body is checked against a
``Field`` schema (``course.web.validation``), and every refusal is
``{"ok": false, "error": {code, message, field}}`` with the status that fits,
sent before anything changes.

A blueprint registers ``json_error`` for ``PayloadError``, so a view may simply
let one through (from ``json_body`` or deeper) to answer 400; a refusal with
another status is returned with ``json_error(error, status)``.

Parsing is bounded (``loads``): nesting at most ``MAX_DEPTH`` deep, integers of at most
``MAX_DIGITS`` digits, no ``NaN``/``Infinity``; the body itself is bounded by the app's
``MAX_CONTENT_LENGTH`` (413 past it). The same ``loads`` reads Socket.IO packets.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request
from flask.json.provider import DefaultJSONProvider

from course.web import wire
from course.web.validation import Field, PayloadError, validate


def json_error(error: PayloadError, status: int = 400, **beside: Any) -> Response:
    """``error`` as a JSON refusal; ``beside`` goes next to it (e.g. the learner's state)."""
    reply = jsonify(error.as_ack() | beside)
    reply.status_code = status
    return reply


MAX_DEPTH = 32  # our payloads nest 4 deep; a weights file a little more
MAX_DIGITS = 1000  # Python itself refuses more than 4,300; fewer parse in microseconds


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number of more than {MAX_DIGITS} digits")
    return int(text)


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(text: str | bytes, *, constants: bool = False, **kwargs: Any) -> Any:
    """``json.loads`` within our bounds; ValueError (never RecursionError) past them.
    ``constants``: read ``NaN`` and ``Infinity`` (the socket edge refuses them field by
    field, naming the field)."""
    if not constants:
        kwargs["parse_constant"] = _constant
    try:
        value = json.loads(text, parse_int=_integer, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"JSON nested more than {MAX_DEPTH} deep")
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            pending.extend(
                (child, depth + 1) for child in children if isinstance(child, dict | list)
            )
    return value


class BoundedJSON(DefaultJSONProvider):
    """Flask's JSON, reading request bodies with ``loads``."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


class SocketJSON:
    """The ``json`` python-socketio encodes and decodes packets with: written by
    orjson (``wire.text``), read within the bounds of everything else we read."""

    dumps = staticmethod(wire.text)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        return loads(text, constants=True, **kwargs)


def json_body(schema: dict[str, Field]) -> dict[str, Any]:
    """The request's JSON body checked against ``schema`` (a ``PayloadError`` if it
    does not fit, or is not JSON within bounds; no body at all counts as ``{}``)."""
    if not request.is_json or not request.get_data(cache=True):
        return validate(None, schema)
    try:
        body = loads(request.get_data(cache=True))
    except ValueError as error:
        raise PayloadError("bad_json", f"the body is not JSON we read: {error}") from None
    return validate(body, schema)
