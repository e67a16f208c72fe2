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

    from course import learner_api, pages, quiz_api
    from course.lab import exports
    from course.lab import namespace as lab_namespace
    from course.lessons.registry import LessonRegistry
    from course.live import pages as live_pages
    from course.live.namespace import LiveNamespace
    from course.live.store import make_store
    from course.storage import db
    from course.web import assets, csrf, identity, ratelimit, security

    app.extensions["lessons"] = LessonRegistry.load(app.config["LESSONS_DIR"])
    from course.lab.explanations import VIEW_NOTES

    app.jinja_env.globals["view_notes"] = VIEW_NOTES
    identity.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(learner_api.bp)
    app.register_blueprint(quiz_api.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(live_pages.bp)
    from course import teach
    from course.teach import accounts

    accounts.init_app(app)  # instructors: /login, /logout (after ratelimit)
    teach.init_app(app)  # classes, /join, /classes, gradebook, live records
    security.init_app(app)
    redis_url = app.config["REDIS_URL"]
    socketio.init_app(app, async_mode="threading", cors_allowed_origins=[], message_queue=redis_url)
    labs = lab_namespace.LabNamespace("/lab")
    app.extensions["lab_namespace"] = labs
    socketio.on_namespace(labs)
    live_sessions = LiveNamespace("/live", make_store(redis_url))
    app.extensions["live"] = live_sessions
    socketio.on_namespace(live_sessions)
    from course.playground.namespace import PlaygroundNamespace

    socketio.on_namespace(PlaygroundNamespace("/playground"))
    from course.tasks.namespace import TaskNamespace

    socketio.on_namespace(TaskNamespace("/task", app.config.get("MAX_TASK_TRAINING", 2)))
    return app
