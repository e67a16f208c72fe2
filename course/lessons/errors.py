"""The one error a lesson author sees. It lives alone so that every block module can
raise it without importing the machinery that gathers the blocks."""

from __future__ import annotations


class LessonError(ValueError):
    """A lesson that cannot be served as written."""
