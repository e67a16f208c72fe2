"""SQLite writers of one process take turns (course/storage/db.py ``writing``): under a
burst, such as a class joining a live session at once, every write lands."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from course.storage import db
from course.storage.models import Learner


def test_a_burst_of_writers_on_sqlite_all_land(tmp_path: Path, monkeypatch: Any) -> None:
    """A class joining at once: every writer's row lands though each holds the write
    lock for a while and all of them together far longer than SQLite's busy timeout
    (shortened here to 50 ms so the burst is short; it is 5 s in the product)."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'burst.sqlite3'}")
    db.upgrade(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    failures: list[BaseException] = []

    def join(k: int) -> None:
        try:
            with db.writing(factory) as session:
                session.add(Learner(id=f"student-{k}"))
                session.flush()
                threading.Event().wait(0.01)  # the rest of a join's work in its transaction
        except Exception as error:  # noqa: BLE001 - counted and shown below
            failures.append(error)

    threads = [threading.Thread(target=join, args=(k,)) for k in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with factory() as session:
        landed = session.scalars(select(Learner.id)).all()
    engine.dispose()
    assert not failures, failures[:1]
    assert len(landed) == 40
