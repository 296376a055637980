"""Seed loans: the solidarity fund lends a member her allocation of a round's
seed, repaid after the harvest in cash, in kind into the group's seed stock,
or first out of her next sales payout. Functions flush, never commit.

The books (coop.ledger): delivery moves the seed's value from her purchase
account to her own `seed_loan` account (the fund carries it now, and it no
longer counts against her credit limit); repayments clear that account, and
what the ratio adds above the value goes to the fund; a write-off is the
fund's loss. Seed returned in kind goes into the group's `seed_stock` account
at the loan's valuation. Every movement of one loan happens under the loan's
row lock, so two repayments sent at once are checked one after the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, to_user_timezone
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from coop import unit_text, units
from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError
from coop.groups.models import Group, Membership
from coop.i18n import fmt_money, local_today
from coop.ledger import services as ledger
from coop.ledger.models import PAYMENT_METHODS, Account
from coop.orders import services as orders
from coop.orders.models import Round
from coop.quantities import local_qty
from coop.season import domain
from coop.season.models import REPAY_MODES, SeedLoan, SeedRepayment, SeedStockMove
from coop.season.services import lock_steps
from coop.suppliers.models import Product

# "a loan" is masculine in Russian (заём): its states agree with it, apart from
# the same words said of a round or a booking (the context keeps them apart)
STATE_NAMES = {"proposed": lazy_pgettext("seed loan", "proposed"),
               "approved": lazy_pgettext("seed loan", "approved"),
               "delivered": lazy_pgettext("seed loan", "delivered, to repay"),
               "repaid": lazy_pgettext("seed loan", "repaid"),
               "written_off": lazy_pgettext("seed loan", "written off"),
               "cancelled": lazy_pgettext("seed loan", "cancelled")}
MODE_NAMES = {"cash": _l("in cash"), "kind": _l("in kind, seed into the group's stock"),
              "payout": _l("from her next sales payout")}
REPAYMENT_NAMES = {"cash": _l("Paid in cash"), "kind": _l("Returned in kind"),
                   "payout": _l("Deducted from a sales payout"),
                   "write_off": _l("Written off by the fund")}
LOANABLE_STATES = ("awarded", "received", "settled")


def loan_title(loan: SeedLoan, language: str | None = None) -> str:
    """"Seed loan 7": in `language`, else as the page is read. The books' memos
    are written in the group's language (they stay as written)."""
    if language is None:
        return str(_l("Seed loan %(number)s", number=loan.id))
    from flask_babel import force_locale

    from coop.documents.services import language as known_language

    with force_locale(known_language(language)):
        return str(_l("Seed loan %(number)s", number=loan.id))


def get_loan(session: Session, group: Group, loan_id: int) -> SeedLoan | None:
    loan = session.get(SeedLoan, loan_id)
    return loan if loan is not None and loan.group_id == group.id else None


def loan_by_key(session: Session, group_id: int, key: str | None) -> SeedLoan | None:
    if not key:
        return None
    return session.scalar(select(SeedLoan).where(SeedLoan.group_id == group_id,
                                                 SeedLoan.idempotency_key == key))


def repayment_by_key(session: Session, group_id: int, key: str | None) -> SeedRepayment | None:
    if not key:
        return None
    return session.scalar(select(SeedRepayment).where(SeedRepayment.group_id == group_id,
                                                      SeedRepayment.idempotency_key == key))


def stock_move_by_key(session: Session, group_id: int, key: str | None) -> SeedStockMove | None:
    if not key:
        return None
    return session.scalar(select(SeedStockMove).where(SeedStockMove.group_id == group_id,
                                                      SeedStockMove.idempotency_key == key))


def recent_repayment(session: Session, loan: SeedLoan, kind: str, *, amount: int | None = None,
                     quantity: int | None = None, method: str | None = None
                     ) -> SeedRepayment | None:
    """The latest repayment of this kind on this loan in the last 24 h with the
    same amount (or quantity returned, or method): the same form sent again
    after Back with a new key, or typed twice. None once the loan is closed:
    the service then refuses with the reason."""
    if loan.state != domain.DELIVERED:
        return None
    query = select(SeedRepayment).where(
        SeedRepayment.loan_id == loan.id, SeedRepayment.kind == kind,
        SeedRepayment.created_at >= utcnow() - ledger.RECENT)
    if amount is not None:
        query = query.where(SeedRepayment.principal + SeedRepayment.income == amount)
    if quantity is not None:
        query = query.where(SeedRepayment.quantity == quantity)
    if method is not None:
        query = query.where(SeedRepayment.method == method)
    return session.scalar(query.order_by(SeedRepayment.id.desc()).limit(1))


