"""Module 1's playground: one recurrent unit a learner sets by hand (``spec``), the
/playground socket (``namespace``) and its views (``views``)."""

from __future__ import annotations

from flask import Flask

from course.web.sockets import Lessons


def init_app(app: Flask, lessons: Lessons) -> None:
    from course.extensions import socketio
    from course.playground.namespace import PlaygroundNamespace

    socketio.on_namespace(PlaygroundNamespace("/playground", lessons))
