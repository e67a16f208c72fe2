"""Instructor accounts: creating them, signing in and out, and guarding their pages.

Passwords are hashed with scrypt (Werkzeug). Signing in keeps the browser's
pseudonymous learner id, so an instructor's own progress survives, and puts
``session["instructor_id"]`` (a string) in the signed cookie, with the account's
session generation and the time of signing in. Every request and every /live
socket event checks both (``signed_in``): signing out bumps the generation, so
every copy of the cookie stops working, and a sign-in lasts ``INSTRUCTOR_SESSION_
LIFETIME`` (12 h by default: a teaching day; a sign-in forgotten on a shared
classroom computer is dead by the next morning, while the learner part of the
cookie lasts a year).

Attempts are limited per client address, and per address and email with a
growing backoff (``throttle``); never per email alone, which would let anyone
lock the owner out. A wrong password and an unknown email get the same answer in
the same time. Only an admin adds instructors; the first admin comes from
``unrolled create-instructor --admin``.
"""

from __future__ import annotations

import functools
import math
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from course.storage import db
from course.storage.models import Instructor
from course.teach import throttle
from course.web import ratelimit
from course.web.identity import SESSION_KEY as LEARNER_KEY

bp = Blueprint("accounts", __name__)

SESSION_KEY = "instructor_id"  # contract: course/live shows it to ``signed_in_id``
GENERATION_KEY = "instructor_generation"  # the account's session_generation at sign-in
SINCE_KEY = "instructor_since"  # when they signed in, seconds since the epoch
LIFETIME = 12 * 3600  # seconds; INSTRUCTOR_SESSION_LIFETIME overrides
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
MAX_NAME = 80
WRONG = "Wrong email or password."
RATE_LIMITS = {
    "login_pair": ("LOGIN_RATE_LIMIT", "5/60"),  # per client address and email
    "login_ip": ("LOGIN_IP_RATE_LIMIT", "20/60"),  # per client address
}

View = TypeVar("View", bound=Callable[..., Any])


class AccountError(ValueError):
    """An instructor that cannot be created as asked; the message says why."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


@functools.cache
def dummy_hash() -> str:
    """A hash of a password nobody knows: checked when the email is unknown, so that
    answer takes as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(24))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_new(email: str, name: str, password: str) -> tuple[str, str]:
    """The email and name to store, or AccountError."""
    email, name = normalise_email(email), " ".join(name.split())
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise AccountError("Enter a valid email address.")
    if not 1 <= len(name) <= MAX_NAME:
        raise AccountError(f"The name must be 1–{MAX_NAME} characters.")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"The password must be at least {MIN_PASSWORD} characters.")
    return email, name


def create_instructor(
    session: Session,
    email: str,
    name: str,
    password: str,
    created_by: int | None = None,
    admin: bool = False,
) -> Instructor:
    """Add an instructor in ``session``'s write transaction; AccountError if the
    details are invalid or the email is taken."""
    email, name = check_new(email, name, password)
    taken = select(Instructor.id).where(Instructor.email == email)
    if session.scalar(taken) is not None:
        raise AccountError(f"There is already an instructor with the email {email}.")
    instructor = Instructor(
        email=email,
        name=name,
        password_hash=hash_password(password),
        created_by=created_by,
        is_admin=admin,
    )
    session.add(instructor)
    try:
        session.flush()
    except IntegrityError:  # created concurrently
        raise AccountError(f"There is already an instructor with the email {email}.") from None
    return instructor


def authenticate(email: str, password: str) -> Instructor | None:
    """The instructor with this email and password, else None (in the same time)."""
    found = db.get_session().scalar(
        select(Instructor).where(Instructor.email == normalise_email(email))
    )
    if found is None:
        check_password_hash(dummy_hash(), password)
        return None
    return found if check_password_hash(found.password_hash, password) else None


def sign_in(instructor: Instructor) -> None:
    """Make this browser's session the instructor's (after checking their password)."""
    session[SESSION_KEY] = str(instructor.id)
    session[GENERATION_KEY] = instructor.session_generation
    session[SINCE_KEY] = time.time()


def lifetime() -> float:
    """Seconds a sign-in lasts (``INSTRUCTOR_SESSION_LIFETIME``, a number or a timedelta)."""
    value = current_app.config.get("INSTRUCTOR_SESSION_LIFETIME", LIFETIME)
    return float(value.total_seconds() if hasattr(value, "total_seconds") else value)


