"""Rounds, members' orders and the round's split. Functions take the session
first, flush, never commit, and raise DomainError with a message for people."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property, lru_cache
from typing import Any, Literal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from coop import money, unit_text
from coop.auth.models import User
from coop.db import utcnow
from coop.errors import AskFirst, DomainError, check_happened
from coop.groups.models import LOSS_POLICIES, Group, Membership
from coop.ledger import services as ledger
from coop.orders import domain, facts, split
from coop.orders.changes import order_lines_changed
from coop.orders.models import (
    COST_RULES,
    AwardedTier,
    CreditNote,
    Delivery,
    Request,
    RequestChange,
    Round,
    RoundEvent,
    RoundItem,
    Settlement,
    SharedCost,
    new_change_token,
)
from coop.payables import services as payables
from coop.quantities import (
    line_amount,
    local_qty,
    parse_quantity,
    price_str,
    qty_str,
    weight_str,
)
from coop.suppliers.models import PriceTier, Product, Supplier

logger = logging.getLogger(__name__)

STATE_NAMES = {
    "draft": _l("draft"), "open": _l("open for orders"), "closed": _l("closed"),
    "quoting": _l("asking for quotes"), "awarded": _l("awarded"), "received": _l("received"),
    "settled": _l("settled"), "cancelled": _l("cancelled"),
}


# --------------------------------------------------------------------------
# Rounds
# --------------------------------------------------------------------------


def list_rounds(session: Session, group: Group, *, include_drafts: bool) -> list[Round]:
    query = select(Round).where(Round.group_id == group.id).order_by(Round.id.desc())
    if not include_drafts:
        query = query.where(Round.state != domain.DRAFT)
    return list(session.scalars(query))


def _with_items() -> tuple[Any, ...]:
    """Loader options: the round's products, their terms and its shared costs,
    one query each rather than one per product."""
    return (selectinload(Round.items).joinedload(RoundItem.product)
            .joinedload(Product.supplier),
            selectinload(Round.items).selectinload(RoundItem.awarded_tiers),
            selectinload(Round.items).joinedload(RoundItem.awarded_supplier),
            selectinload(Round.items).joinedload(RoundItem.product)
            .selectinload(Product.price_tiers),
            selectinload(Round.shared_costs).joinedload(SharedCost.supplier))


def _with_products() -> tuple[Any, ...]:
    """Loader options: the round's products alone (to check and save an order)."""
    return (selectinload(Round.items).joinedload(RoundItem.product),)


def get_round(session: Session, group: Group, round_id: int, *,
              with_items: bool | Literal["products"] = True) -> Round | None:
    """The round of this group, with its products, their terms and its shared
    costs (`with_items`), with its products alone ("products": saving an
    order needs no prices), or alone (a page that reads the split from the
    cache needs nothing more)."""
    if not with_items:
        return session.scalar(_built.round_alone(), {"round_id": round_id, "group_id": group.id})
    query = select(Round).where(Round.id == round_id, Round.group_id == group.id)
    if with_items == "products":
        return session.scalar(query.options(*_with_products()))
    return session.scalar(query.options(*_with_items()))


def load_round(session: Session, rnd: Round) -> Round:
    """`rnd` (loaded alone, perhaps) with its products, terms and costs, for the split."""
    return session.scalars(select(Round).where(Round.id == rnd.id).options(*_with_items())
                           .execution_options(populate_existing=True)).one()


def with_items(session: Session, rnd: Round) -> Round:
    """`rnd` loaded alone, with its products, terms and costs: those the split
    loaded into it in this request if it was computed, else loaded now."""
    return rnd if "items" not in inspect(rnd).unloaded else load_round(session, rnd)


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("The round needs a title."), field="title")
    if len(title) > 160:
        raise DomainError(_l("The title is too long."), field="title")
    return title


def _products_of_group(session: Session, group: Group, product_ids: Iterable[int]
                       ) -> list[Product]:
    wanted = list(dict.fromkeys(product_ids))
    if not wanted:
        raise DomainError(_l("Choose at least one product."), field="products")
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_(wanted), Product.group_id == group.id))}
    missing = [pid for pid in wanted if pid not in products]
    if missing:
        raise DomainError(_l("Unknown product."), field="products")
    for product in products.values():
        if product.retired:
            raise DomainError(_l("%(name)s is retired and cannot be offered.",
                                 name=product.name), field="products")
        if not any(t.min_qty == 0 for t in product.price_tiers):
            raise DomainError(_l("%(name)s has no price from quantity 0.", name=product.name),
                              field="products")
    return [products[pid] for pid in wanted]


def create_round(session: Session, group: Group, actor: User, *, title: str,
                 deadline: datetime | None, product_ids: Iterable[int],
                 delivery_place: str = "", delivery_date: date | None = None) -> Round:
    """A draft round with the group's split settings as defaults."""
    rnd = Round(group=group, title=_check_title(title), deadline=deadline, state=domain.DRAFT,
                loss_policy=group.loss_policy, levy_basis_points=group.levy_basis_points,
                cash_rounding=group.cash_rounding, delivery_place=delivery_place.strip(),
                delivery_date=delivery_date, created_by_id=actor.id)
    for position, product in enumerate(_products_of_group(session, group, product_ids)):
        rnd.items.append(RoundItem(product=product, position=position))
    session.add(rnd)
    session.flush()
    return rnd


def update_round(session: Session, rnd: Round, *, title: str, deadline: datetime | None,
                 product_ids: Iterable[int], loss_policy: str, levy_basis_points: int,
                 cash_rounding: int, delivery_place: str = "",
                 delivery_date: date | None = None) -> None:
    if rnd.state not in domain.EDITABLE_STATES:
        raise DomainError(_l("A round that is %(state)s cannot be changed.",
                             state=STATE_NAMES[rnd.state]))
    if loss_policy not in LOSS_POLICIES:
        raise DomainError(_l("Unknown loss policy."), field="loss_policy")
    if not 0 <= levy_basis_points <= 10000:
        raise DomainError(_l("The levy is a percentage from 0 to 100."), field="levy_percent")
    if cash_rounding < 0:
        raise DomainError(_l("Cash rounding cannot be negative."), field="cash_rounding")
    products = _products_of_group(session, rnd.group, product_ids)
    keep = {p.id for p in products}
    ordered_items = set(session.scalars(
        select(Request.round_item_id).where(Request.round_id == rnd.id)))
    for item in list(rnd.items):
        if item.product_id not in keep:
            if item.id in ordered_items:
                raise DomainError(_l("%(name)s has orders already and stays in the round.",
                                     name=item.product.name), field="products")
            rnd.items.remove(item)
    present = {item.product_id for item in rnd.items}
    for position, product in enumerate(products):
        if product.id not in present:
            rnd.items.append(RoundItem(product=product, position=position))
    rnd.title, rnd.deadline = _check_title(title), deadline
    rnd.loss_policy, rnd.levy_basis_points = loss_policy, levy_basis_points
    rnd.cash_rounding = cash_rounding
    rnd.delivery_place, rnd.delivery_date = delivery_place.strip(), delivery_date
    session.flush()


