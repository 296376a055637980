"""Groups, members and roles. Functions flush, never commit."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, func, select, true
from sqlalchemy.orm import Session, contains_eager

from coop import phones
from coop.auth import services as auth_services
from coop.auth.models import User
from coop.config import SUPPORTED_LOCALES
from coop.db import utcnow
from coop.errors import DomainError, NotAllowed
from coop.groups.models import LOSS_POLICIES, ROLE_TREASURER, ROLES, Group, Membership
from coop.money import minor_digits
from coop.zones import TIMEZONES, default_timezone

CURRENCIES = ("KGS", "TJS", "KZT", "UZS", "RUB", "USD", "EUR")
COUNTRIES = ("KG", "TJ", "KZ", "UZ")
CURRENCY_BY_COUNTRY = {"KG": "KGS", "TJ": "TJS", "KZ": "KZT", "UZ": "UZS"}


def groups_of(session: Session, user: User) -> list[Group]:
    """The groups a person may open: her active memberships; an admin sees all."""
    query = select(Group).order_by(Group.name)
    if not user.is_admin:
        query = query.join(Membership).where(Membership.user_id == user.id,
                                             Membership.active.is_(True))
    return list(session.scalars(query))


def membership_of(session: Session, user: User, group_id: int) -> Membership | None:
    return session.scalar(select(Membership).where(
        Membership.group_id == group_id, Membership.user_id == user.id,
        Membership.active.is_(True)))


def create_group(session: Session, actor: User, *, name: str, village: str, region: str,
                 country: str, currency: str, language: str) -> Group:
    if not actor.is_admin:
        raise NotAllowed(_l("Only a platform admin can create groups."))
    name = name.strip()
    if not name:
        raise DomainError(_l("The group needs a name."), field="name")
    currency = currency or CURRENCY_BY_COUNTRY.get(country, "")  # none chosen: the country's
    if currency not in CURRENCIES:
        raise DomainError(_l("Unknown currency."), field="currency")
    if country not in COUNTRIES:
        raise DomainError(_l("Unknown country."), field="country")
    if language not in SUPPORTED_LOCALES:
        raise DomainError(_l("Unknown language."), field="language")
    group = Group(name=name, village=village.strip(), region=region.strip(), country=country,
                  currency=currency, language=language,
                  timezone=default_timezone(country, currency))
    session.add(group)
    session.flush()
    return group


def update_settings(session: Session, group: Group, *, levy_basis_points: int,
                    cash_rounding: int, loss_policy: str, credit_limit: int | None,
                    timezone: str | None = None, language: str | None = None) -> None:
    """The group's defaults for new rounds, its time zone and its language
    (None: as it is)."""
    if not 0 <= levy_basis_points <= 10000:
        raise DomainError(_l("The levy is a percentage from 0 to 100."), field="levy")
    if cash_rounding < 0:
        raise DomainError(_l("Cash rounding cannot be negative."), field="cash_rounding")
    if loss_policy not in LOSS_POLICIES:
        raise DomainError(_l("Unknown loss policy."), field="loss_policy")
    if credit_limit is not None and credit_limit < 0:
        raise DomainError(_l("The credit limit cannot be negative."), field="credit_limit")
    if timezone is not None and timezone not in TIMEZONES:
        raise DomainError(_l("Unknown time zone."), field="timezone")
    if language is not None and language not in SUPPORTED_LOCALES:
        raise DomainError(_l("Unknown language."), field="language")
    if timezone is not None:
        group.timezone = timezone
    if language is not None:
        group.language = language
    group.levy_basis_points = levy_basis_points
    group.cash_rounding = cash_rounding
    group.loss_policy = loss_policy
    group.credit_limit = credit_limit
    session.flush()


def currency_digits(group: Group) -> int:
    return minor_digits(group.currency)


def add_member(session: Session, group: Group, *, name: str, email: str | None = None,
               phone: str | None = None, role: str = "member", locale: str | None = None,
               password: str | None = None) -> Membership:
    """Add a person to the group; with no password she has no login (offline)."""
    name = name.strip()
    if not name:
        raise DomainError(_l("The member needs a name."), field="name")
    if len(name) > 120:
        raise DomainError(_l("The name is too long."), field="name")
    if role not in ROLES:
        raise DomainError(_l("Unknown role."), field="role")
    if locale and locale not in SUPPORTED_LOCALES:
        raise DomainError(_l("Unknown language."), field="locale")
    email = auth_services.normalise_email(email)
    phone = auth_services.normalise_phone(phone, group.country)
    user = _existing_user(session, email, phone)
    if user is None:
        user = User(name=name, email=email, phone=phone, locale=locale or None)
        if password:
            auth_services.set_password(user, password)
        session.add(user)
        session.flush()
    elif session.scalar(select(Membership).where(Membership.group_id == group.id,
                                                 Membership.user_id == user.id)):
        # next to what made her the same person (found on a walk: a phone
        # already in the group was refused under the e-mail field)
        raise DomainError(_l("This person is already in the group."),
                          field="email" if email and user.email == email else "phone")
    membership = Membership(group=group, user=user, role=role)
    session.add(membership)
    session.flush()
    return membership


def _existing_user(session: Session, email: str | None, phone: str | None) -> User | None:
    """A person who already has an account (e.g. in another group) is reused."""
    by_email = session.scalar(select(User).where(User.email == email)) if email else None
    by_phone = session.scalar(select(User).where(User.phone == phone)) if phone else None
    if by_email and by_phone and by_email.id != by_phone.id:
        raise DomainError(_l("This e-mail and this phone belong to two different people."),
                          field="phone")
    return by_email or by_phone


def update_member(session: Session, membership: Membership, *, name: str, email: str | None,
                  phone: str | None, locale: str | None) -> None:
    user = membership.user
    name = name.strip()
    if not name:
        raise DomainError(_l("The member needs a name."), field="name")
    email = auth_services.normalise_email(email)
    phone = auth_services.normalise_phone(phone, membership.group.country)
    for column, value, field in ((User.email, email, "email"), (User.phone, phone, "phone")):
        if value and session.scalar(select(User.id).where(column == value, User.id != user.id)):
            raise DomainError(_l("Someone else already signs in with this."), field=field)
    if locale and locale not in SUPPORTED_LOCALES:
        raise DomainError(_l("Unknown language."), field="locale")
    user.name, user.email, user.phone, user.locale = name, email, phone, locale or None
    session.flush()


def _active_treasurers(session: Session, group_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Membership).where(
        Membership.group_id == group_id, Membership.role == ROLE_TREASURER,
        Membership.active.is_(True))) or 0


def set_role(session: Session, membership: Membership, role: str) -> None:
    if role not in ROLES:
        raise DomainError(_l("Unknown role."), field="role")
    if (membership.is_treasurer and role != ROLE_TREASURER
            and _active_treasurers(session, membership.group_id) <= 1):
        raise DomainError(_l("The group needs at least one treasurer."), field="role")
    membership.role = role
    session.flush()


def deactivate_member(session: Session, membership: Membership) -> None:
    """The member leaves; her history stays."""
    if not membership.active:
        raise DomainError(_l("This member is already inactive."))
    if membership.is_treasurer and _active_treasurers(session, membership.group_id) <= 1:
        raise DomainError(_l("The group needs at least one treasurer."))
    membership.active = False
    membership.deactivated_at = utcnow()
    session.flush()


def reactivate_member(session: Session, membership: Membership) -> None:
    if membership.active:
        raise DomainError(_l("This member is already active."))
    membership.active = True
    membership.deactivated_at = None
    session.flush()


def _active_members(group: Group, *columns: Any) -> Select[Any]:
    """`columns` of the group's active members, by name."""
    return (select(Membership.id, User.name, *columns)
            .join(User, User.id == Membership.user_id)
            .where(Membership.group_id == group.id, Membership.active.is_(True))
            .order_by(User.name, Membership.id))


