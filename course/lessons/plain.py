"""A lesson's HTML fragment (a question's prompt, a choice) as one line of text, for
where a page names a question: the gradebook's columns and statistics, and the live
session record's timeline.

Maths is written ``\\(…\\)`` in the lessons; ``plain`` keeps those delimiters for a page
that typesets them (``static/js/maths.js``) or drops them for text that stays text (a
CSV), and ``cut`` never cuts inside them.
"""

from __future__ import annotations

import html
import re

TAG = re.compile(r"<[^>]+>")
DELIMITER = re.compile(r"\\[()\[\]]")
BEFORE_PUNCTUATION = re.compile(r"\s+([,.;:!?])")


def plain(fragment: str, *, maths: bool = True) -> str:
    """``fragment`` without its tags, on one line; its maths with its delimiters, or
    (``maths=False``) as the bare TeX."""
    text = TAG.sub(" ", fragment)
    if not maths:
        text = DELIMITER.sub("", text)
    text = " ".join(html.unescape(text).split())
    return BEFORE_PUNCTUATION.sub(r"\1", text)  # "<kbd>Reset</kbd>," reads "Reset,"


def cut(text: str, limit: int) -> str:
    """``text`` if it shows in ``limit`` characters (maths delimiters do not show),
    else cut at a word, before any maths the cut would split, and ended with "…"."""
    shown = len(DELIMITER.sub("", text))
    if shown <= limit:
        return text
    end = shown = 0  # text[:end] shows limit - 1 characters, and room for "…"
    while end < len(text) and shown < limit - 1:
        hidden = DELIMITER.match(text, end) is not None
        end += 2 if hidden else 1
        shown += 0 if hidden else 1
    kept = text[:end].rsplit(" ", 1)[0]
    if kept.count("\\(") > kept.count("\\)"):
        kept = kept[: kept.rindex("\\(")].rstrip()
    return kept.rstrip(",;:") + "…"