def move_round(session: Session, rnd: Round, actor: User, target: str, note: str = "") -> None:
    """Move the round to `target` if that move is allowed; record who did it.

    The move is one conditional UPDATE (… WHERE state = the state we saw): of two
    requests at the same moment (two settlements, say), only one moves the round;
    the other finds it moved and is refused."""
    session.refresh(rnd, ["state"])
    current = rnd.state
    if not domain.can_move(current, target):
        raise _forbidden_move(current, target)
    if target == domain.OPEN and not rnd.items:
        raise DomainError(_l("Add at least one product before opening the round."))
    moved = session.execute(update(Round).where(Round.id == rnd.id, Round.state == current)
                            .values(state=target, change_token=new_change_token())
                            .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        session.refresh(rnd, ["state"])
        raise _forbidden_move(rnd.state, target)
    session.add(RoundEvent(round_id=rnd.id, from_state=current, to_state=target,
                           actor_id=actor.id, note=note))
    session.flush()
    session.refresh(rnd, ["state", "change_token"])


def _forbidden_move(current: str, target: str) -> DomainError:
    return DomainError(_l("A round that is %(state)s cannot become %(target)s.",
                          state=STATE_NAMES.get(current, current),
                          target=STATE_NAMES.get(target, target)))


def award_at_list_prices(session: Session, rnd: Round, actor: User) -> None:
    """Award the whole round to the catalog's suppliers at their list prices:
    the prices and pack sizes the split uses are frozen from now on."""
    if not has_requests(session, rnd):
        raise DomainError(_l("Nobody has ordered anything in this round."))
    move_round(session, rnd, actor, domain.AWARDED)
    read_products_again(session, rnd)
    for item in rnd.items:
        freeze_item(item, supplier_id=item.product.supplier_id,
                    pack_size=item.product.pack_size,
                    tiers=[(t.min_qty, t.unit_price) for t in item.product.price_tiers])
    session.flush()


def read_products_again(session: Session, rnd: Round) -> None:
    """Under the round's row lock: its products' terms as the catalog has them
    now, not as this session loaded them before the lock. A step change locks
    the round before it checks it (coop.suppliers.services.
    step_change_refusals), so the step read here is one it let through."""
    session.scalars(select(Product).where(Product.id.in_(
        select(RoundItem.product_id).where(RoundItem.round_id == rnd.id)))
        .execution_options(populate_existing=True)).all()


def freeze_item(item: RoundItem, *, supplier_id: int, pack_size: int,
                tiers: Iterable[tuple[int, int]]) -> None:
    item.awarded_supplier_id = supplier_id
    item.awarded_pack_size = pack_size
    item.awarded_tiers = [AwardedTier(min_qty=q, unit_price=p) for q, p in tiers]


def has_requests(session: Session, rnd: Round) -> bool:
    return session.scalar(select(Request.id).where(
        Request.round_id == rnd.id, Request.quantity > 0).limit(1)) is not None


def round_history(session: Session, rnd: Round) -> list[tuple[RoundEvent, str]]:
    rows = session.execute(_built.history(), {"round_id": rnd.id})
    return [(event, name or "") for event, name in rows]


# --------------------------------------------------------------------------
# Shared costs
# --------------------------------------------------------------------------


def add_shared_cost(session: Session, rnd: Round, *, name: str, amount: int, rule: str,
                    supplier_id: int | None = None, idempotency_key: str | None = None
                    ) -> SharedCost:
    """A cost shared over the round's members. The same form sent twice adds it
    once: its key is kept with the cost."""
    earlier = shared_cost_by_key(session, rnd, idempotency_key)
    if earlier is not None:
        return earlier
    _lock_round(session, rnd)
    earlier = shared_cost_by_key(session, rnd, idempotency_key)  # added while we waited
    if earlier is not None:
        return earlier
    if rnd.state not in domain.COST_EDITABLE_STATES:
        raise DomainError(_l("A round that is %(state)s cannot be changed.",
                             state=STATE_NAMES[rnd.state]))
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("The cost needs a name."), field="name")
    if amount < 0:
        raise DomainError(_l("The amount cannot be negative."), field="amount")
    if rule not in COST_RULES:
        raise DomainError(_l("Unknown rule."), field="rule")
    if supplier_id is not None and session.scalar(select(Supplier.id).where(
            Supplier.id == supplier_id, Supplier.group_id == rnd.group_id)) is None:
        raise DomainError(_l("Unknown supplier."), field="supplier")
    cost = SharedCost(round=rnd, name=name[:160], amount=amount, rule=rule,
                      supplier_id=supplier_id, idempotency_key=idempotency_key)
    session.add(cost)
    session.flush()
    return cost


def _lock_round(session: Session, rnd: Round) -> None:
    """The round's row lock, held to the end of the transaction, and its state
    and costs read again under it: what a member pays is decided by them."""
    session.execute(select(Round.id).where(Round.id == rnd.id).with_for_update())
    session.refresh(rnd, ["state", "shared_costs"])


def remove_shared_cost(session: Session, rnd: Round, cost_id: int) -> None:
    """Under the round's lock: ten removals at once remove it once, the others
    are told it is not there."""
    _lock_round(session, rnd)
    if rnd.state not in domain.COST_EDITABLE_STATES:
        raise DomainError(_l("A round that is %(state)s cannot be changed.",
                             state=STATE_NAMES[rnd.state]))
    cost = next((c for c in rnd.shared_costs if c.id == cost_id), None)
    if cost is None:
        raise DomainError(_l("There is no such cost in this round."))
    if cost.quote_id is not None:  # the supplier charges it: the books would not
        raise DomainError(_l(
            "This is the delivery fee of the quote awarded to %(supplier)s: the supplier "
            "charges it and the purchase order says so, so the members share it. It cannot "
            "be removed.", supplier=cost.supplier.name if cost.supplier else cost.name))
    rnd.shared_costs.remove(cost)
    session.flush()


# --------------------------------------------------------------------------
# Orders
# --------------------------------------------------------------------------


def order_of(session: Session, rnd: Round, membership: Membership) -> dict[int, Request]:
    return {r.round_item_id: r for r in session.scalars(
        _built.order(), {"round_id": rnd.id, "membership_id": membership.id})}


def order_history(session: Session, rnd: Round, membership: Membership
                  ) -> list[tuple[RequestChange, str, str, str]]:
    """Every change of her order: (change, product name, who made it, the
    product's unit), newest first."""
    rows = session.execute(
        select(RequestChange, Product.name, User.name, Product.unit)
        .join(RoundItem, RoundItem.id == RequestChange.round_item_id)
        .join(Product, Product.id == RoundItem.product_id)
        .outerjoin(User, User.id == RequestChange.changed_by_id)
        .where(RequestChange.round_id == rnd.id, RequestChange.membership_id == membership.id)
        .order_by(RequestChange.id.desc()))
    return [(change, product, who or "", unit) for change, product, who, unit in rows]


@dataclass(frozen=True)
class ItemTerms:
    """What an order line of a round item is checked against."""

    id: int  # the round item
    granularity: int
    unit: str
    product: str  # its name

    @classmethod
    def of(cls, item: RoundItem) -> ItemTerms:
        product = item.product
        return cls(item.id, product.granularity, product.unit, product.name)


