"""One-line explanations of each compute step and phase, in the lessons' words.

Maths is written between \\( \\) and typeset in the browser by KaTeX.
"""

from __future__ import annotations

from typing import Any

STEPS = {
    "lstm": {
        "x": r"The cell receives its input \(x_t\) and what this layer carried from the "
        r"previous time step: the output \(h_{t-1}\) and the cell state \(c_{t-1}\).",
        "f": r"Forget gate \(f = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f)\): for each unit, "
        r"how much of \(c_{t-1}\) to keep (0 forgets it all, 1 keeps it all).",
        "i": r"Input gate \(i = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i)\): how much of the "
        r"candidate to write into the cell state.",
        "o": r"Output gate \(o = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o)\): how much of the "
        r"cell state to show as output.",
        "g": r"Candidate \(g = \tanh(W_{xg} x_t + W_{hg} h_{t-1} + b_g)\): the new content "
        r"proposed for the cell state, between −1 and 1.",
        "c": r"Cell-state update \(c_t = f \odot c_{t-1} + i \odot g\): keep part of the old "
        r"state, add part of the candidate.",
        "h": r"Output \(h_t = o \odot \tanh(c_t)\): it goes up to the next layer and along "
        r"to the next time step.",
    },
    "gru": {
        "x": r"The cell receives its input \(x_t\) and its previous output \(h_{t-1}\).",
        "r": r"Reset gate \(r = \sigma(W_{xr} x_t + b_{xr} + W_{hr} h_{t-1} + b_{hr})\): how "
        r"much of \(h_{t-1}\) the candidate may use.",
        "z": r"Update gate \(z = \sigma(W_{xz} x_t + b_{xz} + W_{hz} h_{t-1} + b_{hz})\): how "
        r"much of \(h_{t-1}\) to keep unchanged.",
        "n": r"Candidate \(n = \tanh(W_{xn} x_t + b_{xn} + r \odot (W_{hn} h_{t-1} + b_{hn}))\).",
        "h": r"Output \(h_t = (1 - z) \odot n + z \odot h_{t-1}\): a mix of the candidate and "
        r"the old output.",
    },
    "rnn": {
        "x": r"The cell receives its input \(x_t\) and its previous output \(h_{t-1}\).",
        "a": r"Pre-activation \(a = W_x x_t + W_h h_{t-1} + b\).",
        "h": r"Output \(h_t = \mathrm{act}(a)\): it goes up to the next layer and along to the "
        r"next time step.",
    },
}

BACKWARD = {
    "dh": r"Backward pass: \(\partial L/\partial h_t\) is how much the loss would change if "
    r"this output changed. It arrives from the prediction (top layer), from the layer above, "
    r"and from time step \(t+1\).",
    "dc": r"\(\partial L/\partial c_t\) adds what flows back from \(c_{t+1}\) (through "
    r"\(f\)) and from \(h_t\) (through \(o \odot (1 - \tanh^2 c_t)\)).",
    "do": r"Gradient reaching the output gate: \(\partial L/\partial o = \partial L/\partial "
    r"h_t \odot \tanh(c_t)\).",
    "df": r"Gradient reaching the forget gate: \(\partial L/\partial f = \partial L/\partial "
    r"c_t \odot c_{t-1}\).",
    "di": r"Gradient reaching the input gate: \(\partial L/\partial i = \partial L/\partial "
    r"c_t \odot g\).",
    "dg": r"Gradient reaching the candidate: \(\partial L/\partial g = \partial L/\partial c_t "
    r"\odot i\).",
    "dz": r"Gradient reaching the update gate: \(\partial L/\partial z = \partial L/\partial "
    r"h_t \odot (h_{t-1} - n)\).",
    "dn": r"Gradient reaching the candidate: \(\partial L/\partial n = \partial L/\partial h_t "
    r"\odot (1 - z)\).",
    "dr": r"Gradient reaching the reset gate: \(\partial L/\partial r = \partial L/\partial n "
    r"\odot (1 - n^2) \odot (W_{hn} h_{t-1} + b_{hn})\).",
    "da": r"Gradient reaching the pre-activation: \(\partial L/\partial a = \partial L/\partial "
    r"h_t \odot \mathrm{act}'(a)\).",
}

VALIDATE = (
    "Validation: each prediction over the warm-up window is compared with the true next "
    "value. The vertical bars are the errors; their mean square is the error of this pass."
)


def explain(cell: str, frame: dict[str, Any]) -> str:
    phase = frame["phase"]
    if phase == "validate":
        return VALIDATE
    if phase == "backward":
        return BACKWARD.get(frame["step"], "")
    if phase == "update":
        return _update(frame)
    return STEPS[cell].get(frame["step"], "")


