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
HTML from the server, no script from a CDN). Its data travels as two pseudo-sources
beside ``cell_arithmetic``: ``cell_code_table``, every line a lab of this cell kind can
show, tokenised, in both flavours (sent when the cell kind changes, as the weights'
layouts are), and ``cell_code``, the current lines as ids into it with their notes.
"""

from __future__ import annotations

import io
import keyword
import tokenize
from functools import cache
from typing import Any

from course.lab.steps import STEP_LABELS
from course.lab.views.arithmetic import number
from engine.snippets import (
    BACKWARD,
    BACKWARD_LOOP,
    FLAVOURS,
    FORWARD,
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


@cache
def _table(cell: str, activation: str) -> tuple[dict[str, int], dict[str, Any]]:
    """Every line a lab of ``cell`` can show, numbered: (code → id, the
    ``cell_code_table`` pseudo-source: each line's tokens per flavour, and the set-up's
    ids). The page keeps it; a frame sends ids, so a step costs a few hundred bytes."""
    codes: list[str] = [*SETUP[cell], *FORWARD_LOOP, *BACKWARD_LOOP]
    for step in FORWARD[cell]:
        codes += [line.code for top in (False, True) for line in forward_lines(cell, step, top=top)]
    codes += [line.code for line in VALIDATE]
    for step in ("dh", *BACKWARD[cell]):
        codes += [
            line.code for top in (False, True) for line in backward_lines(cell, step, top=top)
        ]
    ids = {code: k for k, code in enumerate(dict.fromkeys(codes))}
    table = {
        "tokens": {f: [list(map(list, tokens(spell(code, f, activation)))) for code in ids]
                   for f in FLAVOURS},
        "setup": [ids[code] for code in SETUP[cell]],
    }  # fmt: skip
    return ids, table


def table_data(cell: str, activation: str) -> dict[str, Any]:
    """The ``cell_code_table`` pseudo-source of a lab of ``cell`` (sent when it changes)."""
    return _table(cell, activation)[1]


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
) -> dict[str, Any]:
    """The ``cell_code`` pseudo-source: a heading, and the lines of the current cell so
    far (forward or backward, in their loops) or of the validate phase, each as its id
    in ``table_data``, its depth in the loops, its note (the values beside it: expr,
    the engine's number, its text) and whether it is the current step's."""
    ids = _table(cell, activation)[0]
    phase, t, layer = frame["phase"], frame.get("t"), frame.get("layer")
    upto, current = frame.get("step_index"), frame.get("step")
    lines: list[dict[str, Any]] = []

    def add(code: str, depth: int, *, now: bool = False, values: list[Any] | None = None,
            context: str = "") -> None:  # fmt: skip
        note = ", ".join(f"{v['expr']} = {v['text']}" for v in values or ()) or context
        lines.append({"id": ids[code], "depth": depth, "note": f"# {note}" if note else "",
                      "values": values or [], "current": now})  # fmt: skip

    def shown(line: Line, backward: bool) -> list[dict[str, Any]]:
        values = (_value(name, backward=backward, terms=terms, frame=frame, unit=unit)
                  for name in line.shows)  # fmt: skip
        return [v for v in values if v is not None]

    if phase in ("forward", "backward") and upto is not None:
        assert t is not None and layer is not None  # a forward or backward frame has them
        backward = phase == "backward"
        top = layer == layers - 1
        where = (f"t = {t}: time step {t + 1} of {window}",
                 f"l = {layer}: layer {layer + 1} of {layers}")  # fmt: skip
        for depth, loop in enumerate(BACKWARD_LOOP if backward else FORWARD_LOOP):
            add(loop, depth, context=where[depth])
        for name in frame["steps"][: upto + 1]:
            steps = backward_lines(cell, name, top=top) if backward else (
                forward_lines(cell, name, top=top))  # fmt: skip
            for line in steps:
                add(line.code, 2, now=name == current, values=shown(line, backward))
        quantity = "gradient" if backward else "quantity"
        marked = f"the marked lines compute {STEP_LABELS[current]}." if current else (
            "no step of this cell is current.")  # fmt: skip
        heading = (f"Layer {layer + 1} at t = {t + 1}, unit {unit}: the code of each "
                   f"{quantity} computed so far in this cell; {marked}")  # fmt: skip
    elif phase == "validate":
        for line in VALIDATE:
            add(line.code, 0, now=True, values=shown(line, False))
        heading = f"The window's loss over its T = {window} points, and its gradient."
    else:
        heading = (
            "No cell code in the update phase: the optimiser turns the gradients the "
            "backward pass summed (dW_x, dW_h, …) into the weights' change ΔW."
        )
    return {"heading": heading, "lines": lines}