@dataclass
class LockedOrder:
    """What a member's order is checked against and written over, read under
    the lock on her membership (lock_order)."""

    round_id: int
    membership_id: int
    terms: dict[int, ItemTerms]  # {round item: its terms}, in the round's order
    existing: dict[int, tuple[int, int, int]]  # her lines: {round item: (id, quantity, tolerance)}


def lock_order(session: Session, rnd: Round, membership: Membership) -> LockedOrder:
    """Locks her membership's row (to the commit), then reads the round's
    state, its products' terms and her lines in one statement: two tabs of
    hers sending at once are checked one after the other, each against her
    lines as the other left them, and against her credit limit. save_order
    takes the lock itself unless given what this read; a caller that checks
    the lines first (the order form, to mark each wrong one) reads the terms
    here instead of apart. The round's state read is set on `rnd`. No round:
    DomainError."""
    session.flush()  # (the statements below go past the ORM: what it holds, written first)
    _lock_member(session, membership)
    rows = session.connection().execute(_built.locked_order(), {
        "round_id": rnd.id, "membership_id": membership.id}).all()
    if not rows:
        raise not_open_for_orders()
    terms, existing = {}, {}
    for _state, item_id, granularity, unit, name, request_id, quantity, tolerance in rows:
        if item_id is not None:
            terms[item_id] = ItemTerms(item_id, granularity, unit, name)
            if request_id is not None:
                existing[item_id] = (request_id, quantity, tolerance)
    set_committed_value(rnd, "state", rows[0][0])
    return LockedOrder(rnd.id, membership.id, terms, existing)


def not_open_for_orders() -> DomainError:
    return DomainError(_l("This round is not open for orders."))


class _built:
    """The statements that an order and the round's pages run every time,
    built once: building one costs more than running it."""

    @staticmethod
    @cache
    def round_alone() -> Select:
        return select(Round).where(Round.id == bindparam("round_id"),
                                   Round.group_id == bindparam("group_id"))

    @staticmethod
    @cache
    def suppliers() -> Select:
        supplier_of = func.coalesce(RoundItem.awarded_supplier_id, Product.supplier_id)
        return (select(Supplier.id, Supplier.name, func.min(RoundItem.id))
                .select_from(RoundItem).join(Product, Product.id == RoundItem.product_id)
                .join(Supplier, Supplier.id == supplier_of)
                .where(RoundItem.round_id == bindparam("round_id"))
                .group_by(Supplier.id, Supplier.name).order_by(func.min(RoundItem.id)))

    @staticmethod
    @cache
    def history() -> Select:
        return (select(RoundEvent, User.name).outerjoin(User, User.id == RoundEvent.actor_id)
                .where(RoundEvent.round_id == bindparam("round_id")).order_by(RoundEvent.id))

    @staticmethod
    @cache
    def order() -> Select:
        return select(Request).where(Request.round_id == bindparam("round_id"),
                                     Request.membership_id == bindparam("membership_id"))

    @staticmethod
    @cache
    def locked_order() -> Select:
        """The round's state beside each of its products' terms and her line
        of it (one row without a product if it has none)."""
        return (select(Round.state, RoundItem.id, Product.granularity, Product.unit,
                       Product.name, Request.id, Request.quantity, Request.tolerance)
                .select_from(Round)
                .outerjoin(RoundItem, RoundItem.round_id == Round.id)
                .outerjoin(Product, Product.id == RoundItem.product_id)
                .outerjoin(Request, and_(Request.round_id == Round.id,  # (its index's order)
                                         Request.membership_id == bindparam("membership_id"),
                                         Request.round_item_id == RoundItem.id))
                .where(Round.id == bindparam("round_id"))
                .order_by(RoundItem.position, RoundItem.id))

    @staticmethod
    @cache
    def remove_lines() -> Delete:
        table = Request.__table__
        return delete(table).where(table.c.id == bindparam("b_id"))

    @staticmethod
    @cache
    def update_line() -> Update:
        table = Request.__table__
        return update(table).where(table.c.id == bindparam("b_id")).values(
            quantity=bindparam("b_quantity"), tolerance=bindparam("b_tolerance"),
            updated_at=bindparam("b_at"), updated_by_id=bindparam("b_by"))

    @staticmethod
    @cache
    def add_line() -> Insert:
        return insert(Request.__table__)

    @staticmethod
    @cache
    def line_history() -> Insert:
        return insert(RequestChange.__table__)

    @staticmethod
    @cache
    def lock_member() -> Update:
        table = Membership.__table__
        return (update(table).where(table.c.id == bindparam("membership_id"))
                .values(order_lock=table.c.order_lock + 1))


def save_order(session: Session, rnd: Round, membership: Membership,
               lines: Mapping[int, tuple[int, int]], actor: User, *,
               as_treasurer: bool, locked: LockedOrder | None = None) -> int:
    """Set a member's order: {round_item_id: (quantity, tolerance)} in thousandths.

    All lines or none. Returns how many lines changed. Her membership's row is
    locked first (lock_order; `locked`: what the caller read with the lock in
    this transaction), so that two tabs submitting at once are checked one
    after the other against her credit limit. The round's state is checked
    again under the round's own row lock, where the round's token moves: a
    close that commits while her lines are written refuses them.

    The lines are written as rows, not objects (a 50-line order as ORM objects
    cost more than the rest of saving it): the lines changed are told to the
    split's change record here (order_lines_changed), as the flush
    would have told them, and any of her lines this session had loaded are
    let go, so that whoever reads them next reads them as written."""
    if locked is None:
        locked = lock_order(session, rnd, membership)
    elif (locked.round_id, locked.membership_id) != (rnd.id, membership.id):
        raise ValueError("save_order: `locked` was read for another order")
    if rnd.state != domain.OPEN:  # (as lock_order read it)
        raise not_open_for_orders()
    if rnd.deadline and utcnow() > rnd.deadline and not as_treasurer:
        raise DomainError(_l("The deadline for orders has passed. Ask your treasurer."))
    if not membership.active or membership.group_id != rnd.group_id:
        raise DomainError(_l("Only active members of the group can order."))
    items, existing = locked.terms, locked.existing
    written = _Written()
    for item_id, (quantity, tolerance) in lines.items():
        item = items.get(item_id)
        if item is None:
            raise DomainError(_l("This product is not on offer in this round."))
        _check_quantities(item, quantity, tolerance)
        written.line(item_id, existing.get(item_id), quantity, tolerance)
    if written.changes:
        written.write(session, rnd, membership, actor)
    session.flush()
    _check_credit(session, membership)
    return len(written.changes)


