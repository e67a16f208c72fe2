"""The five modules of the course, in order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    number: int
    title: str
    summary: str


MODULES: dict[int, Module] = {
    1: Module(1, "Justification", "Why a network needs memory, and how recurrence gives it one."),
    2: Module(2, "Data", "Sequences fed one point after another to build up a state."),
    3: Module(3, "Training", "Prediction, error, backpropagation through time, weight update."),
    4: Module(4, "LSTM cells", "Gates, the cell state, and the GRU beside them."),
    5: Module(5, "Tasks", "Next-character prediction, sentiment, translation with attention."),
}
