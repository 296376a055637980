from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.auth.models import User
from coop.db import utcnow
from coop.extensions import db


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A personal API token: it acts as its user, with her roles. Only the
    SHA-256 of the token is kept, and its first characters to tell it apart;
    a revoked token stays listed, and never works again."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None: until revoked

    user: Mapped[User] = relationship()

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired()
