"""A task's shared link through the /task socket: every ack's ``link`` handed back to
``open`` on another connection gives the same numbers (the seed, the text, the epochs
replayed, the question, the generated text); a bad link is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import socketkit
from socketkit import Socket, ask, pushed

NS, LESSON = "/task", "tasks"
QUESTIONS = {
    "abab": ("predict", {"prefix": "abab"}),
    "feelings": ("analyse", {"sentence": "the movie was not very good"}),
    "dates": ("translate", {"text": "25/03/2021"}),
}
SHOWN = ("state", "sources", "prediction", "analysis", "translation", "generated", "link")


def ok(sock: Socket, event: str, task: str, **payload: Any) -> dict[str, Any]:
    return socketkit.ok(sock, event, {"task": task} | payload)


def open_(sock: Socket, task: str, **link: Any) -> dict[str, Any]:
    return ask(sock, "open", {"lesson": LESSON, "task": task} | link)


def shown(ack: dict[str, Any]) -> dict[str, Any]:
    """What the widget paints from an ack."""
    return {k: ack[k] for k in SHOWN if k in ack}


@pytest.fixture
def two(app, client, socket) -> tuple[Socket, Socket]:
    """The learner who shares, and the one who opens the link (another browser)."""
    client.get(f"/lessons/{LESSON}")
    return socket(NS), socket(NS, app.test_client())


def test_a_text_link_replays_epochs_question_and_generation(two):
    sharer, opener = two
    assert open_(sharer, "lorem")["link"] == {
        "seed": 0,
        "epochs": 0,
        "ask": {"prefix": "lorem ipsum dolo", "temperature": 1.0},
    }
    ok(sharer, "train", "lorem", epochs=2)
    ok(sharer, "train", "lorem", epochs=1)  # two trainings: the link replays three epochs
    ok(sharer, "generate", "lorem", prefix="dolor", length=40, temperature=0.7)
    last = ok(sharer, "predict", "lorem", prefix="lorem ip", temperature=0.4)
    link = last["link"]
    assert link["epochs"] == 3 and link["ask"] == {"prefix": "lorem ip", "temperature": 0.4}
    assert link["generate"] == {"prefix": "dolor", "length": 40, "temperature": 0.7, "seed": 1}
    assert "config" not in link  # the block's own text

    restored = open_(opener, "lorem", **link)
    assert restored["ok"] is True, restored
    assert restored["generated"] == ok(sharer, "generate", "lorem", **link["generate"])["generated"]
    assert shown(restored) | {"generated": None} == shown(last) | {"generated": None}
    assert restored["state"]["score"] == last["state"]["score"]
    assert [m["args"][0]["step"] for m in pushed(opener)] == [1, 2, 3]  # progress


def test_a_link_carries_the_learners_own_text_and_drops_a_stale_generation(two):
    sharer, opener = two
    open_(sharer, "abab")
    ok(sharer, "set_text", "abab", text="The cat sat on the mat.")
    ok(sharer, "train", "abab", epochs=2)
    generated = ok(sharer, "generate", "abab", prefix="the", length=20, seed=7)
    assert generated["link"]["config"] == {"source": "user", "text": "the cat sat on the mat."}
    assert generated["link"]["generate"]["seed"] == 7
    again = ok(sharer, "train", "abab", epochs=1)
    assert "generate" not in again["link"]  # made by older weights: not the link's to replay

    restored = open_(opener, "abab", **generated["link"])
    assert restored["ok"] is True, restored
    assert restored["text"]["source"] == "user"
    assert restored["generated"] == generated["generated"]
    assert shown(restored) == shown(generated)


@pytest.mark.parametrize(
    ("task", "event", "question"),
    [
        ("feelings", "analyse", {"sentence": "what a wonderful concert"}),
        ("dates", "translate", {"text": "march 25, 2021"}),
    ],
)
def test_sentiment_and_translation_links_give_the_same_views(two, task, event, question):
    sharer, opener = two
    open_(sharer, task)
    ok(sharer, "train", task, epochs=1)
    last = ok(sharer, event, task, **question)
    assert last["link"] == {"seed": 0, "epochs": 1, "ask": question}
    restored = open_(opener, task, **last["link"])
    assert restored["ok"] is True, restored
    assert shown(restored) == shown(last)


def test_a_link_with_another_seed_gives_another_network(two):
    sharer, _ = two
    first = open_(sharer, "lorem")
    other = open_(sharer, "lorem", seed=3)
    assert other["link"]["seed"] == 3
    assert other["sources"]["tk_probs"]["p"] != first["sources"]["tk_probs"]["p"]


@pytest.mark.parametrize(
    ("task", "link", "field"),
    [
        ("abab", {"epochs": 51}, "epochs"),
        ("abab", {"epochs": -1}, "epochs"),
        ("abab", {"epochs": "3"}, "epochs"),
        ("abab", {"seed": 2**31}, "seed"),
        ("abab", {"ask": "eyJwcmVmaXgiOiJhYiJ9"}, "ask"),  # still base64: not an object
        ("abab", {"ask": {"prefix": "xyz"}}, "ask.prefix"),  # characters abab never uses
        ("abab", {"ask": {"prefix": "ab", "temperature": 9}}, "ask.temperature"),
        ("abab", {"ask": {"prefix": "ab", "lr": 1}}, "ask.lr"),
        ("abab", {"config": {"source": "poetry"}}, "config.source"),
        ("abab", {"config": {"source": "user"}}, "config.text"),
        ("abab", {"config": {"source": "user", "text": "naïve"}}, "config.text"),
        ("abab", {"generate": {"prefix": "ab", "length": 20}}, "generate.seed"),
        ("abab", {"generate": {"prefix": "ab", "seed": 1, "length": 500}}, "generate.length"),
        ("feelings", {"config": {"source": "abab"}}, "config"),
        ("feelings", {"generate": {"prefix": "ab", "seed": 1}}, "generate"),
        ("feelings", {"ask": {"sentence": "!!!"}}, "ask.sentence"),
        ("feelings", {"ask": {"text": "good"}}, "ask.text"),
        ("dates", {"ask": {"text": "25 märz 2021"}}, "ask.text"),
        ("dates", {"epochs": 1, "ask": {"text": "1" * 41}}, "ask.text"),
    ],
)
def test_a_bad_link_is_refused_with_its_field_and_changes_nothing(two, task, link, field):
    sharer, _ = two
    open_(sharer, task)
    before = ok(sharer, "train", task, epochs=1)
    pushed(sharer)
    ack = open_(sharer, task, **link)
    assert ack["ok"] is False and ack["error"]["field"] == field, ack
    assert ack["error"]["message"]
    assert not pushed(sharer)  # nothing trained: refused before the replay
    event, question = QUESTIONS[task]
    after = ok(sharer, event, task, **question)
    assert after["state"] == before["state"]  # the trained network is still the open one
