"""Playing a lab: what each tick of a play loop does to it, and how often it ticks.
``/lab`` and ``/live`` play the same way (a ``Player`` each loop).

By compute step or time step a tick advances the stepper once, every
``PLAY_INTERVAL / speed`` seconds. By epoch a tick is one move of the epoch's *tour*,
so a learner sees each epoch's phases in order, as exploRNN shows them: the forward
pass over the window, time step after time step; validate; the backward pass, from
the last time step to the first; the update; then the epoch is trained (its loss
joins the curve) and the next tour shows the new weights' forward pass. At 1× an
epoch takes ``EPOCH_SECONDS``. Faster, the sweeps show fewer time steps (a browser
gets at most one frame every ``MIN_INTERVAL``), and at the fastest speeds only the
trained epochs, one a frame.
"""

from __future__ import annotations

from engine import Lab

# Seconds between two frames when playing at 1× (the speed divides them): 2.5 compute
# steps a second, so 8× by compute step brings the browser 20 updates a second.
PLAY_INTERVAL = {"compute": 0.4, "timestep": 0.8}
EPOCH_SECONDS = 4.0  # one epoch's tour at 1×: exploRNN's default pace
MIN_INTERVAL = 0.05  # at most 20 frames a second from one playing lab

Move = tuple[str, int | None]  # (phase, time step): show the phase done up to there


def tour(window: int, sweep: int) -> list[Move]:
    """An epoch's moves: ``sweep`` time steps of the forward pass (evenly spread, the
    last one T − 1), validate, as many of the backward pass (ending at t = 0), update."""
    ends = [round((i + 1) * window / sweep) - 1 for i in range(sweep)]
    forward: list[Move] = [("forward", t) for t in ends]
    backward: list[Move] = [("backward", window - 1 - t) for t in ends]
    return [*forward, ("validate", None), *backward, ("update", None)]


class Player:
    """One play loop's cadence (``interval``) and moves (``advance``)."""

    def __init__(self, granularity: str, speed: float, window: int) -> None:
        self.granularity = granularity
        self.moves: list[Move] = []
        self.next = 0  # the tour's next move
        if granularity != "epoch":
            self.interval = max(MIN_INTERVAL, PLAY_INTERVAL[granularity] / speed)
            return
        period = EPOCH_SECONDS / speed
        # As many time steps per sweep as the period has room for at MIN_INTERVAL a move
        # (two sweeps, validate, update); none: trained epochs only.
        sweep = min(window, int((period / MIN_INTERVAL - 2) // 2))
        if sweep >= 1:
            self.moves = tour(window, sweep)
        self.interval = max(MIN_INTERVAL, period / max(1, len(self.moves)))

    def advance(self, lab: Lab) -> bool:
        """Do one tick's move on ``lab``; True when it trained (new weights and loss)."""
        if self.granularity != "epoch":
            lab.advance(self.granularity)
            return False
        if not self.moves:
            lab.train(1)
            return True
        trained = self.next == len(self.moves)
        if trained:  # the tour is done: the epoch trains, the next tour starts
            lab.train(1)
            self.next = 0
        show(lab, *self.moves[self.next])
        self.next += 1
        return trained


def show(lab: Lab, phase: str, t: int | None) -> None:
    """Put the cursor where ``phase`` is done up to time step ``t`` (the forward and
    backward passes), at validate, or at the end of the update (every layer's ΔW)."""
    lab.jump(phase, t)
    if phase != "validate":
        lab.advance("timestep")  # to the end of that time step (of the update)
