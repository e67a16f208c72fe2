"""A first start's warm-up compiled in a child process, which fills the persistent
compilation cache; the server's own warm-up then loads every program from it.

A process that compiles a program keeps about 200 MB more, after the lessons'
warm-up, than one that loads the same programs from the cache (the compiler's
memory, which ``malloc_trim`` does not give back): a server on its first start sat at
~1,070 MB, after a restart at ~880 MB (bench/room.py). So on a start whose cache
holds no warm-up for this code (no marker for its ``fingerprint``), ``fill`` runs
``python -m course.prewarm`` at a lower CPU priority, waits for it, and marks the
cache. Several processes of one deployment share the cache and a lock: one child
compiles, the others wait for it. If the child fails, the server's warm-up compiles
in its own process, as before.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import jax
from flask import Flask

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
NICE = 10  # below the server: learners' clicks first
TIMEOUT = 3600.0  # seconds: a child still compiling by then is stopped


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
    cache = Path(app.config["COMPILATION_CACHE_DIR"])
    lessons_dir = str(app.config["LESSONS_DIR"])
    marker = cache / f"prewarmed-{fingerprint(lessons_dir)}"
    if marker.exists():
        return True
    with open(cache / "prewarm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process's child may be compiling
        if marker.exists():
            return True
        command = [sys.executable, "-m", "course.prewarm", lessons_dir, str(cache)]
        log.info("warm-up: compiling into the cache in a child process")
        try:
            done = subprocess.run(
                command, cwd=ROOT, timeout=TIMEOUT, preexec_fn=lambda: os.nice(NICE), check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            log.exception("the warm-up's child process failed")
            return False
        if done.returncode != 0:
            log.error("the warm-up's child process failed (exit %s)", done.returncode)
            return False
        marker.touch()
        return True


def main(lessons_dir: str, cache_dir: str) -> None:
    """The child: the lessons' warm-up, each program compiled here and written to the
    cache (course/warmup.py)."""
    from course import lessons, warmup
    from engine import host
    from engine.cache import enable_compilation_cache

    host.limit_compute_threads(1)  # beside a serving process on a small machine
    enable_compilation_cache(cache_dir)
    app = Flask("unrolled-prewarm")
    app.config["LESSONS_DIR"] = lessons_dir
    lessons.init_app(app)
    warmup.compile_all(app)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    main(*sys.argv[1:3])
