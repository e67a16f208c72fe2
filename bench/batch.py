"""Does training several labs of one shape in one program (``jax.vmap`` over labs) raise
epochs/s? (issue 16, item 3: measure both ways, keep what wins.)

.venv/bin/python bench/batch.py [--labs 2 4 8 16] [--rounds 30]

For N labs of the exploRNN default (3×16 LSTM, window 15, batch 25, RMSprop), each with
its own seed: one epoch of each, one after another, as the scheduler runs them today
(``train_epoch`` N times) against one epoch of all N in one vmapped program. The two
alternate round by round in this process, so both meet the same machine. Prints the
wall time of a round (median, p99) both ways, epochs/s, and what a learner waits: with
one program, every lab's epoch ends when the slowest ends (the round's time), where in
turn the first lab's ends after 1/N of it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Lab, LabConfig  # noqa: E402
from engine.train import DATASETS, _epoch, _program_spec, clip_norm, train_epoch  # noqa: E402  # noqa: E402


def compare(n: int, rounds: int) -> None:
    """N labs trained a round at a time, in turn and vmapped, alternating."""
    labs = [Lab(LabConfig(seed=seed)) for seed in range(n)]
    cfg = labs[0].config
    spec = _program_spec(cfg.train)
    lr = jax.device_put(np.float32(cfg.learning_rate))
    noise = jax.device_put(np.float32(cfg.noise))
    norm = jax.device_put(np.float32(clip_norm(cfg.clip)))
    length = np.int32(cfg.train.window)
    dataset = np.int32(DATASETS.index(cfg.train.dataset))

    def one(p: Any, o: Any, k: Any) -> Any:
        return _epoch(p, o, k, lr, noise, norm, length, dataset, config=cfg.model, spec=spec)

    program = jax.jit(jax.vmap(one))
    params = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[lab.params for lab in labs])
    opt = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[lab.opt_state for lab in labs])
    keys = jnp.stack([lab.key for lab in labs])

    def in_turn() -> None:
        for lab in labs:
            lab.params, lab.opt_state, lab.key, metrics = train_epoch(
                lab.params, lab.opt_state, lab.key, lr, noise, norm,
                config=cfg.model, spec=cfg.train,
            )  # fmt: skip
            float(metrics.loss)  # as Lab.train: the loss on the host

    def together() -> None:
        nonlocal params, opt, keys
        params, opt, keys, metrics = program(params, opt, keys)
        np.asarray(metrics.loss)

    for fn in (in_turn, together, in_turn, together):  # compile, settle
        fn()
    times: dict[str, list[float]] = {"in turn": [], "vmapped": []}
    for _ in range(rounds):
        for name, fn in (("in turn", in_turn), ("vmapped", together)):
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    print(f"\n{n} labs, one epoch each per round ({rounds} rounds, alternating)")
    for name, seconds in times.items():
        ms = np.asarray(seconds) * 1000
        rate = n / np.median(seconds)
        print(f"  {name:<8} round median {np.median(ms):8.2f} ms  p99 "
              f"{np.percentile(ms, 99):8.2f} ms   {rate:7.1f} epochs/s")  # fmt: skip
    ratio = np.median(times["vmapped"]) / np.median(times["in turn"])
    print(f"  vmapped / in turn: {ratio:.2f} of the time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labs", type=int, nargs="*", default=[2, 4, 8, 16])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    print(f"jax {jax.__version__}, {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    for n in args.labs:
        compare(n, args.rounds)
    print(f"\nload {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
