"""The path through the course: "next" at the end of every lesson, a recap, and a
returning learner's "Continue" on the home page and on My progress."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from quizpage import read

from course.lessons.path import in_order, next_lesson, resume, sections
from course.lessons.registry import LessonRegistry

REGISTRY = LessonRegistry.load(Path(__file__).resolve().parents[2] / "lessons")
SLUGS = [lesson.slug for lesson in in_order(REGISTRY)]
CONTINUE = re.compile(r'<a class="button primary" data-role="continue"\s+href="([^"]+)"')
NEXT = re.compile(r'<a class="button primary" href="([^"]+)" rel="next">')


def test_the_course_runs_module_by_module():
    assert [REGISTRY.lessons[s].module for s in SLUGS] == [1, 2, 3, 4, 5]
    chain = [SLUGS[0]]
    while (after := next_lesson(REGISTRY, REGISTRY.lessons[chain[-1]])) is not None:
        chain.append(after.slug)
    assert chain == SLUGS


def test_every_real_lesson_ends_with_a_recap():
    for slug in SLUGS:
        assert len(REGISTRY.lessons[slug].recap) >= 3, slug


def done_reading(slug: str, *anchors: str) -> dict:
    lesson = REGISTRY.lessons[slug]
    return {lesson.id: {"sections": list(anchors)}}


def anchors(slug: str) -> list[str]:
    return [anchor for anchor, _ in sections(REGISTRY.lessons[slug])]


def test_resume_picks_up_after_the_last_section_read():
    data = REGISTRY.lessons["data"]
    first, second, third = anchors("data")[:3]
    assert resume(REGISTRY, {}, None) is None  # a first visit
    here = resume(REGISTRY, done_reading("data", first), data.id)
    assert (here.lesson.slug, here.anchor) == ("data", second)
    # a section skipped before the last one read is not where the learner stopped
    here = resume(REGISTRY, done_reading("data", first, third), data.id)
    assert here.anchor == anchors("data")[3]
    assert here.fragment == f"#{anchors('data')[3]}" and here.section


def test_a_lesson_read_to_the_end_continues_at_the_next_one():
    data = REGISTRY.lessons["data"]
    here = resume(REGISTRY, done_reading("data", *anchors("data")), data.id)
    assert (here.lesson.slug, here.anchor, here.fragment) == ("training", None, "")
    last = REGISTRY.lessons[SLUGS[-1]]
    assert resume(REGISTRY, done_reading(last.slug, *anchors(last.slug)), last.id) is None
    # read to the end but one section skipped: back to that one
    skipped = anchors("data")[1]
    rest = [a for a in anchors("data") if a != skipped]
    here = resume(REGISTRY, done_reading("data", *rest), data.id)
    assert (here.lesson.slug, here.anchor) == ("data", skipped)


@pytest.mark.parametrize("slug", SLUGS)
def test_each_lesson_ends_with_its_recap_and_the_way_on(client: FlaskClient, slug: str):
    page = client.get(f"/lessons/{slug}").get_data(as_text=True)
    end = page[page.index('<footer class="lesson-end"') :]
    assert "What you learned" in end
    for line in REGISTRY.lessons[slug].recap:
        assert line.split("\\(")[0].strip()[:30] in end.replace("&#39;", "'")
    after = next_lesson(REGISTRY, REGISTRY.lessons[slug])
    links = NEXT.findall(end)
    if after is None:
        assert links == [] and "last lesson of the course" in end
    else:
        assert links == [f"/lessons/{after.slug}"]
        assert after.title in end


def test_home_and_my_progress_offer_to_continue_where_the_learner_stopped(client: FlaskClient):
    assert CONTINUE.search(client.get("/").get_data(as_text=True)) is None  # first visit
    token = read(client.get("/lessons/training").get_data(as_text=True)).token
    first, second = anchors("training")[:2]
    mark = {"kind": "section", "key": first}
    headers = {"X-CSRF-Token": token}
    reply = client.post("/api/lessons/training/progress", json=mark, headers=headers)
    assert reply.get_json()["ok"]
    for where in ("/", "/progress"):
        page = client.get(where).get_data(as_text=True)
        assert CONTINUE.findall(page) == [f"/lessons/training#{second}"], where
        assert "How a recurrent network learns" in page
    assert "1 of " in client.get("/").get_data(as_text=True)  # sections read, on the home page
