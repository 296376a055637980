"""Personal API tokens. Functions take the session first, flush, never commit.

A token is `coop_` and 43 random URL-safe characters (256 bits): it is shown
once, when it is made; only its SHA-256 is stored, with its first characters
so that its owner can tell her tokens apart."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.api.models import ApiToken
from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError

TOKEN_PREFIX = "coop_"
PREFIX_SHOWN = len(TOKEN_PREFIX) + 6  # "coop_Ab12Cd"
MAX_TOKEN_LENGTH = 100
MAX_NAME = 80
MAX_ACTIVE_TOKENS = 20
# How long a new token works, in days (None: until revoked); the first is the default.
LIFETIMES = (90, 30, 365, None)
# Last use is written at most this often: a busy script need not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """Her tokens, active first, newest first."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.revoked_at.is_not(None),
                                          ApiToken.id.desc())))


def create_token(session: Session, user: User, name: str, lifetime_days: int | None = LIFETIMES[0]
                 ) -> tuple[ApiToken, str]:
    """A new token for `user` that works for `lifetime_days` (None: until
    revoked): the row and the raw token (shown once, never kept)."""
    if lifetime_days not in LIFETIMES:
        raise DomainError(_l("Choose one of the offered periods."), field="lifetime")
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Give the token a name, for example the program that uses it."),
                          field="name")
    if len(name) > MAX_NAME:
        raise DomainError(_l("This is too long (at most %(n)d characters).", n=MAX_NAME),
                          field="name")
    if not name.isprintable():
        raise DomainError(_l("This contains invisible control characters. Please type it "
                             "again."), field="name")
    now = utcnow()
    active = session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
        ApiToken.expires_at.is_(None) | (ApiToken.expires_at > now))) or 0
    if active >= MAX_ACTIVE_TOKENS:
        raise DomainError(_l("You have %(n)d tokens already. Revoke one you no longer use "
                             "first.", n=MAX_ACTIVE_TOKENS), field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=lifetime_days) if lifetime_days else None
    token = ApiToken(user_id=user.id, name=name, prefix=raw[:PREFIX_SHOWN],
                     token_hash=hash_token(raw), expires_at=expires_at)
    session.add(token)
    session.flush()
    return token, raw


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    """Her token stops working at once; it stays listed as revoked."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise DomainError(_l("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def authenticate(session: Session, raw: str) -> ApiToken | None:
    """The token of an active user that `raw` is, not revoked, else None. (It
    may have expired: `token.expired()` says so, and the API answers why.)"""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None or token.user.disabled:
        return None
    return token


def mark_used(session: Session, token: ApiToken, now: datetime | None = None) -> bool:
    """Record that the token was used (at most once a minute); True if written."""
    now = now or utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    token.last_used_at = now
    session.flush()
    return True
