"""The cell view's arithmetic panel: for the chosen unit, each quantity the current
cell has computed so far, written as its equation and then with the engine's numbers
(``engine.arithmetic``), e.g.

    f = σ(Wₓ·xₜ + Wₕ·hₜ₋₁ + b)
      = σ(0.132 + (−0.051) + 0.400) = σ(0.481) = 0.618

It is HTML, not a Bokeh figure (static/js/arithmetic.js writes it), so a screen reader
reads it and a learner can select the numbers; its data travels as the pseudo-source
``cell_arithmetic`` with the others.

Rounding: every number is the engine's own, rounded for display on its own (3
decimals forward, 3 significant digits for gradients). The shown terms are not
re-added: their sum may differ from the shown pre-activation by up to half a unit in
the last place per term, which a learner checking by hand meets as "up to rounding".
"""

from __future__ import annotations

import re
from typing import Any

from course.lab.explanations import BACKWARD, STEPS
from course.lab.steps import QUANTITIES

# name → (equation, the same with numbers); {key} is a term of engine.arithmetic.
FORWARD: dict[str, dict[str, tuple[str, str]]] = {
    "lstm": {
        **{
            q: (
                f"{q} = {act}(Wₓ·xₜ + Wₕ·hₜ₋₁ + b)",
                f"{act}({{wx}} + {{wh}} + {{b}}) = {act}({{pre}}) = {{value}}",
            )
            for q, act in (("i", "σ"), ("f", "σ"), ("g", "tanh"), ("o", "σ"))
        },
        "c": ("cₜ = f·cₜ₋₁ + i·g", "{f} × {c_prev} + {i} × {g} = {fc} + {ig} = {value}"),
        "h": ("hₜ = o·tanh(cₜ)", "{o} × {tanh_c} = {value}"),
    },
    "gru": {
        **{
            q: (
                f"{q} = σ(Wₓ·xₜ + bₓ + Wₕ·hₜ₋₁ + bₕ)",
                "σ({wx} + {b_x} + {wh} + {b_h}) = σ({pre}) = {value}",
            )
            for q in ("r", "z")
        },
        "n": (
            "n = tanh(Wₓ·xₜ + bₓ + r·(Wₕ·hₜ₋₁ + bₕ))",
            "tanh({wx} + {b_x} + {r} × ({wh} + {b_h})) = tanh({wx} + {b_x} + {r_h}) = "
            "tanh({pre}) = {value}",
        ),
        "h": (
            "hₜ = (1 − z)·n + z·hₜ₋₁",
            "(1 − {z}) × {n} + {z} × {h_prev} = {zn} + {zh} = {value}",
        ),
    },
    "rnn": {
        "a": ("a = Wₓ·xₜ + Wₕ·hₜ₋₁ + b", "{wx} + {wh} + {b} = {pre}"),
        "h": ("hₜ = act(a)", "act({pre}) = {value}"),
    },
}
BACKWARD_ROWS: dict[str, tuple[str, str]] = {
    "dh": ("∂L/∂hₜ: from the readout or the layer above, and from hₜ₊₁", "{value}"),
    "dc": ("∂L/∂cₜ = ∂L/∂cₜ via cₜ₊₁ + ∂L/∂hₜ·o·(1 − tanh² cₜ)",
           "{dc_next} + {dh} × {o} × {slope} = {value}"),
    "do": ("∂L/∂o = ∂L/∂hₜ·tanh(cₜ)", "{dh} × {tanh_c} = {value}"),
    "df": ("∂L/∂f = ∂L/∂cₜ·cₜ₋₁", "{dc} × {c_prev} = {value}"),
    "di": ("∂L/∂i = ∂L/∂cₜ·g", "{dc} × {g} = {value}"),
    "dg": ("∂L/∂g = ∂L/∂cₜ·i", "{dc} × {i} = {value}"),
    "dz": ("∂L/∂z = ∂L/∂hₜ·(hₜ₋₁ − n)", "{dh} × ({h_prev} − {n}) = {value}"),
    "dn": ("∂L/∂n = ∂L/∂hₜ·(1 − z)", "{dh} × (1 − {z}) = {value}"),
    "dr": ("∂L/∂r = ∂L/∂n·(1 − n²)·(Wₕ·hₜ₋₁ + bₕ)", "{dn} × {slope} × {hn} = {value}"),
    "da": ("∂L/∂a = ∂L/∂hₜ·act′(a)", "{dh} × {slope} = {value}"),
}  # fmt: skip
# Terms that are gradients (shown in scientific notation), beside every backward value.
GRADIENTS = frozenset({"dc_next", "dh", "dc", "dn"})
TERM = re.compile(r"\{(\w+)\}")
OPERATOR = ("+ ", "− ", "× ", "(")  # a negative number after these goes in parentheses


def number(value: float | None, *, gradient: bool = False) -> str:
    """A number as the panel (and the diagram's boxes) show it, with a true minus sign."""
    if value is None:
        return "not finite"
    text = f"{value:.2e}" if gradient else f"{value:.3f}"
    return text.replace("-", "−")


def tokens(template: str, terms: dict[str, float | None], *, backward: bool) -> list[list[Any]]:
    """The numeric line as [text, term] pairs (term None for the words between), so
    the browser can mark each number with the term it is."""
    out: list[list[Any]] = []
    at = 0
    for match in TERM.finditer(template):
        text = template[at : match.start()]
        if text:
            out.append([text, None])
        key = match.group(1)
        value = terms[key]
        shown = number(value, gradient=backward and (key in GRADIENTS or key == "value"))
        if value is not None and value < 0 and text.endswith(OPERATOR):
            shown = f"({shown})"
        out.append([shown, key])
        at = match.end()
    if at < len(template):
        out.append([template[at:], None])
    return out


def arithmetic_data(
    cell: str,
    activation: str,
    terms: dict[str, dict[str, float | None]],
    current: str | None,
    *,
    backward: bool,
    heading: str,
) -> dict[str, Any]:
    """The ``cell_arithmetic`` pseudo-source: a heading and one row per quantity with
    terms, in compute order; the one just computed is ``current``."""
    rows = []
    for name, values in terms.items():
        if backward:
            equation, template = BACKWARD_ROWS[name]
            explain = BACKWARD.get(name, "")
            box = name[1:]
        else:
            equation, template = FORWARD[cell][name]
            if cell == "rnn":
                equation, template = (s.replace("act", activation) for s in (equation, template))
            explain = STEPS[cell].get(name, "")
            box = name
        rows.append(
            {
                "name": name,
                "box": box,  # the diagram's box it belongs to
                "label": QUANTITIES[box].line,
                "equation": equation,
                "numbers": tokens(template, values, backward=backward),
                "terms": values,
                "explain": explain,
                "current": name == current,
            }
        )
    return {"heading": heading, "rows": rows}
