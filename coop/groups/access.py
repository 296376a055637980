"""Who may see and change a group's data. Anything of a group a person does
not belong to is a 404: she must not even learn that it exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, has_request_context, request
from flask_login import current_user, login_required
from sqlalchemy import Row, Select, and_, bindparam, case, func, inspect, or_, select
from sqlalchemy.orm import make_transient_to_detached

from coop.auth.models import User
from coop.extensions import SIGN_IN_BIND, db
from coop.groups.models import ROLE_TREASURER, Group, Membership
from coop.groups.services import active_member_count, membership_of
from coop.i18n import use_group_timezone
from coop.ledger.models import Account
from coop.ledger.services import balance_statement
from coop.orders.models import Round, SplitChange
from coop.security import MAX_ID

_LOADED = "coop_group_signed_in"
_ROUND_LOADED = "coop_round_signed_in"
_BALANCE_LOADED = "coop_balance_signed_in"
_READS_BALANCE = "coop_reads_balance"
_BALANCE = "coop_balance"
_COUNTS_MEMBERS = "coop_counts_members"
_READS_SPLIT = "coop_reads_split"
_CHANGE_FROM, _CHANGE_TO, _CHANGE_LINES = "coop_change_from", "coop_change_to", "coop_change_lines"
# order changes a sign-in reads at most (more: the page reads them itself). A
# row each, and the balance and the member count are worked out for each row:
# a busy evening's page meets one or two
_SIGN_IN_CHANGES = 8
_MEMBERS_LOADED = "coop_members_signed_in"
_ACTIVE_MEMBERS = "coop_active_members"
T = TypeVar("T")


def load_signed_in(session_id: str) -> User | None:
    """The signed-in user (Flask-Login's user loader), read afresh on every
    request (a sign-out elsewhere or a new password takes effect at once).

    One statement, on a connection in autocommit: a page that needs nothing
    else of the database opens no transaction. On a page of a group it also
    reads the group and her membership, kept for load_group, on a page of
    one of its rounds the round, kept for signed_in_round, on a page that
    shows her balance (reads_balance) that too, kept for signed_in_balance,
    and on a page that counts the group's members (counts_members) their
    number, kept for signed_in_member_count. The rows join this request's
    session as if it had loaded them."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    view_args = (request.view_args or {}) if has_request_context() else {}
    group_id, round_id = view_args.get("group_id"), view_args.get("round_id")
    # (an id no column can hold is a 404 already: its page signs in alone)
    on_group_page = _an_id(group_id)
    on_round_page = on_group_page and _an_id(round_id)
    since = _live_token(round_id) if on_round_page and _view_marked(_READS_SPLIT) else None
    query = _sign_in_query(on_group_page, on_round_page,
                           on_group_page and _view_marked(_READS_BALANCE),
                           on_group_page and _view_marked(_COUNTS_MEMBERS), since is not None)
    params = {"user_id": int(user_id), "group_id": group_id, "round_id": round_id,
              "since": since}
    if SIGN_IN_BIND in db.engines:
        with db.engines[SIGN_IN_BIND].connect() as conn:
            rows = conn.execute(query, params).all()
    else:  # a database in memory: only the session's connection sees it
        rows = db.session.execute(query, params).all()
    row = rows[0] if rows else None
    user = _attached(User, row)
    if user is None or user.login_nonce != nonce or user.disabled:
        return None
    if on_group_page:
        setattr(g, _LOADED, (group_id, _attached(Group, row), _attached(Membership, row)))
    if on_round_page:
        setattr(g, _ROUND_LOADED, (group_id, round_id, _attached(Round, row)))
    if row is not None and _BALANCE in row._mapping:
        membership = row._mapping[Membership.__table__.c.id]
        if membership is not None:
            setattr(g, _BALANCE_LOADED, (membership, int(row._mapping[_BALANCE])))
    if row is not None and row._mapping.get(_ACTIVE_MEMBERS) is not None:
        setattr(g, _MEMBERS_LOADED, (group_id, int(row._mapping[_ACTIVE_MEMBERS])))
    if since is not None:
        from coop.orders.cache import signed_in_changes

        signed_in_changes(round_id, since, [
            (r._mapping[_CHANGE_FROM], r._mapping[_CHANGE_TO], r._mapping[_CHANGE_LINES])
            for r in rows if r._mapping[_CHANGE_FROM] is not None])
    return user


def _live_token(round_id: int) -> int | None:
    from coop.orders.cache import live_token

    return live_token(round_id)


def _an_id(value: object) -> bool:
    return isinstance(value, int) and 0 <= value <= MAX_ID


def reads_balance(view: Callable[..., Any]) -> Callable[..., Any]:
    """A group's page that shows the signed-in member's balance: the sign-in
    reads it with her (signed_in_balance). Put it next to the view, under
    group_view."""
    setattr(view, _READS_BALANCE, True)
    return view


def reads_split(view: Callable[..., Any]) -> Callable[..., Any]:
    """A round's page that shows the figures of its split: in an open round
    whose split this process keeps, the sign-in reads the order changes since
    the split's token with the round (coop.orders.cache._order_path: a busy
    evening's page asks one statement fewer). Put it next to the view."""
    setattr(view, _READS_SPLIT, True)
    return view


def counts_members(view: Callable[..., Any]) -> Callable[..., Any]:
    """A group's page that needs the number of its active members (whether
    to list them all): the sign-in counts them (signed_in_member_count)."""
    setattr(view, _COUNTS_MEMBERS, True)
    return view


def _view_marked(mark: str) -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, mark, False))


