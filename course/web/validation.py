"""Validation of inbound payloads at the edge.

A schema maps field names to ``Field``s; ``validate`` returns the checked payload
with defaults filled in, or raises ``PayloadError`` (code, message, field), which
handlers turn into ``{"ok": false, "error": {...}}`` and change nothing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any


class PayloadError(Exception):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field

    def as_ack(self) -> dict[str, Any]:
        return {
            "ok": False,
            "error": {"code": self.code, "message": self.message, "field": self.field},
        }


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]  # object: any value, left to the code behind to check
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str | None = None  # a string must match it whole


def _check(name: str, value: Any, spec: Field) -> Any:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if isinstance(value, bool) and bool not in kinds and object not in kinds:
        raise PayloadError("bad_type", f"{name} must be {_names(kinds)}", name)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kinds):
        raise PayloadError("bad_type", f"{name} must be {_names(kinds)}", name)
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadError("bad_value", f"{name} must be a finite number", name)
    if spec.choices is not None and value not in spec.choices:
        allowed = ", ".join(map(str, spec.choices))
        raise PayloadError("bad_choice", f"{name} must be one of: {allowed}", name)
    if isinstance(value, int | float) and spec.minimum is not None and value < spec.minimum:
        raise PayloadError("out_of_range", f"{name} must be at least {spec.minimum}", name)
    if isinstance(value, int | float) and spec.maximum is not None and value > spec.maximum:
        raise PayloadError("out_of_range", f"{name} must be at most {spec.maximum}", name)
    too_long = isinstance(value, str | list) and len(value) > (spec.max_length or len(value))
    if too_long:
        raise PayloadError("too_long", f"{name} must be at most {spec.max_length} long", name)
    if isinstance(value, str) and spec.pattern and not re.fullmatch(spec.pattern, value):
        raise PayloadError("bad_value", f"{name} must match {spec.pattern}", name)
    return value


def _names(kinds: tuple[type, ...]) -> str:
    words = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    words |= {dict: "an object", list: "a list"}
    return " or ".join(words.get(k, k.__name__) for k in kinds)


def validate(payload: Any, schema: dict[str, Field]) -> dict[str, Any]:
    """Check ``payload`` against ``schema``; unknown fields are errors, not ignored."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise PayloadError("bad_payload", "the payload must be an object")
    for name in payload:
        if name not in schema:
            raise PayloadError("unknown_field", f"unknown field {name!r}", str(name))
    checked = {}
    for name, spec in schema.items():
        if name not in payload or payload[name] is None:
            if spec.required:
                raise PayloadError("missing_field", f"{name} is required", name)
            checked[name] = spec.default
        else:
            checked[name] = _check(name, payload[name], spec)
    return checked


# Control, format (bidi overrides, zero-width), line/paragraph separators, private use
# and surrogates: nothing a name shown to others should carry.
HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}


def plain_text(text: str) -> str:
    """``text`` without hidden or control characters, its spaces collapsed."""
    kept = "".join(" " if unicodedata.category(c) in HIDDEN else c for c in text)
    return " ".join(kept.split())
