from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import utcnow
from coop.extensions import db


def new_login_nonce() -> str:
    return secrets.token_hex(8)


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A person: a member, a treasurer or an admin. Members without a login
    (no password) are the norm; the treasurer acts for them."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_admin: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    # Changes with the password, so that a password change signs out other sessions.
    login_nonce: Mapped[str] = mapped_column(String(32), default=new_login_nonce)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def has_login(self) -> bool:
        return self.password_hash is not None and not self.disabled

    @property
    def is_active(self) -> bool:  # Flask-Login
        return not self.disabled

    def get_id(self) -> str:  # Flask-Login
        return f"{self.id}:{self.login_nonce}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name!r}>"


class OneTimeToken(db.Model):  # type: ignore[name-defined,misc]
    """An invite or password-reset link. Only the hash of the token is kept."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # invite | reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
