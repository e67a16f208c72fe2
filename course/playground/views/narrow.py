"""The phone variant of the playground's figures, declared beside each model.

A model tagged ``{"narrow": {property: value}}`` takes those values while its figure's
slot is narrower than the root's ``{"narrow_below": px}`` tag, and gets its own back
when wider; static/js/playground.js applies them. (A CustomJS callback would need the
``eval`` that the page's Content-Security-Policy forbids.)
"""

from __future__ import annotations

from typing import Any, TypeVar

M = TypeVar("M")

# Below this width (CSS px) a figure takes its narrow variant: the diagram's labels were
# laid out for 36rem (576 px) and up; a phone gives it about 340.
NARROW_BELOW = 540


def when_narrow(model: M, **props: Any) -> M:
    """``model`` tagged to take ``props`` while its figure is narrow."""
    model.tags = [*model.tags, {"narrow": props}]  # type: ignore[attr-defined]
    return model


def narrow_root(model: M) -> M:
    """``model`` (a figure's root) tagged with the width below which it is narrow."""
    model.tags = [*model.tags, {"narrow_below": NARROW_BELOW}]  # type: ignore[attr-defined]
    return model


def field(name: str) -> dict[str, str]:
    """A vectorized property read from the column ``name``."""
    return {"field": name}


def value(constant: Any) -> dict[str, Any]:
    """A vectorized property set to one ``constant`` for every glyph."""
    return {"value": constant}
