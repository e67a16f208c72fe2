"""Live-session figures: presenter step → last follower received, and server memory.

.venv/bin/python bench/live.py [--followers 200 500] [--two 1000] [--steps 40] [--labs 100]
                               [--outage 10] [--students 20]

- One process (embedded defaults, no Redis): N followers on /live, the presenter
  steps the LSTM cell S times; for each step, the time from the presenter sending
  ``present`` to the LAST follower receiving that state (median, p99). Target for
  500 followers: p99 ≤ 150 ms.
- Two processes sharing rooms through Redis, presenter on A, followers split over
  A and B. Target for 1,000: p99 ≤ 300 ms.
- Memory: the server's RSS before and after 100 labs are open. Target ≤ 800 MB.
- Failures, on the two processes (``livecrash.py``): Redis stopped for ``--outage`` s
  and started empty → the presenter's first step that works and the last of
  ``--students`` students in step; then A killed (-9) while it trains the session →
  the presenter's next step from B (the class's freeze; target < 3 s).

Followers are bare Engine.IO/Socket.IO websocket clients on asyncio in this process
(all on one clock) that read only each state's seq; the presenter is a python-socketio
client. Everything shares the machine's 2 cores with the servers, so the figures
are upper bounds of what the server does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import socketio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from livecrash import kill_freeze, redis_recovery  # noqa: E402
from pages import wait_until_idle  # noqa: E402
from servers import (  # noqa: E402
    CourseServer,
    RedisServer,
    cpu_seconds,
    create_instructor,
    log_in,
    rss_mb,
    signed_cookie,
    start_live,
)

SECRET = "bench-live-secret-of-32-characters-or-more"
EMAIL, PASSWORD = "bench@example.org", "correct horse battery staple"


def report(name: str, seconds: list[float], target: str = "") -> None:
    ms = np.asarray(seconds) * 1000
    line = f"{name:<52} median {np.median(ms):8.1f} ms   p99 {np.percentile(ms, 99):8.1f} ms"
    print(line + f"   (n={len(ms)}{'; target ' + target if target else ''})", flush=True)


SEQ = re.compile(rb'"seq":(\d+)')


# Browsers offer permessage-deflate and the server accepts it, so it compresses every
# message for every client: the clients here offer it too (window bits 15, as Chromium),
# unless --no-deflate. A one-element list: main() sets it from the command line.
DEFLATE = [15]


class RawFollower:
    """A follower that speaks Engine.IO 4 / Socket.IO 5 over a bare websocket and only
    reads the seq of each pushed state (a browser would parse it; Python's client is
    slower than the server at that, and would be measured instead of the server)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.arrived: dict[int, float] = {}

    async def join(self, url: str, code: str, http: aiohttp.ClientSession) -> None:
        cookie = signed_cookie(SECRET, {"learner": f"bench-learner-{self.k}"})
        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await http.ws_connect(ws_url, headers={"Cookie": f"session={cookie}"},
                                        compress=DEFLATE[0])  # fmt: skip
        assert (await self.ws.receive_str()).startswith("0")  # Engine.IO open
        await self.ws.send_str("40/live,")
        assert (await self.ws.receive_str()).startswith("40/live,")
        payload = json.dumps(["join", {"code": code, "name": f"S{self.k}"}])
        await self.ws.send_str(f"42/live,1{payload}")
        while not (message := await self.ws.receive_str()).startswith("43/live,1"):
            if message == "2":  # a ping while the join waits: unanswered, the server hangs up
                await self.ws.send_str("3")
        assert '"ok":true' in message, message[:200]
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for message in self.ws:
            data = message.data if isinstance(message.data, bytes) else message.data.encode()
            if data == b"2":  # Engine.IO ping
                await self.ws.send_str("3")
            elif data.startswith(b'42/live,["state"'):
                found = SEQ.search(data)
                if found:
                    self.arrived[int(found.group(1))] = time.perf_counter()

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


async def step_latency(presenter_url: str, cookie: str, code: str, urls: list[str],
                       n: int, steps: int, pids: list[int]) -> list[float]:  # fmt: skip
    followers = [RawFollower(k) for k in range(n)]
    gate = asyncio.Semaphore(50)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))  # one per follower

    async def join(f: RawFollower) -> None:
        async with gate:
            await f.join(urls[f.k % len(urls)], code, http)

    await asyncio.gather(*(join(f) for f in followers))
    presenter = socketio.AsyncClient(reconnection=False)
    await presenter.connect(presenter_url, headers={"Cookie": f"session={cookie}"},
                            namespaces=["/live"], transports=["websocket"])  # fmt: skip
    assert (await presenter.call("join", {"code": code}, namespace="/live"))["role"] == "presenter"
    latencies: list[float] = []
    acked: list[float] = []
    used = sum(cpu_seconds(pid) for pid in pids)
    for _ in range(steps):
        start = time.perf_counter()
        ack = await presenter.call("present", {"code": code, "action": "step"}, namespace="/live")
        acked.append(time.perf_counter() - start)
        seq = ack["state"]["seq"]
        deadline = start + 10
        while not all(seq in f.arrived for f in followers) and time.perf_counter() < deadline:
            await asyncio.sleep(0.001)
        missing = sum(seq not in f.arrived for f in followers)
        assert not missing, f"{missing} followers never received seq {seq}"
        latencies.append(max(f.arrived[seq] for f in followers) - start)
        await asyncio.sleep(0.05)
    used = sum(cpu_seconds(pid) for pid in pids) - used  # the 50 ms pauses are idle
    await presenter.disconnect()
    await asyncio.gather(*(f.close() for f in followers))
    await http.close()
    report(f"  (the presenter's own ack, {n} followers)", acked)
    print(f"  server CPU per step: {used / steps * 1000:.1f} ms "
          f"({'clients offer deflate' if DEFLATE[0] else 'no deflate offered'})")  # fmt: skip
    return latencies


