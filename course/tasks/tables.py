"""The tables under each of a task's figures (course/figures/tables.py): the numbers
each view draws, by role, for a learner who cannot read them off a canvas."""

from __future__ import annotations

from typing import Any

from course.figures.tables import add_tables, columns_table, pivot_table


def _grid_table(caption: str, name: str, rows: str, columns: str) -> dict[str, Any]:
    """A heatmap's cells as a table: a row per ``row``, a column per ``col`` (by place)."""
    return pivot_table(
        caption,
        name,
        rows=(("row", rows),),
        columns=("col", columns),
        value="value",
        row_key="y",
        column_key="x",
    )


# Each figure's numbers as tables (course/figures/tables.py), by role.
TABLES: dict[str, tuple[Any, ...]] = {
    "loss": (
        "the loss",
        columns_table("Loss per epoch", "tk_loss", [("epoch", "epoch"), ("loss", "loss")]),
    ),
    "probs": (
        "the next character",
        columns_table(
            "Probability of each next character", "tk_probs", [("char", "character"), ("p", "p")]
        ),
    ),
    "lw_chars": (
        "the characters read",
        columns_table("The network's guess after each character", "lw_guess", [("tip", "guess")]),
    ),
    "lw_input": (
        "the input vector",
        columns_table("The input xₜ", "lw_input", [("x", "component"), ("value", "value")]),
    ),
    "lw_scores": (
        "the scores",
        columns_table(
            "The score of each character", "lw_scores", [("char", "character"), ("y", "score ŷ")]
        ),
    ),  # fmt: skip
    "lw_probs": (
        "the softmax",
        columns_table(
            "The softmax over the characters", "lw_probs", [("char", "character"), ("p", "p")]
        ),
    ),  # fmt: skip
    "hidden": (
        "the hidden state",
        _grid_table("Hidden state after each word", "tk_hidden", "unit", "after"),
    ),
    "classes": (
        "the classes",
        columns_table("Class probabilities", "tk_classes", [("label", "class"), ("p", "p")]),
    ),
    "embedding": (
        "the embedding",
        columns_table(
            "Words in the embedding",
            "tk_embedding",
            [("word", "word"), ("group", "group"), ("x", "component 1"), ("y", "component 2")],
        ),
    ),
    "attention": (
        "the attention",
        _grid_table(
            "Attention αₜ,ₛ of each output character on each source character",
            "tk_attention",
            "output",
            "source",
        ),
    ),
    "choice": (
        "the decoder's choice",
        columns_table(
            "The decoder's choice at each step",
            "tk_choice",
            [("x", "step"), ("char", "character"), ("p", "p")],
        ),
    ),
    "context": (
        "the context",
        _grid_table("Context vector per decoder step", "tk_context", "unit", "step"),
    ),
    "recall": (
        "the accuracy",
        columns_table(
            "Held-out accuracy per epoch",
            "tk_recall",
            [("epoch", "epoch"), ("rnn", "vanilla RNN"), ("lstm", "LSTM"), ("gru", "GRU")],
        ),
    ),
    "encoder": (
        "the encoder states",
        _grid_table("Encoder state after each source character", "tk_encoder", "unit", "after"),
    ),
}


def add_all(built: dict[str, Any]) -> None:
    """Tag each built figure (by role) with its tables."""
    for role, fig in built.items():
        caption, *found = TABLES[role]
        add_tables(fig, caption, *found)
