"""A serving process keeps what it built at start-up out of the garbage collector's
full walks (engine.host.freeze_heap): each walk stops every thread, and walking the
hundreds of thousands of objects a warmed-up server holds took hundreds of ms."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from flask import Flask

from course.warmup import start


@pytest.fixture
def frozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test process collects as usual


def test_after_start_a_full_collection_walks_only_what_was_made_since(
    app: Flask, frozen: None
) -> None:
    walked_before = len(gc.get_objects())
    start(app, warmup=False)
    made_since = [[k] for k in range(1000)]  # a learner's new state, say
    walked = gc.get_objects()
    assert gc.get_freeze_count() >= walked_before // 2
    assert len(walked) < walked_before // 10
    assert any(item is made_since[0] for item in walked)  # new objects are still collected
