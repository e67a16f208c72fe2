"""Response headers and request checks at the edge: a strict Content-Security-Policy
(every asset is ours), private pages never stored by a browser or proxy cache, and
requests only for the hosts this server answers to.

``ALLOWED_HOSTS`` (a list, or a comma-separated string in the environment) names the
``Host`` values served; ``*`` serves any. Unset, the server answers to the host it is
bound to (``BOUND_HOST``, set by ``unrolled serve``) and to localhost: a page on
another name (DNS rebinding) gets 400. Behind a proxy that sets ``X-Forwarded-Host``
(``PROXIES``), ``ProxyFix`` makes that the host checked.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # BokehJS and KaTeX set inline styles on the elements they draw.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'self'",
    ]
)
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("", "0.0.0.0", "::")
# Pages that show a learner's or a class's own data, whatever they read.
PRIVATE_PREFIXES = ("/teach", "/live", "/login", "/progress", "/api/")


def allowed_hosts(app: Flask) -> set[str] | None:
    """The host names served (lowercase, no port); None: any."""
    configured = app.config.get("ALLOWED_HOSTS")
    if isinstance(configured, str):
        configured = [part.strip() for part in configured.split(",") if part.strip()]
    if configured:
        names = {str(name).strip().lower() for name in configured}
        return None if "*" in names else names
    bound = str(app.config.get("BOUND_HOST") or "").strip().lower()
    if app.config.get("BOUND_HOST") is not None and bound in WILDCARD_BINDS:
        return None  # every interface: name the hosts in ALLOWED_HOSTS to check them
    return set(LOCAL_HOSTS) | ({bound} if bound else set())


def host_name(host: str) -> str:
    """``Host`` without its port: ``[::1]:5000`` → ``::1``, ``a.b:80`` → ``a.b``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def private(response: Response) -> bool:
    """Whether this response shows someone's own data: one of the private areas, or a
    page or JSON answer made after reading the session (learner, instructor). Assets
    (scripts, styles, fonts) are the same for everyone and keep their caching."""
    if request.path.startswith(PRIVATE_PREFIXES):
        return True
    return session.accessed and response.mimetype in ("text/html", "application/json", "text/csv")


def init_app(app: Flask) -> None:
    @app.before_request
    def check_host() -> tuple[str, int] | None:
        hosts = allowed_hosts(current_app)
        if hosts is None or host_name(request.host) in hosts:
            return None
        return "Unknown host: this server does not answer to that name.", 400

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if private(response):
            response.headers["Cache-Control"] = "no-store"
        return response
