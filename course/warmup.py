"""Compile what the lessons offer in the background at start-up, so no learner waits
for JAX and no lesson setting costs a learner's compile budget (course/lab/budget.py).

For each lesson lab: its own settings, and each setting its controls offer, one
control at a time (the layers slider's 1…7, every batch size, every cell...). Each
is trained an epoch and stepped to the update, which compiles all four of its
programs (engine.programs); programs compiled once cost no budget later, and the
persistent compilation cache keeps them across restarts (so the warm-up loads them
in the server's own process, not through the compile worker, which cannot use that
cache: ``engine.compile_worker``). On a first start a child process compiles them
into the cache first (``fill``): a process that compiles keeps the
compiler's memory. The lesson defaults are touched last, so the program cache's
bound evicts the variants first.

``start`` is what a serving process calls once its app exists: the heap built so far,
and again the one the warm-up leaves, is frozen out of the garbage collector's full
walks (``engine.host.freeze_heap``), which otherwise stop the server for hundreds of
milliseconds every minute or so.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jax
from flask import Flask

from course.lab.spec import LAB_BATCH_SIZES, LAB_HIDDEN_SIZES, LabSpec, merge_options, to_lab_config
from course.lessons.registry import lessons
from engine import Lab, LabConfig, cache, host
from engine.cells import ACTIVATIONS
from engine.model import CELL_KINDS, MAX_LAYERS
from engine.programs import PROGRAMS
from engine.series import OWN, Series
from engine.train import OPTIMIZERS
from engine.window import window_programs

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent

# What each control can reach that compiles something new (the learning rate, noise
# and the function are run-time arguments of the same programs; own data: below).
REACH: dict[str, list[dict[str, Any]]] = {
    "layers": [{"layers": n} for n in range(1, MAX_LAYERS + 1)],
    "hidden": [{"hidden": n} for n in LAB_HIDDEN_SIZES],
    "batch_size": [{"batch_size": n} for n in LAB_BATCH_SIZES],
    "model": [
        {"model": c, "activation": a}
        for c in CELL_KINDS
        for a in ACTIVATIONS
        if c == "rnn" or a == "tanh"
    ],  # fmt: skip
    "optimizer": [{"optimizer": name} for name in OPTIMIZERS],
}


# A learner's own series compiles a training epoch of its own (engine.train), whatever
# the series: any series of the lab's window warms it.
def _stand_in(window: int) -> Series:
    return Series(tuple(math.sin(0.3 * k) for k in range(2 * window + 2)))


def offered(spec: LabSpec) -> Iterator[LabConfig]:
    """The configs a lab's controls reach, one control at a time, then its own."""
    for control in spec.controls:
        for change in REACH.get(control, []):
            yield to_lab_config(merge_options(spec.options, change))
        if control == "own_data":
            own = merge_options(spec.options, {"dataset": OWN})
            yield to_lab_config(own, _stand_in(spec.options["window"]))
    yield spec.config


def warm(config: LabConfig) -> None:
    """Compile every program a lab of ``config`` uses (those not in memory now)."""
    keys = window_programs(config)
    if all(key in PROGRAMS for key in keys):
        PROGRAMS.touch(keys)  # in memory: now the most recently used
        return
    # Compiled before but evicted since (the variants of later labs pushed it out): the
    # defaults, warmed last, must be in memory, or a class's first clicks compile them.
    lab = Lab(config)
    lab.train(1)
    lab.jump("update")  # compiles the backward pass and the update too


_STATE = {"state": "off"}  # this process's warm-up, as /healthz shows it


def status() -> dict[str, object]:
    """This process's warm-up: off, filling the cache (a child compiles), loading, or
    done; with the programs loaded from the persistent cache and compiled here."""
    loaded, compiled = cache.loads()
    return _STATE | {"programs_loaded": loaded, "programs_compiled_here": compiled}