@cache
def _sign_in_query(with_group: bool, with_round: bool = False,
                   with_balance: bool = False, with_member_count: bool = False,
                   with_changes: bool = False) -> Select:
    """The user by id; `with_group`: with the group and her active membership
    in it (each None if there is none); `with_round`: and the group's round
    (None if the group has no such round); `with_balance`: and her balance
    in the group (labelled _BALANCE; 0 without a membership);
    `with_member_count`: and the number of the group's active members
    (labelled _ACTIVE_MEMBERS; on a round's page, only for a treasurer or an
    admin and an open round, else None); `with_changes`: and the round's
    order changes from the one made at token `since` on, a row each (labelled
    _CHANGE_FROM, _CHANGE_TO, _CHANGE_LINES; None in a row of its own if there
    are none), at most _SIGN_IN_CHANGES."""
    users = User.__table__
    if not with_group:
        return select(users).where(users.c.id == bindparam("user_id"))
    groups, memberships = Group.__table__, Membership.__table__
    joined = users.outerjoin(groups, groups.c.id == bindparam("group_id")).outerjoin(
        memberships, and_(memberships.c.group_id == groups.c.id,
                          memberships.c.user_id == users.c.id,
                          memberships.c.active.is_(True)))
    tables = [users, groups, memberships]
    if with_round:
        rounds = Round.__table__
        joined = joined.outerjoin(rounds, and_(rounds.c.id == bindparam("round_id"),
                                               rounds.c.group_id == groups.c.id))
        tables.append(rounds)
    columns: list[Any] = list(tables)
    if with_balance:
        accounts = Account.__table__
        joined = joined.outerjoin(accounts, and_(accounts.c.membership_id == memberships.c.id,
                                                 accounts.c.kind == "member"))
        columns.append(balance_statement(accounts.c.id).scalar_subquery().label(_BALANCE))
    if with_member_count:
        # (its memberships are all the group's, not the one joined above)
        count: Any = active_member_count(groups.c.id).correlate_except(memberships) \
            .scalar_subquery()
        if with_round:  # counted only where they may be listed: the treasurer's open round
            count = case((and_(rounds.c.state == "open", or_(
                users.c.is_admin, memberships.c.role == ROLE_TREASURER)), count))
        columns.append(count.label(_ACTIVE_MEMBERS))
    if with_changes:
        changes = SplitChange.__table__.alias("changes")
        first = select(func.min(SplitChange.id)).where(
            SplitChange.round_id == bindparam("round_id"),
            SplitChange.previous_token == bindparam("since")).scalar_subquery()
        joined = joined.outerjoin(changes, and_(changes.c.round_id == rounds.c.id,
                                                changes.c.id >= first))
        columns += [changes.c.previous_token.label(_CHANGE_FROM),
                    changes.c.token.label(_CHANGE_TO), changes.c.lines.label(_CHANGE_LINES)]
        return select(*columns).select_from(joined).where(
            users.c.id == bindparam("user_id")).order_by(changes.c.id).limit(_SIGN_IN_CHANGES)
    return select(*columns).select_from(joined).where(
        users.c.id == bindparam("user_id")).limit(1)


