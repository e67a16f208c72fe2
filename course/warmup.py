"""Compile every lesson lab's programs in the background at start-up, so the
first learner does not wait for JAX."""

from __future__ import annotations

import logging

from flask import Flask

from course.lessons.registry import lessons
from engine import Lab

log = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    seen = set()
    for lesson in lessons(app).lessons.values():
        for spec in lesson.labs.values():
            config = spec.config
            if config in seen:
                continue
            seen.add(config)
            try:
                lab = Lab(config)
                lab.train(1)
                lab.jump("update")  # compiles the backward pass and the update too
            except Exception:  # a warm-up failure must never stop the server
                log.exception("warm-up of %s/%s failed", lesson.slug, spec.id)
    from course.tasks.namespace import warm_up_tasks

    warm_up_tasks(lessons(app).lessons.values())
