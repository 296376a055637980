"""The time bank's services: settings, accounts, offers and requests,
transfers (recorded, confirmed, rejected, reversed, in batches, imported from
the paper register), statements and reports.

Functions take the session first, flush, never commit, and raise DomainError
worded for the reader. Every path that moves hours first locks the group's
time bank (`lock_bank`): transfers of one group are checked one after the
other, so the hard floor holds and numbers stay gapless. A confirmed
transfer's two movements are unique per account and transfer: a transfer
confirmed twice at once moves once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError, NotAllowed
from coop.groups.models import Group, Membership
from coop.i18n import current_locale, local_today
from coop.timebank import domain
from coop.timebank.models import (
    TimeAccount,
    TimeBankSettings,
    TimeBatch,
    TimeCategory,
    TimeCoordinator,
    TimeMovement,
    TimePost,
    TimeTransfer,
)

BANK = 0  # a member number that means the group's own account, the bank
POST_DAYS = 90
INACTIVE_DAYS = 90
SETTING_NAMES = ("enabled", "step_minutes", "max_minutes_per_transfer", "floor_minutes",
                 "warn_below_minutes", "warn_above_minutes", "start_credit_minutes",
                 "provider_may_record")


class Conflict(DomainError):
    """A confirmed transfer cannot be changed: a correction is a reversal."""

    status = 409


class BatchRefused(DomainError):
    """A batch with bad lines: nothing recorded; `lines` lists every one."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        super().__init__(_l("Nothing was recorded: correct the lines below and send them "
                            "again."))
        self.lines = lines


# --------------------------------------------------------------------------
# Words: minutes as hours, refusals
# --------------------------------------------------------------------------


def fmt_minutes(minutes: int | None) -> str:
    """'2 ч 30 мин', '2 саат 30 мүн', '2 соат 30 дақ', '−45 мин' in the current language
    (Kyrgyz hours in full: «2 с» would read as сом)."""
    if minutes is None:
        return ""
    sign, hours, rest = domain.hours_and_minutes(minutes)
    if hours and rest:
        text = _("%(hours)d h %(minutes)d min", hours=hours, minutes=rest)
    elif rest:
        text = _("%(minutes)d min", minutes=rest)
    else:
        text = _("%(hours)d h", hours=hours)
    return ("\u2212" if sign < 0 else "") + text


MESSAGES = {
    "unreadable": _l("“%(typed)s” is not a time: write hours and minutes, e.g. 2:30, 2,5 or "
                     "2 h 30."),
    "not_whole_minutes": _l("“%(typed)s” is not a whole number of minutes."),
    "too_long": _l("That is more than %(most)s."),
    "not_positive": _l("The time must be more than zero."),
    "off_step": _l("Time is recorded in steps of %(step)s in this group."),
    "above_max": _l("At most %(most)s can be recorded at once in this group."),
    "future": _l("The date of the help cannot be in the future."),
    "before_joining": _l("The date of the help is before %(name)s joined the group "
                         "(%(joined)s)."),
    "self_transfer": _l("A member cannot record help from herself."),
    # the one refused is the one whose hours go down: she RECEIVES help (and pays
    # hours for it), or gives her own hours to the bank; «give» on her statement
    # means the help she gave, so the translations say "receive help" for paying
    # (the spec's own words, §4 step 3: «give» minutes is paying them)
    "below_floor": _l("%(name)s can give at most %(most_minutes)d minutes (%(most)s) now: her "
                      "balance is %(balance)s and the group's limit is %(floor)s."),
    "at_floor": _l("%(name)s cannot receive help now: her balance is %(balance)s, which is "
                   "the group's limit. First she needs to help someone."),
    "past_floor": _l("%(name)s cannot receive help now: her balance is %(balance)s, below "
                     "the group's limit of %(floor)s. First she needs to help someone."),
    "below_floor_to_bank": _l("%(name)s can give the bank at most %(most)s of her hours "
                              "now: her balance is %(balance)s and the group's limit is "
                              "%(floor)s."),
    "bad_date": _l("“%(typed)s” is not a date: write 25.03.2026."),
    "bad_member_number": _l("“%(typed)s” is not a member number."),
    "too_few_cells": _l("A line needs at least five cells: date; who received help; who gave "
                        "it; hours; category."),
    "too_many_lines": _l("At most %(most)d lines at once: split the file."),
    "empty_file": _l("The file has no lines."),
}


def _floor_code(exc: domain.TimeRuleError, to_bank: bool) -> str:
    """Which words for a refusal at the floor: how much help she can still
    receive, none until she helps someone, or how much she can give the bank."""
    if to_bank:
        return "below_floor_to_bank"
    if exc.figures["most"]:
        return "below_floor"
    return "at_floor" if exc.figures["balance"] == exc.figures["floor"] else "past_floor"


def refusal(exc: domain.TimeRuleError, name: str = "", *, to_bank: bool = False
            ) -> DomainError:
    """A domain refusal worded for the reader; `name` is the member it is
    about, `to_bank` when her hours were to go to the bank (a donation)."""
    figures = dict(exc.figures)
    for key in ("step", "most", "balance", "floor"):
        if isinstance(figures.get(key), int) and exc.code != "too_many_lines":
            figures[key] = fmt_minutes(int(figures[key]))  # type: ignore[arg-type]
    code = exc.code
    if code == "below_floor":
        figures["most_minutes"] = exc.figures["most"]
        code = _floor_code(exc, to_bank)
    if code in ("below_floor", "at_floor", "past_floor", "below_floor_to_bank",
                "before_joining"):
        figures["name"] = name
    if "joined" in figures:
        from coop.i18n import fmt_date
        figures["joined"] = fmt_date(figures["joined"])  # type: ignore[arg-type]
    return DomainError(str(MESSAGES[code]) % figures, field=exc.field)


def _rule(call, *args, name: str = "", to_bank: bool = False,  # type: ignore[no-untyped-def]
          **kwargs):
    try:
        return call(*args, **kwargs)
    except domain.TimeRuleError as exc:
        raise refusal(exc, name, to_bank=to_bank) from None


def parse_minutes(typed: str, most: int | None = None) -> int:
    """Time as typed; past `most` (the group's limit for one transfer, when
    the time is one) refused with that limit."""
    return _rule(domain.parse_minutes, typed, most)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------
# Settings and the lock
# --------------------------------------------------------------------------


def settings_of(session: Session, group: Group) -> TimeBankSettings | None:
    return session.scalar(select(TimeBankSettings).where(TimeBankSettings.group_id == group.id))


