"""Which rounds a change touches.

Every change to what a round's split is made of gives the round a new
`change_token`, the key under which coop/orders/cache.py keeps its split: the
orders, the products on offer and their catalog terms, the frozen award, the
shared costs, the deliveries, the credit notes, the state, the round's split
settings, the members' names and the group's currency; and the names its pages
show beside the figures (its suppliers', and whoever moved it from state to
state), so that its pages can be kept whole under the token too (the share
page, the treasurer's round page: coop.orders.cache.kept_page).

ORM changes are caught at every flush by an event on the Session class, so a
service written tomorrow cannot forget them. The few Core statements that write
split inputs directly (the conditional state move, the catalog import's bulk
statements) call `rounds_changed` / `supplier_catalog_changed` themselves.

A flush that changes nothing of a round but its order lines also records them
(a SplitChange: the lines as they became, the token before and after), under
the round's row lock, so that a process holding the split at the token before
brings it up to date line by line (coop/orders/cache.py). Any other change to
the round renews its token without such a record: whoever meets that token
splits the round anew."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import (
    Select,
    Update,
    bindparam,
    delete,
    event,
    insert,
    inspect,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert

from coop.auth.models import User
from coop.groups.models import Group, Membership
from coop.orders.models import (
    AwardedTier,
    CreditNote,
    Delivery,
    Request,
    Round,
    RoundEvent,
    RoundItem,
    Settlement,
    SharedCost,
    SplitChange,
    new_change_token,
)
from coop.suppliers.models import PriceTier, Product, Supplier

# (A settled round's figures come from its settlement's snapshot alone; the
# names and the currency its pages show with them do not, so a change of
# those renews its token too: its figures are read again from the snapshot,
# the same, and its pages made again.)
_ROUND_FIELDS = ("state", "loss_policy", "levy_basis_points", "cash_rounding", "items",
                 "shared_costs")
_SESSION_KEY = "coop_split_changes"
# SplitChange rows older than this many (over all rounds) are deleted now and
# then: a process whose split is that far behind splits the round anew
KEEP_CHANGES = 1000


def rounds_changed(session: Session, round_ids: Iterable[int]) -> None:
    ids = sorted(set(round_ids))
    if ids:
        _stamp(session, Round.id.in_(ids))


def products_changed(session: Session, product_ids: Iterable[int]) -> None:
    ids = sorted(set(product_ids))
    if ids:
        _stamp(session, Round.id.in_(
            select(RoundItem.round_id).where(RoundItem.product_id.in_(ids))))


def supplier_catalog_changed(session: Session, supplier_id: int) -> None:
    """Any product of this supplier may have changed (the catalog import)."""
    _stamp(session, Round.id.in_(
        select(RoundItem.round_id).join(Product, Product.id == RoundItem.product_id)
        .where(Product.supplier_id == supplier_id)))


def _users_renamed(session: Session, user_ids: Iterable[int]) -> None:
    """Her groups' rounds (her bill bears her name), and the rounds whose
    history names her (an admin who moved a round of a group she is not in)."""
    ids = sorted(set(user_ids))
    if ids:
        _stamp(session, (
            Round.group_id.in_(select(Membership.group_id).where(Membership.user_id.in_(ids)))
            | Round.id.in_(select(RoundEvent.round_id).where(RoundEvent.actor_id.in_(ids)))))


def _suppliers_renamed(session: Session, supplier_ids: Iterable[int]) -> None:
    """The rounds whose page names the supplier: those offering her products
    or awarded to her (the cost form's choices, the supplier bills) and those
    with a cost shared over her goods alone."""
    ids = sorted(set(supplier_ids))
    if ids:
        _stamp(session, (
            Round.id.in_(select(RoundItem.round_id)
                         .join(Product, Product.id == RoundItem.product_id)
                         .where(Product.supplier_id.in_(ids)
                                | RoundItem.awarded_supplier_id.in_(ids)))
            | Round.id.in_(select(SharedCost.round_id).where(SharedCost.supplier_id.in_(ids)))))


def _groups_changed(session: Session, group_ids: Iterable[int]) -> None:
    ids = sorted(set(group_ids))
    if ids:
        _stamp(session, Round.group_id.in_(ids))


def _stamp(session: Session, where: Any) -> None:
    token = new_change_token()
    ids = session.connection().execute(
        update(Round).where(where).values(change_token=token).returning(Round.id)).scalars()
    for round_id in ids:
        _show_token(session, round_id, token)


def _show_token(session: Session, round_id: int, token: int) -> None:
    """Rounds already loaded in this session see their new token at once."""
    loaded = session.identity_map.get(inspect(Round).identity_key_from_primary_key((round_id,)))
    if loaded is not None:
        set_committed_value(loaded, "change_token", token)


def order_lines_changed(session: Session, round_id: int,
                        lines: dict[tuple[int, int], tuple[int, int]]) -> str | None:
    """A new token for a round whose order lines alone changed, and the
    SplitChange that says which: the lines {(membership, round item):
    (quantity, tolerance)} as they now are. The flush calls it for order lines
    changed as objects; a service that writes them as rows (save_order) calls
    it itself. The token before is read under the round's
    row lock (held to the commit), so that of two orders at once the second
    records the first one's token as the one before its own. The lock is FOR
    NO KEY UPDATE, the one the UPDATE takes anyway: it does not wait for the
    key-share locks that the order lines' foreign keys hold on the round
    (FOR UPDATE would, and two orders would deadlock).

    Returns the round's state as read under that lock (None: no such round):
    a move of the round (closing it) takes the same lock, so an order that
    finds it still open here is in before the move, and one that finds it
    moved came too late (save_order refuses it)."""
    conn = session.connection()
    token = new_change_token()
    params = {"round_id": round_id, "token": token,
              "lines": json.dumps([[m, i, q, t] for (m, i), (q, t) in sorted(lines.items())],
                                  separators=(",", ":"))}
    if conn.dialect.name == "postgresql":  # the three in one round trip
        row = conn.execute(_token_moved(), params).first()
        if row is None:
            return None
        change_id, state = row
    else:
        row = conn.execute(_token_locked(), params).first()
        if row is None:
            return None
        previous, state = row
        conn.execute(_new_token(), params)
        change_id = conn.execute(_record_change(), {**params, "previous_token": previous}
                                 ).scalar_one()
    if change_id % 100 == 0:
        conn.execute(delete(SplitChange).where(SplitChange.id <= change_id - KEEP_CHANGES))
    _show_token(session, round_id, token)
    return state


# Built once: an order runs them every time, and building one costs more than
# running it.
@cache
def _token_locked() -> Select:
    return (select(Round.change_token, Round.state).where(Round.id == bindparam("round_id"))
            .with_for_update(key_share=True))


@cache
def _new_token() -> Update:
    return (update(Round).where(Round.id == bindparam("round_id"))
            .values(change_token=bindparam("token")))


@cache
def _token_moved() -> Select:
    """_token_locked, _new_token and _record_change as one statement
    (PostgreSQL): the token before, read under the row lock the update holds
    (FOR NO KEY UPDATE: of two at once, the second waits and reads the first
    one's token, committed), and the SplitChange from it: its id, and the
    round's state as read under the lock; no row if there is no such round."""
    before = _token_locked().add_columns(Round.id).cte("before")
    moved = (update(Round).where(Round.id == before.c.id)
             .values(change_token=bindparam("token"))
             .returning(before.c.change_token.label("previous"), before.c.state)
             .cte("moved"))
    columns = SplitChange.__table__.c
    recorded = insert(SplitChange).from_select(
        ["round_id", "previous_token", "token", "lines"],
        select(bindparam("round_id", type_=columns.round_id.type), moved.c.previous,
               bindparam("token", type_=columns.token.type),
               bindparam("lines", type_=columns.lines.type))
    ).returning(SplitChange.id).cte("recorded")
    return select(recorded.c.id, moved.c.state).select_from(recorded.join(moved, true()))


@cache
def _record_change() -> ReturningInsert:
    return insert(SplitChange).values(
        round_id=bindparam("round_id"), previous_token=bindparam("previous_token"),
        token=bindparam("token"), lines=bindparam("lines")).returning(SplitChange.id)


@dataclass
class _Touched:
    rounds: set[int] = field(default_factory=set)
    # rounds whose order lines changed: {(membership, round item): (quantity, tolerance)}
    orders: dict[int, dict[tuple[int, int], tuple[int, int]]] = field(default_factory=dict)
    round_items: set[int] = field(default_factory=set)
    products: set[int] = field(default_factory=set)
    users: set[int] = field(default_factory=set)
    suppliers: set[int] = field(default_factory=set)
    groups: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.rounds or self.orders or self.round_items or self.products or self.users
                    or self.suppliers or self.groups)


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _collect(session: Session, flush_context: Any, instances: Any) -> None:
    touched: _Touched = session.info.setdefault(_SESSION_KEY, _Touched())
    new, dirty = session.new, session.dirty
    for obj in chain(new, dirty, session.deleted):
        if obj in dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, Request) and _order_line(session, obj, touched):
            continue
        if isinstance(obj, Request | SharedCost | Delivery | CreditNote | Settlement
                      | RoundItem):
            # a new row added through `round.items` or `SharedCost(round=…)`
            # gets its round_id only in this flush
            round_id = obj.round_id if obj.round_id is not None else getattr(
                getattr(obj, "round", None), "id", None)
            if round_id is not None:
                touched.rounds.add(round_id)
        elif isinstance(obj, AwardedTier):
            touched.round_items.add(obj.round_item_id)
        elif isinstance(obj, Round):
            if obj.id is not None and obj not in new and _changed(obj, *_ROUND_FIELDS):
                touched.rounds.add(obj.id)
        elif isinstance(obj, Product):
            if obj.id is not None and obj not in new:
                touched.products.add(obj.id)
        elif isinstance(obj, PriceTier):
            if obj.product_id is not None:
                touched.products.add(obj.product_id)
        elif isinstance(obj, User):
            if obj.id is not None and obj not in new and _changed(obj, "name"):
                touched.users.add(obj.id)
        elif isinstance(obj, Supplier):
            if obj.id is not None and obj not in new and _changed(obj, "name"):
                touched.suppliers.add(obj.id)
        elif (isinstance(obj, Group) and obj.id is not None and obj not in new
              and _changed(obj, "currency")):
            touched.groups.add(obj.id)


