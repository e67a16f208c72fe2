"""Live sessions under failure, for ``bench/live.py``: the freeze after the presenter's
process is killed mid-change, and the recovery after Redis restarts empty.

Both run on two course processes (A, B) sharing Redis and a database. Pages are
python-socketio clients doing what static/js/live.js does: the presenter's page
reconnects to the other process and steps; students beat every second while
reconnecting and ask for the whole state when the server is ahead of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from clusterkit import NS, Peer, until
from servers import CourseServer, RedisServer

STEP = {"action": "step"}
RETRY = 1.0  # live.js beats this often while reconnecting


def _join(peer: Peer, code: str, name: str | None = None) -> None:
    payload = {"code": code} | ({"name": name} if name else {})
    joined = peer.call("join", payload)
    assert joined["ok"], joined


def _catch_up(peer: Peer, code: str, seq: int) -> float:
    """What live.js does while reconnecting: a beat every second; behind the server's
    seq, ask for the whole state. When this page had state ``seq`` (pushed or synced)."""
    while True:
        with peer.got:
            if peer.states and peer.states[-1]["seq"] >= seq:
                return time.perf_counter()
        beat = peer.call("beat", {"code": code})
        if beat.get("ok") and beat["seq"] >= seq and peer.call("sync", {"code": code})["ok"]:
            return time.perf_counter()
        time.sleep(RETRY)


def _step(peer: Peer, code: str) -> dict[str, Any]:
    done = peer.call("present", {"code": code, **STEP})
    assert done["ok"], done
    return done["state"]  # type: ignore[no-any-return]


def kill_freeze(a: CourseServer, b: CourseServer, redis_url: str, cookie: str, code: str) -> float:
    """Kill -9 A while it trains the session (holding its lock); the presenter's page
    reconnects to B and steps. Seconds from the kill to B's ack."""
    warm = Peer(b.url, cookie)  # B has stepped this lab (its programs compiled) …
    _join(warm, code)
    _step(warm, code)
    warm.close()
    on_a = Peer(a.url, cookie)  # … and the presenter is on A
    _join(on_a, code)
    last = _step(on_a, code)
    client = redis.Redis.from_url(redis_url)
    lock = f"unrolled:live:{code}:lock"
    on_a.sio.emit("present", {"code": code, "action": "train", "epochs": 100}, namespace=NS)
    until(lambda: client.exists(lock), 120, "A to hold the lock")
    a.kill()
    killed = time.perf_counter()
    assert client.exists(lock), "A finished its change before it was killed"
    back = Peer(b.url, cookie)
    _join(back, code)
    state = _step(back, code)
    freeze = time.perf_counter() - killed
    assert state["seq"] == last["seq"] + 1, "an acknowledged change was lost"
    back.close()
    return freeze


def redis_recovery(
    redis_server: RedisServer,
    urls: list[str],
    cookie: str,
    code: str,
    students: int,
    outage: float,
    log: Callable[[str], None],
) -> tuple[float, float]:
    """Stop Redis for ``outage`` seconds and start it empty. Seconds from its start to
    the presenter's first step that works, and to the last student in step."""
    presenter = Peer(urls[0], cookie)
    _join(presenter, code)
    peers = [Peer(urls[k % len(urls)]) for k in range(students)]
    for k, peer in enumerate(peers):
        _join(peer, code, f"R{k}")
    before = _step(presenter, code)
    redis_server.stop()
    down = time.perf_counter()
    refused = 0
    while time.perf_counter() - down < outage:  # the class keeps clicking
        reply = presenter.call("present", {"code": code, **STEP})
        assert not reply["ok"] and reply["error"]["code"] == "unavailable", reply
        refused += 1
        time.sleep(0.25)
    redis_server.start()
    back = time.perf_counter()
    while not (done := presenter.call("present", {"code": code, **STEP}))["ok"]:
        time.sleep(0.05)
    stepped = time.perf_counter() - back
    seq = done["state"]["seq"]
    assert seq == before["seq"] + 1, "the session did not resume where it was"
    log(f"  ({refused} steps refused as 'unavailable' during the {outage:.0f} s outage)")
    with ThreadPoolExecutor(len(peers)) as pool:  # every page on its own, as in a class
        caught = max(pool.map(lambda peer: _catch_up(peer, code, seq) - back, peers))
    for peer in [presenter, *peers]:
        peer.close()
    return stepped, caught
