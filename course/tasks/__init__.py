"""Module 5's tasks: next-character prediction, sentiment and translation with
attention. ``spec`` (the lesson block), ``schemas`` (the socket payloads), ``runs``
(a task's network and training), ``session`` (one learner's task, its reply and its
shareable link), ``namespace`` (the /task socket) and ``views``."""

from __future__ import annotations

from flask import Flask

from course.web.sockets import Lessons


def init_app(app: Flask, lessons: Lessons) -> None:
    from course.extensions import socketio
    from course.tasks.namespace import TaskNamespace

    socketio.on_namespace(TaskNamespace("/task", lessons))  # MAX_TASK_TRAINING: trainers