def _order_line(session: Session, request: Request, touched: _Touched) -> bool:
    """Note a changed order line as it now is; False if it cannot be told as
    one (a line moved to another round, product or member, or not yet tied
    to them by id): then the round is split anew."""
    if None in (request.round_id, request.membership_id, request.round_item_id) or (
            request in session.dirty
            and _changed(request, "round_id", "membership_id", "round_item_id")):
        return False
    gone = request in session.deleted
    touched.orders.setdefault(request.round_id, {})[
        (request.membership_id, request.round_item_id)] = (
        (0, 0) if gone else (request.quantity or 0, request.tolerance or 0))
    return True


@event.listens_for(Session, "after_flush_postexec")
def _apply(session: Session, flush_context: Any) -> None:
    touched: _Touched | None = session.info.pop(_SESSION_KEY, None)
    if not touched:
        return
    rounds = set(touched.rounds)
    if touched.round_items:
        rounds.update(session.connection().execute(
            select(RoundItem.round_id).where(RoundItem.id.in_(sorted(touched.round_items))))
            .scalars())
    if rounds:
        rounds_changed(session, rounds)
    for round_id, lines in sorted(touched.orders.items()):
        if round_id not in rounds:
            order_lines_changed(session, round_id, lines)
    products_changed(session, touched.products)
    _users_renamed(session, touched.users)
    _suppliers_renamed(session, touched.suppliers)
    _groups_changed(session, touched.groups)