def _update(frame: dict[str, Any]) -> str:
    if frame.get("skipped"):
        return "Update skipped: the gradient was not finite. Reset, or lower the learning rate."
    where = "the readout" if frame["step"] == "readout" else f"layer {frame['layer'] + 1}"
    sizes = ", ".join(
        f"‖Δ{name}‖ = {norm:.3g}" for name, norm in frame["delta_norms"].items() if norm is not None
    )
    return (
        f"Update of {where}: the optimiser turns this window's gradient into weight changes "
        f"({sizes}). After the last one, the next step applies them all and runs the forward "
        "pass again with the new weights."
    )


# Behind the ⓘ of each view: what it is, how to read it, and the maths it shows.
VIEW_NOTES = {
    "overview": (
        "The network at its coarsest level of detail. Each layer reads the layer below at "
        r"the same time step and its own state from the step before: \(h^l_t = "
        r"\mathrm{cell}(h^{l-1}_t, h^l_{t-1})\). The readout turns the top layer's "
        r"\(h_t\) into the prediction \(\hat y_t = W_y h^L_t + b_y\). Adding or removing a "
        "layer builds a new network with fresh random weights."
    ),
    "cell": (
        "One cell is one layer at one time step. Each box is a quantity the cell computes "
        "for the chosen unit; a compute step fills one box. The gates are sigmoids "
        r"(between 0 and 1) of the same two inputs, \(W_x x_t + W_h h_{t-1} + b\); the "
        "candidate is a tanh (between −1 and 1). In the backward phase the boxes show "
        r"\(\partial L/\partial\) each quantity instead. The grey pictograms around the "
        "cell are its neighbours: left and right, the same layer one step earlier and later "
        r"(\(t-1\), \(t+1\)), which hand over \(h_{t-1}\) and take \(h_t\) (and \(c\) in an "
        r"LSTM); below, the layer below (or the data) feeding \(x_t\); above, the layer above "
        r"(or the readout \(\hat y_t\)) receiving \(h_t\). One that does not exist is greyed "
        r"out: before the first step there is no cell, only \(h_0 = 0\) (and \(c_0 = 0\))."
    ),
    "heatmap": (
        "The same quantities as the diagram, for every unit of the layer at once: a row "
        "per quantity, a column per unit. Units are independent copies of the same "
        "equations with their own rows of the weight matrices, so each column tells its "
        "own story. Hover a square for its value."
    ),
    "arithmetic": (
        "The numbers of the diagram's boxes, worked out for the chosen unit: each gate is "
        r"its row of \(W_x\) times \(x_t\), plus its row of \(W_h\) times \(h_{t-1}\), "
        "plus its bias, passed through a sigmoid (the candidate: a tanh). Every number is the "
        "engine's own, rounded to three decimals on its own, so adding the shown terms can "
        "miss the shown sum by a unit in the last place. In the backward phase the lines "
        r"show how each gradient \(\partial L/\partial\) is made from the ones before it."
    ),
    "code": (
        "The same step as a program: the lines of JAX (or, switched, NumPy) that compute "
        "what the cell has computed so far, inside the loops over time steps and layers, "
        "with the names of the diagram (x, h_prev, each gate by its letter, W_x, W_h, b). "
        "The marked lines are the current step's; after each #, the value it gives for the "
        "chosen unit, the engine's own number. Each gate takes its block of rows of the "
        "stacked weights (an LSTM's in the order i, f, g, o). The backward lines are "
        "backpropagation through time written out: they sum into dW_x, dW_h and db the "
        "gradient the update phase uses. A test runs every line, in both languages, and "
        "checks it gives the engine's numbers, so the code cannot drift from what the lab "
        "computes. Under the lines, the set-up before the loops."
    ),
    "weights": (
        r"The weights the cell computes with. Row \(k\) of a gate's block in \(W_x\) is "
        r"multiplied by \(x_t\), the same row of \(W_h\) by \(h_{t-1}\), and the bias "
        r"added: that sum is the gate's pre-activation for unit \(k\). Every time step and "
        "every unit of the layer uses these same numbers. In the update phase, ΔW is what the "
        "optimiser will add to them; a larger learning rate makes it larger."
    ),
    "unrolled": (
        "A recurrent network is one cell used again at every time step. Drawn side by "
        "side, the steps form a feed-forward network as deep as the sequence is long, "
        "where every column shares the same weights. That is why the error of the last "
        "prediction can reach the first input: through every column in between."
    ),
    "sequence": (
        r"Blue dots are the inputs \(x_t\) the network has read; the dashed line is the "
        r"target \(y_t\), the data's value at the next sample (the function's, or your own "
        r"series' next point); orange is the "
        r"prediction \(\hat y_t\), drawn as each is made. Purple bars are the errors "
        r"\(\hat y_t - y_t\), drawn once the window is validated; the loss is their mean square. "
        "After the grey window the network is fed its own predictions, so its errors "
        "add up."
    ),
    "gates": (
        "Each gate and state of one layer over the whole window: a row per unit, a "
        "column per time step. A forget gate near 1 across many columns is a unit that "
        "keeps its cell state for long; an output gate near 0 hides it."
    ),
    "gradients": (
        r"The size \(\lVert\partial L/\partial h_t\rVert\) of the gradient reaching each "
        "time step and layer. Going back one step multiplies it by the Jacobian "
        r"\(\partial h_t/\partial h_{t-1}\); when that shrinks vectors, the gradient "
        "vanishes with distance (a vanilla RNN), when it stretches them it explodes. The "
        "LSTM's additive cell state gives the gradient a path that shrinks far less."
    ),
    "loss": (
        r"The mean squared error \(L = \frac{1}{T}\sum_t (\hat y_t - y_t)^2\) averaged "
        "over the epoch's batches, on a log scale: a straight falling line is a loss "
        "divided by the same factor every epoch."
    ),
}