def list_loans(session: Session, group: Group, membership: Membership | None = None
               ) -> list[SeedLoan]:
    query = select(SeedLoan).where(SeedLoan.group_id == group.id).options(
        joinedload(SeedLoan.membership).joinedload(Membership.user),
        joinedload(SeedLoan.product))
    if membership is not None:
        query = query.where(SeedLoan.membership_id == membership.id)
    return list(session.scalars(query.order_by(SeedLoan.id.desc())).unique())


# --------------------------------------------------------------------------
# Her allocation in a round
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    product: Product
    quantity: int  # thousandths
    value: int  # minor units: her share of the product's goods value


def allocations(session: Session, rnd: Round, membership: Membership) -> list[Allocation]:
    """What the round's split gives her of each product (quantity, value)."""
    if rnd.state not in LOANABLE_STATES:
        return []
    result = orders.compute_split(session, rnd)
    outcome = result.outcome
    to_milli = 10 ** (3 - outcome.scenario.qty_decimals)
    index = next((m.index for m in outcome.members if m.id == str(membership.id)), None)
    if index is None:
        return []
    found = []
    for line in outcome.lines_of(index):
        product = outcome.products[line.product]
        item = result.items.get(product.id)
        if item is None or line.allocated <= 0:
            continue
        found.append(Allocation(item.product, line.allocated * to_milli, line.amount))
    return found


def loanable_rounds(session: Session, group: Group) -> list[Round]:
    return list(session.scalars(select(Round).where(
        Round.group_id == group.id, Round.state.in_(LOANABLE_STATES))
        .order_by(Round.id.desc())))


# --------------------------------------------------------------------------
# Proposal, approval, delivery
# --------------------------------------------------------------------------


def propose_loan(session: Session, group: Group, membership: Membership, *, round_id: int,
                 product_id: int, repay_mode: str, repay_bp: int, due_on: date | None,
                 actor: User, note: str = "", idempotency_key: str | None = None
                 ) -> SeedLoan:
    """A loan of her whole allocation of a product in a round (quantity and
    value as the round's split gives them)."""
    return propose_loan_once(session, group, membership, round_id=round_id,
                             product_id=product_id, repay_mode=repay_mode, repay_bp=repay_bp,
                             due_on=due_on, actor=actor, note=note,
                             idempotency_key=idempotency_key)[0]


def propose_loan_once(session: Session, group: Group, membership: Membership, *,
                      round_id: int, product_id: int, repay_mode: str, repay_bp: int,
                      due_on: date | None, actor: User, note: str = "",
                      idempotency_key: str | None = None) -> tuple[SeedLoan, bool]:
    """propose_loan, and whether this call made it (False: the same key was
    proposed before, or meanwhile)."""
    existing = loan_by_key(session, group.id, idempotency_key)
    if existing is not None:
        return existing, False
    if membership.group_id != group.id or not membership.active:
        raise DomainError(_l("Only active members of the group can borrow."), field="member")
    rnd = session.get(Round, round_id)
    if rnd is None or rnd.group_id != group.id:
        raise DomainError(_l("Unknown round."), field="round")
    if rnd.state not in LOANABLE_STATES:
        raise DomainError(_l("Seed can be lent once the round is awarded: then each "
                             "member's share is known."), field="round")
    if repay_mode not in REPAY_MODES:
        raise DomainError(_l("Choose how the loan is repaid."), field="repay_mode")
    if not domain.MIN_BP <= repay_bp <= domain.MAX_BP:
        raise DomainError(_l("She repays from 1 to 3 times what she borrowed."),
                          field="repay_ratio")
    if due_on is None:
        raise DomainError(_l("Give the day the loan is due (after the harvest)."),
                          field="due_on")
    if due_on <= local_today() or (rnd.delivery_date and due_on <= rnd.delivery_date):
        raise DomainError(_l("The loan falls due after the harvest: choose a later day."),
                          field="due_on")
    allocation = next((a for a in allocations(session, rnd, membership)
                       if a.product.id == product_id), None)
    if allocation is None or allocation.value <= 0:
        raise DomainError(_l("%(name)s gets none of this product in this round.",
                             name=membership.user.name), field="product")
    ledger.lock_member(session, membership)
    existing = loan_by_key(session, group.id, idempotency_key)  # sent meanwhile
    if existing is not None:
        return existing, False
    taken = session.scalar(select(SeedLoan.id).where(
        SeedLoan.round_id == rnd.id, SeedLoan.membership_id == membership.id,
        SeedLoan.product_id == product_id, SeedLoan.state != domain.CANCELLED))
    if taken is not None:
        raise DomainError(_l("She already has a seed loan for this product in this round "
                             "(number %(number)s).", number=taken), field="product")
    loan = SeedLoan(group_id=group.id, membership_id=membership.id, round_id=rnd.id,
                    product_id=product_id, quantity=allocation.quantity, value=allocation.value,
                    repay_mode=repay_mode, repay_bp=repay_bp, due_on=due_on,
                    state=domain.PROPOSED, note=(note or "").strip()[:300],
                    idempotency_key=idempotency_key, created_by_id=actor.id)
    session.add(loan)
    session.flush()
    return loan, True


