"""Joint sales: lots, contributions, buyers, sales, costs, the closing and the
payouts. Functions take the session first, flush, never commit, and raise
DomainError with a message for people.

The money, in the ledger:

- a sale is paid into the group's cash: cash → the group's payables
  ("suppliers" account, which holds what the group owes to others), kind
  `sale`; until the lot closes, its net revenue is owed to its contributors;
- a sale the buyer pays later is owed by the buyers instead: the group's
  `buyers` account → payables, kind `sale_credit` (the lot's money is the
  same); each payment of it brings the money in: cash, bank or mobile ←
  buyers, kind `sale_payment`. The lot closes once no buyer owes on it;
- a cost is paid from the cash: payables → cash, kind `sale_cost`;
- closing the lot clears what it left in the payables to the members
  (payables → her account, kind `payout`; a negative payout is a debt) and to
  the fund (kind `levy`). A closed lot's postings on the payables sum to zero;
- the treasurer hands a member cash from her credit: her account → cash,
  kind `payout_cash`.

A mistaken sale or cost is cancelled by a reversal; a closed lot is read-only
and corrected only by adjustments and reversals in the accounts."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from coop import money, unit_text, units
from coop.auth.models import User
from coop.db import utcnow
from coop.errors import AskFirst, DomainError, check_happened
from coop.groups.models import Group, Membership
from coop.i18n import fmt_date, fmt_money, local_today
from coop.ledger import services as ledger
from coop.ledger.models import PAYMENT_METHODS, Posting
from coop.quantities import MAX_QTY, PRICE_SCALE, line_amount, local_qty
from coop.sales import domain
from coop.sales.models import (
    BUYER_KINDS,
    COST_KINDS,
    Buyer,
    CashPayout,
    Contribution,
    FundPayout,
    LotClosing,
    Sale,
    SaleCost,
    SaleGrade,
    SaleLine,
    SaleLot,
    SalePayment,
    SalePayout,
)
from coop.season import loans as seed_loans
from coop.season.models import SeedLoan

OPEN, CLOSED = "open", "closed"
STATE_NAMES = {OPEN: _l("collecting and selling"), CLOSED: _l("closed, payouts credited")}
# A closed lot once every cash payout it owes is recorded as handed over.
PAID_OUT_NAME = _l("closed, paid out")
BUYER_KIND_NAMES = {"shop": _l("shop"), "wholesaler": _l("wholesaler"),
                    "market": _l("market"), "exporter": _l("exporter")}
COST_KIND_NAMES = {"transport": _l("Transport"), "market_fee": _l("Market fee"),
                   "packaging": _l("Packaging"),
                   "certification": _l("Certification and standardisation fees"),
                   "other": _l("Other cost")}
RULE_NAMES = {"value": _l("by contributed value"), "quantity": _l("by quantity sold"),
              "equal": _l("in equal shares")}
UNSOLD_NAMES = {"return": _l("returned to the members"), "carry": _l("carried to a new lot")}
MAX_GRADES = 6
MAX_STEP = 1000 * 1000  # 1000 units
MAX_AMOUNT = ledger.MAX_AMOUNT


def _check_text(text: str | None, *, limit: int, field: str, required: object = None) -> str:
    text = (text or "").strip()
    if required is not None and not text:
        raise DomainError(required, field=field)
    if len(text) > limit:
        raise DomainError(_l("This is too long (at most %(n)d characters).", n=limit),
                          field=field)
    return text


def _check_open(lot: SaleLot) -> None:
    if lot.state != OPEN:
        raise DomainError(_l("This lot is closed and cannot be changed. Correct it with an "
                             "adjustment in the accounts."))


class CancelledAlready(DomainError):
    """A sale or cost cancelled already (the form sent again, a second "yes"):
    nothing is done again; the pages say so and show the lot."""


def _lock(session: Session, lot: SaleLot) -> None:
    """Serialise the changes of a lot's stock (two sales of the last jars)."""
    session.execute(update(SaleLot).where(SaleLot.id == lot.id)
                    .values(stock_lock=SaleLot.stock_lock + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(lot, ["state", "stock_lock"])


def _by_key(session: Session, lot: SaleLot, key: str | None, kind: str) -> Posting | None:
    earlier = ledger.posting_by_key(session, lot.group_id, key)
    if earlier is not None and earlier.kind != kind:
        raise DomainError(_l("The form has expired. Please reload the page and try again."))
    return earlier


def lot_title(lot: SaleLot) -> str:
    return f"{lot.product} #{lot.id}"


# --------------------------------------------------------------------------
# Lots and grades
# --------------------------------------------------------------------------


def list_lots(session: Session, group: Group) -> list[SaleLot]:
    return list(session.scalars(select(SaleLot).where(SaleLot.group_id == group.id)
                                .options(selectinload(SaleLot.grades))
                                .order_by(SaleLot.id.desc())))


def get_lot(session: Session, group: Group, lot_id: int) -> SaleLot | None:
    return session.scalar(select(SaleLot).where(SaleLot.id == lot_id,
                                                SaleLot.group_id == group.id)
                          .options(selectinload(SaleLot.grades)))


@dataclass(frozen=True)
class GradeInput:
    name: str
    factor: int  # thousandths
    id: int | None = None


def _check_grades(grades: Sequence[GradeInput]) -> list[GradeInput]:
    checked: list[GradeInput] = []
    seen: set[str] = set()
    for grade in grades:
        name = _check_text(grade.name, limit=80, field="grades")
        if not name:
            continue
        if name.casefold() in seen:
            raise DomainError(_l("Two grades are called “%(name)s”.", name=name), field="grades")
        seen.add(name.casefold())
        if not 0 < grade.factor <= domain.MAX_FACTOR:
            raise DomainError(_l("%(name)s: the price factor is a number above 0, at most "
                                 "100 (1 is full price).", name=name), field="grades")
        checked.append(GradeInput(name, grade.factor, grade.id))
    if not checked:
        raise DomainError(_l("The lot needs at least one grade (e.g. “first grade”, 1)."),
                          field="grades")
    if len(checked) > MAX_GRADES:
        raise DomainError(_l("At most %(n)d grades.", n=MAX_GRADES), field="grades")
    return checked


def _check_lot_fields(product: str, unit: str, step: int, period_from: date | None,
                      period_to: date | None, place: str, levy_basis_points: int
                      ) -> tuple[str, str, str]:
    product = _check_text(product, limit=160, field="product",
                          required=_l("Say what is sold (the product)."))
    unit = _check_text(units.normalise(unit), limit=24, field="unit",
                       required=_l("Say in what unit (kg, jar…)."))
    place = _check_text(place, limit=200, field="place")
    if not 0 < step <= MAX_STEP:
        raise DomainError(_l("The smallest quantity must be more than zero."), field="step")
    if period_from is None:
        raise DomainError(_l("When does the collection start?"), field="period_from")
    if period_to is not None and period_to < period_from:
        raise DomainError(_l("The collection cannot end before it starts."), field="period_to")
    if not 0 <= levy_basis_points <= domain.BASIS:
        raise DomainError(_l("The levy is a percentage from 0 to 100."), field="levy_percent")
    return product, unit, place


def create_lot(session: Session, group: Group, actor: User, *, product: str, unit: str,
               grades: Sequence[GradeInput], period_from: date | None,
               period_to: date | None = None, place: str = "", step: int = 1000,
               levy_basis_points: int | None = None) -> SaleLot:
    """A lot open for contributions and sales; the levy defaults to the group's."""
    levy = group.levy_basis_points if levy_basis_points is None else levy_basis_points
    product, unit, place = _check_lot_fields(product, unit, step, period_from, period_to,
                                             place, levy)
    lot = SaleLot(group_id=group.id, product=product, unit=unit, step=step,
                  period_from=period_from, period_to=period_to, place=place,
                  levy_basis_points=levy, state=OPEN, created_by_id=actor.id)
    for position, grade in enumerate(_check_grades(grades)):
        lot.grades.append(SaleGrade(name=grade.name, factor=grade.factor, position=position))
    session.add(lot)
    session.flush()
    return lot


def _used_grades(session: Session, lot: SaleLot) -> set[int]:
    used = set(session.scalars(select(Contribution.grade_id).where(Contribution.lot_id == lot.id)))
    used |= set(session.scalars(select(SaleLine.grade_id).join(Sale)
                                .where(Sale.lot_id == lot.id)))
    return used


def update_lot(session: Session, lot: SaleLot, *, product: str, unit: str,
               grades: Sequence[GradeInput], period_from: date | None, period_to: date | None,
               place: str, step: int, levy_basis_points: int) -> None:
    """Change an open lot: its details, levy and grades (a grade with
    contributions or sales stays; its name and factor may change). Under the
    lot's lock, read again: the grades decide the payouts, and two edits (or an
    edit and a contribution) at the same moment must not interleave."""
    _lock(session, lot)
    session.refresh(lot, ["grades"])
    _check_open(lot)
    product, unit, place = _check_lot_fields(product, unit, step, period_from, period_to,
                                             place, levy_basis_points)
    checked = _check_grades(grades)
    if step != lot.step:
        quantities = list(session.scalars(select(Contribution.quantity).where(
            Contribution.lot_id == lot.id))) + list(session.scalars(
                select(SaleLine.quantity).join(Sale).where(Sale.lot_id == lot.id)))
        if any(not domain.is_multiple(q, step) for q in quantities):
            raise DomainError(_l("Some quantities already recorded are not multiples of "
                                 "%(step)s.", step=local_qty(step)), field="step")
    existing = {g.id: g for g in lot.grades}
    kept = {g.id for g in checked if g.id is not None}
    if kept - set(existing):
        raise DomainError(_l("There is no such grade in this lot."), field="grades")
    used = _used_grades(session, lot)
    for grade in list(lot.grades):
        if grade.id not in kept:
            if grade.id in used:
                raise DomainError(_l("%(name)s has contributions or sales and stays in the lot.",
                                     name=grade.name), field="grades")
            lot.grades.remove(grade)
        else:
            grade.name = f"~{grade.id}"  # names may swap: free them all first
    session.flush()
    for position, grade in enumerate(checked):
        if grade.id is None:
            lot.grades.append(SaleGrade(name=grade.name, factor=grade.factor,
                                        position=position))
        else:
            row = existing[grade.id]
            row.name, row.factor, row.position = grade.name, grade.factor, position
    lot.product, lot.unit, lot.step, lot.place = product, unit, step, place
    lot.period_from, lot.period_to = period_from, period_to
    lot.levy_basis_points = levy_basis_points
    session.flush()


def grade_of(lot: SaleLot, grade_id: int | None, field: str = "grade") -> SaleGrade:
    grade = next((g for g in lot.grades if g.id == grade_id), None)
    if grade is None:
        raise DomainError(_l("There is no such grade in this lot."), field=field)
    return grade


def _check_quantity(lot: SaleLot, quantity: int, field: str, *, allow_zero: bool = False
                    ) -> None:
    if quantity < 0:
        raise DomainError(_l("A quantity cannot be negative."), field=field)
    if quantity == 0 and not allow_zero:
        raise DomainError(_l("The quantity must be more than zero."), field=field)
    if quantity > MAX_QTY:
        raise DomainError(_l("The quantity is too large."), field=field)
    if not domain.is_multiple(quantity, lot.step):
        if unit_text.is_other(lot.unit):  # no grammar: the unit apart
            raise DomainError(_l("Quantities of this lot come in steps of %(step)s (unit: "
                                 "%(unit)s).", step=local_qty(lot.step), unit=lot.unit),
                              field=field)
        raise DomainError(_l("Quantities of this lot come in steps of %(step)s.",
                             step=unit_text.quantity(lot.step, lot.unit)), field=field)


# --------------------------------------------------------------------------
# Stock
# --------------------------------------------------------------------------


@dataclass
class GradeStock:
    grade: SaleGrade
    pooled: int
    sold: int

    @property
    def available(self) -> int:
        return domain.available(self.pooled, self.sold)


def fund_share(seed_loan_id: int) -> int:
    """The split's participant for produce returned to repay a seed loan (in
    the fund's name): the loan's id, negative, so it never meets a member's."""
    return -seed_loan_id


def is_fund_share(participant: int) -> bool:
    return participant < 0


def contributed_by(session: Session, lot: SaleLot) -> dict[tuple[int, int], int]:
    """{(membership id, grade id): net quantity} after corrections; produce
    returned for a seed loan under (fund_share(loan id), grade id)."""
    rows = session.execute(
        select(Contribution.membership_id, Contribution.seed_loan_id, Contribution.grade_id,
               func.sum(Contribution.quantity))
        .where(Contribution.lot_id == lot.id)
        .group_by(Contribution.membership_id, Contribution.seed_loan_id, Contribution.grade_id))
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for m, loan, g, q in rows:
        totals[(fund_share(loan) if loan else m, g)] += int(q or 0)
    return dict(totals)


def sold_by_grade(session: Session, lot: SaleLot) -> dict[int, int]:
    rows = session.execute(
        select(SaleLine.grade_id, func.sum(SaleLine.quantity)).join(Sale)
        .where(Sale.lot_id == lot.id, Sale.cancelled_at.is_(None))
        .group_by(SaleLine.grade_id))
    return {g: int(q or 0) for g, q in rows}


def held_for_open_lots(session: Session, group: Group) -> int:
    """The money of the group's open lots in its books: their sales less their
    costs (neither cancelled), kept with the purchases still to pay until each
    lot is closed and its payouts go to the members."""
    sold = session.scalar(
        select(func.coalesce(func.sum(SaleLine.amount), 0)).join(Sale, Sale.id == SaleLine.sale_id)
        .join(SaleLot, SaleLot.id == Sale.lot_id)
        .where(SaleLot.group_id == group.id, SaleLot.state == OPEN, Sale.cancelled_at.is_(None)))
    spent = session.scalar(
        select(func.coalesce(func.sum(SaleCost.amount), 0))
        .join(SaleLot, SaleLot.id == SaleCost.lot_id)
        .where(SaleLot.group_id == group.id, SaleLot.state == OPEN,
               SaleCost.cancelled_at.is_(None)))
    return int(sold or 0) - int(spent or 0)


def lot_stock(session: Session, lot: SaleLot) -> list[GradeStock]:
    """Per grade, in the lot's order: pooled (contributed), sold, available."""
    pooled: dict[int, int] = defaultdict(int)
    for (_member, grade), quantity in contributed_by(session, lot).items():
        pooled[grade] += quantity
    sold = sold_by_grade(session, lot)
    return [GradeStock(g, pooled.get(g.id, 0), sold.get(g.id, 0)) for g in lot.grades]


# --------------------------------------------------------------------------
# Contributions
# --------------------------------------------------------------------------


def contribution_by_key(session: Session, lot: SaleLot, key: str | None
                        ) -> Contribution | None:
    """What an earlier sending of the same contribution or correction form
    recorded (a correction: its first row), if any."""
    if not key:
        return None
    return session.scalar(select(Contribution).where(Contribution.lot_id == lot.id,
                                                     Contribution.idempotency_key == key))


def recent_contribution(session: Session, lot: SaleLot, *, membership_id: int,
                        grade_id: int | None, quantity: int) -> Contribution | None:
    """The latest delivery of the last 24 h to the lot by the same member, of
    the same grade and quantity: the form sent again through Back comes with
    a new key, and is asked about first (coop.ledger.views.once)."""
    return session.scalar(select(Contribution).where(
        Contribution.lot_id == lot.id, Contribution.kind == "delivery",
        Contribution.membership_id == membership_id, Contribution.grade_id == grade_id,
        Contribution.quantity == quantity,
        Contribution.recorded_at >= utcnow() - ledger.RECENT)
        .order_by(Contribution.id.desc()).limit(1))


def check_contribution(session: Session, lot: SaleLot, *, grade_id: int | None,
                       quantity: int) -> None:
    """Under the lot's lock: it is open, the grade is its, the quantity fits."""
    _lock(session, lot)
    _check_open(lot)
    grade_of(lot, grade_id)
    _check_quantity(lot, quantity, "quantity")


def check_brought_on(lot: SaleLot, day: date) -> None:
    """The day produce was brought into the lot: not to come, and not before its
    collection starts (found on the walk: 01.03.2020 taken for a lot collected
    in December 2026). Also for a seed loan returned into a lot."""
    check_happened(day, "brought_on")
    if day < lot.period_from:
        raise DomainError(_l("This lot's collection starts on %(start)s: a day before it is "
                             "not this lot's. Correct the day, or the lot's collection dates.",
                             start=fmt_date(lot.period_from)), field="brought_on")


def record_contribution(session: Session, lot: SaleLot, membership: Membership, *,
                        grade_id: int | None, quantity: int, actor: User,
                        brought_on: date | None = None, note: str = "",
                        idempotency_key: str | None = None) -> Contribution:
    """A member brought produce: recorded by whoever received it. The form's
    key goes with it: the same form sent twice finds the first one (checked
    under the lot's lock, so ten at once record one)."""
    _lock(session, lot)
    earlier = contribution_by_key(session, lot, idempotency_key)
    if earlier is not None:
        return earlier
    _check_open(lot)
    if membership.group_id != lot.group_id or not membership.active:
        raise DomainError(_l("Only active members of the group can contribute."),
                          field="member")
    grade = grade_of(lot, grade_id)
    _check_quantity(lot, quantity, "quantity")
    brought_on = brought_on or local_today()
    check_brought_on(lot, brought_on)
    note = _check_text(note, limit=300, field="note")
    contribution = Contribution(lot_id=lot.id, membership_id=membership.id, grade_id=grade.id,
                                quantity=quantity, kind="delivery",
                                brought_on=brought_on, note=note,
                                idempotency_key=idempotency_key or None,
                                recorded_by_id=actor.id)
    session.add(contribution)
    session.flush()
    return contribution


def get_contribution(session: Session, lot: SaleLot, contribution_id: int
                     ) -> Contribution | None:
    row = session.get(Contribution, contribution_id)
    return row if row is not None and row.lot_id == lot.id else None


def _entry_rows(session: Session, root: Contribution) -> list[Contribution]:
    return [root, *session.scalars(select(Contribution).where(
        Contribution.corrects_id == root.id).order_by(Contribution.id))]


def correct_contribution(session: Session, lot: SaleLot, contribution_id: int, *,
                         grade_id: int | None, quantity: int, reason: str, actor: User,
                         idempotency_key: str | None = None) -> list[Contribution]:
    """Say what a contribution really was ("12 kg of second grade, not 15 of
    first"). The original stays as it was recorded; the difference is added as
    correction rows that refer to it. What was sold already must still be
    there afterwards. The form's key goes with the first row: the same form
    sent twice records nothing more (and returns that first row)."""
    _lock(session, lot)
    earlier = contribution_by_key(session, lot, idempotency_key)
    if earlier is not None:
        return [earlier]
    _check_open(lot)
    original = get_contribution(session, lot, contribution_id)
    if original is None:
        raise DomainError(_l("There is no such contribution in this lot."))
    if original.seed_loan_id is not None:
        raise DomainError(_l("This produce repaid a seed loan: the loan is credited with it, "
                             "so it cannot be corrected here."))
    if original.corrects_id is not None:
        original = session.get(Contribution, original.corrects_id)
        assert original is not None
    grade = grade_of(lot, grade_id)
    _check_quantity(lot, quantity, "quantity", allow_zero=True)
    reason = _check_text(reason, limit=300, field="reason",
                         required=_l("Say why it is corrected."))
    current: dict[int, int] = defaultdict(int)
    for row in _entry_rows(session, original):
        current[row.grade_id] += row.quantity
    deltas = domain.correction_deltas(current, grade.id, quantity)
    if not deltas:
        raise DomainError(_l("This is what is recorded already: nothing to correct."),
                          field="quantity")
    pooled = {s.grade.id: s for s in lot_stock(session, lot)}
    for grade_id_changed, change in deltas:
        stock = pooled[grade_id_changed]
        if stock.pooled + change < stock.sold:
            raise DomainError(_l(
                "%(sold)s of %(grade)s are sold already; the lot would hold only "
                "%(left)s.", sold=unit_text.quantity(stock.sold, lot.unit),
                grade=stock.grade.name, left=unit_text.quantity(stock.pooled + change, lot.unit)),
                field="quantity")
    rows = [Contribution(lot_id=lot.id, membership_id=original.membership_id,
                         grade_id=g, quantity=change, kind="correction",
                         corrects_id=original.id, brought_on=original.brought_on, note=reason,
                         recorded_by_id=actor.id) for g, change in deltas]
    rows[0].idempotency_key = idempotency_key or None
    session.add_all(rows)
    session.flush()
    return rows


@dataclass
class ContributionEntry:
    """A contribution as recorded, its corrections, and what it is now."""

    original: Contribution
    recorded_by: str
    corrections: list[tuple[Contribution, str]] = field(default_factory=list)

    @property
    def current(self) -> dict[int, int]:
        totals = defaultdict(int, {self.original.grade_id: self.original.quantity})
        for row, _who in self.corrections:
            totals[row.grade_id] += row.quantity
        return {g: q for g, q in totals.items() if q}


def contribution_entries(session: Session, lot: SaleLot, membership: Membership | None = None
                         ) -> list[ContributionEntry]:
    """The lot's contributions (one member's, if given), oldest first."""
    query = (select(Contribution, User.name)
             .outerjoin(User, User.id == Contribution.recorded_by_id)
             .where(Contribution.lot_id == lot.id)
             .options(joinedload(Contribution.membership).joinedload(Membership.user))
             .order_by(Contribution.id))
    if membership is not None:
        query = query.where(Contribution.membership_id == membership.id)
    entries: dict[int, ContributionEntry] = {}
    for row, who in session.execute(query):
        if row.corrects_id is None:
            entries[row.id] = ContributionEntry(row, who or "")
        elif row.corrects_id in entries:
            entries[row.corrects_id].corrections.append((row, who or ""))
    return list(entries.values())


def member_totals(session: Session, lot: SaleLot, membership: Membership) -> dict[int, int]:
    """{grade id: her net quantity}."""
    return {g: q for (m, g), q in contributed_by(session, lot).items() if m == membership.id}


# --------------------------------------------------------------------------
# Buyers
# --------------------------------------------------------------------------


def list_buyers(session: Session, group: Group) -> list[Buyer]:
    return list(session.scalars(select(Buyer).where(Buyer.group_id == group.id)
                                .order_by(Buyer.name)))


def get_buyer(session: Session, group: Group, buyer_id: int | None) -> Buyer | None:
    buyer = session.get(Buyer, buyer_id) if buyer_id else None
    return buyer if buyer is not None and buyer.group_id == group.id else None


def _check_buyer(session: Session, group: Group, name: str, contact: str, kind: str,
                 buyer_id: int | None = None) -> tuple[str, str]:
    name = _check_text(name, limit=160, field="name", required=_l("The buyer needs a name."))
    contact = _check_text(contact, limit=300, field="contact")
    if kind not in BUYER_KINDS:
        raise DomainError(_l("Unknown kind of buyer."), field="kind")
    same = session.scalar(select(Buyer.id).where(Buyer.group_id == group.id, Buyer.name == name,
                                                 Buyer.id != (buyer_id or 0)))
    if same is not None:
        raise DomainError(_l("There is a buyer with this name already."), field="name")
    return name, contact


def create_buyer(session: Session, group: Group, *, name: str, contact: str = "",
                 kind: str = "shop") -> Buyer:
    name, contact = _check_buyer(session, group, name, contact, kind)
    buyer = Buyer(group_id=group.id, name=name, contact=contact, kind=kind)
    session.add(buyer)
    session.flush()
    return buyer


def update_buyer(session: Session, buyer: Buyer, *, name: str, contact: str, kind: str) -> None:
    group = session.get(Group, buyer.group_id)
    assert group is not None
    buyer.name, buyer.contact = _check_buyer(session, group, name, contact, kind, buyer.id)
    buyer.kind = kind
    session.flush()


# --------------------------------------------------------------------------
# Sales
# --------------------------------------------------------------------------


def lot_sales(session: Session, lot: SaleLot, *, include_cancelled: bool = True) -> list[Sale]:
    query = (select(Sale).where(Sale.lot_id == lot.id)
             .options(joinedload(Sale.buyer), selectinload(Sale.lines))
             .order_by(Sale.sold_on, Sale.id))
    if not include_cancelled:
        query = query.where(Sale.cancelled_at.is_(None))
    return list(session.scalars(query))


def sale_by_key(session: Session, lot: SaleLot, key: str | None) -> Sale | None:
    """The sale an earlier sending of the same form recorded, if any."""
    if not key:
        return None
    return session.scalar(select(Sale).where(Sale.lot_id == lot.id,
                                             Sale.idempotency_key == key))


def recent_sale(session: Session, lot: SaleLot, *, buyer_id: int | None,
                lines: Mapping[int, tuple[int, int | None]]) -> Sale | None:
    """The latest sale of the last 24 h of the lot, not cancelled, to the same
    buyer of the same quantities of the same grades (at the prices typed, where
    a price is typed): asked about before another is recorded."""
    if buyer_id is None or not lines:
        return None
    sales = session.scalars(select(Sale).where(
        Sale.lot_id == lot.id, Sale.buyer_id == buyer_id, Sale.cancelled_at.is_(None),
        Sale.recorded_at >= utcnow() - ledger.RECENT)
        .options(selectinload(Sale.lines)).order_by(Sale.id.desc()))
    for sale in sales:
        sold = {line.grade_id: (line.quantity, line.unit_price) for line in sale.lines}
        if sold.keys() == lines.keys() and all(
                sold[grade][0] == quantity and price in (None, sold[grade][1])
                for grade, (quantity, price) in lines.items()):
            return sale
    return None


def get_sale(session: Session, lot: SaleLot, sale_id: int) -> Sale | None:
    sale = session.get(Sale, sale_id)
    return sale if sale is not None and sale.lot_id == lot.id else None


def record_sale(session: Session, lot: SaleLot, *, buyer_id: int | None, sold_on: date | None,
                lines: Mapping[int, tuple[int, int | None]], actor: User, note: str = "",
                idempotency_key: str | None = None, gift: bool = False,
                pay_later: bool = False, due_on: date | None = None) -> Sale:
    """Sell part of the lot: {grade id: (quantity, unit price or None)}; the
    buyer's payment goes into the group's cash. No more of a grade than the
    lot still holds. The form's key goes with the payment's entry: the same
    form sent twice finds the first sale. The key is kept on the sale too. A
    line at a price of 0 is a gift or a sample: asked first (AskFirst), made
    with `gift`, and a sale at 0 makes no entry; a tiny quantity at a tiny
    price that comes to no money is refused. `pay_later`: the buyer pays
    later (by `due_on`, if a day is agreed): what she owes is posted to the
    buyers' account, and her payments are recorded with record_sale_payment."""
    earlier = ledger.posting_by_key(session, lot.group_id, idempotency_key)
    if earlier is not None and earlier.kind not in ("sale", "sale_credit"):
        raise DomainError(_l("The form has expired. Please reload the page and try again."))
    if earlier is not None:
        found = session.scalar(select(Sale).where(Sale.posting_id == earlier.id))
        if found is not None:
            return found
    _lock(session, lot)
    found = sale_by_key(session, lot, idempotency_key)  # also one recorded while we waited
    if found is not None:
        return found
    _check_open(lot)
    group = lot.group
    buyer = get_buyer(session, group, buyer_id)
    if buyer is None:
        raise DomainError(_l("Choose the buyer."), field="buyer")
    if sold_on is None:
        raise DomainError(_l("When was it sold?"), field="sold_on")
    check_happened(sold_on, "sold_on")
    if not pay_later and due_on is not None:  # found on a walk: it was dropped without a word
        raise DomainError(_l("A day to pay by is only for a buyer who pays later: choose “The "
                             "buyer pays later”, or clear the day."), field="due_on")
    if due_on is not None and due_on < sold_on:
        raise DomainError(_l("The day to pay by cannot be before the day of the sale."),
                          field="due_on")
    note = _check_text(note, limit=300, field="note")
    wanted: dict[int, tuple[int, int]] = {}
    for grade_id, (quantity, price) in lines.items():
        grade = grade_of(lot, grade_id, field=f"quantity_{grade_id}")
        _check_quantity(lot, quantity, f"quantity_{grade.id}")
        if price is None:
            raise DomainError(_l("%(grade)s: enter the unit price.", grade=grade.name),
                              field=f"price_{grade.id}")
        if price < 0:
            raise DomainError(_l("A price cannot be negative."), field=f"price_{grade.id}")
        places = money.minor_digits(group.currency)
        if price % (PRICE_SCALE // 10 ** places):  # the buyer pays in money: to the tyiyn
            raise DomainError(_l("%(grade)s: a unit price has at most %(n)d decimals, as "
                                 "money has.", grade=grade.name, n=places),
                              field=f"price_{grade.id}")
        if price and line_amount(quantity, price, group.currency) <= 0:  # 0.1 kg at 0.01
            raise DomainError(_l("%(grade)s: %(quantity)s at this price comes to less than "
                                 "%(least)s. Check the quantity and the price.",
                                 grade=grade.name, least=fmt_money(1, group.currency),
                                 quantity=unit_text.quantity(quantity, lot.unit)),
                              field=f"price_{grade.id}")
        wanted[grade.id] = (quantity, price)
    if not wanted:
        raise DomainError(_l("Enter what was sold: a quantity and a price for at least one "
                             "grade."))
    stock = {s.grade.id: s for s in lot_stock(session, lot)}
    for grade_id, quantity, left in domain.oversold(
            {g: q for g, (q, _p) in wanted.items()}, {g: s.pooled for g, s in stock.items()},
            {g: s.sold for g, s in stock.items()}):
        raise DomainError(_l("%(grade)s: the lot holds only %(left)s more, not %(wanted)s.",
                             grade=stock[grade_id].grade.name,
                             left=unit_text.quantity(left, lot.unit),
                             wanted=unit_text.quantity(quantity, lot.unit)),
                          field=f"quantity_{grade_id}")
    # Found on a walk: a forgotten price (0) counted the produce as sold and
    # lowered every payout without a word. A gift or a sample is a sale at 0:
    # asked once everything else is right, naming every line at 0.
    given = [(grade, wanted[grade.id][0]) for grade in lot.grades
             if grade.id in wanted and wanted[grade.id][1] == 0]
    if given and not gift:
        raise AskFirst(_l("At a price of 0: %(lines)s. It leaves the lot for nothing and "
                          "counts as sold for 0, so every payout of the lot is lower. "
                          "Record it as a gift or a sample?", lines="; ".join(
                              f"{grade.name}, {unit_text.quantity(quantity, lot.unit)}"
                              for grade, quantity in given)),
                       field=f"price_{given[0][0].id}")
    if all(price == 0 for _q, price in wanted.values()):
        pay_later, due_on = False, None  # a gift or a sample: nothing to pay, now or later
    sale = Sale(lot_id=lot.id, buyer_id=buyer.id, sold_on=sold_on, note=note,
                idempotency_key=idempotency_key or None, recorded_by_id=actor.id,
                paid_later=pay_later, due_on=due_on)
    for grade in lot.grades:
        if grade.id in wanted:
            quantity, price = wanted[grade.id]
            sale.lines.append(SaleLine(grade_id=grade.id, quantity=quantity, unit_price=price,
                                       amount=line_amount(quantity, price, group.currency)))
    if sale.revenue >= MAX_AMOUNT:
        raise DomainError(_l("The amount is too large."))
    session.add(sale)
    session.flush()
    accounts = ledger.group_accounts(session, group)
    # paid later: the same credit to the lot's money, owed by the buyers meanwhile
    debit = ledger.buyers_account(session, group) if pay_later else accounts.cash
    posting = ledger.post(session, group, debit=debit, credit=accounts.suppliers,
                          amount=sale.revenue, kind="sale_credit" if pay_later else "sale",
                          memo=f"{lot_title(lot)} — {buyer.name}", actor=actor,
                          idempotency_key=idempotency_key)
    sale.posting_id = posting.id if posting else None
    session.flush()
    return sale


def cancel_sale(session: Session, lot: SaleLot, sale: Sale, *, reason: str, actor: User,
                overdraw: bool = False) -> dict[str, int]:
    """A sale recorded by mistake: its payment is reversed, its produce is back
    in the lot, and both stay in the books. The reversal takes the payment back
    out of the cash: more than the cash holds is asked first and made only
    with `overdraw` (ledger.reverse_posting). A sale paid later: what the
    buyer paid of it is taken back out of the money it went into (each
    payment reversed, asked first the same way), and what she owed is
    reversed from the buyers' account. Returns what was taken back out, by
    method ({"cash": 50000}): the money to give back to the buyer."""
    _lock(session, lot)
    _check_open(lot)
    session.refresh(sale, ["cancelled_at"])
    if sale.lot_id != lot.id:
        raise DomainError(_l("There is no such sale in this lot."))
    if sale.cancelled_at is not None:
        raise CancelledAlready(_l("This sale is cancelled already."))
    reason = _check_text(reason, limit=300, field="reason", required=_l("Say why."))
    payments = sale_payments(session, sale)
    # every account its reversals take money out of, locked lower id first as
    # a move between two money accounts locks them (each reversal locks its
    # own in the payments' order: bank then cash could meet a move from the
    # cash to the bank holding them the other way round)
    ledger.lock_accounts(session, ledger.posting_accounts(
        session, [p.posting_id for p in payments] + (
            [sale.posting_id] if sale.posting_id is not None else [])))
    given_back: dict[str, int] = defaultdict(int)
    for payment in payments:
        _reverse_payment(session, lot, payment, reason=reason, actor=actor, overdraw=overdraw)
        given_back[payment.method] += payment.amount
    if sale.posting_id is not None:
        mirror = ledger.reverse_posting(session, lot.group, sale.posting_id, reason=reason,
                                        actor=actor, overdraw=overdraw)
        sale.cancel_posting_id = mirror.id
        if not sale.paid_later:  # paid into the cash when sold
            given_back["cash"] += sale.revenue
    sale.cancelled_at, sale.cancel_reason = utcnow(), reason
    session.flush()
    return dict(given_back)


# --------------------------------------------------------------------------
# Sales paid later: what the buyer owes, her payments
# --------------------------------------------------------------------------


def sale_payments(session: Session, sale: Sale, *, include_cancelled: bool = False
                  ) -> list[SalePayment]:
    query = select(SalePayment).where(SalePayment.sale_id == sale.id).order_by(
        SalePayment.paid_on, SalePayment.id)
    if not include_cancelled:
        query = query.where(SalePayment.cancelled_at.is_(None))
    return list(session.scalars(query))


@dataclass(frozen=True)
class SaleDebt:
    """Where a sale's payment stands: for a sale paid at once, paid in full
    the day it was sold; for one paid later, what was paid, when, and what is
    still owed (by `due_on`)."""

    sale: Sale
    payments: list[SalePayment]  # not cancelled, oldest first

    @property
    def paid(self) -> int:
        if not self.sale.paid_later:
            return self.sale.revenue
        return sum(p.amount for p in self.payments)

    @property
    def owed(self) -> int:
        if self.sale.cancelled_at is not None:
            return 0
        return max(self.sale.revenue - self.paid, 0)

    @property
    def paid_on(self) -> date | None:
        """The day it was paid in full (the last payment's), None while owed."""
        if self.owed:
            return None
        if not self.sale.paid_later:
            return self.sale.sold_on
        return max((p.paid_on for p in self.payments), default=self.sale.sold_on)

    def overdue(self, today: date) -> bool:
        return bool(self.owed and self.sale.due_on is not None and today > self.sale.due_on)


def sale_debt(session: Session, sale: Sale) -> SaleDebt:
    return SaleDebt(sale, sale_payments(session, sale) if sale.paid_later else [])


def sale_debts(session: Session, sales: Sequence[Sale],
               payments: Mapping[int, list[SalePayment]] | None = None
               ) -> dict[int, SaleDebt]:
    """{sale id: SaleDebt} for the sales, in one query (none when the caller
    has their `lot_sale_payments` already)."""
    if payments is None:
        payments = lot_sale_payments(session, sales)
    return {s.id: SaleDebt(s, [p for p in payments.get(s.id, []) if p.cancelled_at is None])
            for s in sales}


def unpaid_sales(session: Session, lot: SaleLot) -> list[SaleDebt]:
    """The lot's sales (not cancelled) whose buyer still owes on them."""
    sales = lot_sales(session, lot, include_cancelled=False)
    return [d for d in sale_debts(session, sales).values() if d.owed > 0]


def lot_sale_payments(session: Session, sales: Sequence[Sale]) -> dict[int, list[SalePayment]]:
    """{sale id: its payments, cancelled ones too, oldest first} (sales paid later)."""
    later = [s.id for s in sales if s.paid_later]
    found: dict[int, list[SalePayment]] = defaultdict(list)
    if later:
        for payment in session.scalars(select(SalePayment).where(
                SalePayment.sale_id.in_(later)).order_by(SalePayment.paid_on, SalePayment.id)):
            found[payment.sale_id].append(payment)
    return dict(found)


def recorder_names(session: Session, payments: Sequence[SalePayment]) -> dict[int, str]:
    """{user id: name} of who recorded these payments, in one query."""
    ids = {p.recorded_by_id for p in payments if p.recorded_by_id is not None}
    if not ids:
        return {}
    return {uid: name for uid, name in session.execute(
        select(User.id, User.name).where(User.id.in_(ids)))}


def get_sale_payment(session: Session, sale: Sale, payment_id: int) -> SalePayment | None:
    payment = session.get(SalePayment, payment_id)
    return payment if payment is not None and payment.sale_id == sale.id else None


def record_sale_payment(session: Session, lot: SaleLot, sale: Sale, *, amount: int,
                        method: str, actor: User, paid_on: date | None = None,
                        idempotency_key: str | None = None) -> SalePayment:
    """The buyer of a sale paid later pays all or part of what she owes, by
    cash, bank or mobile money: that money account ← buyers. What she owes is
    read under the lot's lock, so two payments at the same moment cannot pay
    more than she owes; more than she owes is refused. The form's key goes
    with the entry: the same form sent twice records once."""
    _lock(session, lot)
    earlier = _by_key(session, lot, idempotency_key, "sale_payment")
    if earlier is not None:
        found = session.scalar(select(SalePayment).where(SalePayment.posting_id == earlier.id))
        if found is not None:
            return found
    _check_open(lot)
    session.refresh(sale, ["cancelled_at"])
    if sale.lot_id != lot.id or sale.cancelled_at is not None:
        raise DomainError(_l("There is no such sale in this lot."))
    if not sale.paid_later:
        raise DomainError(_l("This sale was paid into the cash when it was recorded: nothing "
                             "is owed on it."))
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Unknown payment method."), field="method")
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    paid_on = paid_on or local_today()
    check_happened(paid_on, "paid_on")
    if paid_on < sale.sold_on:
        raise DomainError(_l("The sale was made on %(date)s: it cannot be paid before.",
                             date=fmt_date(sale.sold_on)), field="paid_on")
    owed = sale_debt(session, sale).owed
    currency = lot.group.currency
    if owed == 0:
        raise DomainError(_l("%(buyer)s owes nothing more on this sale.",
                             buyer=sale.buyer.name), field="amount")
    if amount > owed:
        raise DomainError(_l("%(buyer)s owes %(owed)s on this sale: a payment of %(amount)s is "
                             "more than that. Nothing was recorded.", buyer=sale.buyer.name,
                             owed=money.LocalMoney(owed, currency),
                             amount=money.LocalMoney(amount, currency)), field="amount")
    group = lot.group
    posting = ledger.post(session, group, debit=ledger.money_account(session, group, method),
                          credit=ledger.buyers_account(session, group), amount=amount,
                          kind="sale_payment", memo=f"{lot_title(lot)} — {sale.buyer.name}",
                          actor=actor, idempotency_key=idempotency_key)
    assert posting is not None
    payment = SalePayment(sale_id=sale.id, amount=amount, method=method, paid_on=paid_on,
                          posting_id=posting.id, recorded_by_id=actor.id)
    session.add(payment)
    session.flush()
    return payment


def _reverse_payment(session: Session, lot: SaleLot, payment: SalePayment, *, reason: str,
                     actor: User, overdraw: bool) -> None:
    """The payment's entry mirrored: its money taken back out of the account it
    went into (asked first when that holds less: ledger.reverse_posting)."""
    mirror = ledger.reverse_posting(session, lot.group, payment.posting_id, reason=reason,
                                    actor=actor, overdraw=overdraw)
    payment.cancel_posting_id = mirror.id
    payment.cancelled_at, payment.cancel_reason = utcnow(), reason


def cancel_sale_payment(session: Session, lot: SaleLot, sale: Sale, payment: SalePayment, *,
                        reason: str, actor: User, overdraw: bool = False) -> dict[str, int]:
    """A payment recorded by mistake: reversed, never edited; the buyer owes
    it again. Both entries stay in the books. Returns what was taken back
    out, by method, as cancel_sale does."""
    _lock(session, lot)
    _check_open(lot)
    session.refresh(payment, ["cancelled_at"])
    if payment.sale_id != sale.id or sale.lot_id != lot.id:
        raise DomainError(_l("There is no such payment of this sale."))
    if payment.cancelled_at is not None:
        raise CancelledAlready(_l("This payment is cancelled already."))
    reason = _check_text(reason, limit=300, field="reason", required=_l("Say why."))
    _reverse_payment(session, lot, payment, reason=reason, actor=actor, overdraw=overdraw)
    session.flush()
    return {payment.method: payment.amount}


# --------------------------------------------------------------------------
# Costs
# --------------------------------------------------------------------------


def lot_costs(session: Session, lot: SaleLot, *, include_cancelled: bool = True
              ) -> list[SaleCost]:
    query = select(SaleCost).where(SaleCost.lot_id == lot.id).order_by(SaleCost.paid_on,
                                                                       SaleCost.id)
    if not include_cancelled:
        query = query.where(SaleCost.cancelled_at.is_(None))
    return list(session.scalars(query))


def recent_sale_payment(session: Session, sale: Sale, *, amount: int
                        ) -> SalePayment | None:
    """The latest payment of the last 24 h of this sale, not cancelled, of
    the same amount: asked about before another is recorded (Back, and the
    form sent again with a new key)."""
    return session.scalar(select(SalePayment).where(
        SalePayment.sale_id == sale.id, SalePayment.amount == amount,
        SalePayment.cancelled_at.is_(None),
        SalePayment.recorded_at >= utcnow() - ledger.RECENT)
        .order_by(SalePayment.id.desc()).limit(1))


def recent_cost(session: Session, lot: SaleLot, *, kind: str, name: str, amount: int
                ) -> SaleCost | None:
    """The latest cost of the last 24 h of the lot, not cancelled, of the same
    kind, name and amount: asked about before another is paid."""
    return session.scalar(select(SaleCost).where(
        SaleCost.lot_id == lot.id, SaleCost.kind == kind, SaleCost.name == name.strip(),
        SaleCost.amount == amount, SaleCost.cancelled_at.is_(None),
        SaleCost.recorded_at >= utcnow() - ledger.RECENT)
        .order_by(SaleCost.id.desc()).limit(1))


def get_cost(session: Session, lot: SaleLot, cost_id: int) -> SaleCost | None:
    cost = session.get(SaleCost, cost_id)
    return cost if cost is not None and cost.lot_id == lot.id else None


def cost_label(cost: SaleCost) -> str:
    kind = str(COST_KIND_NAMES.get(cost.kind, cost.kind))
    return f"{kind}: {cost.name}" if cost.name else kind


def add_cost(session: Session, lot: SaleLot, *, kind: str, amount: int, actor: User,
             rule: str = "value", name: str = "", paid_on: date | None = None,
             sale_id: int | None = None, idempotency_key: str | None = None,
             overdraw: bool = False) -> SaleCost:
    """A cost of selling, paid from the cash, and how it is shared. The same
    form sent twice finds the first cost (its key goes with the entry). More
    than the cash holds is asked first and paid only with `overdraw`
    (ledger.pay_from: two costs at the same moment are checked one after the
    other)."""
    _lock(session, lot)
    # Looked for under the lock: the same form, sent at the same moment, may
    # have been recorded while this one waited (and taken the cash it holds).
    earlier = _by_key(session, lot, idempotency_key, "sale_cost")
    if earlier is not None:
        found = session.scalar(select(SaleCost).where(SaleCost.posting_id == earlier.id))
        if found is not None:
            return found
    _check_open(lot)
    if kind not in COST_KINDS:
        raise DomainError(_l("Unknown kind of cost."), field="kind")
    if rule not in domain.COST_RULES:
        raise DomainError(_l("Unknown rule."), field="rule")
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    if amount >= MAX_AMOUNT:
        raise DomainError(_l("The amount is too large."), field="amount")
    name = _check_text(name, limit=160, field="name")
    check_happened(paid_on, "paid_on")
    if sale_id is not None:
        sale = get_sale(session, lot, sale_id)
        if sale is None or sale.cancelled_at is not None:
            raise DomainError(_l("There is no such sale in this lot."), field="sale")
    cash = ledger.pay_from(session, lot.group, "cash", amount, overdraw=overdraw,
                           cash_only=True)
    cost = SaleCost(lot_id=lot.id, sale_id=sale_id, kind=kind, name=name, amount=amount,
                    rule=rule, paid_on=paid_on or local_today(), recorded_by_id=actor.id)
    session.add(cost)
    session.flush()
    accounts = ledger.group_accounts(session, lot.group)
    posting = ledger.post(session, lot.group, debit=accounts.suppliers, credit=cash,
                          amount=amount, kind="sale_cost",
                          memo=f"{lot_title(lot)} — {cost_label(cost)}", actor=actor,
                          idempotency_key=idempotency_key)
    assert posting is not None
    cost.posting_id = posting.id
    session.flush()
    return cost


def cancel_cost(session: Session, lot: SaleLot, cost: SaleCost, *, reason: str,
                actor: User) -> None:
    _lock(session, lot)
    _check_open(lot)
    session.refresh(cost, ["cancelled_at"])
    if cost.lot_id != lot.id:
        raise DomainError(_l("There is no such cost in this lot."))
    if cost.cancelled_at is not None:
        raise CancelledAlready(_l("This cost is cancelled already."))
    reason = _check_text(reason, limit=300, field="reason", required=_l("Say why."))
    if cost.posting_id is not None:
        mirror = ledger.reverse_posting(session, lot.group, cost.posting_id, reason=reason,
                                        actor=actor)
        cost.cancel_posting_id = mirror.id
    cost.cancelled_at, cost.cancel_reason = utcnow(), reason
    session.flush()


# --------------------------------------------------------------------------
# The split: preview, closing
# --------------------------------------------------------------------------


@dataclass
class LotView:
    """A lot's split (a preview while open, as closed afterwards), with the
    rows its figures refer to."""

    lot: SaleLot
    split: domain.LotSplit
    memberships: dict[int, Membership]
    sales: list[Sale]  # in the split's order
    costs: list[SaleCost]  # in the split's order
    closing: LotClosing | None = None
    seed_loans: dict[int, SeedLoan] = field(default_factory=dict)  # of the fund's shares

    @property
    def closed(self) -> bool:
        return self.closing is not None

    def rows(self) -> list[tuple[Membership, domain.MemberPayout]]:
        """The members' own shares (not those of produce returned for seed loans)."""
        return [(self.memberships[m.member], m) for m in self.split.members
                if not is_fund_share(m.member)]

    def fund_rows(self) -> list[tuple[SeedLoan, domain.MemberPayout]]:
        """The shares of produce returned for seed loans: the fund's."""
        return [(self.seed_loans[-m.member], m) for m in self.split.members
                if is_fund_share(m.member)]

    @property
    def grades(self) -> list[SaleGrade]:
        return list(self.lot.grades)

    def value_share(self, member: domain.MemberPayout) -> Decimal | None:
        """Her value as a percentage of the lot's, to two decimals."""
        total = self.split.total_value
        if not total:
            return None
        return (Decimal(member.value * 100) / total).quantize(Decimal("0.01"))


def build_lot_input(session: Session, lot: SaleLot
                    ) -> tuple[domain.Lot, list[Sale], list[SaleCost]]:
    contributed = {key: q for key, q in contributed_by(session, lot).items() if q}
    members = tuple(sorted({m for m, _g in contributed}))
    sales = lot_sales(session, lot, include_cancelled=False)
    costs = lot_costs(session, lot, include_cancelled=False)
    lot_input = domain.Lot(
        members=members,
        grades=tuple(domain.Grade(g.id, g.factor) for g in lot.grades),
        contributed=contributed,
        sales=tuple(domain.Sale(s.id, tuple(domain.SaleLine(line.grade_id, line.quantity,
                                                            line.amount)
                                            for line in s.lines)) for s in sales),
        costs=tuple(domain.Cost(c.id, c.amount, c.rule) for c in costs),
        levy_basis_points=lot.levy_basis_points, step=lot.step)
    return lot_input, sales, costs


def _memberships(session: Session, ids: Sequence[int]) -> dict[int, Membership]:
    ids = [i for i in ids if not is_fund_share(i)]
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(
        select(Membership).where(Membership.id.in_(ids)).options(joinedload(Membership.user)))}


def _seed_loans(session: Session, ids: Sequence[int]) -> dict[int, SeedLoan]:
    loan_ids = [-i for i in ids if is_fund_share(i)]
    if not loan_ids:
        return {}
    return {x.id: x for x in session.scalars(
        select(SeedLoan).where(SeedLoan.id.in_(loan_ids))
        .options(joinedload(SeedLoan.membership).joinedload(Membership.user)))}


def _split(lot_input: domain.Lot) -> domain.LotSplit:
    if not lot_input.members and lot_input.costs:
        raise DomainError(_l("Nobody contributed to this lot, so nobody can carry its costs. "
                             "Cancel the costs first."))
    try:
        return domain.split_lot(lot_input)
    except domain.LotError as exc:  # pragma: no cover - the services check first
        raise DomainError(_l("The lot cannot be split: %(why)s", why=str(exc))) from exc


def compute_split(session: Session, lot: SaleLot) -> LotView:
    """The split as it would be if the lot closed now; a closed lot's split as
    it was closed (recomputed from the inputs it was closed with)."""
    closing = session.scalar(select(LotClosing).where(LotClosing.lot_id == lot.id))
    if closing is not None:
        lot_input = domain.lot_from_dict(json.loads(closing.input_json))
        sale_ids = [s.id for s in lot_input.sales]
        cost_ids = [c.id for c in lot_input.costs]
        sales_by_id = {s.id: s for s in lot_sales(session, lot)}
        costs_by_id = {c.id: c for c in lot_costs(session, lot)}
        sales = [sales_by_id[i] for i in sale_ids]
        costs = [costs_by_id[i] for i in cost_ids]
    else:
        lot_input, sales, costs = build_lot_input(session, lot)
    result = _split(lot_input)
    return LotView(lot=lot, split=result, memberships=_memberships(session, lot_input.members),
                   sales=sales, costs=costs, closing=closing,
                   seed_loans=_seed_loans(session, lot_input.members))


def close_lot(session: Session, lot: SaleLot, actor: User, *,
              unsold_actions: Mapping[int, str]) -> LotView:
    """Close the lot: the split is posted to the members' accounts and the
    levy to the fund, in this one transaction; what was not sold of each grade
    goes back to the members or is carried to a new lot, as decided per grade.
    Twice is impossible: the state move is one conditional UPDATE."""
    _check_open(lot)
    lot_input, sales, costs = build_lot_input(session, lot)
    result = _split(lot_input)
    actions: dict[int, str] = {}
    for index, grade in enumerate(lot.grades):
        if result.unsold[index] > 0:
            action = unsold_actions.get(grade.id)
            if action not in domain.UNSOLD_ACTIONS:
                raise DomainError(_l("%(grade)s: say whether the %(left)s not sold go back to "
                                     "the members or to a new lot.", grade=grade.name,
                                     left=unit_text.quantity(result.unsold[index], lot.unit)),
                                  field=f"unsold_{grade.id}")
            actions[grade.id] = action
    moved = session.execute(update(SaleLot).where(SaleLot.id == lot.id, SaleLot.state == OPEN)
                            .values(state=CLOSED, stock_lock=SaleLot.stock_lock + 1)
                            .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        session.refresh(lot, ["state"])
        raise DomainError(_l("This lot is closed already."))
    session.refresh(lot, ["state"])
    # Read under the lock: a payment or a sale recorded meanwhile counts.
    owing = unpaid_sales(session, lot)
    if owing:
        raise DomainError(owing_message(owing, lot.group.currency))
    # Read again under the lock the UPDATE took: a sale recorded meanwhile counts.
    lot_input, sales, costs = build_lot_input(session, lot)
    result = _split(lot_input)

    group = lot.group
    accounts = ledger.group_accounts(session, group)
    memberships = _memberships(session, lot_input.members)
    memo = lot_title(lot)
    loans = _seed_loans(session, lot_input.members)
    for member in result.members:
        if is_fund_share(member.member):
            _pay_fund(session, lot, loans[-member.member], member.payout, actor)
            continue
        membership = memberships[member.member]
        posting = ledger.post(session, group, debit=accounts.suppliers,
                              credit=ledger.member_account(session, membership),
                              amount=member.payout, kind="payout", memo=memo, actor=actor,
                              membership_id=membership.id)
        session.add(SalePayout(lot_id=lot.id, membership_id=membership.id,
                               amount=member.payout, posting_id=posting.id if posting else None))
        if member.payout > 0:  # her seed loans repaid from payouts take their part first
            seed_loans.deduct_from_payout(session, lot.id, membership, member.payout, actor)
    levy = ledger.post(session, group, debit=accounts.suppliers, credit=accounts.fund,
                       amount=result.levy, kind="levy", memo=memo, actor=actor)
    for grade in lot.grades:
        grade.unsold_action = actions.get(grade.id)
    closing = LotClosing(lot_id=lot.id, input_json=json.dumps(domain.lot_to_dict(lot_input)),
                         result_json=json.dumps(domain.split_to_dict(result)),
                         levy_posting_id=levy.id if levy else None, closed_by_id=actor.id)
    if any(a == domain.CARRY for a in actions.values()):
        closing.carried_to_id = _carry(session, lot, result, actions, actor).id
    session.add(closing)
    session.flush()
    return LotView(lot=lot, split=result, memberships=memberships, sales=sales, costs=costs,
                   closing=closing, seed_loans=loans)


def owing_message(owing: Sequence[SaleDebt], currency: str) -> str:
    """Why the lot cannot close yet: which buyer owes how much."""
    who = "; ".join(str(_l("%(buyer)s owes %(amount)s (sale of %(date)s)",
                           buyer=d.sale.buyer.name, amount=fmt_money(d.owed, currency),
                           date=fmt_date(d.sale.sold_on))) for d in owing)
    return str(_l("The lot cannot be closed while a buyer still owes on one of its sales: "
                  "%(who)s. Record the payment, or cancel the sale.", who=who))


def _pay_fund(session: Session, lot: SaleLot, loan: SeedLoan, payout: int,
              actor: User) -> None:
    """The share of produce returned for a seed loan goes to the solidarity
    fund, not to the borrower; the value it was taken in at (held in the seed
    stock account since the return) leaves that account for the fund."""
    group = lot.group
    accounts = ledger.group_accounts(session, group)
    memo = f"{lot_title(lot)}: {seed_loans.loan_title(loan, group.language)}"
    posting = ledger.post(session, group, debit=accounts.suppliers, credit=accounts.fund,
                          amount=payout, kind="payout_fund", memo=memo, actor=actor)
    value = seed_loans.lot_return_value(session, lot.id, loan.id)
    value_posting = ledger.post(session, group, debit=accounts.fund,
                                credit=seed_loans.stock_account(session, group), amount=value,
                                kind="seed_return_lot", memo=memo, actor=actor)
    session.add(FundPayout(lot_id=lot.id, seed_loan_id=loan.id, amount=payout,
                           posting_id=posting.id if posting else None,
                           value_posting_id=value_posting.id if value_posting else None))


def _carry(session: Session, lot: SaleLot, result: domain.LotSplit, actions: Mapping[int, str],
           actor: User) -> SaleLot:
    """A new open lot of the same product holding what was not sold of the
    carried grades: each member's unsold quantity becomes her contribution."""
    today = local_today()
    new = SaleLot(group_id=lot.group_id, product=lot.product, unit=lot.unit, step=lot.step,
                  period_from=max(today, lot.period_from), place=lot.place,
                  levy_basis_points=lot.levy_basis_points, state=OPEN, carried_from_id=lot.id,
                  created_by_id=actor.id)
    for grade in lot.grades:
        new.grades.append(SaleGrade(name=grade.name, factor=grade.factor,
                                    position=grade.position))
    session.add(new)
    session.flush()
    for index, (old, grade) in enumerate(zip(lot.grades, new.grades, strict=True)):
        if actions.get(old.id) != domain.CARRY:
            continue
        for member in result.members:
            if member.unsold[index] > 0:
                loan = session.get(SeedLoan, -member.member) if is_fund_share(
                    member.member) else None
                session.add(Contribution(lot_id=new.id, membership_id=(
                    loan.membership_id if loan else member.member),
                    seed_loan_id=loan.id if loan else None,
                    grade_id=grade.id, quantity=member.unsold[index], kind="carried",
                    brought_on=today, note=lot_title(lot), recorded_by_id=actor.id))
    session.flush()
    return new


def carried_to(session: Session, lot: SaleLot) -> SaleLot | None:
    closing = session.scalar(select(LotClosing).where(LotClosing.lot_id == lot.id))
    if closing is None or closing.carried_to_id is None:
        return None
    return session.get(SaleLot, closing.carried_to_id)


# --------------------------------------------------------------------------
# Members' payouts
# --------------------------------------------------------------------------


def member_payouts(session: Session, membership: Membership) -> list[SalePayout]:
    return list(session.scalars(select(SalePayout).where(
        SalePayout.membership_id == membership.id).options(joinedload(SalePayout.lot))
        .order_by(SalePayout.id.desc())))


def member_lot_ids(session: Session, membership: Membership) -> set[int]:
    """The lots she contributed to."""
    return set(session.scalars(select(Contribution.lot_id).where(
        Contribution.membership_id == membership.id).distinct()))


def payout_by_key(session: Session, group_id: int, key: str) -> CashPayout | None:
    return session.scalar(select(CashPayout).where(CashPayout.group_id == group_id,
                                                   CashPayout.idempotency_key == key))


def pay_member(session: Session, membership: Membership, *, amount: int, actor: User,
               idempotency_key: str, note: str = "", lot_id: int | None = None,
               overdraw: bool = False) -> tuple[CashPayout, bool]:
    """The treasurer hands a member cash out of what her account holds (after
    what she owes for purchases is netted). Returns the payout and whether it
    is new: the same form sent twice pays once."""
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    key = (idempotency_key or "").strip()[:64]
    if len(key) < 16:
        raise DomainError(_l("The form has expired. Please reload the page and try again."))
    existing = payout_by_key(session, membership.group_id, key)
    if existing is not None:
        return existing, False
    note = _check_text(note, limit=300, field="note")
    # Her row is the lock that serialises two payouts to her at the same moment.
    session.execute(update(Membership).where(Membership.id == membership.id)
                    .values(order_lock=Membership.order_lock + 1))
    balance = ledger.member_balance(session, membership)
    currency = membership.group.currency
    if amount > balance:
        raise DomainError(_l("Her account holds only %(balance)s: nothing more can be paid "
                             "out to her.", balance=money.LocalMoney(max(balance, 0), currency)),
                          field="amount")
    lot = session.get(SaleLot, lot_id) if lot_id is not None else None
    if lot_id is not None:
        # Found on the walk: 7 000 handed out on a lot whose payout to her was
        # 3 777,55 (her account held more, from earlier lots) counted all of it
        # as this lot's, and its sheet then said the others' cash was nearly
        # all handed out. A lot's page hands out what the lot still owes her.
        due = lot_cash_still_to_hand(session, lot, membership) if lot is not None else 0
        if amount > due:
            raise DomainError(_l("Of this lot's payout, %(due)s is still to be handed to her: "
                                 "no more can be recorded for this lot. Cash from her earlier "
                                 "lots is recorded on their pages.",
                                 due=money.LocalMoney(due, currency)), field="amount")
    group = membership.group
    posting = ledger.post(session, group, debit=ledger.member_account(session, membership),
                          credit=ledger.pay_from(session, group, "cash", amount,
                                                 overdraw=overdraw, cash_only=True),
                          amount=amount, kind="payout_cash", memo=payout_memo(lot, note),
                          actor=actor, membership_id=membership.id)
    assert posting is not None
    payout = CashPayout(group_id=group.id, membership_id=membership.id, lot_id=lot_id,
                        amount=amount, note=note, idempotency_key=key, posting_id=posting.id,
                        created_by_id=actor.id)
    session.add(payout)
    session.flush()
    return payout, True


def payout_memo(lot: SaleLot | None, note: str) -> str:
    """The words of a cash hand-out's entry on her statement: the lot it is
    paid for (as the entry that credited the lot's payout says), then the
    treasurer's note."""
    words = note if lot is None else f"{lot_title(lot)}: {note}" if note else lot_title(lot)
    return words[:300]  # as ledger.post keeps it


def lot_cash_still_to_hand(session: Session, lot: SaleLot, membership: Membership) -> int:
    """The cash of a closed lot's payout still to be handed to her (0 while
    the lot is open: nothing is credited yet)."""
    if lot.state != CLOSED:
        return 0
    line = payout_sheet(session, lot, only=membership.id).line(membership.id)
    return 0 if line is None else line.still_to_hand


def lot_postings(session: Session, lot: SaleLot) -> list[Posting]:
    """Every ledger entry of the lot: sales, costs, their reversals, payouts, levy."""
    ids: set[int] = set()
    for sale in lot_sales(session, lot):
        ids |= {i for i in (sale.posting_id, sale.cancel_posting_id) if i}
        for payment in sale_payments(session, sale, include_cancelled=True):
            ids |= {i for i in (payment.posting_id, payment.cancel_posting_id) if i}
    for cost in lot_costs(session, lot):
        ids |= {i for i in (cost.posting_id, cost.cancel_posting_id) if i}
    ids |= {i for i in session.scalars(select(SalePayout.posting_id).where(
        SalePayout.lot_id == lot.id)) if i}
    for fund in session.scalars(select(FundPayout).where(FundPayout.lot_id == lot.id)):
        ids |= {i for i in (fund.posting_id, fund.value_posting_id) if i}
    closing = session.scalar(select(LotClosing).where(LotClosing.lot_id == lot.id))
    if closing is not None and closing.levy_posting_id:
        ids.add(closing.levy_posting_id)
    if not ids:
        return []
    return list(session.scalars(select(Posting).where(Posting.id.in_(ids))
                                .order_by(Posting.id)))


# --------------------------------------------------------------------------
# The payout sheet: entitlement, debts set off, cash handed over
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutLine:
    """One member's payout of a lot. Her payout is credited to her account, so
    what she owed the group then is set off against it; the rest is the cash
    she is handed (money in minor units)."""

    membership: Membership
    entitled: int  # her payout from the split; negative: the costs were more, she owes
    owed_before: int  # what she owed the group when it was credited (now, in a preview)
    handed: int  # cash recorded as handed to her for this lot
    seed_loans: int = 0  # taken first for her seed loans (coop.season.loans)
    # produce she returned for this seed loan: its share goes to the fund
    fund_loan: SeedLoan | None = None

    @property
    def for_fund(self) -> bool:
        return self.fund_loan is not None

    @property
    def set_off(self) -> int:
        if self.for_fund:
            return 0
        return min(max(self.entitled, 0) - self.seed_loans, self.owed_before)

    @property
    def cash_due(self) -> int:
        if self.for_fund:
            return 0
        return max(self.entitled, 0) - self.seed_loans - self.set_off

    @property
    def still_to_hand(self) -> int:
        return max(self.cash_due - self.handed, 0)

    @property
    def withheld(self) -> int:
        """What goes to the fund for seed loans: taken first from her payout,
        or the whole payout of produce she returned for one. So that a
        payout ≥ 0 is, across the sheet, withheld + set off + cash."""
        return self.entitled if self.for_fund else self.seed_loans

    def fund_label(self) -> str:
        assert self.fund_loan is not None
        return fund_label(self.fund_loan)


def fund_label(loan: SeedLoan) -> str:
    return str(_l("to the fund (seed loan %(number)s returned)", number=loan.id))


@dataclass(frozen=True)
class PayoutSheet:
    lot: SaleLot
    closed: bool
    lines: list[PayoutLine]

    def line(self, membership_id: int) -> PayoutLine | None:
        """Her own line (never that of produce she returned for the fund)."""
        return next((x for x in self.lines
                     if x.membership.id == membership_id and not x.for_fund), None)

    @property
    def entitled(self) -> int:
        return sum(x.entitled for x in self.lines)

    @property
    def seed_loans(self) -> int:
        return sum(x.seed_loans for x in self.lines)

    @property
    def withheld(self) -> int:
        return sum(x.withheld for x in self.lines)

    @property
    def set_off(self) -> int:
        return sum(x.set_off for x in self.lines)

    @property
    def cash_due(self) -> int:
        return sum(x.cash_due for x in self.lines)

    @property
    def handed(self) -> int:
        return sum(x.handed for x in self.lines)

    @property
    def still_to_hand(self) -> int:
        return sum(x.still_to_hand for x in self.lines)

    @property
    def paid_out(self) -> bool:
        """Closed, and all the cash it owes is recorded as handed over."""
        return self.closed and self.still_to_hand == 0


def _balance_before(session: Session, account_id: int, posting_id: int) -> int:
    """Her account's balance just before a posting (postings are never edited,
    so this stays what it was when the payout was credited)."""
    signed = case((Posting.credit_account_id == account_id, Posting.amount),
                  else_=-Posting.amount)
    total = session.scalar(select(func.coalesce(func.sum(signed), 0)).where(
        (Posting.credit_account_id == account_id) | (Posting.debit_account_id == account_id),
        Posting.id < posting_id))
    return int(total or 0)


def cash_handed(session: Session, lot: SaleLot) -> dict[int, int]:
    """{membership id: cash recorded as handed to her for this lot}; a hand-out
    whose entry was reversed from her statement (recorded by mistake) is not."""
    return {mid: int(total or 0) for mid, total in session.execute(
        select(CashPayout.membership_id, func.sum(CashPayout.amount))
        .where(CashPayout.lot_id == lot.id,
               CashPayout.posting_id.not_in(ledger.reversed_entries()))
        .group_by(CashPayout.membership_id))}


def payout_sheet(session: Session, lot: SaleLot, view: LotView | None = None, *,
                 only: int | None = None) -> PayoutSheet:
    """Each member's entitlement, the debt set off against it and the cash to
    hand over: for a closed lot as it was credited, for an open one as closing
    now would credit it (against what she owes today). `only`: her line alone
    (a membership id), without reading the others' accounts."""
    view = view or compute_split(session, lot)
    handed = cash_handed(session, lot)
    lines = []
    if view.closed:
        payouts = {p.membership_id: p for p in session.scalars(
            select(SalePayout).where(SalePayout.lot_id == lot.id))}
        deducted = seed_loans.lot_deductions(session, lot.id)
    for membership, member in view.rows():
        if only is not None and membership.id != only:
            continue
        owed = 0
        if view.closed:
            payout = payouts.get(membership.id)
            if payout is not None and payout.posting_id is not None:
                account = ledger.member_account(session, membership)
                owed = max(-_balance_before(session, account, payout.posting_id), 0)
            seed = deducted.get(membership.id, 0)
        else:
            owed = max(-ledger.member_balance(session, membership), 0)
            seed = seed_loans.payout_claim(session, membership, member.payout)
        lines.append(PayoutLine(membership=membership, entitled=member.payout,
                                owed_before=owed, handed=handed.get(membership.id, 0),
                                seed_loans=seed))
    for loan, member in view.fund_rows():
        if only is not None and loan.membership_id != only:
            continue
        lines.append(PayoutLine(membership=loan.membership, entitled=member.payout,
                                owed_before=0, handed=0, fund_loan=loan))
    return PayoutSheet(lot=lot, closed=view.closed, lines=lines)


def lot_state_name(sheet: PayoutSheet) -> object:
    return PAID_OUT_NAME if sheet.paid_out else STATE_NAMES[sheet.lot.state]


def paid_out_lot_ids(session: Session, lots: Sequence[SaleLot]) -> set[int]:
    """The closed lots whose cash payouts are all handed over."""
    return {lot.id for lot in lots
            if lot.state == CLOSED and payout_sheet(session, lot).paid_out}