def _attached(model: type[T], row: Row | None) -> T | None:
    """The `model` object whose columns `row` holds, in this request's session
    (None if the row has none of it)."""
    if row is None:
        return None
    values = row._mapping
    mapper = inspect(model)
    identity = tuple(values[column] for column in mapper.primary_key)
    if None in identity:
        return None
    session = db.session()
    found = session.identity_map.get(mapper.identity_key_from_primary_key(identity))
    if found is not None:  # loaded already in this session: that one
        return found  # type: ignore[return-value]
    # as a query loads it: its columns' values set as loaded, not through the
    # constructor (whose every attribute set is an event)
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update((key, values[column]) for key, column in _columns(model))
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


@cache
def _columns(model: type) -> tuple[tuple[str, Any], ...]:
    """(attribute, column) of each of the model's columns."""
    return tuple((attr.key, attr.columns[0]) for attr in inspect(model).column_attrs)


def load_group(group_id: int, *, treasurer: bool = False) -> tuple[Group, Membership | None]:
    """The group and the current user's membership, or 404 / 403."""
    loaded = g.pop(_LOADED, None) if current_user.is_authenticated else None
    if loaded is not None and loaded[0] == group_id:
        group, membership = loaded[1], loaded[2]
    else:
        group = db.session.get(Group, group_id)
        membership = None if group is None else membership_of(db.session, current_user,
                                                               group_id)
    if group is None:
        abort(404)
    if membership is None and not current_user.is_admin:
        abort(404)
    if treasurer and not (current_user.is_admin or (membership and membership.is_treasurer)):
        abort(403)
    use_group_timezone(group)
    return group, membership


def signed_in_round(group_id: int, round_id: int) -> Round | None:
    """The group's round `round_id` as the sign-in read it on this page (see
    load_signed_in), or None: not read (ask the database), or no such round."""
    loaded = g.pop(_ROUND_LOADED, None)
    if loaded is None or loaded[:2] != (group_id, round_id):
        return None
    return loaded[2]


def signed_in_balance(membership: Membership) -> int | None:
    """Her balance as the sign-in read it on this page (see reads_balance),
    or None: not read, or read for another member (ask the database)."""
    return _read_with_sign_in(_BALANCE_LOADED, membership.id)


def signed_in_member_count(group_id: int) -> int | None:
    """The number of the group's active members as the sign-in counted them on
    this page (see counts_members), or None: not counted (ask the database)."""
    return _read_with_sign_in(_MEMBERS_LOADED, group_id)


def _read_with_sign_in(name: str, of: int) -> int | None:
    """What the sign-in kept under `name` for `of` (a membership, a group),
    taken once; None if it kept nothing, or kept it for another."""
    loaded = g.pop(name, None)
    if loaded is None or loaded[0] != of:
        return None
    return loaded[1]


def group_view(*, treasurer: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For views under /groups/<group_id>/: sets g.group and g.membership."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(group_id: int, **kwargs: Any) -> Any:
            g.group, g.membership = load_group(group_id, treasurer=treasurer)
            g.is_treasurer = current_user.is_admin or bool(
                g.membership and g.membership.is_treasurer)
            return view(group_id=group_id, **kwargs)

        return wrapper

    return decorate


def member_in_group(group: Group, membership_id: int) -> Membership:
    """A membership of this group, or 404 (never one of another group)."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.group_id != group.id:
        abort(404)
    return membership
