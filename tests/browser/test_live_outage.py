"""A live session in Chromium while the server's Redis restarts: the pages say
"reconnecting" (no error page, no reload), the presenter's Step is refused with that
same word, and once Redis is back, empty, the session goes on from the database
with the same step, and the student's page catches up by itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from livepages import LAB, in_step, join
from pagekit import ARTIFACTS, browsing, start_session
from playwright.sync_api import Browser, expect
from servers import CourseServer, RedisServer, create_instructor

EMAIL, PASSWORD = "presenter@example.org", "a live password"


@pytest.fixture(scope="module")
def redis_cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, RedisServer]]:
    """A server on Redis, with its own database and an instructor: (url, redis)."""
    root = tmp_path_factory.mktemp("outage")
    redis = RedisServer(root)
    env = {
        "UNROLLED_DATABASE_URL": f"sqlite:///{root / 'unrolled.sqlite3'}",
        "REDIS_URL": redis.url,
    }
    create_instructor(env, EMAIL, PASSWORD)
    ARTIFACTS.mkdir(exist_ok=True)
    server = CourseServer(env, ARTIFACTS / "server-outage.log")
    yield server.url, redis
    server.stop()
    if redis.proc.poll() is None:
        redis.stop()


def test_pages_say_reconnecting_and_catch_up_after_a_redis_restart(
    browser: Browser, redis_cluster: tuple[str, RedisServer]
) -> None:
    url, redis = redis_cluster
    with browsing(browser, url) as teacher, browsing(browser, url) as ana:
        code = start_session(teacher, EMAIL, PASSWORD, class_name="Live class")
        join(ana, code, "Ana")
        step = teacher.locator(f'{LAB} [data-action="step"]')
        for seq in (1, 2):
            step.click()
            in_step(seq, teacher, ana)

        redis.stop()
        article = ana.locator("article.lesson")
        expect(article).to_have_attribute("data-live-connection", "reconnecting", timeout=20000)
        expect(ana.locator('[data-role="live-status"]')).to_contain_text("reconnecting")
        step.click()  # refused, and said so; nothing changes
        expect(teacher.locator("article.lesson")).to_have_attribute(
            "data-live-connection", "reconnecting", timeout=20000
        )
        expect(article).to_have_attribute("data-live-seq", "2")
        ARTIFACTS.mkdir(exist_ok=True)
        ana.screenshot(path=str(ARTIFACTS / "live-reconnecting.png"), full_page=False)

        redis.start()  # empty: the session comes back from the database
        for page in (teacher, ana):
            expect(page.locator("article.lesson")).to_have_attribute(
                "data-live-connection", "ok", timeout=30000
            )
        expect(ana.locator('[data-role="live-status"]')).to_contain_text("Reconnected")
        expect(step).to_be_enabled(timeout=20000)
        step.click()
        in_step(3, teacher, ana)  # the next step after the last one before the outage
