"""How many threads XLA's CPU client computes with.

XLA runs every program on an intra-op ("Eigen") thread pool, by default as big as the
machine's cores. Our programs are small (a few dozen units), so a training epoch
gains nothing from a second pool thread, and the pool's threads spin while they wait
for work: measured on a 2-core machine, one training loop kept both pool threads at
about 80 % of a core each (1.75 cores in all) and trained 1,721–1,896 epochs in 8 s;
with one pool thread it used one core and trained 1,750–1,988. A server that trains
for a room of learners leaves the other cores to their clicks and frames only if the
pool is no bigger than the training it runs at once.

The pool's size is read from the environment variable ``NPROC`` when the backend
starts (XLA's ``DefaultThreadPoolSize``), so it must be set before the first
computation of the process.
"""

from __future__ import annotations

import os

from jax._src import xla_bridge


def limit_compute_threads(threads: int) -> bool:
    """Give XLA's CPU pool ``threads`` threads (unless ``NPROC`` is set already): True
    if it will, False if the backend has started already (then nothing changes)."""
    if threads < 1:
        raise ValueError("XLA needs at least one compute thread")
    if xla_bridge.backends_are_initialized():
        return False
    os.environ.setdefault("NPROC", str(threads))
    return True
