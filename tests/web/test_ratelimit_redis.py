"""Rate limits counted in Redis (Debian's redis-server, started for the test): two
limiters on separate connections — two server processes — share one count."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from servers import RedisServer

from course.web import ratelimit
from course.web.ratelimit import RateLimiter, RedisRateLimiter


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


def process(url: str, bucket: str, spec: str) -> RedisRateLimiter:
    """One server process's limiter: its own Redis connection."""
    limit, window = ratelimit.parse_spec(spec)
    return RedisRateLimiter(limit, window, redis.Redis.from_url(url), bucket)


def test_two_processes_share_one_count(redis_url: str) -> None:
    a, b = process(redis_url, "shared", "3/60"), process(redis_url, "shared", "3/60")
    assert [a.hit("ada"), b.hit("ada"), a.hit("ada")] == [None, None, None]
    wait = b.hit("ada")
    assert wait is not None and 59 < wait <= 60  # until the first hit leaves the window
    assert a.hit("bob") is None  # another learner has a count of their own
    assert process(redis_url, "other", "3/60").hit("ada") is None  # and another bucket


def test_refused_hits_are_not_counted_and_the_window_slides(redis_url: str) -> None:
    a, b = process(redis_url, "sliding", "2/1"), process(redis_url, "sliding", "2/1")
    assert a.hit("ada") is None and b.hit("ada") is None
    for _ in range(5):
        assert a.hit("ada") is not None
    time.sleep(1.1)
    assert b.hit("ada") is None  # the old hits have left; the refusals never counted


@pytest.mark.parametrize("where", ["redis", "memory"])
def test_asking_does_not_count(redis_url: str, where: str) -> None:
    limiter = process(redis_url, "ask", "2/60") if where == "redis" else RateLimiter(2, 60)
    for _ in range(5):
        assert limiter.hit("address", count=False) is None
    assert limiter.hit("address") is None and limiter.hit("address") is None
    assert limiter.hit("address", count=False) is not None  # full: asking says so


def test_the_keys_expire_with_their_window(redis_url: str) -> None:
    process(redis_url, "expiry", "5/2").hit("ada")
    ttl = redis.Redis.from_url(redis_url).pttl("unrolled:ratelimit:expiry:ada")
    assert 0 < ttl <= 2000


def test_an_app_with_redis_counts_there_and_one_without_in_memory(redis_url: str) -> None:
    apps = []
    for url in (redis_url, redis_url, None):
        app = Flask(__name__)
        app.config.update(REDIS_URL=url, QUIZ_RATE_LIMIT="2/60")
        ratelimit.init_app(app)
        apps.append(app)
    shared, other, alone = apps
    assert isinstance(shared.extensions["ratelimit"]["quiz"], RedisRateLimiter)
    assert isinstance(alone.extensions["ratelimit"]["quiz"], RateLimiter)
    answers = []
    for app in (shared, other, shared, alone):
        with app.app_context():
            answers.append(ratelimit.hit("quiz", "eve") is None)
    assert answers == [True, True, False, True]