def member_picker(session: Session, group: Group, limit: int, active: int | None = None
                  ) -> list[tuple[int, str]] | None:
    """[(membership id, name)] of the active members, by name, for a drop-down;
    None when there are more than `limit` (then search: `find_members`). A
    large group's members are counted, not read (the round page asks on every
    view); with their number known (`active`, counted with the sign-in), not
    even that."""
    if active is not None and active > limit:
        return None
    rows = session.execute(_picker(), {"group_id": group.id, "limit": limit}).all()
    count, first_id, _name = rows[0]
    if first_id is None:  # none read: there are none, or too many
        return None if count > limit else []
    return [(membership_id, name) for _count, membership_id, name in rows]


def active_member_count(group_id: Any) -> Select[Any]:
    """The number of the group's active members: `group_id` a bind, or a
    column of an enclosing statement (the sign-in's)."""
    return (select(func.count()).select_from(Membership)
            .where(Membership.group_id == group_id, Membership.active.is_(True)))


@cache
def _picker() -> Select[Any]:
    """Built once: building it costs more than running it. One statement: the
    number of active members, beside each of them if there are at most
    `limit` (else beside nothing, in one row; the members are not read)."""
    count = active_member_count(bindparam("group_id"))
    members = (select(Membership.id, User.name).join(User, User.id == Membership.user_id)
               .where(Membership.group_id == bindparam("group_id"), Membership.active.is_(True),
                      count.scalar_subquery() <= bindparam("limit")).subquery())
    counted = count.subquery()
    return (select(counted.c[0], members.c.id, members.c.name)
            .select_from(counted.outerjoin(members, true()))
            .order_by(members.c.name, members.c.id))