def rules_of(settings: TimeBankSettings) -> domain.Rules:
    return domain.Rules(**{name: getattr(settings, name) for name in domain.Rules.__annotations__})


def enabled(session: Session, group: Group) -> TimeBankSettings:
    """The group's time bank, or a refusal when it is not open."""
    settings = settings_of(session, group)
    if settings is None or not settings.enabled:
        raise DomainError(_l("The time bank is not open in this group."))
    return settings


def save_settings(session: Session, group: Group, actor: User, **values: object
                  ) -> TimeBankSettings:
    """Open the time bank (defaults of the spec) or change its rules."""
    _require_treasurer(session, group, actor)
    settings = settings_of(session, group)
    if settings is None:
        settings = TimeBankSettings(group_id=group.id)
        session.add(settings)
    for name, value in values.items():
        if name not in SETTING_NAMES:
            raise DomainError(_l("Unknown setting."))
        setattr(settings, name, value)
    step = settings.step_minutes if settings.step_minutes is not None else 15
    if not 1 <= step <= 60:
        raise DomainError(_l("The step must be between 1 and 60 minutes."), field="step_minutes")
    most = settings.max_minutes_per_transfer
    if most is not None and (most <= 0 or most % step):
        raise DomainError(_l("The maximum must be more than zero and a multiple of the step."),
                          field="max_minutes_per_transfer")
    if settings.floor_minutes is not None and settings.floor_minutes > 0:
        raise DomainError(_l("The lower limit must be zero or below."), field="floor_minutes")
    if settings.start_credit_minutes is not None and settings.start_credit_minutes < 0:
        raise DomainError(_l("The start credit cannot be negative."),
                          field="start_credit_minutes")
    low, high = settings.warn_below_minutes, settings.warn_above_minutes
    if low is not None and high is not None and low >= high:
        raise DomainError(_l("The warning below must be lower than the warning above."),
                          field="warn_below_minutes")
    session.flush()
    categories(session)
    bank_account(session, group)
    return settings


def lock_bank(session: Session, group_id: int) -> TimeBankSettings:
    """Take the group's time-bank lock until the transaction ends (a row lock
    on PostgreSQL, the write lock on SQLite) and read the settings afresh."""
    found = session.execute(update(TimeBankSettings).where(
        TimeBankSettings.group_id == group_id).values(
        last_number=TimeBankSettings.last_number).returning(TimeBankSettings.id)).scalar()
    if found is None:
        raise DomainError(_l("The time bank is not open in this group."))
    settings = session.get(TimeBankSettings, found, populate_existing=True)
    assert settings is not None
    if not settings.enabled:
        raise DomainError(_l("The time bank is not open in this group."))
    return settings


# --------------------------------------------------------------------------
# Who may do what
# --------------------------------------------------------------------------


def is_treasurer(session: Session, group: Group, user: User) -> bool:
    if getattr(user, "is_admin", False):
        return True
    return bool(session.scalar(select(Membership.id).where(
        Membership.group_id == group.id, Membership.user_id == user.id,
        Membership.active.is_(True), Membership.role == "treasurer")))


def is_coordinator(session: Session, group: Group, user: User) -> bool:
    """The treasurer, or an active member she made a coordinator of the time
    bank: read afresh on every request, so taking it away counts at once."""
    if is_treasurer(session, group, user):
        return True
    return bool(session.scalar(
        select(TimeCoordinator.id).join(Membership, Membership.id == TimeCoordinator.membership_id)
        .where(TimeCoordinator.group_id == group.id, Membership.group_id == group.id,
               Membership.user_id == user.id, Membership.active.is_(True))))


def _require_treasurer(session: Session, group: Group, user: User) -> None:
    if not is_treasurer(session, group, user):
        raise NotAllowed(_l("Only the group's treasurer can do this."))


def _require_coordinator(session: Session, group: Group, user: User) -> None:
    if not is_coordinator(session, group, user):
        raise NotAllowed(_l("Only a coordinator of the time bank (or the treasurer) can do "
                            "this."))


def coordinator_ids(session: Session, group: Group) -> set[int]:
    """The memberships the treasurer made coordinators of the time bank."""
    return set(session.scalars(select(TimeCoordinator.membership_id).where(
        TimeCoordinator.group_id == group.id)))


def set_coordinators(session: Session, group: Group, membership_ids: Sequence[int], *,
                     actor: User) -> None:
    """The treasurer designates the time bank's coordinators: exactly these
    members (active, of this group, not treasurers: they are already)."""
    _require_treasurer(session, group, actor)
    wanted = set(membership_ids)
    members = {m.id: m for m in session.scalars(select(Membership).where(
        Membership.group_id == group.id, Membership.id.in_(wanted)))} if wanted else {}
    for membership_id in sorted(wanted):
        member = members.get(membership_id)
        if member is None:
            raise DomainError(_l("This member is not in the group."), field="coordinators")
        if not member.active:
            raise DomainError(_l("%(name)s is no longer an active member.",
                                 name=member.user.name), field="coordinators")
    wanted = {i for i in wanted if members[i].role != "treasurer"}
    current = {c.membership_id: c for c in session.scalars(select(TimeCoordinator).where(
        TimeCoordinator.group_id == group.id))}
    for membership_id, row in current.items():
        if membership_id not in wanted:
            session.delete(row)
    for membership_id in sorted(wanted - current.keys()):
        session.add(TimeCoordinator(group_id=group.id, membership_id=membership_id,
                                    created_by_id=actor.id))
    session.flush()


# --------------------------------------------------------------------------
# Accounts, categories
# --------------------------------------------------------------------------


def _account(session: Session, group_id: int, kind: str, membership_id: int | None) -> int:
    query = select(TimeAccount.id).where(TimeAccount.group_id == group_id,
                                         TimeAccount.kind == kind)
    query = query.where(TimeAccount.membership_id == membership_id) if membership_id else query
    found = session.scalar(query)
    if found is not None:
        return int(found)
    try:
        with session.begin_nested():
            account = TimeAccount(group_id=group_id, kind=kind, membership_id=membership_id)
            session.add(account)
    except IntegrityError:  # made at the same moment by another request
        return int(session.scalar(query))  # type: ignore[arg-type]
    return account.id


def bank_account(session: Session, group: Group) -> int:
    return _account(session, group.id, "time_bank", None)


def member_account(session: Session, membership: Membership) -> int:
    return _account(session, membership.group_id, "time_member", membership.id)


