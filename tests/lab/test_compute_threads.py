"""A served process computes on no more XLA threads than it trains at once: XLA's
pool threads spin while they wait, and a room's clicks and frames need the other
cores (engine.host)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from servers import CourseServer

SECRET = "compute-threads-secret-of-32-characters-or-more"


def pool_threads(pid: int) -> int:
    """Threads of process ``pid`` named by XLA's intra-op pool."""
    count = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            count += "XLAEigen" in (task / "comm").read_text()
        except OSError:  # a thread that ended meanwhile (ENOENT or ESRCH)
            continue
    return count


def test_a_server_computes_on_as_many_xla_threads_as_its_training_slots(tmp_path):
    env = {
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp_path / 'unrolled.sqlite3'}",
        "UNROLLED_TRAINING_SLOTS": "1",
    }
    server = CourseServer(env, tmp_path / "server.log")
    try:
        # A GIF of a lesson's lab: a forward pass, computed by the server.
        url = f"{server.url}/export/lstm-cell/cell-walk.gif?steps=2&size=320"
        with urllib.request.urlopen(url, timeout=120) as reply:
            assert reply.headers["Content-Type"] == "image/gif"
        assert pool_threads(server.proc.pid) == 1
    finally:
        server.stop()
