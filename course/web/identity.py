"""Pseudonymous learners: a random id in Flask's signed session cookie.

No sign-up: a first visit gets a fresh id; the learner's row is written lazily on
their first write (``store.ensure_learner``). The cookie is signed with the app's
``SECRET_KEY``; when none is configured we generate one into the instance folder,
so learners keep their progress across restarts.

In a Flask-SocketIO handler the session is the one the cookie carried at connect;
an id created there lives only as long as that connection (a page visit, which
comes first, is what sets the cookie).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, session

from course.storage.models import new_learner_id

DEV_SECRET_KEY = "dev-only-change-me"  # create_app's placeholder
SESSION_KEY = "learner"
LIFETIME = timedelta(days=365)
MIN_SECRET_CHARS, MIN_SECRET_DISTINCT = 32, 10


def weak_secret(key: object) -> bool:
    """A configured key anyone could guess or brute-force: short, or of few symbols."""
    text = key.decode(errors="replace") if isinstance(key, bytes) else str(key)
    return len(text) < MIN_SECRET_CHARS or len(set(text)) < MIN_SECRET_DISTINCT


def persistent_secret_key(instance_path: str | Path) -> str:
    """The key in ``<instance>/secret_key``, created once (mode 0600).

    Written to a temporary file and linked into place, so two processes starting
    together agree on one key and neither reads a half-written file.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won; use its key
        finally:
            temporary.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key; delete it to make a new one")
    return key


def init_app(app: Flask) -> None:
    """A real secret key and cookie flags for a long-lived learner session. A weak
    configured key is refused outside development (``DEBUG``, ``TESTING`` or
    ``DEVELOPMENT``): whoever guesses it signs cookies as any learner or instructor."""
    if app.config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY):
        app.config["SECRET_KEY"] = persistent_secret_key(app.instance_path)
    development = app.debug or app.testing or bool(app.config.get("DEVELOPMENT"))
    if weak_secret(app.config["SECRET_KEY"]) and not development:
        raise RuntimeError(
            f"SECRET_KEY is too weak: give at least {MIN_SECRET_CHARS} random characters "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), or leave it "
            "unset to have one generated into the instance folder"
        )
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    # SESSION_COOKIE_SECURE stays as configured: True behind HTTPS.
    if app.config["PERMANENT_SESSION_LIFETIME"] == Flask.default_config.get(
        "PERMANENT_SESSION_LIFETIME"
    ):
        app.config["PERMANENT_SESSION_LIFETIME"] = LIFETIME


def current_learner_id(create: bool = True) -> str | None:
    """The learner behind this request or socket; a new id on a first visit when
    ``create`` (None otherwise)."""
    learner_id = session.get(SESSION_KEY)
    if isinstance(learner_id, str) and learner_id:
        return learner_id
    if not create:
        return None
    learner_id = new_learner_id()
    session[SESSION_KEY] = learner_id
    session.permanent = True
    return learner_id