def categories(session: Session, *, include_inactive: bool = False) -> list[TimeCategory]:
    """The categories (the migration adds them; made again here if missing)."""
    query = select(TimeCategory).order_by(TimeCategory.position, TimeCategory.id)
    found = list(session.scalars(query))
    if not found:
        dialect = session.get_bind().dialect.name
        from sqlalchemy.dialects import postgresql, sqlite
        make = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect, insert)
        for position, (code, en, ru, ky, tg) in enumerate(domain.CATEGORIES):
            statement = make(TimeCategory).values(code=code, name_en=en, name_ru=ru,
                                                  name_ky=ky, name_tg=tg, position=position,
                                                  active=True)
            if hasattr(statement, "on_conflict_do_nothing"):
                statement = statement.on_conflict_do_nothing(index_elements=["code"])
            session.execute(statement)
        found = list(session.scalars(query))
    return [c for c in found if include_inactive or c.active]


def category_names(session: Session) -> dict[int, str]:
    locale = current_locale()
    return {c.id: c.name(locale) for c in categories(session, include_inactive=True)}


def find_category(session: Session, typed: str) -> TimeCategory | None:
    """A category by its code or its name in any language (case ignored)."""
    wanted = typed.strip().casefold()
    for c in categories(session):
        if wanted in {c.code.casefold(), c.name_en.casefold(), c.name_ru.casefold(),
                      c.name_ky.casefold(), c.name_tg.casefold()}:
            return c
    return None


def _category(session: Session, category_id: int | None) -> TimeCategory:
    category = session.get(TimeCategory, category_id) if category_id else None
    if category is None or not category.active:
        raise DomainError(_l("Choose a category of help."), field="category")
    return category


def group_work_category(session: Session) -> int:
    categories(session)
    return int(session.scalar(select(TimeCategory.id).where(
        TimeCategory.code == "group_work")))  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Member numbers, as in the office register
# --------------------------------------------------------------------------


def member_numbers(session: Session, group: Group) -> dict[int, Membership]:
    """{number: membership}: 1, 2, 3… in the order they joined (inactive
    members keep their number)."""
    members = session.scalars(select(Membership).where(Membership.group_id == group.id)
                              .order_by(Membership.id))
    return {n: m for n, m in enumerate(members, start=1)}


def number_of(session: Session, group: Group) -> dict[int, int]:
    """{membership id: number}."""
    return {m.id: n for n, m in member_numbers(session, group).items()}


def joined_on(membership: Membership) -> date:
    return to_user_timezone(membership.created_at).date()


# --------------------------------------------------------------------------
# Offers and requests
# --------------------------------------------------------------------------


def create_post(session: Session, group: Group, membership: Membership, *, kind: str,
                category_id: int | None, title: str, description: str = "",
                valid_until: date | None = None, for_group: bool = False) -> TimePost:
    enabled(session, group)
    if membership.group_id != group.id or not membership.active:
        raise DomainError(_l("Only an active member of the group can post."))
    if kind not in ("offer", "request"):
        raise DomainError(_l("Choose an offer or a request."), field="kind")
    category = _category(session, category_id)
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Write what is offered or asked."), field="title")
    today = local_today()
    until = valid_until or today + timedelta(days=POST_DAYS)
    if until < today:
        raise DomainError(_l("The date cannot be in the past."), field="valid_until")
    if until > today + timedelta(days=366):
        raise DomainError(_l("At most a year ahead."), field="valid_until")
    post = TimePost(group_id=group.id, kind=kind, membership_id=membership.id,
                    category_id=category.id, title=title[:120], description=description[:1000],
                    valid_until=until, for_group=for_group)
    session.add(post)
    session.flush()
    return post


def close_post(session: Session, post: TimePost, actor: User) -> None:
    owner = session.get(Membership, post.membership_id)
    group = session.get(Group, post.group_id)
    assert owner is not None and group is not None
    if owner.user_id != actor.id:
        _require_coordinator(session, group, actor)
    post.active = False
    session.flush()


@dataclass(frozen=True)
class PostRow:
    post: TimePost
    name: str
    category: str
    new: bool


def list_posts(session: Session, group: Group, *, kind: str | None = None,
               category_id: int | None = None, search: str = "",
               membership_id: int | None = None) -> list[PostRow]:
    """Active offers and requests, newest first (the search ignores case in
    every language, so it is done here, not by the database's LIKE)."""
    today = local_today()
    query = (select(TimePost, User.name).join(Membership, Membership.id == TimePost.membership_id)
             .join(User, User.id == Membership.user_id)
             .where(TimePost.group_id == group.id, TimePost.active.is_(True),
                    TimePost.valid_until >= today, Membership.active.is_(True))
             .order_by(TimePost.id.desc()))
    if kind in ("offer", "request"):
        query = query.where(TimePost.kind == kind)
    if category_id:
        query = query.where(TimePost.category_id == category_id)
    if membership_id:
        query = query.where(TimePost.membership_id == membership_id)
    names = category_names(session)
    wanted = search.strip().casefold()
    week_ago = utcnow() - timedelta(days=7)
    rows = []
    for post, name in session.execute(query):
        if wanted and wanted not in f"{post.title} {post.description} {name}".casefold():
            continue
        rows.append(PostRow(post, name, names.get(post.category_id, ""),
                            post.created_at >= week_ago))
    return rows


def post_in_group(session: Session, group: Group, post_id: int) -> TimePost | None:
    post = session.get(TimePost, post_id)
    return post if post is not None and post.group_id == group.id else None


# --------------------------------------------------------------------------
# Balances
# --------------------------------------------------------------------------


def balances(session: Session, group: Group) -> dict[int, int]:
    """{account id: minutes} of every time account of the group (one query)."""
    rows = session.execute(
        select(TimeMovement.account_id, func.sum(TimeMovement.minutes))
        .join(TimeAccount, TimeAccount.id == TimeMovement.account_id)
        .where(TimeAccount.group_id == group.id).group_by(TimeMovement.account_id))
    return {int(a): int(m) for a, m in rows}


def account_balance(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(TimeMovement.minutes), 0)).where(
        TimeMovement.account_id == account_id)) or 0)


def member_balance(session: Session, membership: Membership) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(TimeMovement.minutes), 0))
        .join(TimeAccount, TimeAccount.id == TimeMovement.account_id)
        .where(TimeAccount.membership_id == membership.id)) or 0)


