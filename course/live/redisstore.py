"""Live sessions in Redis, shared by every server process (see ``store`` for the layers).

Keys, all under ``unrolled:live:<code>``: the state hash (``seq``, ``meta``, ``view``,
``lab``), ``votes:<poll>`` hashes, ``beats`` and ``staff`` (sorted sets of students'
and staff's connections by the time they are heard from until) with ``who``
(a student's connection → learner, name, exploring), ``player`` (the play loop's lease) and
``lock``.

The lock is a short lease (``LOCK_SECONDS``) that a thread renews while the change is
worked on, so a process killed mid-change holds the session for at most that long;
the fenced save (a Lua script comparing ``seq``) makes a change whose lease lapsed
fail rather than overwrite a newer one. Every Redis error becomes ``unavailable``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
import redis
from redis.exceptions import LockError, RedisError

from course.live.store import (
    PLAYER_SECONDS,
    PRESENCE_SECONDS,
    TTL_SECONDS,
    Stored,
    conflict,
    unavailable,
)
from course.web import wire
from course.web.validation import PayloadError

LOCK_SECONDS = 2.0  # how long a dead holder can keep a session locked
LOCK_WAIT_SECONDS = 8.0  # how long a change waits for the lock before it is refused
RENEW_SECONDS = LOCK_SECONDS / 4

T = TypeVar("T")

# KEYS[1] the state hash; ARGV: seq, meta, view, lab ("" keeps the stored one), has_lab, ttl.
SAVE = """
local current = redis.call('HGET', KEYS[1], 'seq')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'meta', ARGV[2], 'view', ARGV[3])
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'lab', ARGV[4]) end
redis.call('EXPIRE', KEYS[1], ARGV[6])
return 1
"""

# Presence, on Redis's clock (one for every process). KEYS[1] the set of connections
# by the time they are heard from until; KEYS[2] connection → [learner, name].
NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1e6"
# ARGV: connection, seconds, entry ("" for staff), ttl. 1 if the connection is news.
BEAT = (
    NOW
    + """
local before = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
if before and tonumber(before) >= now then return 0 end
return 1
"""
)
# The entries of the connections still here; the expired (a crashed process's) go.
HERE = (
    NOW
    + """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  redis.call('ZREM', KEYS[1], unpack(gone))
  redis.call('HDEL', KEYS[2], unpack(gone))
