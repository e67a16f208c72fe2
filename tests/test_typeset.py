"""Lesson maths typeset on the server by KaTeX (through Node, as the test command
installs it): pages arrive with their equations drawn; what cannot be typeset is
left for the browser, unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course import typeset
from course.typeset import Typesetter, formulas

ROOT = Path(__file__).resolve().parent.parent
KATEX = ROOT / "node_modules" / "katex"
PAGE = (
    '<p>A gate <span class="arithmatex">\\(f_t = \\sigma(a)\\)</span>, a comparison'
    ' <span class="arithmatex">\\(a &lt; b\\)</span> and</p>'
    '<div class="arithmatex">\\[h_t = o_t \\odot \\tanh(c_t)\\]</div>'
)


@pytest.mark.parametrize("slug", ["why-recurrence", "data", "training", "lstm-cell", "tasks"])
def test_lesson_pages_arrive_with_their_maths_typeset(client, slug: str) -> None:
    page = client.get(f"/lessons/{slug}").get_data(as_text=True)
    assert 'class="katex"' in page
    assert formulas(page) == []  # not one formula left for the browser


def test_inline_display_and_escaped_tex(tmp_path: Path) -> None:
    setter = Typesetter(KATEX, tmp_path / "katex.json")
    setter.warm([PAGE])
    done = setter.apply(PAGE)
    assert formulas(done) == []
    assert done.count('<span class="katex">') == 3  # the display one inside its katex-display
    assert done.count('class="katex-display"') == 1
    assert 'encoding="application/x-tex">a &lt; b</annotation>' in done  # "<" reached KaTeX


def test_a_restart_reads_the_cache_without_node(tmp_path: Path, monkeypatch) -> None:
    Typesetter(KATEX, tmp_path / "katex.json").warm([PAGE])
    monkeypatch.setattr(shutil, "which", lambda name: None)
    again = Typesetter(KATEX, tmp_path / "katex.json")
    again.warm([PAGE])
    assert formulas(again.apply(PAGE)) == []


def test_without_node_or_katex_the_browser_typesets(tmp_path: Path, monkeypatch) -> None:
    no_katex = Typesetter(tmp_path / "nowhere", tmp_path / "a.json")
    no_katex.warm([PAGE])
    assert no_katex.apply(PAGE) == PAGE
    monkeypatch.setattr(typeset.shutil, "which", lambda name: None)
    no_node = Typesetter(KATEX, tmp_path / "b.json")
    no_node.warm([PAGE])
    assert no_node.apply(PAGE) == PAGE


def test_a_formula_katex_refuses_is_left_as_written(tmp_path: Path) -> None:
    broken = '<span class="arithmatex">\\(\\frac{1}{\\)</span> and ' + PAGE
    setter = Typesetter(KATEX, tmp_path / "katex.json")
    setter.warm([broken])
    assert formulas(setter.apply(broken)) == [("\\frac{1}{", False)]
