"""Browser tests: the real server in a subprocess, Debian's Chromium via Playwright.

Every page a test opens is watched: a console error, an uncaught exception or a
request to any host but our server fails the test.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from pagekit import ARTIFACTS, ROOT, PageWatch
from playwright.sync_api import Browser, Page, expect, sync_playwright

# A state a page reaches may take seconds on a busy 2-core machine (a first
# compilation, a training under a suite's load): assertions wait up to 30 s for it,
# not Playwright's 5; a page that never gets there still fails.
expect.set_options(timeout=30_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the server's database (tests add instructors to it with the CLI)."""
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'unrolled.sqlite3'}"


@pytest.fixture(scope="session")
def server(server_database: str) -> Iterator[str]:
    """`unrolled serve` on a free loopback port, as a learner's machine runs it, on a
    database of its own (the learners of one run do not meet those of the last)."""
    port = _free_port()
    log = open(ARTIFACTS.mkdir(exist_ok=True) or ARTIFACTS / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "course.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ | {"PYTHONUNBUFFERED": "1", "UNROLLED_DATABASE_URL": server_database},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    "the server did not start; see test-artifacts/server.log"
                ) from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    pg = context.new_page()
    watch = PageWatch(pg, server)
    yield pg
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


# -- tours (driver.js) ----------------------------------------------------------------

# Under automation tours do not start by themselves (other tests drive the pages);
# a newcomer's browser is not automated, so pretend to be one.
NOT_AUTOMATED = "Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false });"


@pytest.fixture
def newcomer(browser: Browser, server: str) -> Iterator[Page]:
    """A fresh browser that does not look automated, so the tour starts as for a person."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    context.add_init_script(NOT_AUTOMATED)
    page = context.new_page()
    watch = PageWatch(page, server)
    yield page
    context.close()
    assert not watch.problems, "\n".join(watch.problems)
