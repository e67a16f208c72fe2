"""Unrolled's web course: pages, lessons, and the live lab sockets.

``create_app`` is the application factory; extensions are created unbound in
``course.extensions`` and bound here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from course.extensions import socketio

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``config`` overrides the defaults (tests use it)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder=str(PROJECT_ROOT / "static"),
        static_url_path="/static",
    )
    app.config.from_mapping(
        SECRET_KEY="dev-only-change-me",
        LESSONS_DIR=str(PROJECT_ROOT / "lessons"),
        VENDOR_DIR=str(PROJECT_ROOT / "node_modules"),
        COMPILATION_CACHE_DIR=str(Path(app.instance_path) / "jax-cache"),
        MAX_LABS_PER_CONNECTION=4,
        MAX_LABS=200,
        PROXIES=0,  # proxies in front that set X-Forwarded-* (UNROLLED_PROXIES=1 behind nginx)
        MAX_CONTENT_LENGTH=1_000_000,  # bytes of a request body: 413 past it
        SOCKET_MAX_MESSAGE=1_000_000,  # bytes of a Socket.IO message (a weights file fits)
        SOCKET_ORIGINS=None,  # pages that may open sockets: same origin unless listed
        # A client gone without a word (a dropped network, a suspended laptop) frees its
        # widgets within interval + timeout seconds (engine.io's defaults: 25 + 20); a
        # closed page frees them at once. The timeout stays long: a busy server must not
        # drop a learner whose answer to a ping waited behind a compilation.
        SOCKET_PING_INTERVAL=10,
        SOCKET_PING_TIMEOUT=20,
        SOCKET_DEFLATE=False,  # permessage-deflate on websockets (course/web/deflate.py)
    )
    app.config.from_prefixed_env("UNROLLED")
    if config:
        app.config.from_mapping(config)
    # Redis (several processes): the message queue, live sessions and rate limits.
    app.config["REDIS_URL"] = app.config.get("REDIS_URL") or os.environ.get("REDIS_URL") or None
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if proxies := int(app.config["PROXIES"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Trust exactly that many hops: rate limits then count the learner's address.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    from engine.cache import enable_compilation_cache

    enable_compilation_cache(app.config["COMPILATION_CACHE_DIR"])
    # Areas, each binding itself to the app; later ones build on earlier ones.
    from course import (
        lab,
        learner_api,
        lessons,
        live,
        pages,
        playground,
        quiz_api,
        storage,
        tasks,
        teach,
        web,
    )
    from course.lessons.registry import find_lesson
    from course.web.http import BoundedJSON, SocketJSON
    from course.web.origins import configured

    app.json = BoundedJSON(app)
    socketio.init_app(
        app,
        async_mode="threading",
        cors_allowed_origins=configured(app),  # never []: python-engineio reads it as "any"
        max_http_buffer_size=int(app.config["SOCKET_MAX_MESSAGE"]),
        ping_interval=int(app.config["SOCKET_PING_INTERVAL"]),
        ping_timeout=int(app.config["SOCKET_PING_TIMEOUT"]),
        json=SocketJSON,
        message_queue=app.config["REDIS_URL"],
    )
    # This app's Socket.IO server: a process serves one app, but tests build several,
    # and each init_app points the shared extension at the newest (tests/socketkit.py).
    app.extensions["socketio_server"] = socketio.server
    if not app.config["SOCKET_DEFLATE"]:
        from course.web.deflate import WithoutSocketDeflate

        app.wsgi_app = WithoutSocketDeflate(app.wsgi_app)  # type: ignore[method-assign]
    from course.web import flood, inbox, per_address

    # A websocket is read no faster than it is handled, and written by its sender.
    inbox.install(socketio.server, direct=not app.config["SOCKET_DEFLATE"])
    flood.install(socketio.server)  # each connection's event budget, before any thread
    per_address.install(socketio.server)  # connections per client address, all namespaces
    web.init_app(app)  # identity cookie, CSRF, rate limits, security headers, vendor assets
    storage.init_app(app)  # the database, migrated
    lessons.init_app(app)  # every lesson, loaded and checked
    for blueprint in (pages.bp, learner_api.bp, quiz_api.bp):
        app.register_blueprint(blueprint)
    live.init_app(app)  # /live and the session pages
    lab.init_app(app, find_lesson, live_copy=live.explore_copy)  # /lab and the GIF exports
    playground.init_app(app, find_lesson)  # /playground
    tasks.init_app(app, find_lesson, app.extensions["labs"].scheduler)  # /task
    teach.init_app(app)  # /login, classes, /join, gradebook, live-session records
    return app