def bank_balance(session: Session, group: Group) -> int:
    return int(session.scalar(
        select(func.coalesce(func.sum(TimeMovement.minutes), 0))
        .join(TimeAccount, TimeAccount.id == TimeMovement.account_id)
        .where(TimeAccount.group_id == group.id, TimeAccount.kind == "time_bank")) or 0)


# --------------------------------------------------------------------------
# Transfers
# --------------------------------------------------------------------------

MODES = ("receiver", "provider", "coordinator")


def transfer_by_key(session: Session, group_id: int, key: str) -> TimeTransfer | None:
    return session.scalar(select(TimeTransfer).where(TimeTransfer.group_id == group_id,
                                                     TimeTransfer.idempotency_key == key))


def recent_transfer(session: Session, group: Group, line: Line) -> TimeTransfer | None:
    """The same help (same two parties, minutes and date) recorded in the last
    24 hours and not rejected: a form sent again after Back asks first."""
    from_id, to_id = _accounts(session, group, line)
    return session.scalar(select(TimeTransfer).where(
        TimeTransfer.group_id == group.id, TimeTransfer.from_account_id == from_id,
        TimeTransfer.to_account_id == to_id, TimeTransfer.minutes == line.minutes,
        TimeTransfer.date_of_service == line.date_of_service,
        TimeTransfer.state != "rejected", TimeTransfer.kind != "reversal",
        TimeTransfer.created_at >= utcnow() - timedelta(hours=24))
        .order_by(TimeTransfer.id.desc()).limit(1))


def transfer_in_group(session: Session, group: Group, transfer_id: int) -> TimeTransfer | None:
    found = session.get(TimeTransfer, transfer_id)
    return found if found is not None and found.group_id == group.id else None


def _party(group: Group, membership: Membership | None) -> None:
    if membership is None:
        return
    if membership.group_id != group.id:
        raise DomainError(_l("This member is not in the group."), field="member")
    if not membership.active:
        raise DomainError(_l("%(name)s is no longer an active member: her balance is kept "
                             "as it is.", name=membership.user.name), field="member")


@dataclass(frozen=True)
class Line:
    """One help to record: `payer` received it (None: the bank pays), `payee`
    gave it (None: the bank receives)."""

    payer: Membership | None
    payee: Membership | None
    minutes: int
    category_id: int | None
    date_of_service: date
    note: str = ""
    post_id: int | None = None
    line: int = 0


def _check_line(session: Session, group: Group, rules: domain.Rules, line: Line,
                today: date) -> int:
    """Check a line (all but the floor); its category id."""
    if line.payer is None and line.payee is None:
        raise DomainError(_l("Choose who received the help and who gave it."), field="member")
    if line.payer is not None and line.payee is not None and line.payer.id == line.payee.id:
        raise DomainError(_l("A member cannot record help from herself."), field="member")
    _party(group, line.payer)
    _party(group, line.payee)
    category_id = line.category_id
    if line.post_id is not None:
        post = post_in_group(session, group, line.post_id)
        if post is None or not post.active:
            raise DomainError(_l("Unknown or closed offer or request."), field="post")
        category_id = category_id or post.category_id
    _category(session, category_id)
    if len(line.note or "") > 300:
        raise DomainError(_l("The note can have at most 300 characters."), field="note")
    _rule(domain.check_amount, line.minutes, rules)
    for member in (line.payer, line.payee):  # each her own joining date, named
        _rule(domain.check_dates, line.date_of_service, today,
              [joined_on(member)] if member is not None else [],
              name=member.user.name if member is not None else "")
    return int(category_id)  # type: ignore[arg-type]


def _kind(line: Line) -> str:
    if line.payer is None:
        return "bank_payment"
    if line.payee is None:
        return "donation"
    return "exchange"


def _accounts(session: Session, group: Group, line: Line) -> tuple[int, int]:
    payer = member_account(session, line.payer) if line.payer else bank_account(session, group)
    payee = member_account(session, line.payee) if line.payee else bank_account(session, group)
    return payer, payee


def _check_floor(session: Session, settings: TimeBankSettings, payer: Membership | None,
                 balance: int, minutes: int, *, to_bank: bool = False) -> None:
    if payer is None:
        return  # the bank's account has no floor
    _rule(domain.check_floor, balance, minutes, settings.floor_minutes, name=payer.user.name,
          to_bank=to_bank)


def _new_transfer(session: Session, settings: TimeBankSettings, **values: object
                  ) -> TimeTransfer:
    settings.last_number += 1
    transfer = TimeTransfer(group_id=settings.group_id, number=settings.last_number, **values)
    session.add(transfer)
    session.flush()
    return transfer


def _move(session: Session, transfer: TimeTransfer) -> None:
    for account_id, minutes in domain.movements(transfer.from_account_id,
                                                transfer.to_account_id, transfer.minutes):
        session.add(TimeMovement(transfer_id=transfer.id, account_id=account_id,
                                 minutes=minutes))
    session.flush()


def record_transfer(session: Session, group: Group, line: Line, *, actor: User, mode: str,
                    idempotency_key: str | None = None) -> tuple[TimeTransfer, bool]:
    """Record one help: (transfer, new). By the receiver (she pays from her
    own account: confirmed), the provider (pending until the receiver or the
    coordinator confirms) or the coordinator from the register (confirmed,
    on behalf). The same key again returns the first transfer."""
    if idempotency_key:
        earlier = transfer_by_key(session, group.id, idempotency_key)
        if earlier is not None:
            return earlier, False
    if mode not in MODES:
        raise DomainError(_l("Unknown way of recording."))
    settings = enabled(session, group)
    if mode == "coordinator":
        _require_coordinator(session, group, actor)
    elif mode == "receiver":
        if line.payer is None or line.payer.user_id != actor.id:
            raise NotAllowed(_l("You can record only help that you received."))
    else:
        if line.payee is None or line.payee.user_id != actor.id:
            raise NotAllowed(_l("You can record only help that you gave."))
        if not settings.provider_may_record:
            raise NotAllowed(_l("In this group the one who received the help records it."))
        if line.payer is None:
            raise NotAllowed(_l("Only the coordinator records work paid by the bank."))
    category_id = _check_line(session, group, rules_of(settings), line, local_today())
    from_id, to_id = _accounts(session, group, line)
    settings = lock_bank(session, group.id)
    if idempotency_key:  # sent twice at once: the second waited for the lock
        earlier = transfer_by_key(session, group.id, idempotency_key)
        if earlier is not None:
            return earlier, False
    _rule(domain.check_amount, line.minutes, rules_of(settings))
    _check_floor(session, settings, line.payer, account_balance(session, from_id), line.minutes,
                 to_bank=line.payee is None)
    confirmed = mode != "provider"
    transfer = _new_transfer(
        session, settings, kind=_kind(line), state="confirmed" if confirmed else "pending",
        from_account_id=from_id, to_account_id=to_id, minutes=line.minutes,
        category_id=category_id, post_id=line.post_id, date_of_service=line.date_of_service,
        note=(line.note or "").strip()[:300], recorded_by_id=actor.id,
        on_behalf=mode == "coordinator", idempotency_key=idempotency_key or None,
        decided_by_id=actor.id if confirmed else None, decided_at=utcnow() if confirmed else None)
    if confirmed:
        _move(session, transfer)
    return transfer, True