@dataclass
class _Written:
    """An order's changed lines, as rows to write."""

    changes: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    added: list[tuple[int, int, int]] = field(default_factory=list)
    updated: list[tuple[int, int, int]] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def line(self, item_id: int, found: tuple[int, int, int] | None, quantity: int,
             tolerance: int) -> None:
        """Her line of `item_id` as it is (`found`: its row's id, quantity and
        tolerance; None if she has none) and as she now asks it."""
        request_id, old_q, old_t = found if found is not None else (None, 0, 0)
        if (old_q, old_t) == (quantity, tolerance):
            return
        self.changes.append((item_id, old_q, old_t, quantity, tolerance))
        if request_id is None:
            self.added.append((item_id, quantity, tolerance))
        elif quantity == 0 and tolerance == 0:
            self.removed.append(request_id)
        else:
            self.updated.append((request_id, quantity, tolerance))

    def write(self, session: Session, rnd: Round, membership: Membership, actor: User) -> None:
        conn = session.connection()
        now = utcnow()
        if self.removed:
            conn.execute(_built.remove_lines(), [{"b_id": i} for i in self.removed])
        if self.updated:
            conn.execute(_built.update_line(), [
                {"b_id": i, "b_quantity": q, "b_tolerance": t, "b_at": now, "b_by": actor.id}
                for i, q, t in self.updated])
        if self.added:
            conn.execute(_built.add_line(), [
                {"round_id": rnd.id, "round_item_id": item_id, "membership_id": membership.id,
                 "quantity": q, "tolerance": t, "updated_at": now, "updated_by_id": actor.id}
                for item_id, q, t in self.added])
        conn.execute(_built.line_history(), [
            {"round_id": rnd.id, "round_item_id": item_id, "membership_id": membership.id,
             "old_quantity": old_q, "old_tolerance": old_t, "new_quantity": q,
             "new_tolerance": t, "changed_by_id": actor.id, "changed_at": now}
            for item_id, old_q, old_t, q, t in self.changes])
        # (read from what each has loaded: an expired one reads the row anew
        # when it is next used, and one whose row is gone must not be read here)
        for loaded in [obj for obj in session.identity_map.values()
                       if isinstance(obj, Request)
                       and (obj.__dict__.get("round_id"), obj.__dict__.get("membership_id"))
                       == (rnd.id, membership.id)]:
            session.expunge(loaded)
        state = order_lines_changed(session, rnd.id, {
            (membership.id, item_id): (q, t) for item_id, _, _, q, t in self.changes})
        if state != domain.OPEN:  # moved (closed) while her lines were written: too late
            raise not_open_for_orders()


def order_line_errors(terms: Mapping[int, ItemTerms], lines: Mapping[int, tuple[int, int]]
                      ) -> dict[int, DomainError]:
    """What is wrong with each line of an order as typed (a step, a negative,
    a tolerance alone), every line at once, so that the form can mark them
    all; save_order checks them again."""
    errors: dict[int, DomainError] = {}
    for item_id, (quantity, tolerance) in lines.items():
        item = terms.get(item_id)
        if item is None:
            continue
        try:
            _check_quantities(item, quantity, tolerance)
        except DomainError as exc:
            errors[item_id] = exc
    return errors


def _check_quantities(item: ItemTerms, quantity: int, tolerance: int) -> None:
    step = item.granularity
    for value, field_name in ((quantity, "quantity"), (tolerance, "tolerance")):
        if value < 0:
            raise DomainError(_l("%(product)s: a quantity cannot be negative.",
                                 product=item.product) if field_name == "quantity" else
                              _l("%(product)s: a tolerance cannot be negative.",
                                 product=item.product), field=f"{field_name}_{item.id}")
        if not domain.is_multiple(value, step):
            if unit_text.is_other(item.unit):  # no grammar: the unit apart
                raise DomainError(
                    _l("%(product)s (unit: %(unit)s): order in steps of %(step)s "
                       "(%(value)s is not).", product=item.product, unit=item.unit,
                       step=local_qty(step), value=local_qty(value)),
                    field=f"{field_name}_{item.id}")
            raise DomainError(
                _l("%(product)s: order in steps of %(step)s (%(value)s is not).",
                   product=item.product, step=unit_text.quantity(step, item.unit),
                   value=local_qty(value)), field=f"{field_name}_{item.id}")
    if tolerance and not quantity:
        raise DomainError(_l("%(product)s: a tolerance needs a firm quantity too.",
                             product=item.product), field=f"tolerance_{item.id}")


def _apply_line(session: Session, rnd: Round, membership: Membership, item_id: int,
                request: Request | None, quantity: int, tolerance: int, actor: User) -> int:
    """One order line set through objects, with its history row (a survey
    made a round this way; save_order writes a whole order as rows)."""
    old_q, old_t = (request.quantity, request.tolerance) if request else (0, 0)
    if (old_q, old_t) == (quantity, tolerance):
        return 0
    session.add(RequestChange(round_id=rnd.id, round_item_id=item_id,
                              membership_id=membership.id, old_quantity=old_q,
                              old_tolerance=old_t, new_quantity=quantity,
                              new_tolerance=tolerance, changed_by_id=actor.id))
    if request is None:
        session.add(Request(round_id=rnd.id, round_item_id=item_id, membership_id=membership.id,
                            quantity=quantity, tolerance=tolerance, updated_by_id=actor.id))
    elif quantity == 0 and tolerance == 0:
        session.delete(request)
    else:
        request.quantity, request.tolerance = quantity, tolerance
        request.updated_at, request.updated_by_id = utcnow(), actor.id
    return 1


def _lock_member(session: Session, membership: Membership) -> None:
    # (on the table, not the ORM: no loaded object reads the counter)
    session.connection().execute(_built.lock_member(), {"membership_id": membership.id})


def order_exposure(session: Session, membership: Membership) -> int:
    """What her orders in rounds not yet settled could cost at most (minor
    units): firm plus tolerance at the base (quantity 0) price of each product."""
    group = membership.group
    rows = session.execute(
        select(Request.quantity, Request.tolerance, PriceTier.unit_price)
        .join(RoundItem, RoundItem.id == Request.round_item_id)
        .join(Round, Round.id == Request.round_id)
        .join(PriceTier, (PriceTier.product_id == RoundItem.product_id) & (PriceTier.min_qty == 0))
        .where(Request.membership_id == membership.id,
               Round.state.in_(domain.COMMITTED_STATES)))
    return sum(line_amount(q + t, price, group.currency) for q, t, price in rows)


def _check_credit(session: Session, membership: Membership) -> None:
    limit = membership.group.credit_limit
    if limit is None:
        return
    exposure = order_exposure(session, membership)
    available = ledger.member_balance(session, membership) + limit
    if exposure > available:
        currency = membership.group.currency
        raise DomainError(_l(
            "This order could cost up to %(exposure)s, but the group's credit limit "
            "leaves %(available)s for %(name)s. Order less, or pay first.",
            exposure=money.LocalMoney(exposure, currency),
            available=money.LocalMoney(max(available, 0), currency),
            name=membership.user.name))


# --------------------------------------------------------------------------
# Demand, packs and the split
# --------------------------------------------------------------------------


def item_terms(item: RoundItem) -> tuple[int, int, list[tuple[int, int]]]:
    """(supplier id, pack size, [(min_qty, unit_price)]): frozen once awarded."""
    if item.awarded_supplier_id is not None and item.awarded_pack_size is not None:
        return (item.awarded_supplier_id, item.awarded_pack_size,
                [(t.min_qty, t.unit_price) for t in item.awarded_tiers])
    product = item.product
    return (product.supplier_id, product.pack_size,
            [(t.min_qty, t.unit_price) for t in product.price_tiers])