def find_members(session: Session, group: Group, search: str, limit: int
                 ) -> list[tuple[int, str, str]]:
    """[(membership id, name, phone)] of active members whose name or phone
    contains `search` (any case, in any script), by name: at most `limit` + 1,
    so that the page can say there are more. Compared in Python: SQLite's
    lower() knows only ASCII. A number is found however it is typed: '0555 10'
    finds +996555100003."""
    wanted = search.casefold()
    digits = phones.search_digits(search)
    rows = session.execute(_active_members(group, User.phone))
    found = []
    for membership_id, name, phone in rows:
        if wanted in name.casefold() or (digits is not None and digits in (phone or "")):
            found.append((membership_id, name, phone or ""))
            if len(found) > limit:
                break
    return found


def list_members(session: Session, group: Group, *, include_inactive: bool = True
                 ) -> list[Membership]:
    query = (select(Membership).join(User).options(contains_eager(Membership.user))
             .where(Membership.group_id == group.id)
             .order_by(Membership.active.desc(), User.name))
    if not include_inactive:
        query = query.where(Membership.active.is_(True))
    return list(session.scalars(query))


def phone_visible(membership: Membership, viewer: Membership | None, *,
                  is_treasurer: bool) -> bool:
    """Another member's phone number is the treasurer's to see, and hers to show."""
    return (is_treasurer or membership.show_phone
            or (viewer is not None and viewer.id == membership.id))


def memberships_of(session: Session, user: User) -> list[Membership]:
    """Her active memberships, by group name."""
    return list(session.scalars(
        select(Membership).join(Group).options(contains_eager(Membership.group))
        .where(Membership.user_id == user.id, Membership.active.is_(True))
        .order_by(Group.name)))


def set_phone_shown(session: Session, user: User, shown_group_ids: set[int]) -> None:
    """Her choice, in each of her groups, of showing her phone number to the others."""
    for membership in session.scalars(select(Membership).where(Membership.user_id == user.id)):
        membership.show_phone = membership.group_id in shown_group_ids
    session.flush()
