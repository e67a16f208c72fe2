"""Lessons: markdown files with YAML front matter, loaded and checked at start-up
(``registry``), rendered to sanitised HTML with our blocks (``render``, ``blocks``:
lab, playground, task, quiz, predict and tour). Above the widget areas: it gathers
their specs; they import nothing from here."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from course.lessons.registry import LessonRegistry

    app.extensions["lessons"] = LessonRegistry.load(app.config["LESSONS_DIR"])