def item_article_code(item: RoundItem) -> str:
    """The article code of the supplier the item is bought from: hers, frozen
    at the award (never the catalog supplier's code on another's order)."""
    if item.awarded_supplier_id is None or item.awarded_article_code is not None:
        return (item.awarded_article_code if item.awarded_supplier_id is not None
                else item.product.article_code) or ""
    return (item.product.article_code or "") \
        if item.awarded_supplier_id == item.product.supplier_id else ""


def round_demand(session: Session, rnd: Round) -> dict[int, tuple[int, int]]:
    """{round_item_id: (total firm quantity, total tolerance)}."""
    rows = session.execute(
        select(Request.round_item_id, func.sum(Request.quantity), func.sum(Request.tolerance))
        .where(Request.round_id == rnd.id).group_by(Request.round_item_id))
    return {item_id: (int(q or 0), int(t or 0)) for item_id, q, t in rows}


def round_suppliers(session: Session, rnd: Round) -> list[tuple[int, str]]:
    """(id, name) of the suppliers of the round's products (the awarded ones
    once awarded, else the catalog's), in the round's order."""
    rows = session.execute(_built.suppliers(), {"round_id": rnd.id})
    return [(supplier_id, name) for supplier_id, name, _first in rows]


def summary_fills(rnd: Round, summary: facts.RoundFacts
                  ) -> list[tuple[RoundItem, domain.PackFill]]:
    """`pack_fills` from the split's summary (no need to add up the orders again)."""
    to_thousandths = 10 ** (3 - summary.qty_decimals)
    return [(item, domain.pack_fill(row.firm * to_thousandths, row.tolerance * to_thousandths,
                                    row.pack_size * to_thousandths))
            for item, row in zip(rnd.items, summary.products, strict=True)]


def pack_fills(session: Session, rnd: Round) -> list[tuple[RoundItem, domain.PackFill]]:
    demand = round_demand(session, rnd)
    fills = []
    for item in rnd.items:
        firm, tolerance = demand.get(item.id, (0, 0))
        fills.append((item, domain.pack_fill(firm, tolerance, item_terms(item)[1])))
    return fills


@dataclass
class RoundSplit:
    """The engine's result for a round, with what the pages need around it."""

    scenario: dict[str, Any]
    outcome: split.SplitOutcome
    items: dict[str, RoundItem]  # scenario product id -> round item
    member_index: dict[int, int] = field(default_factory=dict)  # membership id -> index
    session: Session | None = field(default=None, repr=False)
    lines_token: int | None = None  # the round's change token the lines were read at

    @cached_property
    def result(self) -> dict[str, Any]:
        """The contract's result JSON (made when first asked for: the split
        cache reads the outcome, and a large round's JSON takes a while)."""
        return split.to_result(self.outcome)

    @cached_property
    def members(self) -> dict[str, Membership]:
        """Scenario member id -> membership (loaded when first asked for)."""
        assert self.session is not None
        ids = [int(m.id) for m in self.outcome.members]
        found = {str(m.id): m for m in self.session.scalars(
            select(Membership).where(Membership.id.in_(ids))
            .options(joinedload(Membership.user)))} if ids else {}
        return found

    def member_result(self, membership_id: int) -> dict[str, Any] | None:
        index = self.member_index.get(membership_id)
        return None if index is None else self.result["members"][index]


@dataclass(frozen=True, slots=True)
class RequestLine:
    membership_id: int
    round_item_id: int
    quantity: int
    tolerance: int


def round_requests(session: Session, rnd: Round) -> list[RequestLine]:
    """The round's order lines as plain rows (a large round has 50,000 of them:
    ORM objects would cost ten times more to load)."""
    return round_requests_at(session, rnd)[1]


def round_requests_at(session: Session, rnd: Round) -> tuple[int | None, list[RequestLine]]:
    """The round's order lines and the change token they are the lines of:
    both read by one statement, so in one snapshot of the database even while
    orders come in (None if the round has no line)."""
    token = select(Round.change_token).where(Round.id == rnd.id).scalar_subquery()
    rows = session.execute(
        select(Request.membership_id, Request.round_item_id, Request.quantity,
               Request.tolerance, token)
        .where(Request.round_id == rnd.id)
        .order_by(Request.membership_id, Request.round_item_id)).all()
    return (rows[0][4] if rows else None), [RequestLine(*row[:4]) for row in rows]


def not_ordered(session: Session, rnd: Round) -> list[str]:
    """The names of the group's active members with nothing ordered in the
    round, by name: asked about before orders are closed."""
    ordered = select(Request.membership_id).where(Request.round_id == rnd.id,
                                                  Request.quantity > 0)
    return list(session.scalars(
        select(User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == rnd.group_id, Membership.active.is_(True),
               Membership.id.not_in(ordered))
        .order_by(User.name, Membership.id)))


def member_names(session: Session, membership_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(membership_ids))
    names: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        names.update(session.execute(
            select(Membership.id, User.name).join(User, User.id == Membership.user_id)
            .where(Membership.id.in_(ids[start:start + 5000]))).all())
    return names


def build_scenario(session: Session, rnd: Round, requests: list[RequestLine],
                   delivery: Mapping[int, tuple[int, int]] | None = None,
                   credits: Mapping[int, int] | None = None) -> dict[str, Any]:
    """The split contract's scenario JSON for this round (spec/split.md).

    Members in the order they joined the group (the tie-break order); products
    in the round's order; `delivery` gives {round_item_id: (received, damaged)},
    `credits` {round_item_id: supplier credit note, minor units} (an extension
    of the contract, see split.parse_scenario)."""
    names = member_names(session, (r.membership_id for r in requests))
    products = []
    for item in rnd.items:
        supplier_id, pack_size, tiers = item_terms(item)
        product = item.product
        entry: dict[str, Any] = {
            "id": str(item.id), "name": product.name, "unit": product.unit,
            "supplier": str(supplier_id), "pack_size": qty_str(pack_size),
            "granularity": qty_str(product.granularity),
            "weight_kg": weight_str(product.weight_grams),
            "price_tiers": [{"min_qty": qty_str(q), "unit_price": price_str(p)}
                            for q, p in tiers],
        }
        if product.retail_price is not None:
            entry["retail_price"] = price_str(product.retail_price)
        if delivery and item.id in delivery:
            received, damaged = delivery[item.id]
            entry["received"], entry["damaged"] = qty_str(received), qty_str(damaged)
        if credits and credits.get(item.id):
            entry["credit"] = money.to_string(credits[item.id], rnd.group.currency)
        products.append(entry)
    digits = money.minor_digits(rnd.group.currency)
    quantity_text = lru_cache(maxsize=4096)(qty_str)  # 50,000 lines, few distinct values
    scenario: dict[str, Any] = {
        "currency": rnd.group.currency,
        "members": [{"id": str(mid), "name": names[mid]} for mid in sorted(names)],
        "products": products,
        "requests": [{"member": str(r.membership_id), "product": str(r.round_item_id),
                      "quantity": quantity_text(r.quantity),
                      "tolerance": quantity_text(r.tolerance)}
                     for r in requests if r.quantity or r.tolerance],
        "shared_costs": [
            {"name": c.name, "amount": money.to_string(c.amount, rnd.group.currency),
             "rule": c.rule, **({"supplier": str(c.supplier_id)} if c.supplier_id else {})}
            for c in rnd.shared_costs],
        "loss_policy": rnd.loss_policy,
        "fund_levy_percent": format(rnd.levy_basis_points / money.Decimal(100), "f"),
    }
    if rnd.cash_rounding:
        step = money.to_decimal(rnd.cash_rounding, rnd.group.currency)
        scenario["cash_rounding"] = f"{step:.{digits}f}"
    return scenario


