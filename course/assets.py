"""Browser libraries served by our own server: BokehJS from the installed bokeh
package (so JS and Python versions always match), the rest from node_modules."""

from __future__ import annotations

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
