"""How the process that hosts the engine computes and keeps memory: XLA's compute
threads, glibc's malloc arenas (Linux; elsewhere these change nothing) and Python's
cyclic garbage collector.

**Compute threads.**

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

**Malloc arenas.** glibc gives threads their own arenas (up to 8 per core), and a
server's socket, frame and training threads each keep theirs full of freed blocks:
measured in a room of 30 (bench/room.py), the server held 1,416 MB; with two arenas,
1,171 MB. ``trim`` gives what is free in them back to the system after a
compilation's scratch memory is released.

**The cyclic collector.** Python's collector stops every thread while it walks the
objects of the generation it collects; a full (generation-2) walk visits every tracked
object of the process. After the warm-up a server holds several hundred thousand
long-lived objects (JAX's traced programs, modules, lessons), and measured under a
room's load (bench/room.py with a gc callback) each full walk took 250–730 ms and
found nothing to free, one every 30–90 s: a freeze of every learner's click and
frame. ``freeze_heap`` collects once and moves what survives into the collector's
permanent generation, so later walks visit only what was made since.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os

from jax._src import xla_bridge

M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


def limit_compute_threads(threads: int) -> bool:
    """Give XLA's CPU pool ``threads`` threads (unless ``NPROC`` is set already): True
    if it will, False if the backend has started already (then nothing changes)."""
    if threads < 1:
        raise ValueError("XLA needs at least one compute thread")
    if xla_bridge.backends_are_initialized():
        return False
    os.environ.setdefault("NPROC", str(threads))
    return True


def limit_malloc_arenas(arenas: int) -> bool:
    """At most ``arenas`` malloc arenas for the threads started from now on (call it
    before the process starts its threads): True if glibc took it."""
    return _LIBC is not None and bool(_LIBC.mallopt(M_ARENA_MAX, arenas))


def trim() -> None:
    """Give freed memory back to the system: glibc keeps it in each thread's arena, and
    labs compile on many socket threads (measured: 730 → 600 MB after 24 programs)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


# JAX's memos that hold what a call of a compiled program needs (kept by
# ``drop_tracing_memos``); the others hold traced functions, for compiling again.
_DISPATCH_MEMOS = ("_cached_compilation", "_pjit_lower", "_infer_params_cached",
                   "_cached_lowering_to_hlo")  # fmt: skip


def drop_tracing_memos() -> int:
    """Forget JAX's memos of traced functions (jaxprs and their transformations, held
    for compiling something again), keeping the compiled programs and what their calls
    need: after the lessons' warm-up they held 69 MB (758 → 689 MB), and a lab opened
    afterwards trained at once. The memos are JAX's own (``jax._src.util._caches``,
    cleared in full by ``jax.clear_caches``); if that is gone, nothing happens. Returns
    how many memos were cleared."""
    from jax._src import util

    memos = getattr(util, "_caches", None)
    if memos is None:
        return 0
    cleared = 0
    for memo, name in list(memos.items()):
        if not any(kept in str(name) for kept in _DISPATCH_MEMOS):
            memo.cache_clear()
            cleared += 1
    trim()
    return cleared


def freeze_heap() -> None:
    """Collect, then keep every object alive now out of later collections' walks (they
    are still freed by reference counting; a cycle among them is kept). Call it once
    the process has built what it keeps: after start-up and after the warm-up."""
    gc.collect()
    gc.freeze()


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    has = libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt")
    return libc if has else None


_LIBC = _libc()
