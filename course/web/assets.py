"""Browser libraries served by our own server: BokehJS from the installed bokeh
package (so JS and Python versions always match), the rest from node_modules."""

from __future__ import annotations

import re
from pathlib import Path

from bokeh.util.paths import static_path
from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

bp = Blueprint("assets", __name__, url_prefix="/vendor")

BOKEH_FILES = {"bokeh.min.js", "bokeh-widgets.min.js"}
# npm package -> folder inside it that may be served
NPM_FOLDERS = {
    "socket.io-client": "dist",
    "katex": "dist",
    "driver.js": "dist",  # lesson tours
    "axe-core": ".",  # the accessibility scan of the browser tests (axe.min.js)
}
MAX_AGE = 7 * 24 * 3600
# `import … from "./name.js"` at the top of one of our modules
STATIC_IMPORT = re.compile(r'^import\s[^;]*?\sfrom\s+"\./([\w-]+\.js)";', re.MULTILINE)


@bp.get("/bokeh/<name>")
def bokeh(name: str) -> ResponseReturnValue:
    if name not in BOKEH_FILES:
        abort(404)
    return send_from_directory(Path(static_path()) / "js", name, max_age=MAX_AGE)


@bp.get("/npm/<package>/<path:name>")
def npm(package: str, name: str) -> ResponseReturnValue:
    folder = NPM_FOLDERS.get(package)
    if folder is None:
        abort(404)
    root = Path(current_app.config["VENDOR_DIR"]) / package / folder
    return send_from_directory(root, name, max_age=MAX_AGE)


@bp.app_template_global()
def module_graph(*entries: str) -> list[str]:
    """Our ES modules that `entries` import statically, the entries included, each
    once: the page preloads them all (`<link rel="modulepreload">`) instead of finding
    them one import level at a time."""
    folder = Path(current_app.static_folder or "static") / "js"
    found: list[str] = []
    pending = list(entries)
    while pending:
        name = pending.pop(0)
        if name in found or not (folder / name).is_file():
            continue
        found.append(name)
        pending.extend(STATIC_IMPORT.findall((folder / name).read_text(encoding="utf-8")))
    return found