end
local conns = redis.call('ZRANGE', KEYS[1], 0, -1)
if #conns == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(conns))
"""
)
STAFF = NOW + "\nreturn redis.call('ZCOUNT', KEYS[1], now, '+inf')"


class RedisStore:
    """Live sessions in Redis, shared by every server process."""

    def __init__(self, url: str) -> None:
        # Short timeouts: a Redis that is down must answer "unavailable" at once, not hang.
        self.redis: Any = redis.Redis.from_url(
            url, socket_timeout=3, socket_connect_timeout=1, health_check_interval=10
        )  # bytes in, bytes out
        self._save = self.redis.register_script(SAVE)
        self._beat = self.redis.register_script(BEAT)
        self._here = self.redis.register_script(HERE)
        self._staff = self.redis.register_script(STAFF)

    def _key(self, code: str, *parts: str) -> str:
        return ":".join(("unrolled", "live", code, *parts))

    def _do(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except RedisError:
            raise unavailable() from None

    def ping(self) -> None:
        self.redis.ping()  # raises RedisError: the health check names Redis

    # -- the state -----------------------------------------------------------------
    def save(
        self, code: str, meta: dict[str, Any], view: dict[str, Any], lab: bytes | None
    ) -> None:
        args = [meta["seq"], wire.dumps(meta), wire.dumps(view), lab or b"", int(lab is not None)]
        saved = self._do(lambda: self._save(keys=[self._key(code)], args=[*args, TTL_SECONDS]))
        if not saved:
            raise conflict()

    def load(self, code: str) -> Stored | None:
        found = self._do(lambda: self.redis.hmget(self._key(code), ["meta", "view", "lab"]))
        if found[0] is None:
            return None
        return orjson.loads(found[0]), orjson.loads(found[1]), found[2] or b""

    def seq(self, code: str) -> int | None:
        found = self._do(lambda: self.redis.hget(self._key(code), "seq"))
        return None if found is None else int(found)

    @contextmanager
    def lock(self, code: str) -> Iterator[None]:
        """The session's lock, held as a lease renewed every ``RENEW_SECONDS`` by a
        thread until the block ends (``thread_local=False``: that thread renews it)."""
        lock = self.redis.lock(
            self._key(code, "lock"),
            timeout=LOCK_SECONDS,
            blocking_timeout=LOCK_WAIT_SECONDS,
            sleep=0.05,
            thread_local=False,
        )
        if not self._do(lock.acquire):
            raise PayloadError("busy", "The session is busy with another change: try again.")
        done = threading.Event()

        def renew() -> None:
            while not done.wait(RENEW_SECONDS):
                try:
                    lock.reacquire()
                except (LockError, RedisError):
                    return  # lapsed: the fenced save refuses what this change would store

        renewer = threading.Thread(target=renew, name=f"live-lock-{code}", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            with contextlib.suppress(LockError, RedisError):  # lapsed, or Redis gone
                lock.release()

    # -- votes -----------------------------------------------------------------------
    def vote(self, code: str, poll: str, learner: str, answer: Any) -> bool:
        key = self._key(code, "votes", poll)
        pipe = self.redis.pipeline()
        pipe.hset(key, learner, json.dumps(answer))
        pipe.expire(key, TTL_SECONDS)
        return bool(self._do(pipe.execute)[0] == 1)

    def votes(self, code: str, poll: str) -> dict[str, Any]:
        raw = self._do(lambda: self.redis.hgetall(self._key(code, "votes", poll)))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def clear_votes(self, code: str, poll: str) -> None:
        self._do(lambda: self.redis.delete(self._key(code, "votes", poll)))

    def restore_votes(self, code: str, votes: dict[str, dict[str, Any]]) -> None:
        """Put back the database's votes after a restart (newer ones in Redis win)."""
        pipe = self.redis.pipeline()
        for poll, answers in votes.items():
            key = self._key(code, "votes", poll)
            for learner, answer in answers.items():
                pipe.hsetnx(key, learner, json.dumps(answer))
            pipe.expire(key, TTL_SECONDS)
        self._do(pipe.execute)

    # -- presence: connections by heartbeat ------------------------------------------
    def beat(
        self, code: str, conn: str, learner: str, name: str, *, staff: bool, exploring: bool = False
    ) -> bool:
        """Connection ``conn`` is here until ``PRESENCE_SECONDS`` from now; whether it
        was not (a new arrival). Staff go in their own set, so that "is the presenter
        here?", asked on every student's beat, costs one count."""
        keys = [self._key(code, "staff" if staff else "beats"), self._key(code, "who")]
        entry = "" if staff else json.dumps([learner, name, exploring])
        args: list[str | float] = [conn, PRESENCE_SECONDS, entry, TTL_SECONDS]
        return bool(self._do(lambda: self._beat(keys=keys, args=args)))

    def gone(self, code: str, conn: str) -> None:
        pipe = self.redis.pipeline()
        pipe.zrem(self._key(code, "beats"), conn)
        pipe.zrem(self._key(code, "staff"), conn)
        pipe.hdel(self._key(code, "who"), conn)
        self._do(pipe.execute)

    def present(self, code: str) -> dict[str, str]:
        return {learner: name for learner, (name, _) in self.people(code).items()}

    def people(self, code: str) -> dict[str, tuple[str, bool]]:
        """Students here: learner → (name, exploring on their own)."""
        keys = [self._key(code, "beats"), self._key(code, "who")]
        found = self._do(lambda: self._here(keys=keys))
        entries = [json.loads(entry) for entry in found if entry]
        return {e[0]: (e[1], bool(e[2:3] and e[2])) for e in entries}

    def connections(self, code: str, learner: str) -> list[str]:
        """The connections of ``learner`` in the session (one per open page)."""
        self.people(code)  # drops the expired first
        raw = self._do(lambda: self.redis.hgetall(self._key(code, "who")))
        return [conn.decode() for conn, entry in raw.items() if json.loads(entry)[0] == learner]

    def presenter_here(self, code: str) -> bool:
        return bool(self._do(lambda: self._staff(keys=[self._key(code, "staff")])))

    # -- the play loop's lease -----------------------------------------------------------
    def hold_player(self, code: str, owner: str) -> None:
        ms = int(PLAYER_SECONDS * 1000)
        self._do(lambda: self.redis.set(self._key(code, "player"), owner, px=ms))

    def release_player(self, code: str, owner: str) -> None:
        key = self._key(code, "player")
        if self._do(lambda: self.redis.get(key)) == owner.encode():
            self._do(lambda: self.redis.delete(key))

    def player_alive(self, code: str, owner: str) -> bool:
        return bool(self._do(lambda: self.redis.get(self._key(code, "player"))) == owner.encode())

    def delete(self, code: str) -> None:
        keys = self._do(lambda: list(self.redis.scan_iter(self._key(code) + "*")))
        if keys:
            self._do(lambda: self.redis.delete(*keys))