def _lock(session: Session, loan: SeedLoan) -> None:
    """The loan's row, locked until the transaction ends (PostgreSQL: row
    lock; SQLite: the write lock); its state read again under it."""
    session.execute(update(SeedLoan).where(SeedLoan.id == loan.id)
                    .values(lock=SeedLoan.lock + 1).execution_options(synchronize_session=False))
    session.refresh(loan, ["state", "value", "quantity"])


def _move(session: Session, loan: SeedLoan, target: str, **values: object) -> None:
    current = loan.state
    if not domain.can_move_loan(current, target):
        raise DomainError(_l("A loan that is %(state)s cannot become %(target)s.",
                             state=STATE_NAMES[current], target=STATE_NAMES[target]))
    moved = session.execute(update(SeedLoan).where(SeedLoan.id == loan.id,
                                                   SeedLoan.state == current)
                            .values(state=target, **values)
                            .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        session.refresh(loan, ["state"])
        raise DomainError(_l("This loan was changed meanwhile: it is now %(state)s.",
                             state=STATE_NAMES[loan.state]))
    session.refresh(loan)


def approve_loan(session: Session, loan: SeedLoan, actor: User) -> None:
    _lock(session, loan)
    _move(session, loan, domain.APPROVED, approved_by_id=actor.id)


def cancel_loan(session: Session, loan: SeedLoan, actor: User) -> None:
    del actor
    _lock(session, loan)
    _move(session, loan, domain.CANCELLED, closed_at=utcnow())


def deliver_loan(session: Session, loan: SeedLoan, actor: User) -> None:
    """She has the seed: its value leaves her purchase account for her seed-loan
    account. The round must be settled (her bill is in the books); the value
    is her share as settled."""
    _lock(session, loan)
    if loan.state != domain.APPROVED:
        _move(session, loan, domain.DELIVERED)  # refuses with the reason
    rnd = session.get(Round, loan.round_id)
    assert rnd is not None
    if rnd.state != "settled":
        raise DomainError(_l("Settle the round first: then her bill is in the books and the "
                             "fund can take it over."))
    membership = loan.membership
    allocation = next((a for a in allocations(session, rnd, membership)
                       if a.product.id == loan.product_id), None)
    if allocation is None or allocation.value <= 0:
        raise DomainError(_l("%(name)s got none of this product in the settled round.",
                             name=membership.user.name))
    group = membership.group
    posting = ledger.post(session, group,
                          debit=ledger.member_account(session, membership, "seed_loan"),
                          credit=ledger.member_account(session, membership),
                          amount=allocation.value, kind="seed_loan",
                          memo=loan_title(loan, group.language),
                          actor=actor, round_id=rnd.id, membership_id=membership.id)
    assert posting is not None
    _move(session, loan, domain.DELIVERED, value=allocation.value,
          quantity=allocation.quantity, delivery_posting_id=posting.id,
          delivered_at=utcnow())


# --------------------------------------------------------------------------
# Where a loan stands
# --------------------------------------------------------------------------


def due_quantity(loan: SeedLoan) -> int:
    return domain.due_kind(loan.quantity, loan.repay_bp, loan.product.granularity)


def position(loan: SeedLoan) -> domain.LoanPosition:
    principal = income = written = 0
    for r in loan.repayments:
        if r.kind == "write_off":
            written += r.principal
        else:
            principal += r.principal
            income += r.income
    return domain.LoanPosition(value=loan.value, due=domain.due_money(loan.value, loan.repay_bp),
                               principal_paid=principal, income_paid=income,
                               written_off=written,
                               closed=loan.state in (domain.WRITTEN_OFF, domain.CANCELLED))


def written_off_on(loan: SeedLoan) -> date | None:
    """The day, in the group's time zone, a written-off loan was written off
    (when it was closed; else its write-off's entry); None for any other loan."""
    if loan.state != domain.WRITTEN_OFF:
        return None
    moment = loan.closed_at or next(
        (r.created_at for r in loan.repayments if r.kind == "write_off"), None)
    return None if moment is None else to_user_timezone(moment).date()


def returned_quantity(loan: SeedLoan) -> int:
    return sum(r.quantity for r in loan.repayments if r.kind == "kind")


def _check_outstanding(loan: SeedLoan) -> domain.LoanPosition:
    if loan.state != domain.DELIVERED:
        raise DomainError(_l("This loan is %(state)s: nothing is to be repaid.",
                             state=STATE_NAMES[loan.state]))
    session = _session_of(loan)
    session.refresh(loan, ["repayments"])
    return position(loan)


def _session_of(loan: SeedLoan) -> Session:
    from sqlalchemy.orm import object_session

    session = object_session(loan)
    assert session is not None
    return session


def _record(session: Session, loan: SeedLoan, *, kind: str, principal: int, income: int,
            source: int, actor: User | None, quantity: int = 0, method: str | None = None,
            lot_id: int | None = None, contribution_id: int | None = None, note: str = "",
            idempotency_key: str | None = None) -> SeedRepayment:
    """Post a repayment from `source` (an account): principal into her seed-loan
    account, income into the fund; close the loan when nothing is left."""
    membership = loan.membership
    group = membership.group
    memo = loan_title(loan, group.language)
    principal_kind = {"cash": "seed_repay", "kind": "seed_return", "payout": "seed_payout",
                      "write_off": "seed_write_off"}[kind]
    ledger.post(session, group, debit=source,
                credit=ledger.member_account(session, membership, "seed_loan"),
                amount=principal, kind=principal_kind, memo=memo, actor=actor,
                membership_id=membership.id)
    ledger.post(session, group, debit=source, credit=ledger.group_accounts(session, group).fund,
                amount=income, kind="seed_income", memo=memo, actor=actor,
                membership_id=membership.id)
    repayment = SeedRepayment(group_id=group.id, loan_id=loan.id, kind=kind,
                              principal=principal, income=income, quantity=quantity,
                              method=method, lot_id=lot_id, contribution_id=contribution_id,
                              note=note[:300],
                              idempotency_key=idempotency_key,
                              created_by_id=actor.id if actor else None)
    session.add(repayment)
    session.flush()
    session.refresh(loan, ["repayments"])
    after = position(loan)
    if kind == "write_off":
        _move(session, loan, domain.WRITTEN_OFF, closed_at=utcnow())
    elif after.left == 0:
        _move(session, loan, domain.REPAID, closed_at=utcnow())
    return repayment


def _earlier(session: Session, loan: SeedLoan, key: str | None, kind: str
             ) -> SeedRepayment | None:
    existing = repayment_by_key(session, loan.group_id, key)
    if existing is not None and (existing.loan_id != loan.id or existing.kind != kind):
        raise DomainError(_l("The form has expired. Please reload the page and try again."))
    return existing


def _replayed_or_locked(session: Session, loan: SeedLoan, key: str | None, kind: str
                        ) -> SeedRepayment | None:
    """What this form already recorded; else None with the loan locked, looked
    for again under the lock (the same form sent meanwhile)."""
    existing = _earlier(session, loan, key, kind)
    if existing is None:
        _lock(session, loan)
        existing = _earlier(session, loan, key, kind)
    return existing


def repay_cash(session: Session, loan: SeedLoan, *, amount: int, method: str, actor: User,
               idempotency_key: str | None = None, note: str = "") -> SeedRepayment:
    """She pays (part of) the loan in money: into the cash, bank or wallet."""
    return repay_cash_once(session, loan, amount=amount, method=method, actor=actor,
                           idempotency_key=idempotency_key, note=note)[0]


def repay_cash_once(session: Session, loan: SeedLoan, *, amount: int, method: str, actor: User,
                    idempotency_key: str | None = None, note: str = ""
                    ) -> tuple[SeedRepayment, bool]:
    """repay_cash, and whether this call recorded it (False: the same key
    was recorded before, or meanwhile)."""
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Unknown payment method."), field="method")
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field="amount")
    existing = _replayed_or_locked(session, loan, idempotency_key, "cash")
    if existing is not None:
        return existing, False
    now = _check_outstanding(loan)
    if amount > now.left:
        raise DomainError(_l("She owes only %(left)s on this loan.",
                             left=fmt_money(now.left, loan.membership.group.currency)),
                          field="amount")
    principal, income = now.split(amount)
    source = ledger.money_account(session, loan.membership.group, method)
    return _record(session, loan, kind="cash", principal=principal, income=income,
                   source=source, actor=actor, method=method, note=note,
                   idempotency_key=idempotency_key), True


