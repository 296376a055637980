"""Test data built through the services, as the app builds it."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.groups import services as groups
from coop.groups.models import Group, Membership

PASSWORD = "secret-password"
_seq = itertools.count(1)


def make_group(session: Session, name: str = "Группа", currency: str = "KGS",
               language: str = "ru", **settings: object) -> Group:
    group = Group(name=f"{name} {next(_seq)}", village="Село", region="Иссык-Куль",
                  country="KG", currency=currency, language=language, **settings)
    session.add(group)
    session.flush()
    return group


def make_member(session: Session, group: Group, name: str = "Айгүл", role: str = "member",
                login: bool = True, locale: str | None = None) -> Membership:
    n = next(_seq)
    return groups.add_member(
        session, group, name=f"{name} {n}", role=role, locale=locale,
        email=f"person{n}@example.org" if login else None,
        password=PASSWORD if login else None)


def make_admin(session: Session) -> User:
    from coop.auth import services as auth

    n = next(_seq)
    user = User(name=f"Admin {n}", email=f"admin{n}@example.org", is_admin=True)
    auth.set_password(user, PASSWORD)
    session.add(user)
    session.flush()
    return user
