"""Module 5's tasks: next-character prediction, sentiment and translation with
attention; and module 4's memory task (delayed recall, RNN vs LSTM vs GRU). ``spec``
(the lesson block), ``schemas`` (the socket payloads), ``runs`` (a task's network and
training), ``session`` (one learner's task, its reply and its shareable link),
``namespace`` (the /task socket) and ``views``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from course.web.sockets import Lessons

if TYPE_CHECKING:
    from course.tasks.namespace import Slices


def init_app(app: Flask, lessons: Lessons, scheduler: Slices | None = None) -> None:
    """The /task namespace; ``scheduler``: the server's training slots (the labs'), which
    the memory task's trainings take a slice at a time."""
    from course.extensions import socketio
    from course.tasks.namespace import TaskNamespace

    # MAX_TASK_TRAINING: trainers
    socketio.on_namespace(TaskNamespace("/task", lessons, scheduler))
