"""Labs kept between page loads: a shared link restores exactly the lab that was
shared, and a reload resumes the learner's own lab where they left it.

A link names a snapshot (``engine.snapshot``: config, weights, optimiser state, PRNG
key, epoch, losses and cursor) stored on the server under ``key_of`` its bytes and of
where it belongs (lesson, lab, the unit and layer the cell view showed): 43 URL-safe
characters of SHA-256. Nothing else replays, so whatever the learner did — a learning
rate changed mid-training, an update stepped through before training, any number of
epochs — the link gives the same numbers. A snapshot is never trusted beyond its
checks: its key must match its bytes, it must belong to the lab that opens it, its
bytes must restore (``from_bytes`` checks every field) and its settings must be ones
this lesson's lab can have; otherwise the ``open`` is refused with a sentence for the
page, and nothing changes.

Kept labs are bounded: a snapshot is at most ``SNAPSHOT_MAX_BYTES``, the store at most
``SNAPSHOT_STORE_MAX_BYTES``; each learner may make ``SNAPSHOT_RATE_LIMIT`` links and
each network address ``SNAPSHOT_ADDRESS_RATE_LIMIT`` kept labs; a learner keeps at most
``RESUMES_PER_LEARNER`` labs for reloads; everything expires ``SNAPSHOT_DAYS`` after it
was last used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy.orm import Session

from course.lab.spec import LabSpec, merge_options, options_of, to_lab_config
from course.storage import db
from course.storage import snapshots as store
from course.storage.models import utcnow
from course.web import ratelimit
from course.web.validation import PayloadError
from engine import Lab, LabConfig
from engine.snapshot import from_bytes, to_bytes

log = logging.getLogger(__name__)

DEFAULTS = {
    "SNAPSHOT_DAYS": 30,
    # The largest lab (7 layers of 64 LSTM units, Adam) is about 3 MB once trained.
    "SNAPSHOT_MAX_BYTES": 4 * 2**20,
    "SNAPSHOT_STORE_MAX_BYTES": 2 * 2**30,
    "SNAPSHOT_RATE_LIMIT": "30/60",  # links one learner makes
    "SNAPSHOT_ADDRESS_RATE_LIMIT": "300/60",  # links and reloads kept, per address (a class)
    "RESUMES_PER_LEARNER": 24,
}
KEY = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256, unpadded
TAB = re.compile(r"[A-Za-z0-9_-]{16,64}")  # a browser tab's random id (share.js)


@dataclass(frozen=True)
class Capture:
    """A lab as it is now, to keep: its snapshot and what the cell view shows."""

    lesson_id: str
    lab_id: str
    unit: int
    layer: int | None
    data: bytes


@dataclass(frozen=True)
class Restored:
    """A kept lab brought back: the lab, the cell view's unit and layer, the link it
    stands for (None: none), and a sentence for the page."""

    lab: Lab
    unit: int
    layer: int | None
    origin: str | None
    message: str


def init_app(app: Flask) -> None:
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    ratelimit.add(app, "snapshot", app.config["SNAPSHOT_RATE_LIMIT"])
    ratelimit.add(app, "snapshot-address", app.config["SNAPSHOT_ADDRESS_RATE_LIMIT"])


def capture(lab: Lab, lesson_id: str, lab_id: str, unit: int, layer: int | None) -> Capture:
    """The lab's snapshot now (the caller holds the lab's lock)."""
    return Capture(lesson_id, lab_id, unit, layer, to_bytes(lab))


def key_of(lesson_id: str, lab_id: str, unit: int, layer: int | None, data: bytes) -> str:
    """The name of a kept lab: the same lab shared twice is one row; the same weights
    shared from another lab are another."""
    where = {"lesson": lesson_id, "lab": lab_id, "unit": unit, "layer": layer}
    head = json.dumps(where, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(b"unrolled-lab\0" + head + b"\0" + data).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _days() -> timedelta:
    return timedelta(days=int(current_app.config["SNAPSHOT_DAYS"]))


def _limit(bucket: str, who: str) -> None:
    wait = ratelimit.hit(bucket, who)
    if wait is not None:
        raise PayloadError(
            "rate_limited",
            f"Too many saved labs in a short time: try again in {max(1, round(wait))} s.",
            "lab",
        )


def _room(session: Session, size: int) -> None:
    """Refuse a lab too large to keep, or one the full store has no room for."""
    cap = int(current_app.config["SNAPSHOT_MAX_BYTES"])
    if size > cap:
        raise PayloadError(
            "too_large",
            f"This lab is too large to keep ({size / 1e6:.1f} MB; at most {cap / 1e6:.1f} MB).",
            "lab",
        )
    if store.stored_bytes(session) + size > int(current_app.config["SNAPSHOT_STORE_MAX_BYTES"]):
        log.warning("the store of kept labs is full")
        raise PayloadError(
            "full", "The server has no room for more saved labs just now: try again later.", "lab"
        )


def share(shot: Capture, learner: str | None, address: str) -> str:
    """Keep ``shot`` for a link; its key. PayloadError if the learner made too many
    links lately, the lab is too large or the store is full (nothing stored)."""
    _limit("snapshot", learner or f"address:{address}")
    _limit("snapshot-address", address)
    key = key_of(shot.lesson_id, shot.lab_id, shot.unit, shot.layer, shot.data)
    now = utcnow()
    kept = store.Kept(shot.lesson_id, shot.lab_id, shot.unit, shot.layer, shot.data, now + _days())
    with db.transaction() as session:
        store.purge(session, now)
        if not store.has_snapshot(session, key):
            _room(session, len(shot.data))
        store.put_snapshot(session, key, kept, learner, now)
    return key


def restore(key: str, lesson_id: str, spec: LabSpec) -> Restored:
    """The lab link ``key`` names, for lab ``spec`` of lesson ``lesson_id``; PayloadError
    (field ``snapshot``) saying why it cannot be, and nothing changed, otherwise."""

    def refuse(code: str, message: str) -> PayloadError:
        return PayloadError(code, message, "snapshot")

    if not KEY.fullmatch(key):
        raise refuse("bad_link", "This link is damaged: its lab code is not one this course makes.")
    now = utcnow()
    with db.transaction() as session:
        kept = store.get_snapshot(session, key)
        if kept is None:
            raise refuse(
                "not_found",
                "This link's lab is not kept on this server: it was mistyped, or it expired "
                f"(a link lasts {current_app.config['SNAPSHOT_DAYS']} days from its last use).",
            )
        if kept.expires_at < now:
            raise refuse("expired", f"This link expired on {kept.expires_at:%d %B %Y}.")
        if key_of(kept.lesson_id, kept.lab_id, kept.unit, kept.layer, kept.data) != key:
            raise refuse("damaged", "This link's lab is damaged on the server.")
        if (kept.lesson_id, kept.lab_id) != (lesson_id, spec.id):
            raise refuse(
                "foreign",
                f"This link is for another lab ({kept.lab_id!r} of lesson {kept.lesson_id!r}), "
                "not this one.",
            )
        lab = _lab(kept, spec, "snapshot")
        store.extend_snapshot(session, key, now + _days())
    message = f"Opened the shared lab exactly as it was shared: epoch {lab.epoch}."
    return Restored(lab, kept.unit, kept.layer, key, message)


def fits(spec: LabSpec, config: LabConfig) -> bool:
    """Whether ``config`` is one this lab can have: the settings a learner may choose
    (CONFIG_FIELDS, within their limits) and the lesson's for everything else; the
    learner's own series only where the lab offers it."""
    if config.series is not None and "own_data" not in spec.controls:
        return False
    try:
        wanted = merge_options(spec.options, options_of(config))
        return to_lab_config(wanted, config.series) == config
    except PayloadError:
        return False


