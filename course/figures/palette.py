"""Colours. Blue and orange (Okabe–Ito) stay distinguishable for colour-blind
learners; orange marks the cell level of detail and the current step."""

BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8C8C8C"
LIGHT = "#EEF2F6"
INK = "#1F2933"

# Diverging blue – white – orange for values in [−1, 1].
DIVERGING = [
    "#0B4F7C", "#1F6FA5", "#4A90C2", "#7FB2D9", "#B5D3EC", "#E6EEF5",
    "#F7EBD7", "#F5D29E", "#F0B765", "#E69F00", "#B97A00", "#8A5A00",
]  # fmt: skip

# One colour per layer (Okabe–Ito order, black last so seven layers stay apart).
LAYERS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]

# One colour per level of detail, as exploRNN: blue the whole network, bluish green
# one layer, orange one cell (all three Okabe–Ito, apart for colour-blind learners).
GREEN = "#009E73"
LEVELS = {"overview": BLUE, "layer": GREEN, "cell": ORANGE}
