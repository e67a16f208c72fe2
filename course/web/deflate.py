"""Socket.IO's websockets without permessage-deflate (unless ``SOCKET_DEFLATE``).

Browsers offer the extension on every websocket and simple-websocket accepts it, so
the server would compress every message once per connection, with a zlib stream
(about 256 KB) kept per connection. Measured on this 2-core machine: deflating one
9 KB live-session state takes 0.25–0.5 ms, so a step shown to 500 students cost
125–245 ms of CPU in compression alone, and a room of 30 playing at 20 frames a
second about a quarter of a core. Engine.IO's own JavaScript server turns the
extension off by default for the same reasons. Pages are still compressed by HTTP.

The offer is taken out of the handshake's headers before the websocket is accepted,
so the connection is made without the extension and everything else is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

OFFER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"


class WithoutSocketDeflate:
    """WSGI middleware: websocket handshakes arrive without an extensions offer."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.pop(OFFER, None)
        return self.app(environ, start_response)