def stock_account(session: Session, group: Group) -> int:
    """The seed stock account: the value of the seed in the stock, and of the
    produce returned for loans into sales lots until those lots close."""
    account_id = session.scalar(select(Account.id).where(
        Account.group_id == group.id, Account.kind == "seed_stock"))
    if account_id is None:
        account = Account(group_id=group.id, kind="seed_stock")
        session.add(account)
        session.flush()
        account_id = account.id
    return account_id


def repay_in_kind(session: Session, loan: SeedLoan, *, quantity: int, actor: User,
                  idempotency_key: str | None = None, note: str = "",
                  lot_id: int | None = None, grade_id: int | None = None) -> SeedRepayment:
    """She brings seed back into the group's stock (or her produce into a
    sales lot, `lot_id`): valued at the loan's due amount for its due
    quantity, in cumulative shares (parts add up exactly)."""
    return repay_in_kind_once(session, loan, quantity=quantity, actor=actor,
                              idempotency_key=idempotency_key, note=note, lot_id=lot_id,
                              grade_id=grade_id)[0]


def repay_in_kind_once(session: Session, loan: SeedLoan, *, quantity: int, actor: User,
                       idempotency_key: str | None = None, note: str = "",
                       lot_id: int | None = None, grade_id: int | None = None
                       ) -> tuple[SeedRepayment, bool]:
    """repay_in_kind, and whether this call recorded it. With `lot_id` (and
    the grade): she brings her produce into that open sales lot instead, in
    the fund's name: it clears the loan as seed into the stock would, and its
    share of the lot is paid to the solidarity fund when the lot closes."""
    if lot_id is not None:
        return _return_into_lot(session, loan, quantity=quantity, actor=actor,
                                idempotency_key=idempotency_key, note=note, lot_id=lot_id,
                                grade_id=grade_id)
    _check_return(session, loan, quantity)
    product = loan.product
    existing = _replayed_or_locked(session, loan, idempotency_key, "kind")
    if existing is not None:
        return existing, False
    now, cleared = _valued(loan, quantity)
    group = loan.membership.group
    stock = stock_account(session, group)
    principal, income = now.split(cleared)
    session.add(SeedStockMove(group_id=group.id, product_id=product.id, kind="loan_return",
                              quantity=quantity, value=cleared, loan_id=loan.id,
                              note=loan_title(loan, group.language),
                              created_by_id=actor.id))
    return _record(session, loan, kind="kind", principal=principal, income=income,
                   source=stock, actor=actor, quantity=quantity, note=note,
                   idempotency_key=idempotency_key), True


