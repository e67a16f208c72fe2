"""The durable record and the leases of live sessions, in one process: a restarted
process resumes its sessions from the database (state, lab, votes); a state is never
stored over a newer one; a session whose play loop died with its process is stopped,
saying so; a page learns by its beat whether it is behind and if the presenter is here.
"""

from __future__ import annotations

from typing import Any

from livekit import presenter, student
from sqlalchemy.orm import sessionmaker

from course.live.durable import DurableStore
from course.live.play import ORPHANED
from course.live.state import LiveState
from course.live.store import MemoryStore
from course.storage import db
from course.web.validation import PayloadError


def restarted(app: Any) -> DurableStore:
    """The live store a new process on the same database starts with: empty memory."""
    factory: sessionmaker[Any] = db.sessions(app)
    return DurableStore(MemoryStore(), factory)


def test_a_restarted_process_resumes_every_session_from_the_database(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Ada")
    for _ in range(3):
        assert teacher.call("present", {"code": session_code, "action": "step"})["ok"]
    assert teacher.call("present", {"code": session_code, "action": "train", "epochs": 2})["ok"]
    assert teacher.call("poll", {"code": session_code, "op": "open", "quiz": "forget-gate"})["ok"]
    vote = {"choice": "anything-well-formed"}
    store = app.extensions["live_store"]
    store.vote(session_code, "forget-gate", "learner-x", vote)
    before = pupil.call("sync", {"code": session_code})["state"]
    meta, _, lab = store.load(session_code)

    fresh = restarted(app)
    assert fresh.seq(session_code) == before["seq"]
    found = fresh.load(session_code)
    assert found is not None
    assert found[0] == meta and found[1] == before and found[2] == lab  # the same lab, bytes
    assert fresh.votes(session_code, "forget-gate") == {"learner-x": vote}
    with app.app_context():
        lesson = app.extensions["lessons"].get(meta["lesson"])
        again = LiveState.restore(found[0], found[2], lesson)
    assert again.lab.epoch == 2 and again.seq == before["seq"]


def test_a_state_is_never_stored_over_a_newer_one(app, session_code):
    store = app.extensions["live_store"]
    meta, view, _ = store.load(session_code)
    for stale in (meta | {"seq": meta["seq"]}, meta | {"seq": meta["seq"] - 1}):
        try:
            store.save(session_code, stale, view, None)
        except PayloadError as error:
            assert error.code == "conflict"
        else:
            raise AssertionError("an old state was stored")
    fresh = restarted(app)  # the database refuses it too, not only the fast path
    try:
        fresh.save(session_code, meta, view, None)
    except PayloadError as error:
        assert error.code == "conflict"
    else:
        raise AssertionError("the database took an old state")


def test_play_left_by_a_dead_process_is_stopped_with_a_message(app, people, session_code):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Ada")
    sessions = app.extensions["live"]

    def orphan(s: LiveState) -> None:  # as a process that was killed while playing leaves it
        s.playing, s.player = True, "a-process-that-died"

    with app.app_context():
        sessions.change(session_code, orphan)
    assert pupil.call("beat", {"code": session_code})["ok"]
    now = teacher.call("sync", {"code": session_code})["state"]
    assert now["playing"] is False and now["message"] == ORPHANED
    assert pupil.pushed("state")[-1]["message"] == ORPHANED


def test_a_beat_says_how_far_the_session_is_and_whether_the_presenter_is_here(
    app, people, session_code
):
    teacher = presenter(app, people, session_code)
    pupil = student(app, people, session_code, "Ada")
    stepped = teacher.call("present", {"code": session_code, "action": "step"})["state"]
    beat = pupil.call("beat", {"code": session_code})
    assert beat["ok"] and beat["seq"] == stepped["seq"] and beat["presenter"] is True
    assert teacher.call("beat", {"code": session_code})["presence"] == ["Ada"]
    teacher.close()
    assert pupil.pushed("presenter")[-1] == {"code": session_code, "here": False}
    assert pupil.call("beat", {"code": session_code})["presenter"] is False
    stranger = student(app, people, session_code, "Bo")
    other = stranger.call("beat", {"code": "ZZZZZZ"})
    assert other["error"]["code"] == "not_joined"  # a beat for a session one is not in