def compute_split(session: Session, rnd: Round, *,
                  extra_delivery: Mapping[int, tuple[int, int]] | None = None,
                  as_ordered: bool = False, as_confirmed: bool = False) -> RoundSplit:
    """The round's split as it stands: as ordered until goods arrive, then with
    the deliveries and credit notes recorded (plus `extra_delivery`, a batch
    not yet saved, for the preview; `as_confirmed`: as it will be once the
    delivery is confirmed, what is not recorded counting as short); a settled
    round's split as it was settled.
    Pages read it through coop.orders.cache, which computes it once per change."""
    settlement = None if as_ordered else session.scalar(
        select(Settlement).where(Settlement.round_id == rnd.id))
    lines_token = None
    if settlement is not None:
        scenario = json.loads(settlement.scenario_json)
    else:
        lines_token, requests = round_requests_at(session, rnd)
        if as_ordered:
            scenario = build_scenario(session, rnd, requests)
        else:
            scenario = build_scenario(session, rnd, requests,
                                      effective_delivery(session, rnd, extra_delivery,
                                                         as_confirmed=as_confirmed),
                                      credit_totals(session, rnd))
    try:
        outcome = split.run(split.parse_scenario(scenario, extensions=True))
    except split.ScenarioError as exc:
        raise unsplittable(scenario, exc) from exc
    items = {str(item.id): item for item in rnd.items}
    index = {int(m.id): i for i, m in enumerate(outcome.members)}
    return RoundSplit(scenario=scenario, outcome=outcome, items=items,
                      member_index=index, session=session, lines_token=lines_token)


_SCENARIO_FIELD = re.compile(r"(requests|products)\[(\d+)\]\.(\w+)$")


def unsplittable(scenario: Mapping[str, Any], exc: split.ScenarioError) -> DomainError:
    """The engine's complaint (English, a JSON path) as a treasurer reads it:
    the rounds build their scenarios themselves, so a fault there is a quantity
    off the product's step (a step changed in the catalog), or the data of
    the round is at odds with itself."""
    logger.warning("round scenario refused by the split engine: %s", exc)
    found = _SCENARIO_FIELD.match(exc.field)
    if found and "multiple" in exc.message:
        kind, index, _key = found.groups()
        try:
            entry = scenario[kind][int(index)]
            products = {p["id"]: p for p in scenario["products"]}
            product = products[entry["product"] if kind == "requests" else entry["id"]]
            step = unit_text.quantity(parse_quantity(product["granularity"]),
                                      product["unit"])
        except (KeyError, IndexError, TypeError, ValueError):
            pass
        else:
            if kind == "requests":
                members = {m["id"]: m["name"] for m in scenario["members"]}
                return DomainError(_l(
                    "The round cannot be split: the order of %(member)s for %(product)s is "
                    "not a multiple of the product's step, %(step)s. Set the step back in "
                    "the catalog.", member=members.get(entry["member"], "?"),
                    product=product["name"], step=step))
            return DomainError(_l(
                "The round cannot be split: the pack size or the quantity received of "
                "%(product)s is not a multiple of the product's step, %(step)s. Set the "
                "step back in the catalog.", product=product["name"], step=step))
    return DomainError(_l("The round cannot be split: its figures do not fit together. "
                          "Ask the platform administrator for help."))


# --------------------------------------------------------------------------
# Delivery (awarded -> received) and settlement (received -> settled)
# --------------------------------------------------------------------------


def delivery_totals(session: Session, rnd: Round) -> dict[int, tuple[int, int]]:
    """{round_item_id: (received, damaged)}: all deliveries added up."""
    rows = session.execute(
        select(Delivery.round_item_id, func.sum(Delivery.received), func.sum(Delivery.damaged))
        .where(Delivery.round_id == rnd.id).group_by(Delivery.round_item_id))
    return {item_id: (int(r or 0), int(d or 0)) for item_id, r, d in rows}


def recent_delivery(session: Session, rnd: Round, lines: Mapping[int, tuple[int, int]]
                    ) -> tuple[datetime, list[int]] | None:
    """When a form recorded a line just like one of these ({round_item_id:
    (received, damaged)}) in the last 24 h, and which round items: the form
    sent again through Back, with a new key (and a line added, or not), is
    asked about before it adds up twice. None if no line was."""
    from coop.ledger.services import RECENT

    wanted = {(item_id, *line) for item_id, line in lines.items() if any(line)}
    same: dict[int, datetime] = {}
    for recorded_at, item_id, received, damaged in session.execute(
            select(Delivery.recorded_at, Delivery.round_item_id, Delivery.received,
                   Delivery.damaged)
            .where(Delivery.round_id == rnd.id, Delivery.idempotency_key.is_not(None),
                   Delivery.recorded_at >= utcnow() - RECENT)):
        if (item_id, received, damaged) in wanted:
            same[item_id] = max(recorded_at, same.get(item_id, recorded_at))
    return (max(same.values()), sorted(same)) if same else None


def over_delivery_question(session: Session, rnd: Round, lines: Mapping[int, tuple[int, int]]
                           ) -> Any:
    """What to ask before these lines make more arrive than was ordered from
    the supplier (the group pays for what arrived; what nobody asked for is a
    loss), or None."""
    over = over_delivered(session, rnd, compute_split(session, rnd, as_ordered=True), lines)
    if not over:
        return None
    shown = ", ".join(
        str(_l("%(product)s: %(received)s arrived of %(ordered)s ordered",
               product=item.product.name,
               received=unit_text.quantity(total, item.product.unit),
               ordered=unit_text.quantity(wanted, item.product.unit)))
        for item, total, wanted in over)
    return _l("With this delivery more arrived than was ordered from the supplier "
              "(%(lines)s): the group pays the supplier for what arrived, and what "
              "nobody asked for counts as a loss.", lines=shown)


def over_delivered(session: Session, rnd: Round, ordered: RoundSplit,
                   lines: Mapping[int, tuple[int, int]]) -> list[tuple[RoundItem, int, int]]:
    """The products of which more would have arrived than was ordered from
    the supplier with these lines: (item, received in all, ordered), in
    thousandths. Asked about first: the group pays for what arrived."""
    so_far = delivery_totals(session, rnd)
    wanted = ordered_quantities(ordered)
    items = {item.id: item for item in rnd.items}
    over = []
    for item_id, (received, _damaged) in lines.items():
        total = so_far.get(item_id, (0, 0))[0] + received
        if item_id in wanted and received and total > wanted[item_id]:
            over.append((items[item_id], total, wanted[item_id]))
    return over


