"""The teaching tests' fixtures: the compilation cache of a module's apps, and a
teacher signed in to the module's ``app`` (each module says which app it teaches on:
most a ``teachkit.build_app`` on the ``database_url``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from teachkit import Person, signed_in


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jax-cache")


@pytest.fixture
def teacher(app: Flask) -> Person:
    """Ada, an instructor, signed in."""
    return signed_in(app, "ada@example.org", "Ada")