def record_batch(session: Session, group: Group, lines: Sequence[Line], *, actor: User,
                 idempotency_key: str, bad_lines: Sequence[tuple[int, str]] = ()
                 ) -> tuple[list[TimeTransfer], bool]:
    """Several helps at once (a wedding: four women helped one family), by
    the coordinator: all recorded and confirmed, or none (BatchRefused lists
    every bad line, with `bad_lines` found before). The same key again
    returns the first batch's transfers."""
    earlier = batch_transfers(session, group.id, idempotency_key)
    if earlier is not None:
        return earlier, False
    settings = enabled(session, group)
    _require_coordinator(session, group, actor)
    if not lines and not bad_lines:
        raise DomainError(_l("Fill in at least one line."))
    if len(lines) > domain.MAX_IMPORT_LINES:
        raise DomainError(_l("At most %(most)d lines at once: split the file.",
                             most=domain.MAX_IMPORT_LINES))
    rules, today = rules_of(settings), local_today()
    bad: list[tuple[int, str]] = list(bad_lines)
    checked: list[tuple[Line, int, int, int]] = []
    for line in lines:
        try:
            category_id = _check_line(session, group, rules, line, today)
            from_id, to_id = _accounts(session, group, line)
            checked.append((line, category_id, from_id, to_id))
        except DomainError as exc:
            bad.append((line.line, str(exc.message)))
    settings = lock_bank(session, group.id)
    earlier = batch_transfers(session, group.id, idempotency_key)
    if earlier is not None:
        return earlier, False
    now = balances(session, group)
    for line, _category_id, from_id, to_id in checked:
        try:
            _check_floor(session, settings, line.payer, now.get(from_id, 0), line.minutes,
                         to_bank=line.payee is None)
            now[from_id] = now.get(from_id, 0) - line.minutes
            now[to_id] = now.get(to_id, 0) + line.minutes
        except DomainError as exc:
            bad.append((line.line, str(exc.message)))
    if bad:
        raise BatchRefused(sorted(bad))
    batch = TimeBatch(group_id=group.id, idempotency_key=idempotency_key,
                      created_by_id=actor.id)
    session.add(batch)
    session.flush()
    transfers = []
    for line, category_id, from_id, to_id in checked:
        transfer = _new_transfer(
            session, settings, kind=_kind(line), state="confirmed", from_account_id=from_id,
            to_account_id=to_id, minutes=line.minutes, category_id=category_id,
            post_id=line.post_id, date_of_service=line.date_of_service,
            note=(line.note or "").strip()[:300], recorded_by_id=actor.id, on_behalf=True,
            batch_id=batch.id, decided_by_id=actor.id, decided_at=utcnow())
        _move(session, transfer)
        transfers.append(transfer)
    return transfers, True


def batch_transfers(session: Session, group_id: int, key: str) -> list[TimeTransfer] | None:
    batch_id = session.scalar(select(TimeBatch.id).where(
        TimeBatch.group_id == group_id, TimeBatch.idempotency_key == key))
    if batch_id is None:
        return None
    return list(session.scalars(select(TimeTransfer).where(TimeTransfer.batch_id == batch_id)
                                .order_by(TimeTransfer.number)))


def import_register(session: Session, group: Group, data: bytes, *, actor: User,
                    idempotency_key: str) -> tuple[list[TimeTransfer], bool]:
    """The paper register typed into a spreadsheet (CSV): every line or none."""
    earlier = batch_transfers(session, group.id, idempotency_key)
    if earlier is not None:
        return earlier, False
    settings = enabled(session, group)
    _require_coordinator(session, group, actor)
    try:
        parsed = domain.parse_register_csv(data, settings.max_minutes_per_transfer)
    except domain.TimeRuleError as exc:
        raise refusal(exc) from None
    bad = [(n, str(refusal(exc).message)) for n, exc in parsed.errors]
    members = member_numbers(session, group)
    lines = []
    for row in parsed.lines:
        try:
            payer = _numbered(members, row.receiver)
            payee = _numbered(members, row.provider)
            category = find_category(session, row.category)
            if category is None:
                raise DomainError(_l("Unknown category “%(name)s”.", name=row.category))
            lines.append(Line(payer, payee, row.minutes, category.id, row.date_of_service,
                              row.note, line=row.line))
        except DomainError as exc:
            bad.append((row.line, str(exc.message)))
    return record_batch(session, group, lines, actor=actor, idempotency_key=idempotency_key,
                        bad_lines=bad)


def _numbered(members: dict[int, Membership], number: int) -> Membership | None:
    if number == BANK:
        return None
    found = members.get(number)
    if found is None:
        raise DomainError(_l("No member has the number %(number)d.", number=number))
    return found


def grant_start_credit(session: Session, membership: Membership, *, actor: User
                       ) -> tuple[TimeTransfer | None, bool]:
    """The group's start credit to one member, once per membership (a
    second time is a no-op)."""
    group = membership.group
    key = f"start-credit-{membership.id}"
    earlier = transfer_by_key(session, group.id, key)
    if earlier is not None:
        return earlier, False
    settings = enabled(session, group)
    _require_coordinator(session, group, actor)
    _party(group, membership)
    if settings.start_credit_minutes <= 0:
        raise DomainError(_l("This group gives no start credit (see the time bank's "
                             "settings)."))
    bank, mine = bank_account(session, group), member_account(session, membership)
    settings = lock_bank(session, group.id)
    earlier = transfer_by_key(session, group.id, key)
    if earlier is not None:
        return earlier, False
    transfer = _new_transfer(
        session, settings, kind="start_credit", state="confirmed", from_account_id=bank,
        to_account_id=mine, minutes=settings.start_credit_minutes,
        category_id=group_work_category(session), date_of_service=local_today(),
        note="", recorded_by_id=actor.id, on_behalf=True, idempotency_key=key,
        decided_by_id=actor.id, decided_at=utcnow())
    _move(session, transfer)
    return transfer, True


