"""Labs kept on the server (course.lab.links, course.lab.kept): a shared link restores
exactly the lab that was shared, in another browser; a reload resumes the learner's
own lab. A bad link — damaged, foreign, expired, unknown — is refused with a sentence
and changes nothing; making links is size-capped and rate-limited."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from labkit import GRU, LAB, LESSON
from socketkit import Socket, ask, ok, refused
from sqlalchemy import func, select, update

from course.extensions import socketio
from course.lab import links
from course.storage import db
from course.storage import snapshots as store
from course.storage.models import LabResume, LabSnapshot, utcnow
from course.web.ratelimit import RateLimiter
from engine import Lab
from engine.snapshot import to_bytes

TAB = "tab-0123456789abcdef"
Connect = Callable[..., Socket]


def open_lab(sock: Socket, **extra: Any) -> dict[str, Any]:
    return ok(sock, "open", {"lesson": LESSON, "lab": LAB} | extra)


def whole(sock: Socket) -> dict[str, Any]:
    """The lab as the page holds it: frame, every source, settings (``pause`` sends all)."""
    ack = ok(sock, "pause", {"lab": LAB})
    return {"frame": ack["frame"], "sources": ack["sources"]}


def busy(sock: Socket, epochs: tuple[int, int] = (3, 2)) -> dict[str, Any]:
    """What breaks a replayed link: an update stepped through before training, training,
    a learning-rate change, more training, then the cursor inside a cell, unit 2 chosen."""
    open_lab(sock, config=GRU)
    ok(sock, "jump", {"lab": LAB, "phase": "update"})
    for _ in range(GRU["layers"] + 1):  # the layer's ΔW, the readout's, then past it
        ok(sock, "step", {"lab": LAB, "granularity": "compute"})
    ok(sock, "train", {"lab": LAB, "epochs": epochs[0]})
    ok(sock, "configure", {"lab": LAB, "config": {"learning_rate": 0.05}})
    ok(sock, "train", {"lab": LAB, "epochs": epochs[1]})
    for _ in range(4):
        ok(sock, "step", {"lab": LAB, "granularity": "compute"})
    ok(sock, "select", {"lab": LAB, "unit": 2})
    return whole(sock)


def share(sock: Socket) -> str:
    key: str = ok(sock, "share", {"lab": LAB})["snapshot"]
    return key


@pytest.fixture
def learner(client: FlaskClient, socket: Connect) -> Socket:
    """A learner who loaded the lesson page (which gives them their id)."""
    assert client.get(f"/lessons/{LESSON}").status_code == 200
    return socket("/lab")


@pytest.fixture
def stranger(app: Flask, socket: Connect) -> Socket:
    """Someone else, in a browser of their own."""
    browser = app.test_client()
    assert browser.get(f"/lessons/{LESSON}").status_code == 200
    return socket("/lab", browser)


def rows(app: Flask, model: type[Any]) -> int:
    with db.sessions(app)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- shared links --------------------------------------------------------------------------


def test_a_link_restores_the_identical_lab_in_another_browser(
    learner: Socket, stranger: Socket
) -> None:
    before = busy(learner, (30, 30))  # 60 epochs, beyond what a link once replayed
    key = share(learner)
    assert links.KEY.fullmatch(key)
    ack = open_lab(stranger, snapshot=key)
    assert ack["kept"]["from"] == "link" and "epoch 60" in ack["kept"]["message"]
    assert ack["frame"] == before["frame"] and ack["frame"]["epoch"] == 60
    assert ack["sources"] == before["sources"]  # weights, cell view of unit 2, loss curve…
    assert (
        ack["info"]["config"]["learning_rate"] == 0.05 and ack["info"]["config"]["model"] == "gru"
    )
    # …and both go on to the same numbers.
    for sock in (learner, stranger):
        ok(sock, "train", {"lab": LAB, "epochs": 1})
    assert whole(stranger) == whole(learner)


def test_the_same_lab_shared_twice_is_one_link(app: Flask, learner: Socket) -> None:
    busy(learner)
    count = rows(app, LabSnapshot)
    first = share(learner)
    assert share(learner) == first
    assert rows(app, LabSnapshot) == count + 1
    ok(learner, "step", {"lab": LAB, "granularity": "compute"})
    assert share(learner) != first  # one more step: another lab
    assert rows(app, LabSnapshot) == count + 2


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("not-a-key", "bad_link"),
        ("A" * 43, "not_found"),
        ("A" * 42 + "!", "bad_link"),
        ("A" * 65, "too_long"),  # longer than any key: refused by the schema
    ],
)
def test_a_link_that_names_no_kept_lab_is_refused(learner: Socket, key: str, code: str) -> None:
    error = refused(learner, "open", {"lesson": LESSON, "lab": LAB, "snapshot": key})
    assert error["code"] == code and error["field"] == "snapshot", error
    assert ask(learner, "step", {"lab": LAB})["error"]["code"] == "no_lab"  # nothing opened


def test_a_link_of_another_lab_is_refused_as_foreign(learner: Socket, stranger: Socket) -> None:
    busy(learner)
    key = share(learner)
    error = refused(stranger, "open", {"lesson": "data", "lab": "feed", "snapshot": key})
    assert error["code"] == "foreign" and "'cell-walk'" in error["message"], error


def tamper(app: Flask, key: str, **values: Any) -> None:
    with db.transaction(db.sessions(app)) as session:
        session.execute(update(LabSnapshot).where(LabSnapshot.key == key).values(**values))


def test_a_damaged_snapshot_is_refused_and_changes_nothing(
    app: Flask, learner: Socket, stranger: Socket
) -> None:
    busy(learner)
    key = share(learner)
    with db.sessions(app)() as session:
        data = store.get_snapshot(session, key).data  # type: ignore[union-attr]
    tamper(app, key, data=data[:-1] + bytes([data[-1] ^ 1]))
    open_lab(stranger)
    ok(stranger, "step", {"lab": LAB})
    mine = whole(stranger)
    error = refused(stranger, "open", {"lesson": LESSON, "lab": LAB, "snapshot": key})
    assert error["code"] == "damaged", error
    assert whole(stranger) == mine  # the open lab is as it was


def put(app: Flask, lab: Lab, data: bytes | None = None) -> str:
    """Store a lab as if shared from the lesson's lab, with consistent key and bytes."""
    data = to_bytes(lab) if data is None else data
    key = links.key_of(app.extensions["lessons"].get(LESSON).id, LAB, 0, None, data)
    now = utcnow()
    kept = store.Kept(
        app.extensions["lessons"].get(LESSON).id, LAB, 0, None, data, now + timedelta(days=1)
    )
    with db.transaction(db.sessions(app)) as session:
        store.put_snapshot(session, key, kept, None, now)
    return key


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda spec: b"UNRL1" + b"\x00\x00\x00\x02{}", "damaged"),  # not a lab
        (lambda spec: to_bytes(Lab(spec.config.__class__(seed=1, start=5.0))), "foreign"),
    ],
)
def test_a_snapshot_that_is_no_lab_of_this_lessons_is_refused(
    app: Flask, stranger: Socket, make: Callable[[Any], bytes], code: str
) -> None:
    spec = app.extensions["lessons"].get(LESSON).labs[LAB]
    key = put(app, Lab(spec.config), make(spec))
    error = refused(stranger, "open", {"lesson": LESSON, "lab": LAB, "snapshot": key})
    assert error["code"] == code, error


