"""Where live sessions are kept so that every server process sees the same one.

Two layers (``durable.make_store`` builds them):

- the fast path: ``MemoryStore`` for one process (the embedded default), or
  ``redisstore.RedisStore`` for several behind a proxy with sticky sessions. It holds
  each session's state (and, when the weights changed, the lab's snapshot bytes),
  votes, presence, the session's lock and who plays it;
- the durable record (``durable.DurableStore`` around the fast path): every
  acknowledged change and vote is written to the database first, so a Redis restart
  or a process restart loses no session: the next read puts it back in the fast path.

Writes are fenced by ``seq``: a state is stored only over an older one, so a process
whose lock lapsed can never overwrite a newer change. Presence is by heartbeat with
expiry (a crashed process's students drop out by themselves); a play loop holds a
short lease, so a session whose player died is seen as such.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from course.web.validation import PayloadError

TTL_SECONDS = 12 * 3600  # a forgotten session disappears after half a day
PRESENCE_SECONDS = 15.0  # a connection not heard from for this long has left (pages beat every 5 s)
PLAYER_SECONDS = 3.0  # a play loop renews its lease every tick (≤ 0.8 s apart)

Stored = tuple[dict[str, Any], dict[str, Any], bytes]  # meta, full view, lab snapshot


def unavailable() -> PayloadError:
    """What a socket event answers while the session's store cannot be reached: a
    refusal that changed nothing; pages show "reconnecting" and try again."""
    return PayloadError("unavailable", "The class's server is reconnecting… try again in a moment.")


def conflict() -> PayloadError:
    return PayloadError("conflict", "Another change got there first: try again.")


class LiveStore(Protocol):
    def save(
        self, code: str, meta: dict[str, Any], view: dict[str, Any], lab: bytes | None
    ) -> None: ...
    def load(self, code: str) -> Stored | None: ...
    def seq(self, code: str) -> int | None: ...
    def lock(self, code: str) -> AbstractContextManager[Any]: ...
    def vote(self, code: str, poll: str, learner: str, answer: Any) -> bool: ...
    def votes(self, code: str, poll: str) -> dict[str, Any]: ...
    def clear_votes(self, code: str, poll: str) -> None: ...
    def beat(
        self, code: str, conn: str, learner: str, name: str, *, staff: bool, exploring: bool = False
    ) -> bool: ...
    def gone(self, code: str, conn: str) -> None: ...
    def present(self, code: str) -> dict[str, str]: ...
    def people(self, code: str) -> dict[str, tuple[str, bool]]: ...
    def connections(self, code: str, learner: str) -> list[str]: ...
    def presenter_here(self, code: str) -> bool: ...
    def hold_player(self, code: str, owner: str) -> None: ...
    def release_player(self, code: str, owner: str) -> None: ...
    def player_alive(self, code: str, owner: str) -> bool: ...
    def delete(self, code: str) -> None: ...
    def ping(self) -> None: ...


class FastStore(LiveStore, Protocol):
    """The fast path, which the durable store fills back after a restart."""

    def restore_votes(self, code: str, votes: dict[str, dict[str, Any]]) -> None: ...


class MemoryStore:
    """The live sessions of one process, in its memory (lock, leases and presence too)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}
        self._states: dict[str, Stored] = {}
        self._votes: dict[tuple[str, str], dict[str, Any]] = {}
        # code → connection → (learner, name, staff, heard until, exploring)
        self._beats: dict[str, dict[str, tuple[str, str, bool, float, bool]]] = {}
        self._players: dict[str, tuple[str, float]] = {}  # code → (owner, until)

    def save(
        self, code: str, meta: dict[str, Any], view: dict[str, Any], lab: bytes | None
    ) -> None:
        with self._guard:
            old = self._states.get(code)
            if old is not None and int(old[0]["seq"]) >= int(meta["seq"]):
                raise conflict()
            self._states[code] = (meta, view, lab if lab is not None else (old[2] if old else b""))

    def load(self, code: str) -> Stored | None:
        with self._guard:
            return self._states.get(code)

    def seq(self, code: str) -> int | None:
        found = self.load(code)
        return None if found is None else int(found[0]["seq"])

    @contextmanager
    def lock(self, code: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(code, threading.RLock())
        with lock:
            yield

    def vote(self, code: str, poll: str, learner: str, answer: Any) -> bool:
        with self._guard:
            votes = self._votes.setdefault((code, poll), {})
            new = learner not in votes
            votes[learner] = answer
            return new

    def votes(self, code: str, poll: str) -> dict[str, Any]:
        with self._guard:
            return dict(self._votes.get((code, poll), {}))

    def clear_votes(self, code: str, poll: str) -> None:
        with self._guard:
            self._votes.pop((code, poll), None)

    def restore_votes(self, code: str, votes: dict[str, dict[str, Any]]) -> None:
        with self._guard:
            for poll, answers in votes.items():
                self._votes.setdefault((code, poll), {}).update(answers)

    def beat(
        self, code: str, conn: str, learner: str, name: str, *, staff: bool, exploring: bool = False
    ) -> bool:
        with self._guard:
            here = self._beats.setdefault(code, {})
            new = conn not in here or here[conn][3] < time.monotonic()
            here[conn] = (learner, name, staff, time.monotonic() + PRESENCE_SECONDS, exploring)
            return new

    def gone(self, code: str, conn: str) -> None:
        with self._guard:
            self._beats.get(code, {}).pop(conn, None)

    def _alive(self, code: str) -> list[tuple[str, tuple[str, str, bool, float, bool]]]:
        now = time.monotonic()
        with self._guard:
            return [(c, e) for c, e in self._beats.get(code, {}).items() if e[3] >= now]

    def present(self, code: str) -> dict[str, str]:
        return {e[0]: e[1] for _, e in self._alive(code) if not e[2]}

    def people(self, code: str) -> dict[str, tuple[str, bool]]:
        """Students here: learner → (name, exploring on their own)."""
        return {e[0]: (e[1], e[4]) for _, e in self._alive(code) if not e[2]}

    def connections(self, code: str, learner: str) -> list[str]:
        """The connections of ``learner`` in the session (one per open page)."""
        return [c for c, e in self._alive(code) if e[0] == learner and not e[2]]

    def presenter_here(self, code: str) -> bool:
        return any(e[2] for _, e in self._alive(code))

    def hold_player(self, code: str, owner: str) -> None:
        with self._guard:
            self._players[code] = (owner, time.monotonic() + PLAYER_SECONDS)

    def release_player(self, code: str, owner: str) -> None:
        with self._guard:
            if self._players.get(code, ("", 0.0))[0] == owner:
                del self._players[code]

    def player_alive(self, code: str, owner: str) -> bool:
        with self._guard:
            held, until = self._players.get(code, ("", 0.0))
        return held == owner and until >= time.monotonic()

    def delete(self, code: str) -> None:
        with self._guard:
            self._states.pop(code, None)
            self._beats.pop(code, None)
            self._players.pop(code, None)
            for key in [k for k in self._votes if k[0] == code]:
                del self._votes[key]

    def ping(self) -> None:
        """Memory is always there."""
