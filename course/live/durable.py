"""The durable record of running live sessions, in the database, behind the fast path.

``DurableStore`` writes every acknowledged change (state, view, and the lab's snapshot
when the weights changed) and every vote to the database before the fast path (Redis
or memory), so nothing acknowledged lives only in Redis. When the fast path has lost a
session (Redis restarted empty, the process restarted) the next read puts it back from
here, votes included, with the same ``seq``. While Redis is down, reads come from here
(pages still render, late joiners see the last state) and changes are refused as
``unavailable``: without the session's lock no change is safe.

The database write is fenced like Redis's: a state is stored only over an older
``seq``, so a process whose lock lapsed cannot overwrite a newer change. A row not
touched for ``TTL_SECONDS`` is a forgotten session; its code may be reused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from course.live.redisstore import RedisStore
from course.live.store import (
    TTL_SECONDS,
    FastStore,
    LiveStore,
    MemoryStore,
    Stored,
    conflict,
    unavailable,
)
from course.storage.db import transaction
from course.storage.models import LiveSessionState, LiveVote, utcnow
from course.web.validation import PayloadError

log = logging.getLogger(__name__)
T = TypeVar("T")


class DurableStore:
    """A ``LiveStore``: the database for what must survive, ``fast`` for the rest."""

    def __init__(self, fast: FastStore, database: sessionmaker[Session]) -> None:
        self.fast = fast
        self.database = database

    # -- the database ------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Session]:
        try:
            with transaction(self.database) as session:
                yield session
        except (PayloadError, IntegrityError):
            raise
        except SQLAlchemyError:
            log.exception("the live sessions' database failed")
            raise unavailable() from None

    def _read(self, fn: Callable[[Session], T]) -> T:
        try:
            with self.database() as session:
                return fn(session)
        except SQLAlchemyError:
            log.exception("the live sessions' database failed")
            raise unavailable() from None

    @staticmethod
    def _fresh() -> Any:
        return LiveSessionState.updated_at >= utcnow() - timedelta(seconds=TTL_SECONDS)

    def _row(self, code: str) -> Stored | None:
        def read(session: Session) -> Stored | None:
            row = session.scalar(
                select(LiveSessionState).where(LiveSessionState.code == code, self._fresh())
            )
            return None if row is None else (row.meta, row.view, row.lab)

        return self._read(read)

    def _db_votes(self, code: str) -> dict[str, dict[str, Any]]:
        def read(session: Session) -> dict[str, dict[str, Any]]:
            found: dict[str, dict[str, Any]] = {}
            for vote in session.scalars(select(LiveVote).where(LiveVote.code == code)):
                found.setdefault(vote.poll, {})[vote.learner] = vote.answer
            return found

        return self._read(read)

    # -- the state -----------------------------------------------------------------------
    def save(
        self, code: str, meta: dict[str, Any], view: dict[str, Any], lab: bytes | None
    ) -> None:
        seq, now = int(meta["seq"]), utcnow()
        values: dict[str, Any] = {"seq": seq, "meta": meta, "view": view, "updated_at": now}
        if lab is not None:
            values["lab"] = lab
        try:
            with self._write() as session:
                saved = session.execute(
                    update(LiveSessionState)
                    .where(LiveSessionState.code == code, LiveSessionState.seq < seq, self._fresh())
                    .values(**values)
                ).rowcount  # type: ignore[attr-defined]
                if not saved:
                    self._create(session, code, values)
        except IntegrityError:  # two processes creating one code at once
            raise conflict() from None
        self.fast.save(code, meta, view, lab)

    def _create(self, session: Session, code: str, values: dict[str, Any]) -> None:
        """A new session, or one under the code of a forgotten one (its row and votes
        go); anything else is a newer state than ours: a conflict."""
        old = session.get(LiveSessionState, code)
        stale = utcnow() - timedelta(seconds=TTL_SECONDS)
        if old is not None and old.updated_at >= stale:
            raise conflict()
        if old is not None:
            session.execute(delete(LiveVote).where(LiveVote.code == code))
            session.delete(old)
            session.flush()
        # Ended sessions keep their record (the gradebook reads which question each poll
        # put); only their lab and view, the bulk, go.
        session.execute(
            update(LiveSessionState)
            .where(LiveSessionState.updated_at < stale, LiveSessionState.lab != b"")
            .values(lab=b"", view={})
        )
        values = {"lab": b""} | values
        session.add(LiveSessionState(code=code, started_at=values["updated_at"], **values))

    def load(self, code: str) -> Stored | None:
        try:
            found = self.fast.load(code)
        except PayloadError:  # Redis is down: the last acknowledged state, read-only
            return self._row(code)
        return found if found is not None else self._restore(code)

    def _restore(self, code: str) -> Stored | None:
        """Put session ``code`` back in the fast path from the database (after a restart)."""
        row = self._row(code)
        if row is None:
            return None
        meta, view, lab = row
        try:
            self.fast.save(code, meta, view, lab)
            self.fast.restore_votes(code, self._db_votes(code))
            log.info("live session %s restored from the database at seq %s", code, meta["seq"])
        except PayloadError as error:
            if error.code != "conflict":  # another process restored it first: fine
                raise
        return self.fast.load(code) or row

    def seq(self, code: str) -> int | None:
        try:
            found = self.fast.seq(code)
        except PayloadError:
            row = self._row(code)
            return None if row is None else int(row[0]["seq"])
        if found is not None:
            return found
        restored = self._restore(code)
        return None if restored is None else int(restored[0]["seq"])

    def lock(self, code: str) -> AbstractContextManager[Any]:
        return self.fast.lock(code)

    # -- votes ---------------------------------------------------------------------------
    def vote(self, code: str, poll: str, learner: str, answer: Any) -> bool:
        for attempt in range(2):  # the same learner's two tabs voting at once: retry once
            try:
                with self._write() as session:
                    found = session.get(LiveVote, (code, poll, learner))
                    if found is None:
                        session.add(LiveVote(code=code, poll=poll, learner=learner, answer=answer))
                    else:
                        found.answer, found.updated_at = answer, utcnow()
                break
            except IntegrityError:
                if attempt:
                    raise conflict() from None
        return self.fast.vote(code, poll, learner, answer)

    def votes(self, code: str, poll: str) -> dict[str, Any]:
        try:
            return self.fast.votes(code, poll)
        except PayloadError:
            return self._db_votes(code).get(poll, {})

    def clear_votes(self, code: str, poll: str) -> None:
        with self._write() as session:
            session.execute(delete(LiveVote).where(LiveVote.code == code, LiveVote.poll == poll))
        self.fast.clear_votes(code, poll)

    def delete(self, code: str) -> None:
        with self._write() as session:
            session.execute(delete(LiveVote).where(LiveVote.code == code))
            session.execute(delete(LiveSessionState).where(LiveSessionState.code == code))
        self.fast.delete(code)

    # -- what lives in the fast path only ---------------------------------------------------
    def beat(
        self, code: str, conn: str, learner: str, name: str, *, staff: bool, exploring: bool = False
    ) -> bool:
        return self.fast.beat(code, conn, learner, name, staff=staff, exploring=exploring)

    def gone(self, code: str, conn: str) -> None:
        self.fast.gone(code, conn)

    def present(self, code: str) -> dict[str, str]:
        return self.fast.present(code)

    def people(self, code: str) -> dict[str, tuple[str, bool]]:
        return self.fast.people(code)

    def connections(self, code: str, learner: str) -> list[str]:
        return self.fast.connections(code, learner)

    def presenter_here(self, code: str) -> bool:
        return self.fast.presenter_here(code)

    def hold_player(self, code: str, owner: str) -> None:
        self.fast.hold_player(code, owner)

    def release_player(self, code: str, owner: str) -> None:
        self.fast.release_player(code, owner)

    def player_alive(self, code: str, owner: str) -> bool:
        return self.fast.player_alive(code, owner)

    def ping(self) -> None:
        self.fast.ping()


def make_store(redis_url: str | None, database: Any | None = None) -> LiveStore:
    """Redis (or memory), behind the database's durable record when ``database`` (a
    SQLAlchemy ``sessionmaker``) is given."""
    fast: FastStore = RedisStore(redis_url) if redis_url else MemoryStore()
    return fast if database is None else DurableStore(fast, database)
