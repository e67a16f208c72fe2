"""Live sessions survive what a real class meets: two server processes on one Redis
and one PostgreSQL database.

- ``kill -9`` of the presenter's process in the middle of a change: the presenter's
  next step, from the other process, succeeds within 3 s, and nothing acknowledged
  is lost;
- Redis stopped for 10 s and started again empty: no HTTP 500 meanwhile, /healthz and
  /readyz say Redis is down, changes are refused as ``unavailable``; afterwards every
  session goes on from the database with the same seq, numbers and votes, and the
  students catch up without reloading (as live.js does: beat, see a newer seq, sync);
- a session whose playing process was killed is stopped, saying so;
- a crashed process's students drop out of the presence list by themselves, and
  students see the presenter leave.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from clusterkit import NS, Peer, signed_in, start, until
from databases import PostgresServer
from servers import ROOT, CourseServer, RedisServer
from sqlalchemy.orm import sessionmaker

from course.live.durable import make_store
from course.live.play import ORPHANED
from course.live.redisstore import LOCK_SECONDS, RedisStore
from course.live.store import PLAYER_SECONDS, PRESENCE_SECONDS
from course.storage.db import make_engine

SECRET = "crash-test-secret-of-32-characters-or-more"
STEP = {"action": "step"}
COOKIE: list[str] = []  # the signed-in presenter's, set by the cluster fixture


class Cluster:
    """Processes A and B on one Redis and one PostgreSQL database; a killed process is
    started again (on a new port) by ``revive``."""

    def __init__(self, redis: RedisServer, database_url: str, tmp: Any) -> None:
        self.redis = redis
        self.env = {
            "REDIS_URL": redis.url,
            "UNROLLED_SECRET_KEY": SECRET,
            "UNROLLED_DATABASE_URL": database_url,
            "UNROLLED_COMPILATION_CACHE_DIR": str(tmp / "jax-cache"),
        }
        self.logs = ROOT / "test-artifacts"
        self.logs.mkdir(exist_ok=True)
        self.a = self._server("a")
        self.b = self._server("b")
        self.engine = make_engine(database_url)  # migrated by the servers
        self.teacher, self.cookie = signed_in(self.env, self.a.url)
        self.store = make_store(redis.url, sessionmaker(self.engine))

    def _server(self, name: str) -> CourseServer:
        return CourseServer(self.env, self.logs / f"crash-{name}.log")

    def redis_client(self) -> Any:
        return RedisStore(self.redis.url).redis

    def revive(self) -> None:
        if self.redis.proc.poll() is not None:
            self.redis.start()
        for name in ("a", "b"):
            server: CourseServer = getattr(self, name)
            if server.proc.poll() is not None:
                server.stop()
                setattr(self, name, self._server(name))

    def stop(self) -> None:
        self.a.stop()
        self.b.stop()
        self.engine.dispose()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer
) -> Iterator[Cluster]:
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    url = postgres_server.database()
    made = Cluster(redis, url, tmp_path_factory.mktemp("crash"))
    COOKIE[:] = [made.cookie]
    yield made
    made.stop()
    redis.stop()
    postgres_server.drop(url)


@pytest.fixture
def peers(cluster: Cluster) -> Iterator[list[Peer]]:
    cluster.revive()
    made: list[Peer] = []
    yield made
    for peer in made:
        peer.close()


def connect(peers: list[Peer], url: str, cookie: str | None = None) -> Peer:
    peer = Peer(url, cookie)
    peers.append(peer)
    return peer


def teacher(peers: list[Peer], url: str, code: str) -> Peer:
    peer = connect(peers, url, COOKIE[0])
    assert peer.call("join", {"code": code})["role"] == "presenter"
    return peer


def student(peers: list[Peer], url: str, code: str, name: str) -> Peer:
    peer = connect(peers, url)
    joined = peer.call("join", {"code": code, "name": name})
    assert joined["ok"] and joined["role"] == "student", joined
    return peer


def step(peer: Peer, code: str) -> dict[str, Any]:
    done = peer.call("present", {"code": code, **STEP})
    assert done["ok"], done
    return done["state"]  # type: ignore[no-any-return]


def test_a_process_killed_mid_change_freezes_the_class_for_under_3_s(cluster, peers):
    code = start(cluster.store, cluster.teacher)
    cookie = cluster.cookie
    watcher = student(peers, cluster.b.url, code, "Ada")
    on_b = teacher(peers, cluster.b.url, code)
    step(on_b, code)  # B has stepped this lab once (its programs compiled) …
    on_b.close()
    on_a = teacher(peers, cluster.a.url, code)  # … and the presenter moves to A
    last = [step(on_a, code) for _ in range(3)][-1]

    # A long change on A (training), answered never: A is killed holding the lock.
    on_a.sio.emit("present", {"code": code, "action": "train", "epochs": 100}, namespace=NS)
    lock = f"unrolled:live:{code}:lock"
    until(lambda: cluster.redis_client().exists(lock), 60, "A to take the session's lock")
    cluster.a.kill()
    killed = time.monotonic()
    assert cluster.redis_client().exists(lock)  # it died holding it, mid-change

    back = connect(peers, cluster.b.url, cookie)  # the presenter's page reconnects to B
    assert back.call("join", {"code": code})["role"] == "presenter"
    done = back.call("present", {"code": code, **STEP})
    freeze = time.monotonic() - killed
    assert done["ok"], done
    assert freeze < 3.0, f"the class froze for {freeze:.1f} s"
    state = done["state"]
    assert state["seq"] == last["seq"] + 1  # the last acknowledged change, and one more
    assert state["frame"]["position"] == last["frame"]["position"] + 1
    assert state["frame"]["epoch"] == last["frame"]["epoch"]  # the training never happened
    assert state["frame"]["updates"] == last["frame"]["updates"]
    assert watcher.wait_for(state["seq"])[-1] == state


def test_a_session_played_by_a_killed_process_stops_and_says_so(cluster, peers):
    code = start(cluster.store, cluster.teacher)
    watcher = student(peers, cluster.b.url, code, "Ada")
    on_a = teacher(peers, cluster.a.url, code)
    played = on_a.call("present", {"code": code, "action": "play", "granularity": "compute"})
    assert played["ok"] and played["state"]["playing"]
    moving = watcher.wait_for(played["state"]["seq"] + 2, timeout=60)[-1]  # A plays
    assert moving["playing"]
    cluster.a.kill()

    def stopped() -> dict[str, Any] | None:
        assert watcher.call("beat", {"code": code})["ok"]  # B hears from the page …
        now = watcher.call("sync", {"code": code})["state"]
        return now if not now["playing"] else None

    now = until(stopped, PLAYER_SECONDS + 15, "B to stop the orphaned play")
    assert now["message"] == ORPHANED  # … and says why it stopped
    assert now["frame"]["position"] >= moving["frame"]["position"]  # no step was lost


def test_a_redis_restart_loses_no_session_and_pages_catch_up(cluster, peers):
    codes = [start(cluster.store, cluster.teacher) for _ in range(2)]
    teachers = [teacher(peers, cluster.a.url, code) for code in codes]
    students = [student(peers, cluster.b.url, code, f"S{k}") for k, code in enumerate(codes)]
    for k, (code, presenter) in enumerate(zip(codes, teachers, strict=True)):
        for _ in range(k + 2):
            step(presenter, code)
    trained = teachers[0].call("present", {"code": codes[0], "action": "train", "epochs": 2})
    assert trained["ok"], trained
    opened = teachers[0].call("poll", {"code": codes[0], "op": "open", "quiz": "forget-gate"})
    assert opened["ok"], opened
    choice = choice_ids(students[0])[1]
    vote = {"code": codes[0], "poll": 1, "answer": {"choice": choice}}
    assert students[0].call("answer", vote)["ok"]
    before = [t.call("sync", {"code": c})["state"] for t, c in zip(teachers, codes, strict=True)]

    cluster.redis.stop()
    outage_end = time.monotonic() + 10
    while time.monotonic() < outage_end:  # a class carries on clicking meanwhile
        for server in (cluster.a, cluster.b):
            for code in codes:
                page = requests.get(f"{server.url}/live/{code}", timeout=10)
                assert page.status_code == 200  # from the database: no 500, no 404
            health = requests.get(f"{server.url}/healthz", timeout=10)
            assert health.status_code == 503 and health.json()["down"] == ["redis"]
            assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 503
        refused = teachers[0].call("present", {"code": codes[0], **STEP})
        assert refused["error"]["code"] == "unavailable"  # said so; nothing changed
        assert students[1].call("beat", {"code": codes[1]})["error"]["code"] == "unavailable"
        synced = students[0].call("sync", {"code": codes[0]})
        assert synced["ok"] and synced["state"]["seq"] == before[0]["seq"]
    cluster.redis.start()  # empty

    for presenter, code, old in zip(teachers, codes, before, strict=True):
        again = presenter.call("sync", {"code": code})
        assert again["state"]["seq"] == old["seq"]  # from the database, exactly
        assert again["state"]["sources"] == old["sources"]
        assert again["state"]["poll"] == old["poll"]
    for server in (cluster.a, cluster.b):
        until(lambda s=server: requests.get(f"{s.url}/readyz").ok, 30, "/readyz to say ready")
    rejoined = teachers[0].call("join", {"code": codes[0]})
    assert rejoined["votes"]["counts"] == {choice: 1}  # the vote survived
    mine = connect(peers, cluster.b.url, students[0].cookie)
    assert mine.call("join", {"code": codes[0], "name": "S0"})["mine"] == {"1": {"choice": choice}}

    for presenter, follower, code, old in zip(teachers, students, codes, before, strict=True):
        new = step(presenter, code)
        assert new["seq"] == old["seq"] + 1
        assert new["frame"]["position"] == old["frame"]["position"] + 1
        assert new["frame"]["epoch"] == old["frame"]["epoch"]
        caught = until(lambda f=follower, c=code, s=new["seq"]: catch_up(f, c, s), 30, "catch up")
        assert caught["seq"] == new["seq"] and caught["frame"] == new["frame"]
        for name, columns in new["sources"].items():  # a sync is whole, a push what changed
            assert {k: caught["sources"][name][k] for k in columns} == columns


def test_presence_drops_a_crashed_process_s_students_and_students_see_the_presenter_leave(
    cluster, peers
):
    code = start(cluster.store, cluster.teacher)
    presenter = teacher(peers, cluster.a.url, code)
    ann = student(peers, cluster.a.url, code, "Ann")
    for name in ("Bob", "Cy"):
        student(peers, cluster.b.url, code, name)
    here = presenter.call("beat", {"code": code})
    assert here["presence"] == ["Ann", "Bob", "Cy"]
    assert ann.call("beat", {"code": code})["presenter"] is True

    cluster.b.kill()  # Bob's and Cy's pages go with it, saying nothing

    def only_ann_left() -> bool:
        ann.call("beat", {"code": code})  # Ann's page keeps beating, as a browser does
        return bool(presenter.call("beat", {"code": code})["presence"] == ["Ann"])

    until(only_ann_left, PRESENCE_SECONDS + 15, "the crashed process's students to drop out")

    presenter.close()
    until(lambda: [p["here"] for p in ann.pushed("presenter")][-1:] == [False], 10, "the news")
    assert ann.call("beat", {"code": code})["presenter"] is False
    ending = teacher(peers, cluster.a.url, code)
    assert ending.call("end", {"code": code})["ok"]
    assert until(lambda: ann.states and ann.states[-1]["ended"], 10, "the end to reach Ann")


def test_a_dead_holder_s_lock_lapses_and_a_working_holder_keeps_it(cluster):
    store = RedisStore(cluster.redis.url)
    key = "unrolled:live:DEADXX:lock"
    store.redis.set(key, "a killed process's token", px=int(LOCK_SECONDS * 1000))
    began = time.monotonic()
    with store.lock("DEADXX"):
        waited = time.monotonic() - began
    assert waited <= LOCK_SECONDS + 0.5

    with store.lock("BUSYXX"):  # a change that takes longer than the lease
        other = store.redis.lock("unrolled:live:BUSYXX:lock", timeout=1, thread_local=False)
        tried = 0
        end = time.monotonic() + 2.5 * LOCK_SECONDS
        while time.monotonic() < end:
            assert not other.acquire(blocking=False)  # renewed: never free while held
            tried += 1
            time.sleep(0.05)
        assert tried > 10
    assert other.acquire(blocking=False)  # released at once when done
    other.release()


# -- helpers ------------------------------------------------------------------------------


def ok(reply: dict[str, Any]) -> dict[str, Any] | None:
    return reply if reply.get("ok") else None


def catch_up(peer: Peer, code: str, seq: int) -> dict[str, Any] | None:
    """What live.js does every few seconds: beat; behind the server's seq, sync."""
    with peer.got:
        have = peer.states[-1] if peer.states else None
    if have is not None and have["seq"] >= seq:
        return have
    beat = peer.call("beat", {"code": code})
    if beat.get("ok") and beat["seq"] >= seq:
        synced = peer.call("sync", {"code": code})
        return synced["state"] if synced.get("ok") else None  # type: ignore[no-any-return]
    return None


def choice_ids(peer: Peer) -> list[str]:
    """The forget-gate question's choice ids, as the lesson page shows them."""
    page = peer.http.get(f"{peer.url}/lessons/lstm-cell").text
    after = page.split('data-quiz="forget-gate"')[1]
    return re.findall(r'<div class="quiz-choice" data-item="(\w+)"', after)
