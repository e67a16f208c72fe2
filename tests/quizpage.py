"""Reading a lesson page as a browser would: the CSRF token, and each quiz's
visible items by their text (the page has opaque ids only)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

QUIZ = re.compile(r'<section class="quiz" id="quiz-([\w-]+)"(.*?)</section>', re.S)
ITEM = re.compile(r'data-item="(\w+)"[^>]*>(.*?)</(?:span|label)>', re.S)
OPTION = re.compile(r'<option value="(\w+)">(.*?)</option>', re.S)
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
TAGS = re.compile(r"<[^>]+>")


def text(fragment: str) -> str:
    return " ".join(html.unescape(TAGS.sub(" ", fragment)).split())


@dataclass
class QuizOnPage:
    items: dict[str, str] = field(default_factory=dict)  # visible text → opaque id
    rights: dict[str, str] = field(default_factory=dict)  # matching: right text → id
    order: list[str] = field(default_factory=list)  # ids as shown


@dataclass
class Page:
    token: str
    quizzes: dict[str, QuizOnPage]


def read(page: str) -> Page:
    token = TOKEN.search(page)
    assert token, "no CSRF token on the page"
    quizzes = {}
    for quiz_id, body in QUIZ.findall(page):
        found = QuizOnPage()
        for item_id, label in ITEM.findall(body):
            found.items[text(label)] = item_id
            found.order.append(item_id)
        for right_id, label in OPTION.findall(body):
            found.rights[text(label)] = right_id
        quizzes[quiz_id] = found
    return Page(token.group(1), quizzes)
