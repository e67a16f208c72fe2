"""The child process of a first start's warm-up (``python -m course.prewarm LESSONS
CACHE``): it compiles every program the lessons offer, each written to the persistent
compilation cache, and exits; the server then loads them from the cache
(``course.warmup.fill``, which explains why).
"""

from __future__ import annotations

import logging
import sys

from flask import Flask


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