def grant_start_credits(session: Session, group: Group, *, actor: User) -> int:
    """The start credit to every active member who has not had it; how many."""
    count = 0
    for membership in session.scalars(select(Membership).where(
            Membership.group_id == group.id, Membership.active.is_(True))
            .order_by(Membership.id)):
        _transfer, new = grant_start_credit(session, membership, actor=actor)
        count += new
    return count


def _may_decide(session: Session, group: Group, transfer: TimeTransfer, actor: User, *,
                withdraw: bool = False) -> None:
    """The one who received the help confirms or rejects; or the coordinator.
    `withdraw`: a rejection, which the one who recorded help she gave may also
    make while it waits (she got the hours or the day wrong)."""
    if is_coordinator(session, group, actor):
        return
    if withdraw and withdrawable_by(session, transfer, actor):
        return
    payer = session.get(TimeAccount, transfer.from_account_id)
    member = session.get(Membership, payer.membership_id) if payer and payer.membership_id \
        else None
    if member is None or member.user_id != actor.id or not member.active:
        raise NotAllowed(_l("Only the one who received the help, or the coordinator, can "
                            "confirm or reject it."))


def withdrawable_by(session: Session, transfer: TimeTransfer, actor: User) -> bool:
    """Whether `actor` recorded this help herself, as the one who gave it, and
    is still an active member: she may withdraw it while it waits."""
    if transfer.recorded_by_id != actor.id or transfer.on_behalf:
        return False
    payee = session.get(TimeAccount, transfer.to_account_id)
    member = session.get(Membership, payee.membership_id) if payee and payee.membership_id \
        else None
    return member is not None and member.user_id == actor.id and member.active


def withdrawn(transfer: TimeTransfer) -> bool:
    """A rejection made by the one who recorded the help: she withdrew it."""
    return transfer.state == "rejected" and transfer.decided_by_id == transfer.recorded_by_id \
        and not transfer.on_behalf


def confirm_transfer(session: Session, group: Group, transfer: TimeTransfer, *, actor: User
                     ) -> bool:
    """Confirm a pending transfer: it moves the hours. Confirming again is a
    no-op (False); a rejected one cannot be confirmed."""
    _may_decide(session, group, transfer, actor)
    if transfer.state == "confirmed":
        return False
    if transfer.state == "rejected":
        raise Conflict(_l("This record was rejected; record the help anew if it happened."))
    settings = lock_bank(session, group.id)
    session.refresh(transfer)
    if transfer.state != "pending":
        if transfer.state == "rejected":
            raise Conflict(_l("This record was rejected; record the help anew if it "
                              "happened."))
        return False
    payer_account = session.get(TimeAccount, transfer.from_account_id)
    payer = session.get(Membership, payer_account.membership_id) if (
        payer_account and payer_account.membership_id) else None
    payee_account = session.get(TimeAccount, transfer.to_account_id)
    payee = session.get(Membership, payee_account.membership_id) if (
        payee_account and payee_account.membership_id) else None
    _party(group, payer)  # a member deactivated meanwhile: her balance stays as it is
    _party(group, payee)
    _check_floor(session, settings, payer, account_balance(session, transfer.from_account_id),
                 transfer.minutes)
    done = session.execute(update(TimeTransfer).where(
        TimeTransfer.id == transfer.id, TimeTransfer.state == "pending").values(
        state="confirmed", decided_by_id=actor.id, decided_at=utcnow())).rowcount
    if done != 1:
        return False
    session.refresh(transfer)
    _move(session, transfer)
    return True


