"""How the playground writes its numbers, and the step just computed as an equation.

One printing rule for boxes, tooltips, the equation and the tests: 3 decimals, a real
minus sign, ×10ⁿ once a value reaches 10⁴ (unscaled Fibonacci gets there fast).
"""

from __future__ import annotations

from engine.playground import Playground

ACT_NAMES = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid"}
SHORT_ACT_NAMES = ACT_NAMES | {"sigmoid": "σ"}  # where "sigmoid" does not fit (a phone)
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(value: float | None, digits: int = 3) -> str:
    """How the playground prints a value: 3 decimals, or ×10ⁿ when large; a real minus sign."""
    if value is None:
        return "–"
    if abs(value) >= 1e4:
        mantissa, exponent = f"{value:.2e}".split("e")
        text = f"{mantissa}×10{str(int(exponent)).translate(SUP)}"
    else:
        text = f"{value:.{digits}f}"
        if float(text) == 0.0:
            text = text.lstrip("-")  # no "−0.000"
    return text.replace("-", "−")


def raw_number(value: float) -> str:
    """A raw input: whole numbers as written (832 040), others as ``number``."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", "\u202f").replace("-", "−")
    return number(value)


def sub(t: int) -> str:
    """``t`` as a subscript: h + sub(12) reads h₁₂."""
    return str(t).translate(SUB)


def _paren(value: float, digits: int) -> str:
    text = number(value, digits)
    return f"({text})" if text.startswith("−") else text


def equation(pg: Playground) -> str:
    """The step just computed, written out with its numbers; before the first, h₀.

    hₜ = act(w_x·xₜ + w_h·hₜ₋₁ + b) = act(aₜ)
    """
    frame, c = pg.frame(), pg.config
    t = frame["t"]
    if t == 0:
        return f"h₀ = {number(c.h0)}: nothing has been fed in yet."
    act = ACT_NAMES[c.activation]
    inner = (
        f"{_paren(c.w_x, 2)}·{_paren(frame['x'], 3)} + {_paren(c.w_h, 2)}·"
        f"{_paren(frame['h_prev'], 3)} + {_paren(c.b, 2)}"
    )
    return f"h{sub(t)} = {act}({inner}) = {act}({number(frame['a'])}) = {number(frame['h'])}"
