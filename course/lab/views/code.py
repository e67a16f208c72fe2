"""The cell view's code panel: the lines of JAX (or NumPy) that compute what the cell
has computed so far, from ``engine.snippets``, inside the loops of their phase, the
current compute step's lines marked, and beside each line the value of what it
computes for the chosen unit, e.g.

    for t in range(T):                 # t = 5
        for l in range(L):             # layer 2
            pre_f = W_x[H:2*H] @ x + W_h[H:2*H] @ h_prev + b[H:2*H]  # pre_f[3] = 0.481
            f = jax.nn.sigmoid(pre_f)                                  # f[3] = 0.618

Every value is the engine's own number (the arithmetic panel's terms, the frame's
prediction and loss), rounded as that panel rounds it; tests/engine/test_snippets.py
runs the lines and finds the same numbers. Highlighting is done here with the standard
library's tokenizer: the browser gets [text, kind] pairs and writes them as text (no
HTML from the server, no script from a CDN). Its data travels as the pseudo-source
``cell_code`` beside ``cell_arithmetic``.
"""

from __future__ import annotations

import io
import keyword
import tokenize
from functools import cache
from typing import Any

from course.lab.views.arithmetic import number
from engine.snippets import (
    BACKWARD_LOOP,
    FLAVOURS,
    FORWARD_LOOP,
    SCALARS,
    SETUP,
    VALIDATE,
    Line,
    backward_lines,
    forward_lines,
    spell,
)

Terms = dict[str, dict[str, float | None]]
BUILTINS = frozenset({"range", "len", "reversed"})
LIBRARIES = frozenset({"np", "jnp", "jax"})
INDENT = "    "


@cache
def tokens(code: str) -> tuple[tuple[str, str], ...]:
    """``code`` (one line) as (text, kind) pairs that join back to it; kind is one of
    kw, builtin, lib, name, num, op, com, or "" for the spaces between."""
    out: list[tuple[str, str]] = []
    at = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
                continue
            start, end = tok.start[1], tok.end[1]
            if start > at:
                out.append((code[at:start], ""))
            out.append((tok.string, _kind(tok)))
            at = end
    except (tokenize.TokenError, IndentationError):  # plain text rather than nothing
        return ((code, ""),)
    if at < len(code):
        out.append((code[at:], ""))
    return tuple(out)


def _kind(tok: tokenize.TokenInfo) -> str:
    if tok.type == tokenize.NAME:
        if keyword.iskeyword(tok.string):
            return "kw"
        return "builtin" if tok.string in BUILTINS else "lib" if tok.string in LIBRARIES else "name"
    return {tokenize.NUMBER: "num", tokenize.OP: "op", tokenize.COMMENT: "com"}.get(tok.type, "")


def _line(
    code: str,
    flavour: str,
    activation: str,
    *,
    depth: int,
    current: bool = False,
    values: list[dict[str, Any]] | None = None,
    context: str = "",
) -> dict[str, Any]:
    spelt = spell(code, flavour, activation)
    note = ", ".join(f"{v['expr']} = {v['text']}" for v in values or ()) or context
    return {
        "code": INDENT * depth + spelt,
        "tokens": [[INDENT * depth, ""], *tokens(spelt)] if depth else list(tokens(spelt)),
        "note": f"# {note}" if note else "",
        "values": values or [],
        "current": current,
    }


def _value(
    name: str, *, backward: bool, terms: Terms, frame: dict[str, Any], unit: int
) -> dict[str, Any] | None:
    """What the panel writes beside a line for a variable it shows: the expression (the
    variable at the unit), the engine's number and its text; None if not known here."""
    if name in SCALARS:
        value = frame.get("prediction") if name == "y_hat[t]" else frame.get("mse")
        expr = name.replace("[t]", f"[{frame.get('t')}]")
        return {"expr": expr, "value": value, "text": number(value, gradient=name == "L")}
    k = unit
    if name in ("x", "h_prev", "c_prev"):
        vector = frame.get("values", {}).get(name)
        if vector is None:
            return None
        k = unit if len(vector) > unit else 0  # layer 1 reads one number
        value = vector[k]
    else:
        if name.startswith("pre_"):
            source, key = name[4:], "pre"
        else:
            source, key = ("dr", "hn") if name == "hn" else (name, "value")
        if source not in terms:
            return None
        value = terms[source].get(key)
    return {"expr": f"{name}[{k}]", "value": value, "text": number(value, gradient=backward)}


def code_data(
    cell: str,
    activation: str,
    frame: dict[str, Any],
    terms: Terms,
    *,
    unit: int,
    layers: int,
    window: int,
    setup: bool,
) -> dict[str, Any]:
    """The ``cell_code`` pseudo-source: a heading, and per flavour the lines of the
    current cell so far (forward or backward) or of the validate phase, each with its
    tokens, its note (values beside it) and whether it is the current step's. With
    ``setup``, the lines before the loops too (sent when the cell kind changes)."""
    phase, t, layer = frame["phase"], frame.get("t"), frame.get("layer")
    out: dict[str, Any] = {"heading": "", "lines": {}}
    if setup:
        out["setup"] = {f: [_line(c, f, activation, depth=0) for c in SETUP[cell]]
                        for f in FLAVOURS}  # fmt: skip
    upto, current = frame.get("step_index"), frame.get("step")
    if phase in ("forward", "backward") and upto is not None and t is not None:
        backward = phase == "backward"
        names = frame["steps"][: upto + 1]
        top = layer == layers - 1
        loops = BACKWARD_LOOP if backward else FORWARD_LOOP
        where = (f"t = {t}: time step {t + 1} of {window}", f"l = {layer}: layer {layer + 1} of {layers}")
        quantity = "gradient" if backward else "quantity"
        out["heading"] = (
            f"Layer {layer + 1} at t = {t + 1}, unit {unit}: the code of each {quantity} "
            "computed so far in this cell; the current step's lines are marked."
        )
        for flavour in FLAVOURS:
            lines = [_line(loop, flavour, activation, depth=d, context=where[d])
                     for d, loop in enumerate(loops)]  # fmt: skip
            for name in names:
                steps = backward_lines(cell, name, top=top) if backward else (
                    forward_lines(cell, name, top=top))  # fmt: skip
                lines += [_code_line(line, flavour, activation, name == current, backward,
                                     terms, frame, unit) for line in steps]  # fmt: skip
            out["lines"][flavour] = lines
    elif phase == "validate":
        out["heading"] = f"The window's loss over its T = {window} points, and its gradient."
        for flavour in FLAVOURS:
            out["lines"][flavour] = [_code_line(line, flavour, activation, True, False, {},
                                                frame, unit, depth=0) for line in VALIDATE]  # fmt: skip
    else:
        out["heading"] = (
            "No cell code in the update phase: the optimiser turns the summed dW_x, dW_h "
            "and db into the change ΔW (the weights view shows it)."
        )
        out["lines"] = {flavour: [] for flavour in FLAVOURS}
    return out


def _code_line(
    line: Line,
    flavour: str,
    activation: str,
    current: bool,
    backward: bool,
    terms: Terms,
    frame: dict[str, Any],
    unit: int,
    depth: int = len(FORWARD_LOOP),
) -> dict[str, Any]:
    values = [_value(name, backward=backward, terms=terms, frame=frame, unit=unit)
              for name in line.shows]  # fmt: skip
    return _line(line.code, flavour, activation, depth=depth, current=current,
                 values=[v for v in values if v is not None])  # fmt: skip
