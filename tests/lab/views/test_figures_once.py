"""Learners opening the same new lab settings at once get the figures of one build."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from course.lab import views
from course.lab.spec import parse_block


def test_labs_opened_at_once_with_new_settings_build_their_figures_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = parse_block("once", {"model": "lstm", "layers": 1, "hidden": 2})
    spec = replace(spec, id="figures-once")  # a key no other test has built
    builds: list[int] = []
    started = threading.Event()
    release = threading.Event()
    build = views._build_figures

    def slow_build(*args: object) -> dict[str, str]:
        builds.append(1)
        started.set()
        release.wait(30)  # every other opener arrives while this one builds
        return build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "_build_figures", slow_build)
    got: list[dict[str, str]] = []
    openers = [threading.Thread(target=lambda: got.append(views.figures(spec))) for _ in range(8)]
    openers[0].start()
    assert started.wait(30)
    for opener in openers[1:]:
        opener.start()
    release.set()
    for opener in openers:
        opener.join(60)
    assert len(builds) == 1
    assert len(got) == 8 and all(figures == got[0] for figures in got)
