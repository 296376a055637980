"""Response headers and redirect checks that every page needs."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort
from flask.sessions import SessionMixin

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


# Links made for someone else that the treasurer's own session keeps, to show
# them again after a redirect (a member's invite or reset link, the suppliers'
# quote links): the cookie is signed, not encrypted, so they are hers alone,
# forgotten when she signs out and whenever someone signs in in that browser.
MEMBER_LINKS, QUOTE_LINKS = "member_links", "quote_links"
SESSION_LINKS = (MEMBER_LINKS, QUOTE_LINKS)


def forget_links(session: SessionMixin) -> None:
    for key in SESSION_LINKS:
        session.pop(key, None)


def safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site; anything that could leave it falls back."""
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return fallback
    return target


MAX_ID = 2**63 - 1


def register_id_guard(app: Flask) -> None:
    """An id in a URL beyond what a 64-bit column holds can't name anything: 404,
    before the database is asked (PostgreSQL would refuse the number)."""

    @app.url_value_preprocessor
    def refuse_huge_ids(_endpoint: str | None, values: dict | None) -> None:  # type: ignore[type-arg]
        if values and any(isinstance(v, int) and not 0 <= v <= MAX_ID for v in values.values()):
            abort(404)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
