"""A first start compiles its warm-up in a child process that fills the persistent
compilation cache, and the server loads every program from there: it compiles none
itself, so it does not keep the compiler's memory (course/prewarm.py). A restart
finds the cache marked and loads at once. Both are read off /healthz."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

from servers import ROOT, CourseServer

SECRET = "prewarm-secret-of-32-characters-or-more"
LESSONS = ROOT / "tests" / "fixtures" / "lessons"


def warmed(server: CourseServer) -> dict[str, Any]:
    """The server's warm-up status once it is done (the machine may be busy)."""
    deadline = time.monotonic() + 600
    while True:
        with urllib.request.urlopen(server.url + "/healthz", timeout=30) as reply:
            warmup: dict[str, Any] = json.load(reply)["warmup"]
        if warmup["state"] == "done":
            return warmup
        assert time.monotonic() < deadline, f"the warm-up is still {warmup}"
        time.sleep(0.5)


def test_a_first_start_loads_the_warm_up_a_child_compiled_and_a_restart_loads_it_too(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "jax-cache"
    env = {
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp_path / 'unrolled.sqlite3'}",
        "UNROLLED_LESSONS_DIR": str(LESSONS),
        "UNROLLED_COMPILATION_CACHE_DIR": str(cache),
    }
    for start in ("first", "restart"):
        server = CourseServer(env, tmp_path / f"{start}.log", warmup=True)
        try:
            done = warmed(server)
        finally:
            server.stop()
        assert done["programs_compiled_here"] == 0, (start, done)
        assert done["programs_loaded"] > 0, (start, done)
        assert len(list(cache.glob("prewarmed-*"))) == 1
