"""Where live sessions are kept so that every server process sees the same one.

``MemoryStore`` serves one process (the embedded default). ``RedisStore`` serves
several behind a proxy with sticky sessions: each change writes the session's
state (and, when the weights changed, the lab's snapshot bytes) under its code,
and a process that finds its cached copy older than the stored ``seq`` rebuilds
it. Votes and presence live here too, so staff see every student's, whatever
process the student is connected to.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

TTL_SECONDS = 12 * 3600  # a forgotten session disappears from Redis after half a day


class LiveStore(Protocol):
    def save(
        self, code: str, meta: dict[str, Any], view: dict[str, Any], lab: bytes | None
    ) -> None: ...
    def load(self, code: str) -> tuple[dict[str, Any], dict[str, Any], bytes] | None: ...
    def seq(self, code: str) -> int | None: ...
    def lock(self, code: str) -> Any: ...
    def vote(self, code: str, poll: str, learner: str, answer: Any) -> bool: ...
    def votes(self, code: str, poll: str) -> dict[str, Any]: ...
    def clear_votes(self, code: str, poll: str) -> None: ...
    def arrive(self, code: str, learner: str, name: str) -> None: ...
    def leave(self, code: str, learner: str) -> None: ...
    def present(self, code: str) -> dict[str, str]: ...
    def delete(self, code: str) -> None: ...


class MemoryStore:
    """The live sessions of one process, in its memory."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}
        self._states: dict[str, tuple[dict[str, Any], dict[str, Any], bytes]] = {}
        self._votes: dict[tuple[str, str], dict[str, Any]] = {}
        self._present: dict[str, dict[str, tuple[str, int]]] = {}

    def save(
        self, code: str, meta: dict[str, Any], view: dict[str, Any], lab: bytes | None
    ) -> None:
        with self._guard:
            old = self._states.get(code)
            self._states[code] = (meta, view, lab if lab is not None else (old[2] if old else b""))

    def load(self, code: str) -> tuple[dict[str, Any], dict[str, Any], bytes] | None:
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

    def arrive(self, code: str, learner: str, name: str) -> None:
        with self._guard:
            here = self._present.setdefault(code, {})
            _, count = here.get(learner, (name, 0))
            here[learner] = (name, count + 1)  # one learner may have several tabs open

    def leave(self, code: str, learner: str) -> None:
        with self._guard:
            here = self._present.get(code, {})
            if learner in here:
                name, count = here[learner]
                if count <= 1:
                    del here[learner]
                else:
                    here[learner] = (name, count - 1)

    def present(self, code: str) -> dict[str, str]:
        with self._guard:
            return {learner: name for learner, (name, _) in self._present.get(code, {}).items()}

    def delete(self, code: str) -> None:
        with self._guard:
            self._states.pop(code, None)
            self._present.pop(code, None)
            for key in [k for k in self._votes if k[0] == code]:
                del self._votes[key]


class RedisStore:
    """Live sessions in Redis, shared by every server process."""

    def __init__(self, url: str) -> None:
        import redis

        self.redis: Any = redis.Redis.from_url(url)  # bytes in, bytes out

    def _key(self, code: str, *parts: str) -> str:
        return ":".join(("unrolled", "live", code, *parts))

    def save(
        self, code: str, meta: dict[str, Any], view: dict[str, Any], lab: bytes | None
    ) -> None:
        mapping: dict[str, Any] = {"meta": json.dumps(meta), "view": json.dumps(view)}
        if lab is not None:
            mapping["lab"] = lab
        pipe = self.redis.pipeline()
        pipe.hset(self._key(code), mapping=mapping)
        pipe.expire(self._key(code), TTL_SECONDS)
        pipe.execute()

    def load(self, code: str) -> tuple[dict[str, Any], dict[str, Any], bytes] | None:
        found = self.redis.hmget(self._key(code), ["meta", "view", "lab"])
        if found[0] is None:
            return None
        return json.loads(found[0]), json.loads(found[1]), found[2] or b""

    def seq(self, code: str) -> int | None:
        meta = self.redis.hget(self._key(code), "meta")
        return None if meta is None else int(json.loads(meta)["seq"])

    def lock(self, code: str) -> Any:
        return self.redis.lock(self._key(code, "lock"), timeout=30, blocking_timeout=30)

    def vote(self, code: str, poll: str, learner: str, answer: Any) -> bool:
        key = self._key(code, "votes", poll)
        new = self.redis.hset(key, learner, json.dumps(answer)) == 1
        self.redis.expire(key, TTL_SECONDS)
        return bool(new)

    def votes(self, code: str, poll: str) -> dict[str, Any]:
        raw = self.redis.hgetall(self._key(code, "votes", poll))
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def clear_votes(self, code: str, poll: str) -> None:
        self.redis.delete(self._key(code, "votes", poll))

    def arrive(self, code: str, learner: str, name: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self._key(code, "names"), learner, name)
        pipe.hincrby(self._key(code, "tabs"), learner, 1)
        pipe.expire(self._key(code, "names"), TTL_SECONDS)
        pipe.expire(self._key(code, "tabs"), TTL_SECONDS)
        pipe.execute()

    def leave(self, code: str, learner: str) -> None:
        if self.redis.hincrby(self._key(code, "tabs"), learner, -1) <= 0:
            self.redis.hdel(self._key(code, "tabs"), learner)

    def present(self, code: str) -> dict[str, str]:
        tabs = self.redis.hgetall(self._key(code, "tabs"))
        names = self.redis.hgetall(self._key(code, "names"))
        return {
            k.decode(): names.get(k, b"").decode() for k, count in tabs.items() if int(count) > 0
        }

    def delete(self, code: str) -> None:
        keys = list(self.redis.scan_iter(self._key(code) + "*"))
        if keys:
            self.redis.delete(*keys)


def make_store(redis_url: str | None) -> LiveStore:
    return RedisStore(redis_url) if redis_url else MemoryStore()
