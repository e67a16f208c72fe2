"""The markdown body of a quiz block, split into prompt, list items and explanation.

    Prompt paragraphs (any markdown).

    - [ ] a choice                 single / multiple: "[x]" marks a correct one
    - [x] another choice
        > Feedback shown to a learner who picked it (indented "> " lines).
    - an ordering item             ordering: plain items, written in the correct order
    - left :: right                matching

    > An explanation, shown with the solution (a "> " paragraph at the very end).

The first line that starts with "- " begins the list; questions without items
(numeric, text) keep every line in the prompt except the closing "> " paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from course.quizzes.model import QuizError

ITEM = re.compile(r"- (?:\[([ xX])\](?=\s|$))?\s*(.*)")
CHECKBOX = re.compile(r"- \[[ xX]\]")


@dataclass
class RawItem:
    text: str  # markdown after the marker
    mark: str | None  # " " or "x" for a checkbox, None for a plain item
    feedback: list[str] = field(default_factory=list)  # markdown lines


@dataclass
class Body:
    prompt: str
    items: list[RawItem]
    explanation: str


def split_body(text: str, *, with_items: bool) -> Body:
    lines = text.strip("\n").split("\n")
    if not with_items:
        if any(CHECKBOX.match(line) for line in lines):
            raise QuizError("this type of question takes no choices ('- [ ]' items)")
        prompt, explanation = _split_explanation(lines)
        return Body(_required_prompt(prompt), [], explanation)
    start = next((n for n, line in enumerate(lines) if line.startswith("- ")), None)
    if start is None:
        raise QuizError("the list of items is missing (lines starting with '- ')")
    items, rest = _items(lines[start:])
    if any(line.strip() and not line.startswith(">") for line in rest):
        raise QuizError("after the list only a '> ' explanation paragraph may follow")
    return Body(_required_prompt(lines[:start]), items, _unquote(rest))


def _items(lines: list[str]) -> tuple[list[RawItem], list[str]]:
    """The list items, and the lines after the list."""
    items: list[RawItem] = []
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("- "):
            match = ITEM.fullmatch(line)
            assert match is not None  # every "- " line matches
            mark = None if match.group(1) is None else match.group(1).lower()
            items.append(RawItem(match.group(2).strip(), mark))
        elif line[0] in " \t":
            item, content = items[-1], line.strip()
            if content.startswith(">"):
                item.feedback.append(content)
            elif item.feedback:
                raise QuizError(f"under {item.text!r}, write every feedback line after '> '")
            else:
                item.text += "\n" + content
        else:
            return items, lines[n:]
    return items, []


def _split_explanation(lines: list[str]) -> tuple[list[str], str]:
    """(prompt lines, explanation) where the explanation is a closing "> " paragraph."""
    end = len(lines)
    start = end
    while start > 0 and lines[start - 1].strip():
        start -= 1
    last = lines[start:end]
    if start > 0 and last and all(line.startswith(">") for line in last):
        return lines[:start], _unquote(last)
    return lines, ""


def _unquote(lines: list[str]) -> str:
    """Markdown inside "> " lines (a bare ">" is a paragraph break)."""
    return "\n".join(re.sub(r"^\s*> ?", "", line) for line in lines if line.strip()).strip()


def _required_prompt(lines: list[str]) -> str:
    prompt = "\n".join(lines).strip()
    if not prompt:
        raise QuizError("the question text (before the list) is missing")
    return prompt


def unquote_feedback(item: RawItem) -> str:
    return _unquote(item.feedback)