def ordered_quantities(ordered: RoundSplit) -> dict[int, int]:
    """{round_item_id: what was ordered from the supplier, in thousandths} of
    the split as ordered (the delivery page's "Ordered")."""
    scale = 10 ** (3 - ordered.outcome.scenario.qty_decimals)
    return {ordered.items[p.id].id: result.ordered * scale for p, result in zip(
        ordered.outcome.scenario.products, ordered.outcome.products, strict=True)}


def goods_arrived(session: Session, rnd: Round) -> bool:
    """Whether the round's split counts what arrived: a delivery recorded, or
    the delivery confirmed (then the bills are no longer those of the order)."""
    return rnd.state in (domain.RECEIVED, domain.SETTLED) or bool(delivery_totals(session, rnd))


def credit_totals(session: Session, rnd: Round) -> dict[int, int]:
    rows = session.execute(
        select(CreditNote.round_item_id, func.sum(CreditNote.amount))
        .where(CreditNote.round_id == rnd.id).group_by(CreditNote.round_item_id))
    return {item_id: int(total or 0) for item_id, total in rows}


def effective_delivery(session: Session, rnd: Round,
                       extra: Mapping[int, tuple[int, int]] | None = None, *,
                       as_confirmed: bool = False) -> dict[int, tuple[int, int]]:
    """What the split counts as arrived. Before the delivery is confirmed, a
    product with nothing recorded yet is still expected in full; once it is
    confirmed (received), nothing recorded means nothing arrived."""
    totals = delivery_totals(session, rnd)
    for item_id, (received, damaged) in (extra or {}).items():
        old_r, old_d = totals.get(item_id, (0, 0))
        totals[item_id] = (old_r + received, old_d + damaged)
    if as_confirmed or rnd.state in (domain.RECEIVED, domain.SETTLED):
        for item in rnd.items:
            totals.setdefault(item.id, (0, 0))
    return totals


def check_delivery(rnd: Round, lines: Mapping[int, tuple[int, int]]) -> None:
    items = {item.id: item for item in rnd.items}
    for item_id, (received, damaged) in lines.items():
        item = items.get(item_id)
        if item is None:
            raise DomainError(_l("This product is not in this round."))
        product, field_suffix = item.product, f"_{item_id}"
        for value, name in ((received, "received"), (damaged, "damaged")):
            if value < 0:
                raise DomainError(_l("%(product)s: a quantity cannot be negative.",
                                     product=product.name), field=name + field_suffix)
            if not domain.is_multiple(value, product.granularity):
                if unit_text.is_other(product.unit):  # no grammar: the unit apart
                    raise DomainError(
                        _l("%(product)s (unit: %(unit)s): quantities come in steps of "
                           "%(step)s.", product=product.name, unit=product.unit,
                           step=local_qty(product.granularity)), field=name + field_suffix)
                raise DomainError(
                    _l("%(product)s: quantities come in steps of %(step)s.",
                       product=product.name,
                       step=unit_text.quantity(product.granularity, product.unit)),
                    field=name + field_suffix)
        if damaged > received:
            raise DomainError(_l("%(product)s: more damaged than received.",
                                 product=product.name), field="damaged" + field_suffix)


def record_delivery(session: Session, rnd: Round, lines: Mapping[int, tuple[int, int]], *,
                    actor: User, delivered_on: date | None = None, note: str = "",
                    idempotency_key: str | None = None, beyond_ordered: bool = False) -> int:
    """Record what arrived today: {round_item_id: (received, damaged)}. Returns
    how many products it adds to; deliveries over several days add up, but the
    same form (or API request with its key) sent twice adds once: 0 then.
    More arriving than was ordered from the supplier is asked first (AskFirst)
    and recorded only with `beyond_ordered`: checked under the round's lock,
    so two deliveries sent at the same moment are added up one after the other."""
    _lock_round(session, rnd)
    if idempotency_key and delivery_by_key(session, rnd, idempotency_key):
        return 0
    if rnd.state != domain.AWARDED:
        raise DomainError(_l("Deliveries are recorded after the award and before the "
                             "delivery is confirmed."))
    read_products_again(session, rnd)
    check_delivery(rnd, lines)
    check_happened(delivered_on, "delivered_on")  # (found on a walk: 2099)
    question = None if beyond_ordered else over_delivery_question(session, rnd, lines)
    if question is not None:
        raise AskFirst(question, confirm="beyond_ordered")
    added = 0
    for item_id, (received, damaged) in lines.items():
        if received or damaged:
            session.add(Delivery(round_id=rnd.id, round_item_id=item_id, received=received,
                                 damaged=damaged, delivered_on=delivered_on,
                                 note=note.strip()[:300], recorded_by_id=actor.id,
                                 idempotency_key=idempotency_key))
            added += 1
    if not added:
        raise DomainError(_l("Enter what arrived for at least one product."))
    session.flush()
    return added


def shared_cost_by_key(session: Session, rnd: Round, key: str | None) -> SharedCost | None:
    """The cost an earlier sending of the same form added, if any."""
    if not key:
        return None
    return session.scalar(select(SharedCost).where(SharedCost.round_id == rnd.id,
                                                   SharedCost.idempotency_key == key))


def credit_note_by_key(session: Session, rnd: Round, key: str | None) -> CreditNote | None:
    """The credit an earlier sending of the same form recorded, if any."""
    if not key:
        return None
    return session.scalar(select(CreditNote).where(CreditNote.round_id == rnd.id,
                                                   CreditNote.idempotency_key == key))


def same_shared_cost(session: Session, rnd: Round, *, name: str, amount: int, rule: str,
                     supplier_id: int | None) -> SharedCost | None:
    """A cost of the round just like this one (name, amount, rule, whose
    goods): the form sent again through Back, with a new key, is asked about
    before the members pay it twice."""
    return session.scalar(select(SharedCost).where(
        SharedCost.round_id == rnd.id, SharedCost.name == (name or "").strip(),
        SharedCost.amount == amount, SharedCost.rule == rule,
        SharedCost.supplier_id.is_(None) if supplier_id is None
        else SharedCost.supplier_id == supplier_id).limit(1))


def recent_credit_note(session: Session, rnd: Round, *, item_id: int | None, amount: int
                       ) -> CreditNote | None:
    """The latest credit note of the last 24 h for the same product and amount."""
    from coop.ledger.services import RECENT

    return session.scalar(select(CreditNote).where(
        CreditNote.round_id == rnd.id, CreditNote.round_item_id == item_id,
        CreditNote.amount == amount, CreditNote.recorded_at >= utcnow() - RECENT)
        .order_by(CreditNote.id.desc()).limit(1))


def delivery_by_key(session: Session, rnd: Round, key: str) -> bool:
    """Whether a delivery was recorded with this form's key."""
    return session.scalar(select(Delivery.id).where(
        Delivery.round_id == rnd.id, Delivery.idempotency_key == key).limit(1)) is not None


