"""What the browser may see of a quiz before any submission.

Items carry opaque ids: a short HMAC of (quiz key, role, index) under the
server's secret, so an id tells neither an item's place in the lesson nor whether
it is correct. Each learner sees the items in their own order, drawn from a seed
that also needs the secret (an ordering question's shuffle must not be
reproducible from the learner's id, or the answer would follow) and stable across
reloads. Nothing here reads a key, a tolerance, a range, feedback or a live value.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from course.quizzes.model import CHOICE_TYPES, MAX_TEXT, Quiz

Secret = str | bytes


@dataclass(frozen=True)
class ItemIds:
    """Opaque ids, indexed as the lesson wrote the items."""

    items: tuple[str, ...]  # choices / ordering items / matching left sides
    targets: tuple[str, ...] = ()  # matching right sides

    def index(self) -> dict[str, int]:
        return {item_id: n for n, item_id in enumerate(self.items)}

    def target_index(self) -> dict[str, int]:
        return {item_id: n for n, item_id in enumerate(self.targets)}


def item_ids(quiz: Quiz, *, key: str, secret: Secret) -> ItemIds:
    """The opaque ids of ``quiz``'s items (the same for every learner)."""
    items = tuple(_digest(secret, "item", key, str(n)).hex()[:12] for n in range(len(quiz.choices)))
    targets = tuple(
        _digest(secret, "target", key, str(n)).hex()[:12] for n in range(len(quiz.targets))
    )
    if len(set(items + targets)) != len(items + targets):  # 48 bits: never, in practice
        raise RuntimeError(f"item ids of quiz {key!r} collide; change the secret")
    return ItemIds(items, targets)


def public_view(quiz: Quiz, *, key: str, learner: str | int, secret: Secret) -> dict[str, Any]:
    """The quiz as ``learner`` may see it before answering (JSON-ready)."""
    view: dict[str, Any] = {
        "id": quiz.id,
        "type": quiz.type,
        "prompt": quiz.prompt,
        "attempts": quiz.attempts,
        "points": quiz.points,
        "feedback": quiz.feedback,
    }
    if quiz.graded:
        view["reveal"] = quiz.reveal
    if quiz.live is not None:
        view["live"] = {"lab": quiz.live.lab, "kind": quiz.live.kind}
    if quiz.type == "text":
        view["max_length"] = MAX_TEXT
    if not quiz.choices:
        return view
    ids = item_ids(quiz, key=key, secret=secret)
    seed = _digest(secret, "shuffle", str(learner), key)[:8]
    rng = random.Random(int.from_bytes(seed, "big"))
    solved = _in_lesson_order if quiz.type == "ordering" else _never
    order = _order(len(quiz.choices), quiz.shuffle, rng, solved=solved)
    shown = [{"id": ids.items[k], "html": quiz.choices[k].html} for k in order]
    if quiz.type in CHOICE_TYPES:
        view["choices"] = shown
    elif quiz.type == "ordering":
        view["items"] = shown
    else:

        def facing(p: list[int]) -> bool:  # every right side shown opposite its left side
            return len(p) == len(order) and all(
                quiz.choices[k].match == p[j] for j, k in enumerate(order)
            )

        # The right column is always shuffled: in the lesson's order it could face its
        # left sides, which is the answer. ``shuffle: false`` keeps the left column still.
        rights = _order(len(quiz.targets), True, rng, solved=facing)
        view["lefts"] = shown
        view["rights"] = [{"id": ids.targets[k], "html": quiz.targets[k]} for k in rights]
    return view


def _never(order: list[int]) -> bool:
    return False


def _in_lesson_order(order: list[int]) -> bool:  # an ordering question, shown solved
    return order == sorted(order)


def _order(
    n: int, shuffle: bool, rng: random.Random, *, solved: Callable[[list[int]], bool]
) -> list[int]:
    order = list(range(n))
    if not shuffle:
        return order
    for _ in range(100):  # with n ≥ 2 a draw is "solved" with probability ≤ 1/2
        rng.shuffle(order)
        if not solved(order):
            break
    return order


def _digest(secret: Secret, *parts: str) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).digest()
