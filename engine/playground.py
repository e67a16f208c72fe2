"""Module 1's playground: one vanilla RNN unit whose weights the learner sets by hand.

    a_t = w_x·x_t + w_h·h_{t−1} + b
    h_t = act(a_t),  act in {tanh, relu, sigmoid},  h_0 = 0 (or a chosen h_0)

It is ``engine.cells.rnn_cell`` with H = D = 1, computed here in NumPy float64:
30 scalar steps cost microseconds, and no shape ever has to compile. The inputs
x_t are the generated sequence *scaled* into a small range (Fibonacci reaches
832 040 by t = 30); the raw numbers, the scale factor and a sentence saying how
they were scaled travel with them, so the lesson can show the scaling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np

from engine.cells import ACTIVATIONS

SEQUENCES = ("fibonacci", "linear", "alternating", "exponential", "sine")
BOUNDED = ("alternating", "sine")  # already in [−1, 1]: never scaled, whatever ``scaled`` says
WEIGHT_RANGE = (-5.0, 5.0)  # for w_x, w_h, b and h_0: the sliders' range
MIN_LENGTH, MAX_LENGTH = 2, 30
SINE_STEP = math.pi / 6  # x_t = sin(t·π/6): one period every 12 steps
# sin(k·π/6) for k = 0…11, exact where it should be (np.sin(π) is 1.2e−16, not 0)
_HALF_PERIOD = (0.0, 0.5, math.sqrt(3) / 2, 1.0, math.sqrt(3) / 2, 0.5)
_SINE_TABLE = _HALF_PERIOD + tuple(0.0 - v for v in _HALF_PERIOD)  # no −0.0


def _group(n: float) -> str:
    """832040 → '832 040', with no-break spaces so a number never wraps."""
    return f"{int(n):,}".replace(",", "\u00a0")


@dataclass(frozen=True)
class InputSequence:
    """A generated sequence and the scaled inputs actually fed to the unit."""

    name: str
    raw: tuple[float, ...]  # the numbers themselves, t = 1…T
    x: tuple[float, ...]  # what the unit sees: x_t = raw_t / scale
    scale: float  # the divisor, 1.0 when not scaled
    input_range: tuple[float, float]  # every x_t lies in this closed interval
    description: str  # one sentence for the learner
    scalable: bool  # a growing sequence, which ``scaled`` divides; a bounded one never is


def make_sequence(name: str, length: int, scaled: bool = True) -> InputSequence:
    """The first ``length`` values of a named sequence, indexed t = 1…T.

    fibonacci 1, 1, 2, 3, 5, …; linear 1, 2, 3, …; alternating 1, −1, 1, …;
    exponential 1, 2, 4, 8, … (powers of 2); sine sin(t·π/6). Growing sequences
    are divided by their largest value so that every input lies in [0, 1]
    (unless ``scaled`` is False, to show the learner why we scale).
    """
    t = np.arange(1, length + 1)
    raw: np.ndarray
    if name == "fibonacci":
        fib = [1, 1]
        while len(fib) < length:
            fib.append(fib[-1] + fib[-2])
        raw = np.asarray(fib[:length], np.float64)
        what = "Fibonacci numbers"
    elif name == "linear":
        raw, what = t.astype(np.float64), "The numbers 1, 2, 3, …"
    elif name == "exponential":
        raw, what = np.exp2(t - 1).astype(np.float64), "Powers of 2"
    elif name == "alternating":
        raw, what = np.where(t % 2 == 1, 1.0, -1.0), "1, −1, 1, −1, …,"
    elif name == "sine":
        raw = np.asarray([_SINE_TABLE[k % 12] for k in t], np.float64)
        what = "sin(t·π/6), one period every 12 steps,"
    else:
        raise ValueError(f"sequence must be one of {SEQUENCES}, not {name!r}")

    bounded = name in BOUNDED
    low = -1.0 if bounded else 0.0
    if bounded:
        scale, how = 1.0, "not scaled: the values already lie in [−1, 1]"
    elif scaled:
        scale = float(raw.max())
        how = f"divided by {_group(scale)}, the largest value, so inputs lie in [0, 1]"
    else:
        scale = 1.0
        how = f"fed unscaled, so inputs reach {_group(raw.max())}"
    x = raw / scale
    hi = 1.0 if bounded or scaled else float(raw.max())
    return InputSequence(
        name=name,
        raw=tuple(float(v) for v in raw),
        x=tuple(float(v) for v in x),
        scale=scale,
        input_range=(low, hi),
        description=f"{what} {how}.",
        scalable=not bounded,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class PlaygroundConfig:
    """The learner's settings. Validated on construction: a bad one raises ValueError."""

    w_x: float = 1.0
    w_h: float = 0.5
    b: float = 0.0
    activation: str = "tanh"
    sequence: str = "fibonacci"
    length: int = 10
    h0: float = 0.0  # the state before the first input
    scaled: bool = True  # False feeds raw Fibonacci / powers of 2, to show why we scale

    def __post_init__(self) -> None:
        lo, hi = WEIGHT_RANGE
        for name in ("w_x", "w_h", "b", "h0"):
            value = getattr(self, name)
            if not _is_number(value) or not lo <= value <= hi:
                raise ValueError(
                    f"{name} must be a number between {lo:g} and {hi:g}, not {value!r}"
                )
            object.__setattr__(self, name, float(value))  # one type, so equal configs hash equal
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {tuple(ACTIVATIONS)}, not {self.activation!r}"
            )
        if not isinstance(self.sequence, str) or self.sequence not in SEQUENCES:
            raise ValueError(f"sequence must be one of {SEQUENCES}, not {self.sequence!r}")
        if (
            not isinstance(self.length, Integral)
            or isinstance(self.length, bool)
            or not MIN_LENGTH <= self.length <= MAX_LENGTH
        ):
            raise ValueError(
                f"length must be a whole number from {MIN_LENGTH} to {MAX_LENGTH}, "
                f"not {self.length!r}"
            )
        object.__setattr__(self, "length", int(self.length))
        if not isinstance(self.scaled, bool):
            raise ValueError(f"scaled must be true or false, not {self.scaled!r}")

    @property
    def scalable(self) -> bool:
        """Whether ``scaled`` changes anything: only a growing sequence is divided."""
        return self.sequence not in BOUNDED