def warm_up(app: Flask) -> None:
    """The server's warm-up: on a first start a child compiles it into the persistent
    cache (``fill``), then this process loads it from there."""
    _STATE["state"] = "filling the cache"
    try:
        fill(app)
    except OSError:  # a cache directory we cannot lock or mark: compile here, as before
        log.exception("the warm-up could not use the cache's lock or marker")
    _STATE["state"] = "loading"
    with PROGRAMS.here():
        compile_all(app)
    host.drop_tracing_memos()  # the programs are compiled: their traces are not needed
    _STATE["state"] = "done"
    host.freeze_heap()


def compile_all(app: Flask) -> None:
    """Compile (or load from the persistent cache) every program the lessons offer."""
    specs = [(lesson, spec) for lesson in lessons(app).lessons.values()
             for spec in lesson.labs.values()]  # fmt: skip
    for lesson, spec in specs:
        for config in offered(spec):
            try:
                warm(config)
            except Exception:  # a warm-up failure must never stop the server
                log.exception("warm-up of %s/%s failed", lesson.slug, spec.id)
    for _, spec in specs:  # the defaults last: the most recently used programs
        try:
            warm(spec.config)
        except Exception:
            log.exception("warm-up of %s failed", spec.id)
    log.info("warm-up: %d programs compiled, %d in memory", PROGRAMS.compiled, len(PROGRAMS))
    from course.tasks.namespace import warm_up_tasks

    warm_up_tasks(lessons(app).lessons.values())


def start(app: Flask, *, warmup: bool) -> None:
    """Settle the heap of a process about to serve ``app``; then warm up in the
    background if asked."""
    host.freeze_heap()
    if warmup:
        threading.Thread(target=warm_up, args=(app,), name="warm-up", daemon=True).start()


# -- a first start: a child process compiles the warm-up into the cache -------------------
#
# A process that compiles a program keeps about 200 MB more, after the lessons'
# warm-up, than one that loads the same programs from the cache (the compiler's
# memory, which ``malloc_trim`` does not give back): a server on its first start sat at
# ~1,080 MB, after a restart at ~825 MB. So on a start whose cache holds no warm-up for
# this code (no marker for its ``fingerprint``), ``fill`` runs ``python -m
# course.prewarm`` at a lower CPU priority, waits for it, and marks the cache. Several
# processes of one deployment share the cache and a lock: one child compiles, the
# others wait for it. If the child fails, the warm-up compiles in this process.

PREWARM_NICE = 10  # below the server: learners' clicks first
PREWARM_TIMEOUT = 3600.0  # seconds: a child still compiling by then is stopped


def fingerprint(lessons_dir: str) -> str:
    """What the cached warm-up depends on: JAX, our code and the lessons."""
    digest = hashlib.sha256(f"{jax.__version__} {os.environ.get('XLA_FLAGS', '')}".encode())
    files = sorted((ROOT / "engine").rglob("*.py")) + sorted((ROOT / "course").rglob("*.py"))
    files += sorted(Path(lessons_dir).glob("*.md"))
    for path in files:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:20]


def fill(app: Flask) -> bool:
    """Have a child compile the warm-up into the cache unless the cache has it for this
    code already: True if the cache is now filled (or was)."""
    directory = Path(app.config["COMPILATION_CACHE_DIR"])
    lessons_dir = str(app.config["LESSONS_DIR"])
    marker = directory / f"prewarmed-{fingerprint(lessons_dir)}"
    if marker.exists():
        return True
    with open(directory / "prewarm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process's child may be compiling
        if marker.exists():
            return True
        command = [sys.executable, "-m", "course.prewarm", lessons_dir, str(directory)]
        log.info("warm-up: compiling into the cache in a child process")
        try:
            done = subprocess.run(
                command,
                cwd=ROOT,
                timeout=PREWARM_TIMEOUT,
                preexec_fn=lambda: os.nice(PREWARM_NICE),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            log.exception("the warm-up's child process failed")
            return False
        if done.returncode != 0:
            log.error("the warm-up's child process failed (exit %s)", done.returncode)
            return False
        marker.touch()
        return True
