"""The memory task (lesson 4, "When memory decides"): held-out accuracy of the vanilla
RNN, the LSTM and the GRU after each epoch, and the time each epoch takes.

    .venv/bin/python bench/memory.py [length] [epochs] [seed]     (default 16 10 0)

The lesson's numbers are those of the defaults. The first epoch compiles the three
networks' programs; the times after it are what a learner waits per epoch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course.tasks.runs import MemoryRun  # noqa: E402
from course.tasks.spec import parse_block  # noqa: E402


def main() -> None:
    given = [int(a) for a in sys.argv[1:4]]
    length, epochs, seed = given + [16, 10, 0][len(given) :]
    run = MemoryRun(parse_block("recall", {"kind": "memory", "length": length, "seed": seed}))
    print(f"T = {length}, seed {seed}: held-out accuracy (500 sequences), chance 25 %")
    print("epoch    RNN    LSTM    GRU    seconds (all three)")
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        run.train_epoch(run.generation)
        took = time.perf_counter() - started
        a = {cell: net.history[-1][1] for cell, net in run.nets.items()}
        note = "  (compiles)" if epoch == 1 else ""
        print(f"{epoch:5d}  {a['rnn']:6.1%}  {a['lstm']:6.1%}  {a['gru']:6.1%}  {took:8.3f}{note}")


if __name__ == "__main__":
    main()
