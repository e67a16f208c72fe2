"""What the session record costs a presenter's click: the time of a presenter's step over
/live (Flask-SocketIO's test client, in process, on a SQLite file) with the record
written and with its writes left out, alternating in blocks so both share the machine's
drift; and what a scripted session leaves in the record.

.venv/bin/python bench/live_record.py [--steps 200] [--rounds 4] [--students 5]

Prints the median and p90 of a step's round trip with and without the record, the
rows a session of ``--steps`` steps, a poll and ``--students`` students leaves, and the
machine's load average (it is shared: read the figures beside it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).parents[1] / "tests")]

import livekit  # noqa: E402
from livekit import Person, presenter, student  # noqa: E402

from course import create_app  # noqa: E402
from course.live import record  # noqa: E402
from course.storage import db  # noqa: E402
from course.storage.models import LiveEvent  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--students", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="live-record-"))
    app = create_app(
        {
            "TESTING": True,
            "COMPILATION_CACHE_DIR": str(work / "jax"),
            "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
            "LIVE_CODE_ADDRESS_RATE_LIMIT": "100000/60",
            "SOCKET_EVENT_RATE": "100000/1",
        }
    )
    teacher_id = livekit.instructor(app, "teacher-1")  # as livekit.presenter signs in
    with app.app_context():
        lesson = app.extensions["lessons"].get(livekit.LESSON)
        code = app.extensions["live"].start(lesson, "cell-walk", teacher_id)
    people: list[Person] = []
    teacher = presenter(app, people, code)
    for k in range(args.students):
        student(app, people, code, f"Student {k}")
    writes = record.write
    timings: dict[str, list[float]] = {"with the record": [], "without": []}
    block = max(1, args.steps // (2 * args.rounds))
    for _ in range(args.rounds):
        for label in timings:
            record.write = writes if label == "with the record" else (lambda *a, **k: None)  # type: ignore[assignment]
            for _ in range(block):
                start = time.perf_counter()
                ack = teacher.call("present", {"code": code, "action": "step"})
                timings[label].append(time.perf_counter() - start)
                assert ack["ok"], ack
    record.write = writes  # type: ignore[assignment]
    teacher.call("poll", {"code": code, "op": "open", "quiz": "forget-gate"})
    teacher.call("poll", {"code": code, "op": "close"})
    teacher.call("end", {"code": code})
    with app.app_context():
        rows = db.get_session().query(LiveEvent).count()
    for label, values in timings.items():
        values.sort()
        p90 = values[int(0.9 * (len(values) - 1))]
        print(
            f"step round trip {label:17s}: median {1000 * statistics.median(values):6.1f} ms,"
            f" p90 {1000 * p90:6.1f} ms ({len(values)} steps)"
        )
    print(f"record rows after the session: {rows} (steps with the record, joins, poll, end)")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for person in people:
        person.close()


if __name__ == "__main__":
    main()
