"""docs/deployment.md's recipe, run: two `unrolled serve --production` processes
(Gunicorn) on PostgreSQL and Redis behind Debian's nginx, sticky by client address,
websockets upgraded. Learners from several addresses work through the proxy and land
on both processes; a SIGTERM drains a process: its learners are told and their
sockets closed, the process exits, and they go on through the proxy on the other."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from flask import Flask
from servers import CourseServer, NginxServer, RedisServer

SECRET = "deployment-test-secret-of-32-characters-or-more"
ADDRESSES = [f"127.0.0.{k}" for k in range(2, 10)]  # learners' machines


def run(coroutine: Any) -> Any:
    """``asyncio.run`` on a thread of its own: the browser tests' Playwright may have left
    an event loop running on this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def cookie(learner: str) -> str:
    """The learner cookie the servers would set (same secret key)."""
    signer = Flask(__name__)
    signer.secret_key = SECRET
    return signer.session_interface.get_signing_serializer(signer).dumps({"learner": learner})  # type: ignore[attr-defined]


class Browser:
    """A learner's page on one machine (source address): a bare Socket.IO websocket
    on one namespace, acks by id, and the events pushed to it."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.ids = itertools.count(1)
        self.pushed: list[list[Any]] = []
        self.closed = asyncio.Event()

    async def connect(self, url: str, namespace: str) -> None:
        self.namespace = namespace
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(local_addr=(self.address, 0))
        )
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        headers = {"Cookie": f"session={cookie('learner-' + self.address)}"}
        self.ws = await self.http.ws_connect(ws_url, headers=headers, max_msg_size=0)
        assert (await self.ws.receive_str()).startswith("0")  # Engine.IO open
        await self.ws.send_str(f"40{namespace},")
        assert (await self.ws.receive_str()).startswith(f"40{namespace},")
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        prefix_ack, prefix_event = f"43{self.namespace},", f"42{self.namespace},"
        async for message in self.ws:
            data = message.data
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith(prefix_ack):
                rest = data[len(prefix_ack) :]
                digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
                self.acks.pop(int(digits)).set_result(json.loads(rest[len(digits) :])[0])
            elif data.startswith(prefix_event):
                self.pushed.append(json.loads(data[len(prefix_event) :]))
        self.closed.set()

    async def call(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        n = next(self.ids)
        self.acks[n] = asyncio.get_running_loop().create_future()
        await self.ws.send_str(f"42{self.namespace},{n}" + json.dumps([event, payload]))
        return await asyncio.wait_for(self.acks[n], 120)  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


async def work_with_a_lab(url: str, address: str) -> Browser:
    page = Browser(address)
    await page.connect(url, "/lab")
    opened = await page.call("open", {"lesson": "lstm-cell", "lab": "cell-walk"})
    assert opened["ok"], opened
    stepped = await page.call("step", {"lab": "cell-walk", "granularity": "compute"})
    assert stepped["ok"] and stepped["frame"]["position"] == 1, stepped
    return page


def sockets_held(port: int) -> int:
    """Established TCP connections whose local port is ``port`` (a process's sockets)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


Deployment = tuple[NginxServer, list[CourseServer]]


@pytest.fixture(scope="module")
def deployment(postgres_server, tmp_path_factory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("deployment")
    redis = RedisServer(tmp)
    env = {
        "REDIS_URL": redis.url,
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": postgres_server.database(),
        "UNROLLED_COMPILATION_CACHE_DIR": str(tmp / "jax-cache"),
        "UNROLLED_PROXIES": "1",
    }
    processes = [CourseServer(env, tmp / f"process-{k}.log", production=True) for k in (1, 2)]
    proxy = NginxServer(tmp, [f"127.0.0.1:{p.port}" for p in processes])
    try:
        yield proxy, processes
    finally:  # every server stops, even when one of them fails to
        try:
            proxy.stop()
            for process in processes:
                if process.proc.poll() is None:
                    process.stop()
        finally:
            redis.stop()


def test_learners_through_the_proxy_work_on_both_processes(deployment):
    proxy, processes = deployment
    assert requests.get(f"{proxy.url}/lessons/lstm-cell", timeout=60).status_code == 200

    async def room() -> list[int]:
        pages = [await work_with_a_lab(proxy.url, address) for address in ADDRESSES]
        held = [sockets_held(p.port) for p in processes]
        await asyncio.gather(*(page.close() for page in pages))
        return held

    held = run(room())
    assert all(n > 0 for n in held), f"sockets per process: {held}"


def test_a_sigterm_tells_the_learners_and_they_go_on_on_the_other_process(deployment):
    proxy, processes = deployment

    async def drain() -> None:
        pages = [await work_with_a_lab(proxy.url, address) for address in ADDRESSES]
        going = max(processes, key=lambda p: sockets_held(p.port))
        going.proc.send_signal(signal.SIGTERM)
        # drained within the graceful timeout (20 s), exiting cleanly
        assert await asyncio.to_thread(going.proc.wait, 90) == 0
        told = [p for p in pages if any(e[0] == "restarting" for e in p.pushed)]
        assert told, "no learner was told the server is restarting"
        await asyncio.wait_for(asyncio.gather(*(p.closed.wait() for p in told)), 30)
        assert len(told) < len(pages)  # the others, on the process still up, heard nothing
        for page in pages:
            if not page.closed.is_set():
                await page.close()
        again = [await work_with_a_lab(proxy.url, p.address) for p in told]  # the other one
        await asyncio.gather(*(page.close() for page in again))
        for page in told:
            await page.http.close()

    run(drain())
