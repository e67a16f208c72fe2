"""One-line explanations of each compute step and phase, in the lessons' words."""

from __future__ import annotations

from typing import Any

STEPS = {
    "lstm": {
        "x": "The cell receives its input x_t together with what it carried from the "
        "previous time step: the output h_{t-1} and the cell state c_{t-1}.",
        "f": "Forget gate f = σ(W_xf x_t + W_hf h_{t-1} + b_f): for each unit, how much of "
        "c_{t-1} to keep (0 = forget all, 1 = keep all).",
        "i": "Input gate i = σ(W_xi x_t + W_hi h_{t-1} + b_i): how much of the new candidate "
        "to write into the cell state.",
        "o": "Output gate o = σ(W_xo x_t + W_ho h_{t-1} + b_o): how much of the cell state "
        "to show as output.",
        "g": "Candidate g = tanh(W_xg x_t + W_hg h_{t-1} + b_g): the new content proposed "
        "for the cell state, between −1 and 1.",
        "c": "Cell state update c_t = f ⊙ c_{t-1} + i ⊙ g: keep part of the old state, add "
        "part of the candidate.",
        "h": "Output h_t = o ⊙ tanh(c_t): the squashed cell state, filtered by the output "
        "gate. It goes up to the next layer and on to the next time step.",
    },
    "gru": {
        "x": "The cell receives its input x_t and its previous output h_{t-1}.",
        "r": "Reset gate r = σ(W_xr x_t + b_xr + W_hr h_{t-1} + b_hr): how much of h_{t-1} "
        "the candidate may use.",
        "z": "Update gate z = σ(W_xz x_t + b_xz + W_hz h_{t-1} + b_hz): how much of h_{t-1} "
        "to keep unchanged.",
        "n": "Candidate n = tanh(W_xn x_t + b_xn + r ⊙ (W_hn h_{t-1} + b_hn)).",
        "h": "Output h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}: a mix of the candidate and the old output.",
    },
    "rnn": {
        "x": "The cell receives its input x_t and its previous output h_{t-1}.",
        "a": "Pre-activation a = W_x x_t + W_h h_{t-1} + b.",
        "h": "Output h_t = act(a): it goes up to the next layer and on to the next time step.",
    },
}

VALIDATE = (
    "Validation: the predictions over the window are compared with the true next values; "
    "the red bars are the errors, and their mean square is the error of this pass."
)


def explain(cell: str, frame: dict[str, Any]) -> str:
    if frame["phase"] == "validate":
        return VALIDATE
    return STEPS[cell].get(frame["step"], "")
