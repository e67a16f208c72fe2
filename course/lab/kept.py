"""How ``/lab`` keeps labs between page loads (the storage and its checks: ``links``).

    share   {lab}      keep the lab as it is now for a link; reply ``snapshot``: its key
    open    {…, snapshot?, resume?}
                       ``snapshot``: a link's key; ``resume``: the browser tab's id, whose
                       lab (the learner's own, as they left it) comes back on a reload

A lab is kept for a reload when its connection goes (a reload, a closed tab, a lost
connection), if anything was done to it since it was opened, under the learner and the
tab; and, while it is open, every ``LAB_KEEP_SECONDS`` (30 s) if it changed since it was
last kept, so a crashed server process loses at most that much of a learner's work.
A reload can overtake that: the new page's ``open`` may come before the old connection
is noticed gone, or while its lab is being written. So ``open`` looks for the tab's lab
first among the labs still open or closing in this process, then in the database. A
link in the address bar gives way to the tab's own lab when that lab came from the link
(opened from it, or shared as it): reloading a page after sharing resumes, it does not
go back to the moment of sharing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request

from course.lab import links
from course.lab.links import Restored
from course.lab.session import LabSession
from course.lab.spec import LabSpec
from course.web.sockets import LearnerNamespace, acked, sid
from course.web.validation import Field, PayloadError
from engine.snapshot import from_bytes

log = logging.getLogger(__name__)

DEFAULTS = {"LAB_KEEP_SECONDS": 30.0}
SCHEMAS = {"share": {"lab": Field(str, required=True, max_length=64)}}
handler = acked(SCHEMAS, area="lab")
OLD_LINK = (
    "This is an old-style link: its training was replayed, so these numbers may differ "
    "from the ones shared (after a learning-rate change, an update stepped through before "
    "training, or more than 50 epochs). Links made now restore a lab exactly."
)


@dataclass(frozen=True)
class Opening:
    """What ``open`` starts from: a kept lab (None: a new one), the link it stands for
    (a snapshot key, an old-style link's ``_replay_id``, or None), and what to tell the
    page (``from``: link | resume | replay | fresh, and a ``message``), if anything."""

    restored: Restored | None = None
    origin: str | None = None
    kept: dict[str, Any] | None = field(default=None)


def address() -> str:
    """The network address of the learner behind this event (for rate limits)."""
    return str(request.remote_addr or "unknown")


class KeptLabs(LearnerNamespace):
    """The part of ``LabNamespace`` that keeps labs for links and reloads."""

    def __init__(self, namespace: str, lessons: Any) -> None:
        super().__init__(namespace, lessons)
        self.closing: set[LabSession] = set()  # connection gone, lab not yet kept
        self.keeper: threading.Thread | None = None  # keeps open labs now and then

    # -- open --------------------------------------------------------------------
    def kept_lab(self, lesson_id: str, spec: LabSpec, data: dict[str, Any]) -> Opening:
        """What ``open`` restores, and what to tell the page. PayloadError if the link
        cannot be restored (nothing changes)."""
        snapshot, tab = data["snapshot"], data["resume"]
        replay = any(data[k] is not None for k in ("config", "epochs", "updates", "position"))
        if snapshot is not None and (replay or data["live"] is not None):
            raise PayloadError("bad_value", "a snapshot link restores a lab by itself", "snapshot")
        if tab is not None and not links.TAB.fullmatch(tab):
            raise PayloadError(
                "bad_value", "resume must be a tab id (16–64 URL-safe characters)", "resume"
            )
        if data["live"] is not None:
            return Opening()
        link = snapshot if snapshot is not None else _replay_id(data) if replay else None
        learner = self.learner()
        notice = None
        if tab is not None and learner is not None:
            try:
                mine = self._resumable(learner, tab, lesson_id, spec)
            except PayloadError as error:  # kept, but not usable: a fresh lab, and why
                mine, notice = None, f"Your lab from before could not be resumed: {error.message}"
            if mine is not None and (link is None or mine.origin == link):
                return Opening(mine, mine.origin, _said("resume", mine))
        if snapshot is not None:
            shared = links.restore(snapshot, lesson_id, spec)
            return Opening(shared, snapshot, _said("link", shared))
        if replay and (data["epochs"] or data["updates"]):
            return Opening(None, link, {"from": "replay", "message": OLD_LINK})
        if notice is not None:
            return Opening(None, link, {"from": "fresh", "message": notice})
        return Opening(None, link)

    def _resumable(self, learner: str, tab: str, lesson_id: str, spec: LabSpec) -> Restored | None:
        """The lab ``learner`` left in ``tab``: still open (another connection of theirs,
        not yet noticed gone), being kept, or kept in the database; None if none. One
        still open counts only if something was done to it (else the database has it as
        it is, or it is the lesson's lab)."""
        found: LabSession | None = None
        with self.registry_lock:
            candidates = [s for labs in self.sessions.values() for s in labs.values()]
            for session in [*candidates, *self.closing]:
                where = (session.learner, session.tab, session.lesson_id, session.spec.id)
                if session.dirty and where == (learner, tab, lesson_id, spec.id):
                    found = session
        if found is None:
            return links.resume(learner, tab, lesson_id, spec)
        with found.lock:
            data = found.snapshot()
            unit, layer, origin = found.unit, found.layer, found.origin
        return links.resumed(from_bytes(data), unit, layer, origin)

    def track(self, session: LabSession, data: dict[str, Any], opening: Opening) -> None:
        """Note on a newly opened session what keeping it needs: its tab, its link, what
        the cell view showed."""
        session.tab = data["resume"] if session.learner is not None else None
        session.origin = opening.origin
        if opening.restored is not None:
            session.unit, session.layer = opening.restored.unit, opening.restored.layer
        if session.tab is not None and self.keeper is None:
            app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
            self.keeper = threading.Thread(
                target=self._keep_open_labs, args=(app,), name="lab-keeper", daemon=True
            )
            self.keeper.start()

    def _keep_open_labs(self, app: Flask) -> None:
        """Keep each open lab ``LAB_KEEP_SECONDS`` after it changed (a crash then loses
        at most that much); looks once a second, or more often for a shorter interval."""
        while True:
            interval = float(app.config["LAB_KEEP_SECONDS"])
            time.sleep(min(1.0, interval))
            due = time.monotonic() - interval
            with self.registry_lock:
                open_labs = [s for labs in self.sessions.values() for s in labs.values()]
            for session in open_labs:
                changed = session.unkept
                if changed is not None and changed <= due and not session.gone.is_set():
                    with app.app_context():
                        self._keep_now(session, None)

    # -- share -------------------------------------------------------------------
    @handler("share")
    def on_share(self, data: dict[str, Any]) -> dict[str, Any]:
        session: LabSession = self._session(data["lab"])
        with session.lock:  # a play loop may be changing it: one consistent moment
            shot = links.Capture(
                session.lesson_id, session.spec.id, session.unit, session.layer, session.snapshot()
            )
        key = links.share(shot, session.learner, address())
        session.origin = key  # the address bar now holds this link: a reload resumes
        return {"lab": session.spec.id, "snapshot": key}

    # -- leaving -----------------------------------------------------------------
    def on_disconnect(self, reason: Any = None) -> None:
        with self.registry_lock:  # between here and kept, a reload finds them in `closing`
            self.closing.update(self.sessions.get(sid(), {}).values())
        super().on_disconnect(reason)

    def keep(self, session: LabSession) -> None:
        """Keep the lab for a reload if anything was done to it; then it is closed."""
        try:
            if session.dirty:
                self._keep_now(session, address())
        finally:
            with self.registry_lock:
                self.closing.discard(session)

    def _keep_now(self, session: LabSession, by: str | None) -> None:
        """Keep the lab as it is now under its learner and tab (``by``: the address to
        count against the rate limit; None: the server's own keeping)."""
        if session.learner is None or session.tab is None:
            return
        try:
            with session.lock:
                shot = links.Capture(
                    session.lesson_id, session.spec.id, session.unit, session.layer,
                    session.snapshot(),
                )  # fmt: skip
                origin, session.unkept = session.origin, None
            links.keep(shot, session.learner, session.tab, origin, by)
        except Exception:
            log.exception("keeping lab %s for a reload failed", session.spec.id)


def _said(how: str, restored: Restored) -> dict[str, Any]:
    """What the page hears of a kept lab: where it came from, a sentence, and the unit
    and layer its cell view shows (for its controls)."""
    return {"from": how, "message": restored.message} | {
        "unit": restored.unit,
        "layer": restored.layer,
    }


def _replay_id(data: dict[str, Any]) -> str:
    """An old-style link's name: what it asks to replay, hashed as a snapshot key is."""
    fields = {k: data[k] for k in ("config", "epochs", "updates", "position")}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return "replay-" + base64.urlsafe_b64encode(hashlib.sha256(text).digest()[:24]).decode()