def _check_return(session: Session, loan: SeedLoan, quantity: int) -> None:
    """A return of `quantity` in kind fits the product's step. The product's
    row is share-locked first and read again (lock_steps), before the loan's
    lock, and held until the return is committed: the step checked here and
    the due quantity under the loan's lock (_valued) are the step a change
    under way left, and a change that comes later waits for this return and
    then finds it (what is left must fit its step: step_change_refusals)."""
    if quantity <= 0:
        raise DomainError(_l("The quantity must be more than zero."), field="quantity")
    lock_steps(session, [loan.product_id])
    product = loan.product
    if quantity % product.granularity:
        raise DomainError(_l("%(product)s: in steps of %(step)s (%(value)s is not).",
                             product=product.name,
                             step=unit_text.quantity(product.granularity, product.unit),
                             value=local_qty(quantity)), field="quantity")


def _valued(loan: SeedLoan, quantity: int) -> tuple[domain.LoanPosition, int]:
    """Under the loan's lock: her position, and what `quantity` clears of it."""
    now = _check_outstanding(loan)
    if loan.repay_mode != "kind":
        raise DomainError(_l("This loan is repaid %(mode)s, not in kind.",
                             mode=MODE_NAMES[loan.repay_mode]))
    before = returned_quantity(loan)
    due_qty = due_quantity(loan)
    if before + quantity > due_qty:
        raise DomainError(_l("She still owes only %(left)s.", left=unit_text.quantity(
            due_qty - before, loan.product.unit)), field="quantity")
    cleared = domain.kind_valuation(now.due, due_qty, before, quantity)
    if before + quantity == due_qty:
        cleared = now.left  # the last part clears what is left, to the minor unit
    # a part paid in money (or from a payout) meanwhile: never clear more than is left
    cleared = min(cleared, now.left)
    if cleared <= 0:
        raise DomainError(_l("This quantity is worth less than the smallest coin; bring "
                             "more at once."), field="quantity")
    return now, cleared