def reject_transfer(session: Session, group: Group, transfer: TimeTransfer, *, actor: User,
                    reason: str) -> bool:
    """Reject a pending transfer, with a reason; again: a no-op (False). The
    one who recorded help she gave may reject (withdraw) it too."""
    _may_decide(session, group, transfer, actor, withdraw=True)
    if transfer.state == "rejected":
        return False
    if transfer.state == "confirmed":
        raise Conflict(_l("This help is confirmed and counted. It cannot be changed: make a "
                          "correction instead."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why it is rejected."), field="reason")
    lock_bank(session, group.id)
    done = session.execute(update(TimeTransfer).where(
        TimeTransfer.id == transfer.id, TimeTransfer.state == "pending").values(
        state="rejected", decided_by_id=actor.id, decided_at=utcnow(),
        reason=reason[:300])).rowcount
    session.refresh(transfer)
    if done != 1 and transfer.state == "confirmed":
        raise Conflict(_l("This help is confirmed and counted. It cannot be changed: make a "
                          "correction instead."))
    return done == 1


def reverse_transfer(session: Session, group: Group, transfer: TimeTransfer, *, actor: User,
                     reason: str, idempotency_key: str | None = None
                     ) -> tuple[TimeTransfer, bool]:
    """The coordinator's correction: a new transfer that moves the same
    minutes back, on the same date of service, so that the month's register
    and reports come out net (the hard floor does not stop a correction)."""
    if idempotency_key:
        earlier = transfer_by_key(session, group.id, idempotency_key)
        if earlier is not None:
            return earlier, False
    _require_coordinator(session, group, actor)
    enabled(session, group)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why it is corrected."), field="reason")
    if transfer.kind == "reversal":
        raise Conflict(_l("A correction cannot be reversed: record the help anew instead."))
    if transfer.state != "confirmed":
        raise Conflict(_l("Only confirmed help can be corrected; a pending record is "
                          "rejected instead."))
    settings = lock_bank(session, group.id)
    if idempotency_key:
        earlier = transfer_by_key(session, group.id, idempotency_key)
        if earlier is not None:
            return earlier, False
    if reversal_of(session, transfer.id) is not None:
        raise Conflict(_l("This help was already corrected (reversed)."))
    reversal = _new_transfer(
        session, settings, kind="reversal", state="confirmed",
        from_account_id=transfer.to_account_id, to_account_id=transfer.from_account_id,
        minutes=transfer.minutes, category_id=transfer.category_id,
        date_of_service=transfer.date_of_service, note=reason[:300], reason=reason[:300],
        recorded_by_id=actor.id, on_behalf=True, reverses_id=transfer.id,
        idempotency_key=idempotency_key or None, decided_by_id=actor.id, decided_at=utcnow())
    _move(session, reversal)
    return reversal, True


def reversal_of(session: Session, transfer_id: int) -> TimeTransfer | None:
    return session.scalar(select(TimeTransfer).where(TimeTransfer.reverses_id == transfer_id))


# --------------------------------------------------------------------------
# Reading transfers: lists, statements, the register
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferRow:
    transfer: TimeTransfer
    payer: str  # who received the help (or the bank)
    payee: str  # who gave it (or the bank)
    payer_membership_id: int | None
    payee_membership_id: int | None
    category: str
    reversed_by: int | None  # the number of its reversal
    reverses_number: int | None = None  # for a reversal: the number it corrects

    @property
    def mark(self) -> str:
        """How it came and where it stands, in a few words for a list."""
        t = self.transfer
        marks = [state_name(t)] if t.state != "confirmed" else []
        how = recorded_as(t)
        if t.kind == "reversal" and self.reverses_number:
            how = _("correction of №%(number)d", number=self.reverses_number)
        if how:
            marks.append(how)
        if self.reversed_by:
            marks.append(_("corrected by №%(number)d", number=self.reversed_by))
        return " · ".join(marks)


def _bank_name() -> str:
    return _("the group's time bank")


def transfer_rows(session: Session, group: Group, *, where: Sequence[object] = (),
                  limit: int | None = None, offset: int = 0, newest_first: bool = True
                  ) -> list[TransferRow]:
    """Transfers with both parties' names, in one query."""
    payer_acc, payee_acc = aliased(TimeAccount), aliased(TimeAccount)
    payer_m, payee_m = aliased(Membership), aliased(Membership)
    payer_u, payee_u = aliased(User), aliased(User)
    reversal, original = aliased(TimeTransfer), aliased(TimeTransfer)
    order = (TimeTransfer.number.desc(),) if newest_first else (
        TimeTransfer.date_of_service, TimeTransfer.number)
    query = (select(TimeTransfer, payer_u.name, payee_u.name, payer_m.id, payee_m.id,
                    reversal.number, original.number)
             .join(payer_acc, payer_acc.id == TimeTransfer.from_account_id)
             .join(payee_acc, payee_acc.id == TimeTransfer.to_account_id)
             .outerjoin(payer_m, payer_m.id == payer_acc.membership_id)
             .outerjoin(payee_m, payee_m.id == payee_acc.membership_id)
             .outerjoin(payer_u, payer_u.id == payer_m.user_id)
             .outerjoin(payee_u, payee_u.id == payee_m.user_id)
             .outerjoin(reversal, reversal.reverses_id == TimeTransfer.id)
             .outerjoin(original, original.id == TimeTransfer.reverses_id)
             .where(TimeTransfer.group_id == group.id, *where).order_by(*order))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    names, bank = category_names(session), _bank_name()
    return [TransferRow(t, payer or bank, payee or bank, payer_id, payee_id,
                        names.get(t.category_id, ""), rev, orig)
            for t, payer, payee, payer_id, payee_id, rev, orig in session.execute(query)]


def pending_rows(session: Session, group: Group, membership: Membership | None, *,
                 everyone: bool) -> list[TransferRow]:
    """Pending records: all for the coordinator; else those she is a party to."""
    where: list[object] = [TimeTransfer.state == "pending"]
    if not everyone:
        if membership is None:
            return []
        mine = member_account(session, membership)
        where.append((TimeTransfer.from_account_id == mine)
                     | (TimeTransfer.to_account_id == mine))
    return transfer_rows(session, group, where=where)


@dataclass(frozen=True)
class StatementLine:
    row: TransferRow
    minutes: int  # + she gave help (or got credit), - she received it
    balance: int
    other: str


@dataclass
class Statement:
    opening: int
    lines: list[StatementLine] = field(default_factory=list)
    closing: int = 0
    current: int = 0
    total: int = 0  # lines in the period (all pages)
    page_opening: int = 0  # the balance before the first line shown


def statement(session: Session, group: Group, membership: Membership, *,
              start: date | None = None, end: date | None = None, page: int = 1,
              per_page: int | None = None) -> Statement:
    """Her confirmed transfers by date of service with the running balance;
    the opening balance is what came before `start`. Paged: the balances come
    from one light query of the period, the page's lines from another; a
    fixed number of queries however many transfers there are."""
    account_id = member_account(session, membership)
    mine = (TimeTransfer.from_account_id == account_id) | (
        TimeTransfer.to_account_id == account_id)
    period: list[object] = [TimeTransfer.state == "confirmed", mine]
    if end is not None:
        period.append(TimeTransfer.date_of_service <= end)
    opening = 0
    if start is not None:
        opening = int(session.scalar(
            select(func.coalesce(func.sum(TimeMovement.minutes), 0))
            .join(TimeTransfer, TimeTransfer.id == TimeMovement.transfer_id)
            .where(TimeMovement.account_id == account_id, TimeTransfer.state == "confirmed",
                   TimeTransfer.date_of_service < start)) or 0)
        period.append(TimeTransfer.date_of_service >= start)
    light = session.execute(
        select(TimeTransfer.id, TimeTransfer.minutes, TimeTransfer.to_account_id)
        .where(TimeTransfer.group_id == group.id, *period)
        .order_by(TimeTransfer.date_of_service, TimeTransfer.number)).all()
    after: dict[int, int] = {}
    balance = opening
    for transfer_id, minutes, to_id in light:
        balance += minutes if to_id == account_id else -minutes
        after[transfer_id] = balance
    offset = max(0, (page - 1) * per_page) if per_page else 0
    rows = transfer_rows(session, group, where=period, limit=per_page, offset=offset,
                         newest_first=False)
    result = Statement(opening=opening, total=len(light), closing=balance)
    for row in rows:
        t = row.transfer
        minutes = t.minutes if t.to_account_id == account_id else -t.minutes
        other = row.payer if minutes > 0 else row.payee
        result.lines.append(StatementLine(row, minutes, after[t.id], other))
    result.page_opening = (result.lines[0].balance - result.lines[0].minutes
                           if result.lines else balance)
    result.current = account_balance(session, account_id)
    return result


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


@dataclass
class Register:
    year: int
    month: int
    rows: list[TransferRow]
    by_category: list[tuple[str, int, int]]  # name, minutes, exchanges (confirmed)
    total: int


def register(session: Session, group: Group, year: int, month: int) -> Register:
    """The month's transfers as in the office book, by number, and the totals
    per category of the confirmed help (reversals subtract)."""
    first, last = month_bounds(year, month)
    rows = transfer_rows(session, group, where=[TimeTransfer.date_of_service >= first,
                                                TimeTransfer.date_of_service <= last],
                         newest_first=False)
    rows.sort(key=lambda r: r.transfer.number)
    totals: dict[str, list[int]] = {}
    for row in rows:
        t = row.transfer
        if t.state != "confirmed" or t.kind == "start_credit":
            continue
        sign = -1 if t.kind == "reversal" else 1
        cell = totals.setdefault(row.category, [0, 0])
        cell[0] += sign * t.minutes
        cell[1] += sign
    by_category = sorted(((name, m, n) for name, (m, n) in totals.items()),
                         key=lambda x: x[0])
    return Register(year, month, rows, by_category, sum(m for _n, m, _c in by_category))


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    number: int
    name: str
    account_id: int | None
    balance: int
    flag: str | None  # 'low', 'high'
    given: int
    received: int
    last: date | None
    days_without: int
    one_way: str | None


def member_rows(session: Session, group: Group, settings: TimeBankSettings) -> list[MemberRow]:
    """Every member's balance, soft-limit flag and activity (three queries)."""
    rules = rules_of(settings)
    members = list(session.scalars(select(Membership).join(User).where(
        Membership.group_id == group.id).order_by(Membership.id)))
    accounts = dict(session.execute(select(TimeAccount.membership_id, TimeAccount.id).where(
        TimeAccount.group_id == group.id, TimeAccount.kind == "time_member")).all())
    held = balances(session, group)
    # exchanges only (and bank payments), net of their reversals
    reversal = aliased(TimeTransfer)
    moves = session.execute(
        select(TimeMovement.account_id, TimeMovement.minutes, TimeTransfer.date_of_service)
        .join(TimeTransfer, TimeTransfer.id == TimeMovement.transfer_id)
        .outerjoin(reversal, reversal.reverses_id == TimeTransfer.id)
        .where(TimeTransfer.group_id == group.id, TimeTransfer.state == "confirmed",
               TimeTransfer.kind.in_(("exchange", "bank_payment", "donation")),
               reversal.id.is_(None))).all()
    activity = domain.activity((a, m, d) for a, m, d in moves)
    today = local_today()
    rows = []
    for number, m in enumerate(members, start=1):
        account_id = accounts.get(m.id)
        balance = held.get(account_id, 0) if account_id else 0
        a = activity.get(account_id or -1, domain.Activity())
        rows.append(MemberRow(
            m, number, m.user.name, account_id, balance, domain.soft_flag(balance, rules),
            a.given, a.received, a.last,
            domain.days_without_exchange(a.last, today, joined_on(m)), domain.one_way(a)))
    return rows


def category_months(session: Session, group: Group) -> tuple[list[str], list[tuple[str, dict[
        str, domain.CategoryMonth]]]]:
    """Hours and exchanges by category and month (confirmed help, net of
    reversals; start credits not counted): (months, [(category, {month: cell})])."""
    reversal = aliased(TimeTransfer)
    rows = session.execute(
        select(TimeTransfer.category_id, TimeTransfer.date_of_service, TimeTransfer.minutes)
        .outerjoin(reversal, reversal.reverses_id == TimeTransfer.id)
        .where(TimeTransfer.group_id == group.id, TimeTransfer.state == "confirmed",
               TimeTransfer.kind.in_(("exchange", "bank_payment", "donation")),
               reversal.id.is_(None))).all()
    cells = domain.by_category_and_month(rows)
    names = category_names(session)
    months = sorted({month for _c, month in cells})
    table: dict[str, dict[str, domain.CategoryMonth]] = {}
    for (category_id, month), cell in cells.items():
        table.setdefault(names.get(category_id, ""), {})[month] = cell
    return months, sorted(table.items())


@dataclass(frozen=True)
class DashboardCard:
    open: bool
    balance: int | None  # hers, when she is a member


def dashboard_card(session: Session, group: Group, membership: Membership | None
                   ) -> DashboardCard:
    """What the group's overview shows of the time bank (two small queries)."""
    settings = settings_of(session, group)
    if settings is None or not settings.enabled:
        return DashboardCard(False, None)
    return DashboardCard(True, member_balance(session, membership) if membership else None)


def weekly_digest(session: Session, group: Group) -> str:
    """The notice board as a text to paste into WhatsApp: requests first."""
    posts = list_posts(session, group)
    lines = [_("%(group)s: time bank, offers and requests", group=group.name), ""]
    for kind, title in (("request", _("Help asked for")), ("offer", _("Help offered"))):
        mine = [p for p in posts if p.post.kind == kind]
        if not mine:
            continue
        lines.append(f"*{title}*")
        for p in sorted(mine, key=lambda p: (p.category, p.post.id)):
            new = " " + _("(new)") if p.new else ""
            lines.append(f"• {p.category}: {p.post.title} — {p.name}{new}")
        lines.append("")
    if not posts:
        lines.append(_("No offers or requests at the moment."))
    return "\n".join(lines).strip() + "\n"


def check_sums(session: Session, group: Group) -> tuple[int, list[int]]:
    """(Σ of all the group's time accounts, ids of transfers whose movements
    do not add up to zero): (0, []) always."""
    total = sum(balances(session, group).values())
    bad = session.scalars(
        select(TimeMovement.transfer_id).join(TimeTransfer,
                                              TimeTransfer.id == TimeMovement.transfer_id)
        .where(TimeTransfer.group_id == group.id).group_by(TimeMovement.transfer_id)
        .having(func.sum(TimeMovement.minutes) != 0)).all()
    return total, list(bad)


def recorded_as(transfer: TimeTransfer) -> str:
    """What a line of a statement or the register says about how it came."""
    names = {"start_credit": _("start credit"), "bank_payment": _("paid by the bank"),
             "donation": _("given to the bank"), "reversal": _("correction")}
    text = names.get(transfer.kind, "")
    if transfer.on_behalf and transfer.kind == "exchange":
        text = _("recorded on behalf")
    return text


STATE_NAMES = {"pending": _l("waiting for confirmation"), "confirmed": _l("confirmed"),
               "rejected": _l("rejected")}
WITHDRAWN = _l("withdrawn by the one who recorded it")
KIND_NAMES = {"offer": _l("offer"), "request": _l("request")}


def state_name(transfer: TimeTransfer) -> str:
    """Where a record stands, in words: a rejection its recorder made herself
    reads as withdrawn."""
    return str(WITHDRAWN if withdrawn(transfer) else STATE_NAMES[transfer.state])