def _from_session() -> Instructor | None:
    """The instructor this request's (or socket's) cookie names, if that sign-in still
    holds: the account exists, was not signed out since, and the sign-in is not stale."""
    raw, generation, since = (session.get(k) for k in (SESSION_KEY, GENERATION_KEY, SINCE_KEY))
    if not (isinstance(raw, str) and raw.isdigit() and isinstance(generation, int)):
        return None
    # A minute's grace before "now": another process's clock may run a little behind.
    if not isinstance(since, int | float) or not -60 <= time.time() - since <= lifetime():
        return None
    found = db.get_session().get(Instructor, int(raw))
    return found if found is not None and found.session_generation == generation else None


def current_instructor() -> Instructor | None:
    """The signed-in instructor, looked up once per request or socket event."""
    if "instructor" not in g:
        g.instructor = _from_session()
    return cast(Instructor | None, g.instructor)


def signed_in_id() -> str | None:
    """The signed-in instructor's id as /live compares it with a session's presenter."""
    found = current_instructor()
    return None if found is None else str(found.id)


def login_required(view: View) -> View:
    """Send anyone who is not a signed-in instructor to the login page (and back after)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_instructor() is None:
            # Back to this page after signing in; a form post cannot be replayed.
            back = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(url_for("accounts.login", next=back))
        return view(*args, **kwargs)

    return cast(View, wrapped)


def admin_required(view: View) -> View:
    """``login_required``, and 403 for an instructor who is not an admin."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        me = current_instructor()
        if me is not None and not me.is_admin:
            abort(403, "Only an admin can add instructors.")
        return view(*args, **kwargs)

    return login_required(cast(View, wrapped))


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _pair(email: str) -> str:
    """The throttle's key: this client address and the email tried."""
    return f"{request.remote_addr or 'unknown'} {normalise_email(email)[:254]}"


def _limited(email: str) -> float | None:
    """Count this attempt; the seconds to wait if this address is over its limit, or
    this address is over its limit or in a backoff for this email."""
    wait = ratelimit.hit("login_ip", request.remote_addr or "unknown")
    if wait is None:
        wait = throttle.throttle().wait(_pair(email))
    if wait is None:
        wait = ratelimit.hit("login_pair", _pair(email))
    return wait


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("login.html", next=next_url, email="")
    email, password = request.form.get("email", ""), request.form.get("password", "")
    wait = _limited(email)
    if wait is not None:
        seconds = math.ceil(wait)
        message = f"Too many sign-in attempts. Try again in {seconds} s."
        page = render_template("login.html", next=next_url, email=email, error=message)
        return page, 429, {"Retry-After": str(seconds)}
    instructor = authenticate(email, password[:MAX_PASSWORD])
    if instructor is None:
        throttle.throttle().failed(_pair(email))
        return render_template("login.html", next=next_url, email=email, error=WRONG), 401
    throttle.throttle().succeeded(_pair(email))
    learner = session.get(LEARNER_KEY)
    session.clear()  # a fresh session: nothing from before the login carries its rights
    if learner:
        session[LEARNER_KEY] = learner
    sign_in(instructor)
    session.permanent = True
    return redirect(next_url or url_for("teach.dashboard"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out everywhere: the account's generation moves on, so this cookie, any
    copy of it, other browsers' sign-ins and open presenter sockets all stop working."""
    me = current_instructor()
    if me is not None:
        with db.transaction() as s:
            bump = {"session_generation": Instructor.session_generation + 1}
            s.execute(update(Instructor).where(Instructor.id == me.id).values(bump))
    learner = session.get(LEARNER_KEY)
    session.clear()
    if learner:
        session[LEARNER_KEY] = learner
        session.permanent = True
    return redirect(url_for("pages.home"))


@bp.route("/teach/instructors/new", methods=["GET", "POST"])
@admin_required
def new_instructor() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("teach/new_instructor.html", form={})
    form = request.form
    me = current_instructor()
    assert me is not None
    try:
        with db.transaction() as s:
            made = create_instructor(
                s,
                form.get("email", ""),
                form.get("name", ""),
                form.get("password", ""),
                me.id,
                admin=form.get("admin") == "on",
            )
    except AccountError as error:
        page = render_template("teach/new_instructor.html", form=form, error=str(error))
        return page, 400
    role = "an admin" if made.is_admin else "an instructor"
    flash(f"{made.name} ({made.email}) can now sign in as {role}.")
    return redirect(url_for("teach.dashboard"))


def init_app(app: Flask) -> None:
    """The login rate limits and backoff, and the account routes."""
    app.config.setdefault("INSTRUCTOR_SESSION_LIFETIME", LIFETIME)
    throttle.init_app(app)
    for bucket, (name, default) in RATE_LIMITS.items():  # after ratelimit.init_app
        ratelimit.add(app, bucket, app.config.setdefault(name, default))
    app.register_blueprint(bp)
    app.jinja_env.globals["current_instructor"] = current_instructor
    dummy_hash()  # now, not on the first unknown email