def lots_for_return(session: Session, loan: SeedLoan) -> list[tuple[object, object]]:
    """The (lot, grade) pairs her return may go into: the group's open sales
    lots sold in the loan's unit (kilograms of seed back as kilograms of produce)."""
    from coop.sales.models import SaleLot

    lots = session.scalars(select(SaleLot).where(
        SaleLot.group_id == loan.group_id, SaleLot.state == "open")
        .order_by(SaleLot.id.desc()))
    return [(lot, grade) for lot in lots if _same_unit(lot.unit, loan.product.unit)
            for grade in lot.grades]


def _same_unit(one: str, other: str) -> bool:
    return units.normalise(one) == units.normalise(other)


def _return_into_lot(session: Session, loan: SeedLoan, *, quantity: int, actor: User,
                     idempotency_key: str | None, note: str, lot_id: int,
                     grade_id: int | None) -> tuple[SeedRepayment, bool]:
    from coop.sales import services as sales
    from coop.sales.models import Contribution, SaleLot

    _check_return(session, loan, quantity)
    group = loan.membership.group
    lot = session.get(SaleLot, lot_id)
    if lot is None or lot.group_id != group.id:
        raise DomainError(_l("There is no such sales lot in the group."), field="lot")
    if not _same_unit(lot.unit, loan.product.unit):
        raise DomainError(_l("This lot is sold in another unit than the seed: choose a lot "
                             "of the same unit."), field="lot")
    existing = _replayed_or_locked(session, loan, idempotency_key, "kind")
    if existing is not None:
        return existing, False
    now, cleared = _valued(loan, quantity)
    sales.check_contribution(session, lot, grade_id=grade_id, quantity=quantity)
    sales.check_brought_on(lot, local_today())
    grade = sales.grade_of(lot, grade_id)
    contribution = Contribution(lot_id=lot.id, membership_id=loan.membership_id,
                                seed_loan_id=loan.id, grade_id=grade.id, quantity=quantity,
                                kind="delivery", brought_on=local_today(),
                                note=loan_title(loan, group.language),
                                idempotency_key=idempotency_key or None,
                                recorded_by_id=actor.id)
    session.add(contribution)
    session.flush()
    principal, income = now.split(cleared)
    return _record(session, loan, kind="kind", principal=principal, income=income,
                   source=stock_account(session, group), actor=actor, quantity=quantity,
                   contribution_id=contribution.id, note=note,
                   idempotency_key=idempotency_key), True


