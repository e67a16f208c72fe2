"""Two server processes share live sessions through Redis: students connected to
process B follow a presenter on process A, in order and with identical numbers;
a late joiner on B is in step at once; the presenter may move to B and go on; a
co-teacher on B takes over from the presenter on A, who is told and refused; rate
limits count the hits on both processes together."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from clusterkit import Peer, signed_in, start, until
from servers import ROOT, CourseServer, RedisServer, create_instructor
from sqlalchemy.orm import sessionmaker

from course.live.durable import make_store
from course.storage.db import make_engine
from course.storage.models import Classroom, CoTeacher

SECRET = "two-process-test-secret-of-32-characters-or-more"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory):
    """Processes A and B on one database and one Redis; sessions are started from this
    process straight into the shared store (as a third server would)."""
    tmp = tmp_path_factory.mktemp("cluster")
    env = {
        "REDIS_URL": redis_server.url,
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "UNROLLED_COMPILATION_CACHE_DIR": str(tmp / "jax-cache"),
        "UNROLLED_LOGIN_RATE_LIMIT": "3/60",
    }
    logs = ROOT / "test-artifacts"
    logs.mkdir(exist_ok=True)
    a = CourseServer(env, logs / "server-a.log")
    b = CourseServer(env, logs / "server-b.log")
    engine = make_engine(env["UNROLLED_DATABASE_URL"])  # migrated by the servers
    yield make_store(redis_server.url, sessionmaker(engine)), a, b, env
    engine.dispose()
    a.stop()
    b.stop()


def test_students_on_b_follow_a_presenter_on_a(cluster):
    store, a, b, env = cluster
    instructor, cookie = signed_in(env, a.url)
    code = start(store, instructor)
    teacher = Peer(a.url, cookie)
    students = [Peer(b.url) for _ in range(3)]
    peers = [teacher, *students]
    try:
        assert teacher.call("join", {"code": code})["role"] == "presenter"
        for k, s in enumerate(students):
            ack = s.call("join", {"code": code, "name": f"B{k}"})
            assert ack["ok"] and ack["role"] == "student"
        refused = students[0].call("present", {"code": code, "action": "step"})
        assert refused["error"]["code"] == "forbidden"  # roles hold on every process

        sent = [
            teacher.call("present", {"code": code, "action": "step"})["state"] for _ in range(5)
        ]
        sent.append(
            teacher.call("present", {"code": code, "action": "train", "epochs": 1})["state"]
        )
        for s in students:
            got = [v for v in s.wait_for(sent[-1]["seq"]) if v["seq"] >= sent[0]["seq"]]
            assert [v["seq"] for v in got] == [v["seq"] for v in sent]
            assert got == sent

        late = Peer(b.url)
        peers.append(late)
        joined = late.call("join", {"code": code, "name": "Late"})["state"]
        assert joined["seq"] == sent[-1]["seq"] and joined["frame"] == sent[-1]["frame"]
        assert joined["sources"]["loss"] == sent[-1]["sources"]["loss"]

        # the presenter's laptop reconnects to B: B rebuilds the lab from Redis and goes on
        teacher.close()
        moved = Peer(b.url, cookie)
        peers.append(moved)
        assert moved.call("join", {"code": code})["role"] == "presenter"
        step = moved.call("present", {"code": code, "action": "step"})["state"]
        assert step["seq"] == sent[-1]["seq"] + 1
        assert step["frame"]["position"] == sent[-1]["frame"]["position"] + 1
        assert step["frame"]["epoch"] == 1
        assert students[0].wait_for(step["seq"])[-1] == step
    finally:
        for peer in peers:
            peer.close()


def test_a_co_teacher_on_b_takes_over_from_the_presenter_on_a(cluster):
    store, a, b, env = cluster
    create_instructor(env, "ada@example.org", "a long enough password", "Ada")
    create_instructor(env, "grace@example.org", "a long enough password", "Grace")
    ada, ada_cookie = signed_in(env, a.url, "ada@example.org")
    grace, grace_cookie = signed_in(env, b.url, "grace@example.org")
    engine = make_engine(env["UNROLLED_DATABASE_URL"])
    with sessionmaker(engine).begin() as session:
        made = Classroom(instructor_id=int(ada), name="Two processes", join_code="TWOPRC")
        session.add(made)
        session.flush()
        session.add(CoTeacher(class_id=made.id, instructor_id=int(grace)))
        class_id = made.id
    engine.dispose()
    code = start(store, ada, class_id=class_id, presenter_name="Ada")
    teacher, student, taker = Peer(a.url, ada_cookie), Peer(b.url), Peer(b.url, grace_cookie)
    try:
        assert teacher.call("join", {"code": code})["role"] == "presenter"
        assert student.call("join", {"code": code, "name": "Sam"})["ok"]
        stepped = teacher.call("present", {"code": code, "action": "step"})["state"]

        taken = taker.call("takeover", {"code": code})
        assert taken["ok"], taken
        assert taken["state"]["seq"] == stepped["seq"] + 1
        assert taken["state"]["frame"] == stepped["frame"]
        # told on A through the message queue; refused there from now on
        until(lambda: teacher.pushed("takeover"), 10, "the takeover told on A")
        assert teacher.pushed("takeover") == [{"code": code, "name": "Grace"}]
        refused = teacher.call("present", {"code": code, "action": "step"})
        assert refused["error"]["code"] == "forbidden"
        assert teacher.call("beat", {"code": code})["presenting"] is False

        assert taker.call("join", {"code": code})["role"] == "presenter"
        step = taker.call("present", {"code": code, "action": "step"})["state"]
        assert step["seq"] == stepped["seq"] + 2
        assert step["frame"]["position"] == stepped["frame"]["position"] + 1
        got = [v["seq"] for v in student.wait_for(step["seq"]) if v["seq"] > stepped["seq"]]
        assert got == [stepped["seq"] + 1, step["seq"]]
        assert not student.pushed("takeover")
        assert teacher.wait_for(step["seq"])[-1]["seq"] == step["seq"]  # A's page follows
    finally:
        for peer in (teacher, student, taker):
            peer.close()


def test_a_rate_limit_holds_across_both_processes(cluster):
    """Sign-in attempts for one email, alternating between A and B: the limit counts
    them together (in Redis), so moving to the other process does not reset it."""
    _, a, b, _ = cluster
    codes = []
    for server in (a, b, a, b):
        browser = requests.Session()
        page = browser.get(f"{server.url}/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form = {"csrf_token": token, "email": "limit@example.org", "password": "wrong password"}
        codes.append(browser.post(f"{server.url}/login", data=form).status_code)
    assert codes == [401, 401, 401, 429]