VIEW_NOTES |= {
    "pg-diagram": (
        r"One unit of a vanilla RNN: \(a_t = w_x x_t + w_h h_{t-1} + b\), then "
        r"\(h_t = \mathrm{act}(a_t)\). The loop on the right is the recurrence: the state "
        r"\(h_t\) comes back as \(h_{t-1}\) at the next step, multiplied by \(w_h\)."
    ),
    "pg-series": (
        "Top: the sequence as generated (bars) and as the unit reads it, scaled (dots). "
        r"Bottom: the state \(h_t\) after each step. The dashed lines are the limits of the "
        "activation: tanh stays in (−1, 1), the sigmoid in (0, 1), ReLU has no ceiling."
    ),
    "tk-probs": (
        r"The readout turns the last state into one score per character, and the softmax "
        r"\(p_k = e^{\hat y_k/\tau} / \sum_j e^{\hat y_j/\tau}\) into probabilities. The "
        r"temperature \(\tau\) sharpens (below 1) or flattens (above 1) them before a "
        "character is drawn."
    ),
    "lw-chars": (
        "The start is read one character per time step, from an empty state. After each, "
        "the network gives every character a probability of coming next; its guess is "
        "the most probable one. Generating would draw from those probabilities instead."
    ),
    "lw-input": (
        r"A character enters the network as a vector \(x_t\): its row of an embedding "
        r"matrix \(E\) (one row per character) that training adjusts like any weight. "
        "Characters that play alike in the text end up with alike rows."
    ),
    "lw-cell": (
        "The same cell, the same equations and the same arithmetic as in the function "
        r"labs; only \(x_t\) is now a character's embedding and the readout gives one "
        "score per character instead of one number."
    ),
    "lw-scores": (
        r"The readout: \(\hat y = W_y h_t + b_y\), one row of \(W_y\) per character. "
        "Scores can be any real number; only their differences matter to the softmax."
    ),
    "lw-probs": (
        r"\(p_k = e^{\hat y_k/\tau} / \sum_j e^{\hat y_j/\tau}\): positive, adding up "
        "to 1, in the order of the scores. The training loss after this character is "
        r"\(-\log p\) of the character that really comes next (the ▲)."
    ),
    "tk-loss": (
        "The mean cross-entropy of the right answer, −log p(right answer), per epoch: 0 "
        "would be certainty; log of the number of choices is a uniform guess."
    ),
    "tk-recall": (
        r"Each network reads the letters one per step, \(x_t\) the letter and a marker bit, "
        r"and answers after the last with a softmax over A–D. A vanilla RNN adds every letter "
        r"into \(h_t = \tanh(W_x x_t + W_h h_{t-1} + b)\) alike; an LSTM's input gate "
        r"\(i_t\) can open on the marker alone and its cell state "
        r"\(c_t = f_t \odot c_{t-1} + i_t \odot g_t\) keep the letter while \(f_t\) stays near 1."
    ),
    "tk-hidden": (
        "The sentence is read one word per step; each column is the state after that word. "
        "Two sentences that begin alike have identical first columns: the state depends "
        "only on what has been read so far."
    ),
    "tk-classes": (
        "The class probabilities come from the state after the last word only: everything "
        "the network knows about the sentence has to fit in that one vector."
    ),
    "tk-embedding": (
        "Each word is a learned vector (its embedding). Projected on the two directions in "
        "which the vectors vary most, words the task treats alike end up close together."
    ),
    "tk-attention": (
        "At each output step the decoder scores every encoder state, turns the scores into "
        r"weights \(\alpha_{t,s}\) with a softmax, and reads their weighted sum, the "
        r"context \(c_t = \sum_s \alpha_{t,s} k_s\). A dark square is where it looked."
    ),
    "tk-context": (
        "The context vector at each output step: the weighted sum of encoder states that "
        "attention handed to the decoder for that character."
    ),
    "tk-encoder": ("The encoder's state after each source character: what attention chooses from."),
    "tk-choice": (
        "The character the decoder chose at each step (the most probable, fed back as its "
        "next input) and how sure it was."
    ),
}