def record_credit_note(session: Session, rnd: Round, item_id: int, *, amount: int,
                       note: str, actor: User, idempotency_key: str | None = None
                       ) -> CreditNote:
    """A supplier's credit for damaged goods; it lowers the product's bill and
    loss, and may not exceed the loss. The round is locked while the loss is
    checked (two credits at once cannot exceed it); the same form sent twice
    finds the first credit by its key."""
    earlier = credit_note_by_key(session, rnd, idempotency_key)
    if earlier is not None:
        return earlier
    session.execute(select(Round.id).where(Round.id == rnd.id).with_for_update())
    session.refresh(rnd, ["state"])
    if rnd.state not in (domain.AWARDED, domain.RECEIVED):
        raise DomainError(_l("Credit notes are recorded between the award and the "
                             "settlement."))
    if item_id not in {item.id for item in rnd.items}:
        raise DomainError(_l("This product is not in this round."), field="product")
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    loss = next(p.loss for p in compute_split(session, rnd).outcome.products
                if p.id == str(item_id))
    if amount > loss:
        currency = rnd.group.currency
        raise DomainError(_l("The credit, %(amount)s, is more than what is still lost on "
                             "this product, %(loss)s.", amount=money.LocalMoney(amount, currency),
                             loss=money.LocalMoney(loss, currency)), field="amount")
    credit = CreditNote(round_id=rnd.id, round_item_id=item_id, amount=amount,
                        note=note.strip()[:300], recorded_by_id=actor.id,
                        idempotency_key=idempotency_key)
    session.add(credit)
    session.flush()
    return credit


@dataclass
class MemberChange:
    name: str
    membership_id: int
    lines: list[tuple[str, str, str, str]]  # product, unit, before, after
    before: int  # total, minor units
    after: int

    @property
    def difference(self) -> int:
        return self.after - self.before


def delivery_changes(before: RoundSplit, after: RoundSplit) -> list[MemberChange]:
    """For each member, what changes between two splits of the round
    ("Aigul: 13 → 11 sachets, −84 som")."""
    changes = []
    for member_before in before.result["members"]:
        member_after = after.result["members"][after.member_index[int(member_before["id"])]]
        lines = []
        units = {p["id"]: p.get("unit", "") for p in before.scenario["products"]}
        names = {p["id"]: p.get("name", p["id"]) for p in before.scenario["products"]}
        for line_before, line_after in zip(member_before["lines"], member_after["lines"],
                                           strict=True):
            if line_before["allocated"] != line_after["allocated"]:
                pid = line_before["product"]
                lines.append((names[pid], units[pid], line_before["allocated"],
                              line_after["allocated"]))
        currency = before.scenario["currency"]
        total_before = money.parse_amount(member_before["total"], currency, allow_negative=True)
        total_after = money.parse_amount(member_after["total"], currency, allow_negative=True)
        if lines or total_before != total_after:
            membership = before.members[member_before["id"]]
            changes.append(MemberChange(membership.user.name, membership.id, lines,
                                        total_before, total_after))
    return changes


MISSING_SHORT, REST_ARRIVED = "short", "arrived"
CONFIRM_WAYS = (MISSING_SHORT, REST_ARRIVED)


def rest_of_delivery(session: Session, rnd: Round) -> dict[int, tuple[int, int]]:
    """{round_item_id: (quantity, 0)}: what was ordered from the supplier and is
    not recorded as arrived yet, product by product (none damaged)."""
    totals = delivery_totals(session, rnd)
    rest = {}
    for item, fill in pack_fills(session, rnd):
        missing = fill.packs * fill.pack_size - totals.get(item.id, (0, 0))[0]
        if missing > 0:
            rest[item.id] = (missing, 0)
    return rest


def confirmed_split(session: Session, rnd: Round, way: str) -> RoundSplit:
    """The split as confirming the delivery `way` will make it: with the rest
    arrived in full, or with what is not recorded counted as short."""
    if way == REST_ARRIVED:
        return compute_split(session, rnd, extra_delivery=rest_of_delivery(session, rnd),
                             as_confirmed=True)
    return compute_split(session, rnd, as_confirmed=True)


def confirm_delivery(session: Session, rnd: Round, actor: User, *,
                     way: str = MISSING_SHORT) -> None:
    """All that will arrive has arrived (awarded -> received). `way`: what is
    not recorded yet is short (MISSING_SHORT: it never came; nothing recorded
    at all means nothing came), or it came in full (REST_ARRIVED: recorded
    now as arrived, undamaged). The move is the conditional UPDATE of
    move_round: of two requests at once, one confirms, the other is refused
    and records nothing."""
    if way not in CONFIRM_WAYS:
        raise DomainError(_l("Say whether the rest came or is missing."))
    rest = rest_of_delivery(session, rnd) if way == REST_ARRIVED else {}
    move_round(session, rnd, actor, domain.RECEIVED)
    for item_id, (received, damaged) in rest.items():
        session.add(Delivery(round_id=rnd.id, round_item_id=item_id, received=received,
                             damaged=damaged, delivered_on=None, note="",
                             recorded_by_id=actor.id))
    session.flush()


def settle_round(session: Session, rnd: Round, actor: User) -> RoundSplit:
    """Post every member's bill, the levy, the rounding and what the fund pays,
    in this one transaction; the round becomes read-only. Twice is impossible:
    the state move is conditional, and a round has one settlement."""
    move_round(session, rnd, actor, domain.SETTLED)
    round_split = compute_split(session, rnd)
    session.add(Settlement(round_id=rnd.id, scenario_json=json.dumps(round_split.scenario),
                           result_json=json.dumps(round_split.result),
                           settled_by_id=actor.id))
    group = rnd.group
    accounts = ledger.group_accounts(session, group)
    memo = rnd.title
    for member in round_split.outcome.members:
        membership = round_split.members[member.id]
        account = ledger.member_account(session, membership)
        purchases = member.goods + member.losses + sum(member.shared)
        common = {"memo": memo, "actor": actor, "round_id": rnd.id,
                  "membership_id": membership.id}
        ledger.post(session, group, debit=account, credit=accounts.suppliers,
                    amount=purchases, kind="charge", **common)
        ledger.post(session, group, debit=account, credit=accounts.fund, amount=member.levy,
                    kind="levy", **common)
        ledger.post(session, group, debit=account, credit=accounts.fund,
                    amount=member.rounding, kind="rounding", **common)
    ledger.post(session, group, debit=accounts.fund, credit=accounts.suppliers,
                amount=round_split.outcome.totals.fund_covered, kind="fund_cover", memo=memo,
                actor=actor, round_id=rnd.id)
    # each awarded supplier's bill, from the purchases account to her own
    payables.post_round_bills(session, rnd, round_split.outcome, actor)
    session.flush()
    return round_split




def savings_by_round(session: Session, group: Group) -> list[tuple[str, int]]:
    """What the members saved against bazaar prices in each settled round."""
    rows = session.execute(
        select(Round.title, Settlement.result_json)
        .join(Settlement, Settlement.round_id == Round.id)
        .where(Round.group_id == group.id).order_by(Settlement.settled_at))
    saved = []
    for title, result_json in rows:
        members = json.loads(result_json)["members"]
        total = sum(money.parse_amount(m["savings"], group.currency, allow_negative=True)
                    for m in members if m.get("savings") is not None)
        saved.append((title, total))
    return saved