def lot_return_value(session: Session, lot_id: int, loan_id: int) -> int:
    """What the loan's returns into a lot were taken in at (minor units)."""
    from coop.sales.models import Contribution

    total = session.scalar(
        select(func.sum(SeedRepayment.principal + SeedRepayment.income))
        .join(Contribution, Contribution.id == SeedRepayment.contribution_id)
        .where(Contribution.lot_id == lot_id, SeedRepayment.loan_id == loan_id))
    return int(total or 0)


def lot_of(session: Session, repayment: SeedRepayment) -> int | None:
    """The sales lot a return in kind went into (None: the seed stock)."""
    if repayment.contribution_id is None:
        return None
    from coop.sales.models import Contribution

    return session.scalar(select(Contribution.lot_id).where(
        Contribution.id == repayment.contribution_id))


def write_off_loan(session: Session, loan: SeedLoan, *, reason: str, actor: User,
                   idempotency_key: str | None = None) -> SeedRepayment | None:
    """The fund takes the loss of what is left of the value (None when all of
    the value is repaid and only the ratio's income is left: it is given up,
    nothing is posted)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why the loan is written off."), field="reason")
    existing = _replayed_or_locked(session, loan, idempotency_key, "write_off")
    if existing is not None:
        return existing
    now = _check_outstanding(loan)
    group = loan.membership.group
    if now.principal_left <= 0:  # only the ratio's income is unpaid: nothing to lose
        _move(session, loan, domain.WRITTEN_OFF, closed_at=utcnow())
        return None
    return _record(session, loan, kind="write_off", principal=now.principal_left, income=0,
                   source=ledger.group_accounts(session, group).fund, actor=actor,
                   note=reason, idempotency_key=idempotency_key)


# --------------------------------------------------------------------------
# From her sales payout: first claim
# --------------------------------------------------------------------------


def payout_loans(session: Session, membership: Membership) -> list[SeedLoan]:
    """Her delivered loans repaid from payouts, the soonest due first."""
    return list(session.scalars(select(SeedLoan).where(
        SeedLoan.membership_id == membership.id, SeedLoan.state == domain.DELIVERED,
        SeedLoan.repay_mode == "payout").order_by(SeedLoan.due_on, SeedLoan.id)))


def payout_claim(session: Session, membership: Membership, payout: int) -> int:
    """What her loans would take of a payout of `payout` now (a preview)."""
    loans = payout_loans(session, membership)
    return sum(domain.payout_deduction(payout, [position(x).left for x in loans]))


def deduct_from_payout(session: Session, lot_id: int, membership: Membership, payout: int,
                       actor: User | None) -> int:
    """Right after her payout of a lot is credited to her account: her seed
    loans take their part first. Returns the total taken. The unique index
    (loan, lot) makes a second deduction for the same lot impossible."""
    loans = payout_loans(session, membership)
    for loan in loans:
        _lock(session, loan)
    lefts = [position(x).left if x.state == domain.DELIVERED else 0 for x in loans]
    taken = domain.payout_deduction(payout, lefts)
    source = ledger.member_account(session, membership)
    total = 0
    for loan, amount in zip(loans, taken, strict=True):
        if amount <= 0:
            continue
        principal, income = position(loan).split(amount)
        _record(session, loan, kind="payout", principal=principal, income=income,
                source=source, actor=actor, lot_id=lot_id)
        total += amount
    return total


def lot_deductions(session: Session, lot_id: int) -> dict[int, int]:
    """{membership id: taken for seed loans} of a closed lot's payouts."""
    rows = session.execute(
        select(SeedLoan.membership_id, func.sum(SeedRepayment.principal + SeedRepayment.income))
        .join(SeedLoan, SeedLoan.id == SeedRepayment.loan_id)
        .where(SeedRepayment.lot_id == lot_id).group_by(SeedLoan.membership_id))
    return {mid: int(total or 0) for mid, total in rows}


# --------------------------------------------------------------------------
# Reports: outstanding loans, the stock register
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Outstanding:
    loan: SeedLoan
    position: domain.LoanPosition
    days_late: int  # 0 when not yet due


