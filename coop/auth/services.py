"""Sign-in, passwords and one-time links. Functions flush, never commit."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from coop import phones
from coop.auth.models import OneTimeToken, User, new_login_nonce
from coop.config import SUPPORTED_LOCALES
from coop.db import utcnow
from coop.errors import DomainError

MIN_PASSWORD_LENGTH = 8
PURPOSE_INVITE = "invite"
PURPOSE_RESET = "reset"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the account does not exist, so both paths cost the same.
_DUMMY_HASH = "scrypt:1024:8:1$dummy$0"


def normalise_email(text: str | None) -> str | None:
    text = (text or "").strip().lower()
    if not text:
        return None
    if not _EMAIL.match(text) or len(text) > 254:
        raise DomainError(_l("This is not an e-mail address."), field="email")
    return text


def normalise_phone(text: str | None, region: str = phones.DEFAULT_REGION) -> str | None:
    """'0555 12-34-56' in a Kyrgyz group -> '+996555123456' (E.164); a local
    form is read as a number of `region`, the group's country."""
    text = (text or "").strip()
    if not text:
        return None
    number = phones.to_e164(text, region)
    if number is None:
        raise DomainError(_l("This is not a phone number. Write it for example as "
                             "%(example)s.", example=phones.example(region)), field="phone")
    return number


def login_key(identifier: str | None) -> str:
    """What sign-in attempts are counted by: the e-mail address or the number
    in E.164, whatever spacing and prefix it was typed with."""
    text = (identifier or "").strip()
    if "@" in text:
        return text.lower()
    candidates = phones.sign_in_candidates(text)
    return candidates[0] if candidates else re.sub(r"\s+", "", text.lower())


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )


def find_users_by_login(session: Session, identifier: str) -> list[User]:
    """Who may be signing in: the owner of the e-mail address, or of the number
    in any country where it is a valid one (at sign-in the group is not known:
    '555100003' is a number in Kyrgyzstan and in Tajikistan)."""
    identifier = identifier.strip()
    if "@" in identifier:
        try:
            key = normalise_email(identifier)
        except DomainError:
            return []
        return list(session.scalars(select(User).where(User.email == key)))
    candidates = phones.sign_in_candidates(identifier)
    if not candidates:
        return []
    users = {user.phone: user for user in
             session.scalars(select(User).where(User.phone.in_(candidates)))}
    return [users[number] for number in candidates if number in users]


def find_user_by_login(session: Session, identifier: str) -> User | None:
    found = find_users_by_login(session, identifier)
    return found[0] if found else None


def authenticate(session: Session, identifier: str, password: str) -> User:
    users = [user for user in find_users_by_login(session, identifier)
             if user.password_hash is not None]
    if not users:
        check_password_hash(_DUMMY_HASH, password)
        raise DomainError(_l("Wrong login or password."), field="password")
    for user in users:
        if check_password_hash(user.password_hash, password) and not user.disabled:
            return user
    raise DomainError(_l("Wrong login or password."), field="password")


def set_password(user: User, password: str) -> None:
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.login_nonce = new_login_nonce()


def remember_language(session: Session, user: User, chosen: str | None,
                      shown: str | None = None) -> None:
    """The language her account keeps as she signs in (the rule is told at
    coop.i18n.select_locale): `chosen`, picked while signed out in this visit,
    is stored even over the account's own; else `shown`, the language her
    invite link's page was shown in, when the account has none. A sign-in
    without a choice (`shown` None) leaves the account's language as it is."""
    if chosen in SUPPORTED_LOCALES:
        user.locale = chosen
    elif not user.locale and shown in SUPPORTED_LOCALES:
        user.locale = shown
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if user.password_hash is None or not check_password_hash(user.password_hash, current):
        raise DomainError(_l("The current password is wrong."), field="current_password")
    set_password(user, new)
    session.flush()


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_link_token(session: Session, actor: User, user: User, purpose: str) -> str:
    """A one-time link token for `user` (invite or reset). Earlier unused ones die."""
    now = utcnow()
    for old in session.scalars(
        select(OneTimeToken).where(OneTimeToken.user_id == user.id,
                                   OneTimeToken.used_at.is_(None))
    ):
        old.used_at = now
    raw = secrets.token_urlsafe(24)
    hours = current_app.config["TOKEN_LIFETIME_HOURS"]
    session.add(OneTimeToken(user_id=user.id, purpose=purpose, token_hash=_hash_token(raw),
                             created_by_id=actor.id, expires_at=now + timedelta(hours=hours)))
    session.flush()
    return raw


def find_link_token(session: Session, raw: str) -> OneTimeToken:
    token = session.scalar(select(OneTimeToken).where(OneTimeToken.token_hash == _hash_token(raw)))
    if token is None or token.used_at is not None:
        raise DomainError(_l("This link is not valid or was already used. "
                             "Ask your treasurer for a new one."))
    if token.expires_at < utcnow():
        raise DomainError(_l("This link has expired. Ask your treasurer for a new one."))
    return token


def usable_link_token(session: Session, raw: str) -> OneTimeToken | None:
    """The token of a link that still works (not used, not expired), else None."""
    try:
        return find_link_token(session, raw)
    except DomainError:
        return None


def redeem_link_token(session: Session, raw: str, password: str,
                      email: str | None = None, phone: str | None = None) -> User:
    """Set the password through an invite or reset link; an invite may also set
    the login (e-mail or phone) when the person has none yet."""
    token = find_link_token(session, raw)
    user = session.get(User, token.user_id)
    assert user is not None
    new_email = normalise_email(email)
    new_phone = normalise_phone(phone, home_region(session, user))
    if new_email and new_email != user.email:
        _ensure_free(session, User.email, new_email, "email")
        user.email = new_email
    if new_phone and new_phone != user.phone:
        _ensure_free(session, User.phone, new_phone, "phone")
        user.phone = new_phone
    if not user.email and not user.phone:
        raise DomainError(_l("Give an e-mail address or a phone number to sign in with."),
                          field="phone")
    set_password(user, password)
    token.used_at = utcnow()
    session.flush()
    return user


def home_region(session: Session, user: User) -> str:
    """The country of her first group: how a number she types is read."""
    from coop.groups.models import Group, Membership

    country = session.scalar(select(Group.country).join(Membership)
                             .where(Membership.user_id == user.id)
                             .order_by(Membership.id).limit(1))
    return country or phones.DEFAULT_REGION


def _ensure_free(session: Session, column, value: str, field: str) -> None:  # type: ignore[no-untyped-def]
    if session.scalar(select(User.id).where(column == value)) is not None:
        raise DomainError(_l("Someone else already signs in with this."), field=field)
