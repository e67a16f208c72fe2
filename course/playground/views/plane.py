"""Where the diagram's parts sit on its 12.3 × 6.8 plane (data units, not pixels).

xₜ enters on the left, hₜ leaves on the right and loops back over the top to be
multiplied by w_h at the next step:  hₜ = act(w_x·xₜ + w_h·hₜ₋₁ + b).
"""

from __future__ import annotations

Y, TOP = 2.4, 4.9  # the main line and the loop
X_RANGE, Y_RANGE = (-0.1, 12.3), (-0.2, 5.95)
BOXES: dict[str, tuple[float, float, str]] = {
    "x": (1.0, Y, "xₜ input"),
    "b": (5.2, 0.45, "b bias"),
    "h_prev": (7.9, TOP, "hₜ₋₁ previous state"),
    "h": (10.6, Y, "hₜ new state"),
}
OPS: dict[str, tuple[float, float]] = {
    "mul_x": (3.1, Y),
    "sum": (5.2, Y),
    "act": (7.6, Y),
    "mul_h": (5.2, TOP),
}
BOX_W, BOX_H = 1.8, 0.9
OP_R = 0.3  # radius of an operation circle, in plane units (for arrow ends)
ACT_W, ACT_H = 1.4, 0.75
# (x0, y0, x1, y1) of the lines, then of the arrows that end at a node's edge.
LINES = [
    (10.6, Y + BOX_H / 2, 10.6, TOP),  # h_t up…
    (10.6, TOP, 7.9 + BOX_W / 2, TOP),  # …and back along the top to h_{t−1}
]
ARROWS = [
    (1.0 + BOX_W / 2, Y, 3.1 - OP_R, Y),  # x_t → ×w_x
    (3.1 + OP_R, Y, 5.2 - OP_R, Y),  # w_x·x_t → +
    (7.9 - BOX_W / 2, TOP, 5.2 + OP_R, TOP),  # h_{t−1} → ×w_h
    (5.2, TOP - OP_R, 5.2, Y + OP_R),  # w_h·h_{t−1} → +
    (5.2, 0.45 + BOX_H / 2, 5.2, Y - OP_R),  # b → +
    (5.2 + OP_R, Y, 7.6 - ACT_W / 2, Y),  # a_t → act
    (7.6 + ACT_W / 2, Y, 10.6 - BOX_W / 2, Y),  # act → h_t
    (10.6 + BOX_W / 2, Y, 12.2, Y),  # h_t → out
]