def _sigmoid(a: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * a))  # = 1 / (1 + e^−a), without overflow


# Python floats are IEEE float64: for 30 scalar steps they beat NumPy's per-call overhead.
_ACT: dict[str, Callable[[float], float]] = {
    "tanh": math.tanh,
    "relu": lambda a: a if a > 0.0 else 0.0,
    "sigmoid": _sigmoid,
}


class PlaygroundTrace(NamedTuple):
    """Every quantity of the run, each of shape (T,), for t = 1…T."""

    x: np.ndarray  # x_t, scaled input
    h_prev: np.ndarray  # h_{t−1}
    a: np.ndarray  # a_t, pre-activation
    h: np.ndarray  # h_t


def simulate(config: PlaygroundConfig, sequence: InputSequence | None = None) -> PlaygroundTrace:
    """Run the unit over the whole sequence in float64 (pure)."""
    seq = sequence or make_sequence(config.sequence, config.length, config.scaled)
    act = _ACT[config.activation]
    x = np.asarray(seq.x, np.float64)
    h_prev, a, h = (np.empty_like(x) for _ in range(3))
    state = config.h0
    for t, x_t in enumerate(seq.x):
        h_prev[t] = state
        a[t] = a_t = config.w_x * x_t + config.w_h * state + config.b
        h[t] = state = act(a_t)
    return PlaygroundTrace(x=x, h_prev=h_prev, a=a, h=h)


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in values]


class Playground:
    """Steps the one-unit RNN through its sequence, one time step per ``step()``.

    The whole run is computed once on (re)configuration; ``step()`` and ``run()``
    reveal it, so stepping and running give the same numbers. Frames are plain
    dicts of Python floats: with weights in [−5, 5] and T ≤ 30 every value is
    finite (|h_t| < 10²³ even for ReLU at the extremes).
    """

    def __init__(self, config: PlaygroundConfig | None = None) -> None:
        self.config = config or PlaygroundConfig()
        self.configure()

    def configure(self, config: PlaygroundConfig | None = None, **changes: Any) -> None:
        """Take a new config (or change some fields of the current one), then reset.

        A bad change raises ValueError and leaves the playground as it was.
        """
        self.config = replace(config or self.config, **changes)
        self.sequence = make_sequence(self.config.sequence, self.config.length, self.config.scaled)
        self.trace = simulate(self.config, self.sequence)
        self.reset()

    def reset(self) -> None:
        """Back to t = 0: only h_0 is known."""
        self.t = 0

    @property
    def done(self) -> bool:
        return self.t >= self.config.length

    def step(self) -> dict[str, Any]:
        """Advance one time step and return its frame. At the end it stays on the last one."""
        if not self.done:
            self.t += 1
        return self.frame()

    def run(self) -> dict[str, Any]:
        """Advance to the end: the frame of the last step, whose history is the whole run."""
        self.t = self.config.length
        return self.frame()

    def frame(self) -> dict[str, Any]:
        """Where we are: time step t (0 before the first input), its values, and the history.

        At t = 0, ``x``, ``h_prev`` and ``a`` are None and ``h`` is h_0.
        """
        t, tr, seq = self.t, self.trace, self.sequence
        i = t - 1
        now = (
            {"raw": seq.raw[i], "x": tr.x[i], "h_prev": tr.h_prev[i], "a": tr.a[i], "h": tr.h[i]}
            if t
            else {"raw": None, "x": None, "h_prev": None, "a": None, "h": self.config.h0}
        )
        return {
            "t": t,
            "T": self.config.length,
            "done": self.done,
            **{k: None if v is None else float(v) for k, v in now.items()},
            "h0": float(self.config.h0),
            "history": {
                "t": list(range(1, t + 1)),
                "raw": list(seq.raw[:t]),
                "x": _floats(tr.x[:t]),
                "h_prev": _floats(tr.h_prev[:t]),
                "a": _floats(tr.a[:t]),
                "h": _floats(tr.h[:t]),
            },
        }

    def describe(self) -> dict[str, Any]:
        """The whole sequence and how it was scaled, for the input plot and its caption."""
        seq = self.sequence
        return {
            "sequence": seq.name,
            "raw": list(seq.raw),
            "x": list(seq.x),
            "scale": seq.scale,
            "input_range": list(seq.input_range),
            "description": seq.description,
            "scalable": seq.scalable,
        }