def outstanding(session: Session, group: Group, today: date | None = None
                ) -> list[Outstanding]:
    """Delivered loans not yet repaid, the soonest due first."""
    today = today or local_today()
    loans = session.scalars(select(SeedLoan).where(
        SeedLoan.group_id == group.id, SeedLoan.state == domain.DELIVERED)
        .options(joinedload(SeedLoan.membership).joinedload(Membership.user),
                 joinedload(SeedLoan.product), joinedload(SeedLoan.repayments))
        .order_by(SeedLoan.due_on, SeedLoan.id)).unique()
    return [Outstanding(loan, position(loan), max((today - loan.due_on).days, 0))
            for loan in loans]


@dataclass
class StockRow:
    product: Product
    quantity_in: int = 0
    quantity_out: int = 0
    value_in: int = 0
    value_out: int = 0

    @property
    def on_hand(self) -> int:
        return self.quantity_in - self.quantity_out

    @property
    def value(self) -> int:
        return self.value_in - self.value_out


def stock_register(session: Session, group: Group) -> list[StockRow]:
    rows: dict[int, StockRow] = {}
    for move in session.scalars(select(SeedStockMove).where(SeedStockMove.group_id == group.id)
                                .options(joinedload(SeedStockMove.product))
                                .order_by(SeedStockMove.id)):
        row = rows.setdefault(move.product_id, StockRow(move.product))
        if move.quantity > 0:
            row.quantity_in += move.quantity
            row.value_in += move.value
        else:
            row.quantity_out -= move.quantity
            row.value_out -= move.value
    return sorted(rows.values(), key=lambda r: r.product.name)


def stock_moves(session: Session, group: Group) -> list[SeedStockMove]:
    return list(session.scalars(select(SeedStockMove).where(SeedStockMove.group_id == group.id)
                                .options(joinedload(SeedStockMove.product))
                                .order_by(SeedStockMove.id.desc())))


def take_from_stock(session: Session, group: Group, *, product_id: int, quantity: int,
                    note: str, actor: User, idempotency_key: str | None = None
                    ) -> SeedStockMove:
    """Seed leaves the stock (sown on a demonstration plot, given to the next
    farmers, sold…): its value at the stock's average leaves the fund too."""
    existing = stock_move_by_key(session, group.id, idempotency_key)
    if existing is not None:
        return existing
    note = (note or "").strip()
    if not note:
        raise DomainError(_l("Say where the seed goes."), field="note")
    if quantity <= 0:
        raise DomainError(_l("The quantity must be more than zero."), field="quantity")
    stock = stock_account(session, group)
    # The stock account's row is the lock that serialises two takings at once.
    session.execute(update(Account).where(Account.id == stock).values(group_id=Account.group_id)
                    .execution_options(synchronize_session=False))
    row = next((r for r in stock_register(session, group) if r.product.id == product_id), None)
    if row is None or row.on_hand <= 0:
        raise DomainError(_l("There is none of this seed in the stock."), field="product")
    if quantity > row.on_hand:
        raise DomainError(_l("The stock holds only %(left)s.", left=unit_text.quantity(
            row.on_hand, row.product.unit)), field="quantity")
    if quantity % row.product.granularity:
        raise DomainError(_l("%(product)s: in steps of %(step)s (%(value)s is not).",
                             product=row.product.name, step=unit_text.quantity(
                                 row.product.granularity, row.product.unit),
                             value=local_qty(quantity)), field="quantity")
    value = domain.stock_out_value(row.on_hand, row.value, quantity)
    move = SeedStockMove(group_id=group.id, product_id=product_id, kind="out",
                         quantity=-quantity, value=-value, note=note[:300],
                         idempotency_key=idempotency_key, created_by_id=actor.id)
    session.add(move)
    ledger.post(session, group, debit=ledger.group_accounts(session, group).fund,
                credit=stock, amount=value, kind="seed_stock_out", memo=note, actor=actor)
    session.flush()
    return move


def fund_lent(session: Session, group: Group) -> int:
    """What members owe the fund on seed loans now (positive)."""
    return -sum(ledger.account_balance(session, a) for a in session.scalars(
        select(Account.id).where(Account.group_id == group.id, Account.kind == "seed_loan")))


def member_seed_balance(session: Session, membership: Membership) -> int:
    """What she owes on seed loans (positive), from her seed-loan account."""
    account = session.scalar(select(Account.id).where(
        Account.membership_id == membership.id, Account.kind == "seed_loan"))
    return 0 if account is None else -ledger.account_balance(session, account)