def _lab(kept: store.Kept, spec: LabSpec, field: str) -> Lab:
    """The lab in ``kept``, checked: its bytes, its settings, the unit and layer
    (PayloadError naming ``field`` otherwise)."""

    def refuse(code: str, message: str) -> PayloadError:
        return PayloadError(code, message, field)

    try:
        lab = from_bytes(kept.data)
    except ValueError as error:
        raise refuse("damaged", f"This lab cannot be read back ({error}).") from None
    if not fits(spec, lab.config):
        raise refuse("foreign", "This lab's settings are not ones this lesson's lab can have.")
    model = lab.config.model
    if not 0 <= kept.unit < model.hidden or not (
        kept.layer is None or 0 <= kept.layer < model.layers
    ):
        raise refuse("damaged", "This lab's chosen unit or layer is outside its network.")
    return lab


# -- a learner's own lab, kept for a reload -----------------------------------------------


def keep(shot: Capture, learner: str, tab: str, origin: str | None, address: str | None) -> bool:
    """Keep the learner's lab under ``tab`` (as they leave it, or now and then while it is
    open); False (logged) if over the limits. ``address``: counted against its rate limit
    (None: the server's own periodic keeping, bounded by its interval)."""
    now = utcnow()
    kept = store.Kept(
        shot.lesson_id, shot.lab_id, shot.unit, shot.layer, shot.data, now + _days(), origin
    )
    try:
        if address is not None:
            _limit("snapshot-address", address)
        with db.transaction() as session:
            store.purge(session, now)
            _room(session, len(shot.data))
            keep_at_most = int(current_app.config["RESUMES_PER_LEARNER"])
            store.put_resume(session, learner, tab, kept, now, keep_at_most)
    except PayloadError as error:
        log.warning("lab %s not kept for a reload: %s", shot.lab_id, error.message)
        return False
    return True


def resume(learner: str, tab: str, lesson_id: str, spec: LabSpec) -> Restored | None:
    """The lab the learner left in ``tab``, or None if none is kept; PayloadError if
    it is kept but cannot be brought back (changes nothing)."""
    now = utcnow()
    with db.transaction() as session:
        kept = store.get_resume(session, learner, tab, lesson_id, spec.id)
        if kept is None or kept.expires_at < now:
            return None
        lab = _lab(kept, spec, "resume")
        store.extend_resume(session, learner, tab, lesson_id, spec.id, now + _days())
    return resumed(lab, kept.unit, kept.layer, kept.origin)


def resumed(lab: Lab, unit: int, layer: int | None, origin: str | None) -> Restored:
    message = f"Resumed where you left off: epoch {lab.epoch}. Reset starts afresh."
    return Restored(lab, unit, layer, origin, message)
