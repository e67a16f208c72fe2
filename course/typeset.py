"""Lesson maths typeset once on the server, so a page arrives with its equations
drawn instead of the browser typesetting them on every visit (~100 ms of a page
load on a classroom laptop).

Markdown leaves each formula as ``<span class="arithmatex">\\(…\\)</span>`` (inline)
or ``<div class="arithmatex">\\[…\\]</div>`` (display). ``typeset`` hands every one
to KaTeX — the same KaTeX, from ``node_modules``, that the browser uses — through
one ``node scripts/typeset.mjs`` run, and keeps the results in the instance folder
keyed by KaTeX's version and the formula (a restart runs Node only for new ones).
Without Node (or if KaTeX refuses a formula) the formula stays as it was, and the
browser typesets it as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import logging
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "typeset.mjs"
MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">'
    r"(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])"
    r"</(?P=tag)>",
    re.DOTALL,
)


def formulas(page: str) -> list[tuple[str, bool]]:
    """The (TeX, display) of every formula in ``page``, TeX unescaped."""
    found = []
    for match in MATH.finditer(page):
        display = match.group("display") is not None
        tex = match.group("display") if display else match.group("inline")
        found.append((html.unescape(tex), display))
    return found


class Typesetter:
    """Typeset formulas from a cache; `warm` fills it (one Node run for what is new)."""

    def __init__(self, katex_dir: Path, cache_file: Path) -> None:
        self.katex_dir, self.cache_file = katex_dir, cache_file
        self.version = _version(katex_dir)
        self.cache = _read(cache_file)

    def warm(self, pages: Iterable[str]) -> None:
        """Typeset every formula of ``pages`` not typeset yet, and keep the results."""
        keys = {item: _key(item, self.version) for page in pages for item in formulas(page)}
        missing = sorted(item for item, key in keys.items() if key not in self.cache)
        if not missing or self.version is None:
            return
        for item, done in zip(missing, _run_katex(missing, self.katex_dir), strict=True):
            if done is not None:
                self.cache[keys[item]] = done
        _write(self.cache_file, self.cache)

    def apply(self, page: str) -> str:
        """``page`` with each formula in the cache replaced by its HTML (the rest stay
        for the browser to typeset)."""

        def replace(match: re.Match[str]) -> str:
            display = match.group("display") is not None
            tex = html.unescape(match.group("display") if display else match.group("inline"))
            done = self.cache.get(_key((tex, display), self.version))
            tag = match.group("tag")
            return match.group(0) if done is None else f'<{tag} class="arithmatex">{done}</{tag}>'

        return MATH.sub(replace, page)


def texts_in(value: Any) -> Iterator[str]:
    """Every string inside ``value`` (dataclasses, mappings, sequences): where a
    lesson's quizzes and prompts keep their HTML."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from texts_in(getattr(value, item.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts_in(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from texts_in(item)


def _version(katex_dir: Path) -> str | None:
    try:
        return str(json.loads((katex_dir / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        log.warning("maths left to the browser: no KaTeX in %s", katex_dir)
        return None


def _key(item: tuple[str, bool], version: str | None) -> str:
    tex, display = item
    text = f"{version}\0{'display' if display else 'inline'}\0{tex}"
    return hashlib.sha256(text.encode()).hexdigest()


def _run_katex(items: list[tuple[str, bool]], katex_dir: Path) -> list[str | None]:
    """The HTML of each item (None where KaTeX refused it, or for all without Node)."""
    node = shutil.which("node")
    if node is None:
        log.warning("maths left to the browser: Node.js is not installed")
        return [None] * len(items)
    payload = json.dumps([{"tex": tex, "display": display} for tex, display in items])
    try:
        done = subprocess.run(
            [node, str(SCRIPT), str(katex_dir)],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        typeset_html = json.loads(done.stdout)["html"]
        if len(typeset_html) == len(items):
            return [x if isinstance(x, str) else None for x in typeset_html]
        log.warning(
            "maths left to the browser: KaTeX answered %d of %d", len(typeset_html), len(items)
        )
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError) as error:
        log.warning("maths left to the browser: KaTeX failed (%s)", error)
    return [None] * len(items)


def _read(cache_file: Path) -> dict[str, str]:
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def _write(cache_file: Path, cache: dict[str, str]) -> None:
    try:
        temporary = cache_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(cache), encoding="utf-8")
        temporary.replace(cache_file)
    except OSError as error:
        log.warning("typeset cache not written: %s", error)