def test_an_expired_link_is_refused_and_using_one_extends_it(
    app: Flask, learner: Socket, stranger: Socket
) -> None:
    busy(learner)
    key = share(learner)
    soon = utcnow() + timedelta(days=1)
    tamper(app, key, expires_at=soon)
    open_lab(stranger, snapshot=key)
    with db.sessions(app)() as session:
        assert store.get_snapshot(session, key).expires_at > soon + timedelta(days=28)  # type: ignore[union-attr]
    tamper(app, key, expires_at=utcnow() - timedelta(seconds=1))
    error = refused(stranger, "open", {"lesson": LESSON, "lab": LAB, "snapshot": key})
    assert error["code"] == "expired" and "expired on" in error["message"], error


def test_an_oversized_lab_is_not_kept(
    app: Flask, learner: Socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy(learner)
    ok(learner, "select", {"lab": LAB, "unit": 1})  # a lab not shared before
    count = rows(app, LabSnapshot)
    monkeypatch.setitem(app.config, "SNAPSHOT_MAX_BYTES", 1000)
    error = refused(learner, "share", {"lab": LAB})
    assert error["code"] == "too_large" and "too large" in error["message"], error
    monkeypatch.setitem(app.config, "SNAPSHOT_MAX_BYTES", 4 * 2**20)
    monkeypatch.setitem(app.config, "SNAPSHOT_STORE_MAX_BYTES", 1000)  # the store is full
    assert refused(learner, "share", {"lab": LAB})["code"] == "full"
    assert rows(app, LabSnapshot) == count


def test_a_learner_making_many_links_is_slowed_down(
    app: Flask, learner: Socket, stranger: Socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.extensions["ratelimit"], "snapshot", RateLimiter(2, 3600))
    busy(learner)
    open_lab(stranger)
    share(learner)
    share(learner)
    error = refused(learner, "share", {"lab": LAB})
    assert error["code"] == "rate_limited" and "try again in" in error["message"], error
    share(stranger)  # another learner is not slowed down


def test_an_old_style_link_says_it_replays(learner: Socket) -> None:
    ack = open_lab(learner, config={"seed": 3}, epochs=1)
    assert ack["kept"]["from"] == "replay" and "old-style link" in ack["kept"]["message"]
    assert open_lab(learner, config={"seed": 3})["kept"] is None  # settings alone are exact


# -- a reload resumes the learner's own lab -------------------------------------------------


@pytest.fixture
def reload(client: FlaskClient, socket: Connect) -> Iterator[Callable[[Socket], Socket]]:
    """Close a page's connection and open the page again, in the same tab."""

    def again(page: Socket) -> Socket:
        page.close()
        return socket("/lab")

    yield again


def test_a_reload_resumes_the_lab_where_the_learner_left_it(
    learner: Socket, reload: Callable[[Socket], Socket]
) -> None:
    open_lab(learner, resume=TAB)
    before = busy_again(learner)
    page = reload(learner)
    ack = open_lab(page, resume=TAB)
    assert ack["kept"]["from"] == "resume" and "epoch 2" in ack["kept"]["message"]
    assert {"frame": ack["frame"], "sources": ack["sources"]} == before


def busy_again(sock: Socket) -> dict[str, Any]:
    ok(sock, "train", {"lab": LAB, "epochs": 2})
    ok(sock, "step", {"lab": LAB, "granularity": "timestep"})
    ok(sock, "select", {"lab": LAB, "unit": 3})
    return whole(sock)


def test_a_reload_before_the_old_page_is_gone_resumes_it_too(
    learner: Socket, socket: Connect
) -> None:
    open_lab(learner, resume=TAB)
    before = busy_again(learner)
    ack = open_lab(socket("/lab"), resume=TAB)  # the old connection is still open
    assert ack["kept"]["from"] == "resume"
    assert {"frame": ack["frame"], "sources": ack["sources"]} == before


def test_only_the_same_learner_in_the_same_tab_resumes(
    learner: Socket, stranger: Socket, reload: Callable[[Socket], Socket]
) -> None:
    open_lab(learner, resume=TAB)
    busy_again(learner)
    page = reload(learner)
    assert open_lab(stranger, resume=TAB)["frame"]["epoch"] == 0  # someone else: fresh
    assert open_lab(page, resume="another-tab-0123456")["frame"]["epoch"] == 0
    assert open_lab(page)["kept"] is None


def test_an_untouched_lab_is_not_kept(
    app: Flask, learner: Socket, reload: Callable[[Socket], Socket]
) -> None:
    count = rows(app, LabResume)
    open_lab(learner, resume="untouched-0123456789")
    reload(learner)
    assert rows(app, LabResume) == count


def test_reloading_a_link_resumes_what_was_done_since(
    learner: Socket, stranger: Socket, reload: Callable[[Socket], Socket]
) -> None:
    busy(stranger)
    key = share(stranger)
    assert open_lab(learner, snapshot=key, resume=TAB)["frame"]["epoch"] == 5
    ok(learner, "train", {"lab": LAB, "epochs": 1})
    page = reload(learner)
    ack = open_lab(page, snapshot=key, resume=TAB)  # the link is still in the address bar
    assert ack["kept"]["from"] == "resume" and ack["frame"]["epoch"] == 6
    # Sharing puts the new link in the address bar: a reload resumes from there on too.
    own = share(page)
    ok(page, "train", {"lab": LAB, "epochs": 1})
    again = reload(page)
    assert open_lab(again, snapshot=own, resume=TAB)["frame"]["epoch"] == 7
    # A link never opened in this tab wins over the tab's own lab.
    assert open_lab(again, snapshot=key, resume=TAB)["frame"]["epoch"] == 5


def test_a_kept_lab_that_no_longer_fits_gives_a_fresh_lab_and_says_why(
    app: Flask, learner: Socket, reload: Callable[[Socket], Socket]
) -> None:
    open_lab(learner, resume=TAB)
    busy_again(learner)
    page = reload(learner)
    with db.transaction(db.sessions(app)) as session:
        session.execute(update(LabResume).where(LabResume.tab == TAB).values(data=b"UNRL1junk"))
    ack = open_lab(page, resume=TAB)
    assert ack["frame"]["epoch"] == 0 and "could not be resumed" in ack["kept"]["message"]


@pytest.mark.parametrize("tab", ["short", "with spaces in it!!", 7])
def test_a_bad_tab_id_is_refused(learner: Socket, tab: Any) -> None:
    error = refused(learner, "open", {"lesson": LESSON, "lab": LAB, "resume": tab})
    assert error["field"] == "resume", error


def test_an_untouched_lab_is_the_lessons_own_on_a_reload(learner: Socket, socket: Connect) -> None:
    open_lab(learner, resume="fresh-tab-0123456789")
    assert open_lab(socket("/lab"), resume="fresh-tab-0123456789")["kept"] is None  # no note


def test_an_open_lab_is_kept_now_and_then_so_a_crash_loses_little(
    app: Flask, learner: Socket, socket: Connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server process dies with the page open: no disconnect ever keeps the lab, but
    the keeper wrote it ``LAB_KEEP_SECONDS`` after it changed, so the next page resumes."""
    monkeypatch.setitem(app.config, "LAB_KEEP_SECONDS", 0.0)
    open_lab(learner, resume=TAB)
    before = busy_again(learner)
    namespace = socketio.server.namespace_handlers["/lab"]
    with namespace.registry_lock:
        (session,) = [s for labs in namespace.sessions.values() for s in labs.values()]
    spec = session.spec

    def kept_as_shown() -> bool:
        with app.app_context(), session.lock:
            shown = session.snapshot()
            restored = links.resume(session.learner, TAB, LESSON, spec)
        return restored is not None and to_bytes(restored.lab) == shown

    deadline = time.monotonic() + 60  # a state waited on; generous for a busy machine
    while not kept_as_shown():
        assert time.monotonic() < deadline, "the open lab was never kept"
        time.sleep(0.05)
    with namespace.registry_lock:  # the process is gone: its open labs with it, unkept
        namespace.sessions.clear()
    ack = open_lab(socket("/lab"), resume=TAB)
    assert ack["kept"]["from"] == "resume"
    assert {"frame": ack["frame"], "sources": ack["sources"]} == before
