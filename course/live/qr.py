"""The projector's QR code of a session's join URL, drawn by the server (segno, SVG):
no CDN, no script. Scaled by CSS through its viewBox, with the four-module quiet
zone a phone's camera needs."""

from __future__ import annotations

import segno
from markupsafe import Markup


def join_svg(url: str) -> Markup:
    """An inline SVG QR code of ``url``: error correction M at least (segno raises it
    when that costs no extra modules), dark on white whatever the page's theme."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        svgclass="live-qr-code",
        lineclass=None,
        dark="#000",
        light="#fff",
        title=f"QR code: {url}",
    )
    return Markup(svg)  # segno escapes the title; nothing else in it comes from a user