async def open_labs(url: str, count: int) -> list[socketio.AsyncClient]:
    labs = [("training", "rnn-window"), ("training", "lstm-window"), ("lstm-cell", "cell-walk")]
    clients = []
    opened = 0
    while opened < count:
        sio = socketio.AsyncClient(reconnection=False)
        cookie = signed_cookie(SECRET, {"learner": f"lab-learner-{opened}"})
        await sio.connect(url, headers={"Cookie": f"session={cookie}"}, namespaces=["/lab"],
                          transports=["websocket"])  # fmt: skip
        clients.append(sio)
        for lesson, lab in labs[: count - opened]:
            ack = await sio.call("open", {"lesson": lesson, "lab": lab}, namespace="/lab")
            assert ack["ok"], ack
            opened += 1
    return clients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="clients that do not offer permessage-deflate (browsers do)",
    )
    parser.add_argument("--followers", type=int, nargs="*", default=[200, 500])
    parser.add_argument("--two", type=int, default=1000, help="followers across two processes")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--labs", type=int, default=100)
    parser.add_argument("--outage", type=float, default=10.0, help="seconds Redis is down")
    parser.add_argument("--students", type=int, default=20, help="pages catching up after it")
    args = parser.parse_args()
    DEFLATE[0] = 0 if args.no_deflate else 15
    tmp = Path(tempfile.mkdtemp(prefix="unrolled-bench-live-"))
    env = {
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        # a cache kept between runs (UNROLLED_COMPILATION_CACHE_DIR) shortens the warm-up
        "UNROLLED_COMPILATION_CACHE_DIR": os.environ.get(
            "UNROLLED_COMPILATION_CACHE_DIR", str(tmp / "jax-cache")
        ),
        "UNROLLED_MAX_LABS": "400",
        "UNROLLED_MAX_LABS_PER_ADDRESS": "400",  # every bench client is 127.0.0.1
        "UNROLLED_MAX_CONNECTIONS_PER_ADDRESS": "400",
        "UNROLLED_MAX_SOCKETS_PER_ADDRESS": "2000",
    }
    create_instructor(env, EMAIL, PASSWORD)

    one = CourseServer(env, tmp / "one.log", warmup=True)
    try:
        print(f"server warm after {wait_until_idle(one.proc.pid, url=one.url):.0f} s", flush=True)
        http = log_in(one.url, EMAIL, PASSWORD)
        cookie = http.cookies["session"]
        for n in args.followers:
            code = start_live(http, one.url)
            measured = step_latency(one.url, cookie, code, [one.url], n, args.steps, [one.proc.pid])
            seconds = asyncio.run(measured)
            target = "p99 ≤ 150 ms" if n == 500 else ""
            report(f"one process, {n} followers: step → last received", seconds, target)
        before = rss_mb(one.proc.pid)

        async def with_labs() -> float:
            clients = await open_labs(one.url, args.labs)
            after = rss_mb(one.proc.pid)
            await asyncio.gather(*(c.disconnect() for c in clients))
            return after

        after = asyncio.run(with_labs())
        per_lab = (after - before) / args.labs
        print(f"server RSS: {before:.0f} MB, with {args.labs} open labs {after:.0f} MB "
              f"(+{per_lab:.2f} MB per lab; target ≤ 800 MB)", flush=True)  # fmt: skip
    finally:
        one.stop()

    if args.two:
        redis = RedisServer(tmp)
        shared = env | {"REDIS_URL": redis.url}
        a = CourseServer(shared, tmp / "a.log", warmup=True)
        b = CourseServer(shared, tmp / "b.log", warmup=True)
        try:
            warm = max(
                wait_until_idle(a.proc.pid, url=a.url), wait_until_idle(b.proc.pid, url=b.url)
            )
            print(f"servers warm after {warm:.0f} s", flush=True)
            http = log_in(a.url, EMAIL, PASSWORD)
            code = start_live(http, a.url)
            seconds = asyncio.run(
                step_latency(
                    a.url,
                    http.cookies["session"],
                    code,
                    [a.url, b.url],
                    args.two,
                    args.steps,
                    [a.proc.pid, b.proc.pid],
                )
            )
            report(f"two processes + Redis, {args.two} followers", seconds, "p99 ≤ 300 ms")
            failures(args, redis, a, b, http)
        finally:
            a.stop()
            b.stop()
            redis.stop()


def failures(args: Any, redis: RedisServer, a: CourseServer, b: CourseServer, http: Any) -> None:
    """The freeze after a presenter-process kill and the recovery after a Redis restart."""
    cookie = http.cookies["session"]
    code = start_live(http, a.url)
    stepped, caught = redis_recovery(
        redis, [a.url, b.url], cookie, code, args.students, args.outage, print
    )
    print(f"Redis restarted empty after {args.outage:.0f} s down: presenter's step works "
          f"after {stepped * 1000:.0f} ms, last of {args.students} students in step after "
          f"{caught * 1000:.0f} ms", flush=True)  # fmt: skip
    freeze = kill_freeze(a, b, redis.url, cookie, code)
    print(f"presenter's process killed mid-change: next step from the other process after "
          f"{freeze * 1000:.0f} ms (target < 3 s)", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
