"""What the group owes each supplier, in the books.

Each supplier has one ledger account (kind `supplier`), its postings carrying
the round. When a round is settled, the members' charges credit the group's
purchases account (`suppliers`) as before, and each awarded supplier's bill
moves from there to her account: her goods and her delivery fee credit it,
her credit notes debit it. Paying her debits it and credits the cash, the bank
account or the mobile wallet. Her account's balance is what is still owed to
her (credit: owed; debit: paid in advance). What stays in the purchases
account is what no supplier bills (transport by someone else…) and bills of
rounds settled before supplier accounts existed.

Functions take the session first, flush, never commit, raise DomainError."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError
from coop.groups.models import Group
from coop.i18n import fmt_money
from coop.ledger import services as ledger
from coop.ledger.models import PAYMENT_METHODS, Account, Posting
from coop.orders import split
from coop.orders.models import Round, RoundItem, SharedCost
from coop.payables import domain
from coop.payables.models import SupplierPayment
from coop.suppliers.models import Supplier

BILL_KINDS = ("supplier_goods", "supplier_delivery", "supplier_credit")
BILLED_STATES = ("awarded", "received", "settled")


# --------------------------------------------------------------------------
# Accounts
# --------------------------------------------------------------------------


def supplier_account(session: Session, supplier: Supplier) -> int:
    """The supplier's account in her group's books (made on first use; two
    requests making it at once make one: the second finds the first's)."""
    found = _account_id(session, supplier.id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            account = Account(group_id=supplier.group_id, kind="supplier",
                              supplier_id=supplier.id)
            session.add(account)
    except IntegrityError:
        found = _account_id(session, supplier.id)
        assert found is not None
        return found
    return account.id


def _account_id(session: Session, supplier_id: int) -> int | None:
    return session.scalar(select(Account.id).where(Account.supplier_id == supplier_id))


def _lock_account(session: Session, account_id: int) -> None:
    """Payments to one supplier are checked one after the other."""
    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


# --------------------------------------------------------------------------
# Settlement: each supplier's bill into her account
# --------------------------------------------------------------------------


def post_round_bills(session: Session, rnd: Round, outcome: split.SplitOutcome,
                     actor: User) -> list[domain.SupplierBill]:
    """Move each awarded supplier's bill of the settled round from the group's
    purchases account to her own: goods and delivery fee in, credit notes out."""
    group = rnd.group
    purchases = ledger.group_accounts(session, group).suppliers
    bills = domain.bills_of_split(outcome)
    suppliers = {s.id: s for s in session.scalars(select(Supplier).where(
        Supplier.id.in_([b.supplier_id for b in bills]), Supplier.group_id == group.id))}
    for bill in bills:
        supplier = suppliers.get(bill.supplier_id)
        if supplier is None:  # not the group's: stays in the purchases account
            continue
        account = supplier_account(session, supplier)
        common = {"memo": rnd.title, "actor": actor, "round_id": rnd.id}
        ledger.post(session, group, debit=purchases, credit=account, amount=bill.goods,
                    kind="supplier_goods", **common)
        ledger.post(session, group, debit=purchases, credit=account, amount=bill.delivery,
                    kind="supplier_delivery", **common)
        ledger.post(session, group, debit=account, credit=purchases, amount=bill.credit,
                    kind="supplier_credit", **common)
    return bills


# --------------------------------------------------------------------------
# What is owed: per round and supplier
# --------------------------------------------------------------------------


def round_bills(session: Session, rnd: Round) -> list[domain.SupplierBill]:
    """Each awarded supplier's bill for the round: from the books once it is
    settled with supplier accounts, else from the round's split as it stands
    (kept in the split cache, computed once per change of the round)."""
    if rnd.state not in BILLED_STATES:
        return []
    if rnd.state == "settled":
        posted = _posted_bills(session, rnd.group, [rnd.id]).get(rnd.id)
        if posted:
            return posted
    from coop.orders import cache as split_cache
    from coop.orders.services import compute_split, load_round

    def compute() -> str:
        outcome = compute_split(session, load_round(session, rnd)).outcome
        return json.dumps([b.to_row() for b in domain.bills_of_split(outcome)])

    rows = json.loads(str(split_cache.fragment(rnd, "supplier-bills", compute)))
    return [domain.SupplierBill(*row) for row in rows]


def _posted_bills(session: Session, group: Group, round_ids: Iterable[int] | None = None
                  ) -> dict[int, list[domain.SupplierBill]]:
    """{round id: bills} from the supplier accounts' postings (reversals count)."""
    own = aliased(Posting)
    original = aliased(Posting)
    kind = func.coalesce(original.kind, own.kind)
    query = (select(own.round_id, Account.supplier_id, kind,
                    func.sum(case((own.credit_account_id == Account.id, own.amount),
                                  else_=-own.amount)))
             .join(Account, (Account.id == own.credit_account_id)
                   | (Account.id == own.debit_account_id))
             .outerjoin(original, original.id == own.reverses_id)
             .where(own.group_id == group.id, Account.kind == "supplier",
                    own.round_id.is_not(None), kind.in_(BILL_KINDS))
             .group_by(own.round_id, Account.supplier_id, kind))
    if round_ids is not None:
        query = query.where(own.round_id.in_(list(round_ids)))
    figures: dict[int, dict[int, dict[str, int]]] = {}
    for round_id, supplier_id, what, signed in session.execute(query):
        figures.setdefault(round_id, {}).setdefault(supplier_id, {})[what] = int(signed or 0)
    return {round_id: [domain.SupplierBill(supplier_id, row.get("supplier_goods", 0),
                                           row.get("supplier_delivery", 0),
                                           -row.get("supplier_credit", 0))
                       for supplier_id, row in by_supplier.items()]
            for round_id, by_supplier in figures.items()}


def _paid(session: Session, group: Group, supplier_id: int | None = None
          ) -> dict[tuple[int, int | None], int]:
    """{(supplier id, round id or None): paid}, from the supplier accounts'
    postings: payments, less their reversals."""
    own = aliased(Posting)
    original = aliased(Posting)
    kind = func.coalesce(original.kind, own.kind)
    query = (select(Account.supplier_id, own.round_id,
                    func.sum(case((own.debit_account_id == Account.id, own.amount),
                                  else_=-own.amount)))
             .join(Account, (Account.id == own.credit_account_id)
                   | (Account.id == own.debit_account_id))
             .outerjoin(original, original.id == own.reverses_id)
             .where(own.group_id == group.id, Account.kind == "supplier",
                    kind == "supplier_payment")
             .group_by(Account.supplier_id, own.round_id))
    if supplier_id is not None:
        query = query.where(Account.supplier_id == supplier_id)
    return {(s, r): int(total or 0) for s, r, total in session.execute(query)}


def _billed_rounds(session: Session, group: Group, supplier_id: int | None = None
                   ) -> list[Round]:
    """The group's rounds that have (or will have) supplier bills, oldest first:
    awarded, received or settled, with a product or a cost of the supplier."""
    query = select(Round).where(Round.group_id == group.id,
                                Round.state.in_(BILLED_STATES)).order_by(Round.id)
    if supplier_id is not None:
        query = query.where(
            Round.id.in_(select(RoundItem.round_id).where(
                RoundItem.awarded_supplier_id == supplier_id))
            | Round.id.in_(select(SharedCost.round_id).where(
                SharedCost.supplier_id == supplier_id)))
    return list(session.scalars(query))


def positions(session: Session, group: Group, supplier: Supplier | None = None
              ) -> list[domain.SupplierPosition]:
    """What the group owes each of its suppliers (or `supplier` alone), round by
    round: billed (goods + delivery − credit notes), paid, still owed; and
    what the supplier's account in the books says. Rounds settled before
    supplier accounts existed are not here: their bills stay in the group's
    purchases account."""
    supplier_id = supplier.id if supplier is not None else None
    rounds = _billed_rounds(session, group, supplier_id)
    settled = [r.id for r in rounds if r.state == "settled"]
    posted = _posted_bills(session, group, settled) if settled else {}
    paid = _paid(session, group, supplier_id)
    query = select(Supplier).where(Supplier.group_id == group.id).order_by(Supplier.name)
    if supplier_id is not None:
        query = query.where(Supplier.id == supplier_id)
    found = {s.id: domain.SupplierPosition(s.id, s.name) for s in session.scalars(query)}
    accounts = dict(session.execute(select(Account.supplier_id, Account.id).where(
        Account.group_id == group.id, Account.kind == "supplier")).all())
    balances = ledger.balances(session, group) if accounts else {}
    for sid, position in found.items():
        position.books_balance = balances.get(accounts.get(sid, -1), 0)
    for rnd in rounds:
        if rnd.state == "settled":
            bills = posted.get(rnd.id)
            if bills is None:
                continue  # settled before supplier accounts: see the purchases account
        else:
            bills = round_bills(session, rnd)
        for bill in bills:
            position = found.get(bill.supplier_id)
            if position is None:
                continue
            row = domain.RoundPosition(round_id=rnd.id, title=rnd.title, state=rnd.state,
                                       in_books=rnd.state == "settled",
                                       paid=paid.pop((bill.supplier_id, rnd.id), 0))
            row.add_bill(bill)
            position.rounds.append(row)
    for (sid, round_id), amount in paid.items():  # paid on account, or for no billed round
        position = found.get(sid)
        if position is not None and amount:
            title = "" if round_id is None else (session.get(Round, round_id).title or "")
            position.rounds.append(domain.RoundPosition(round_id=round_id, title=title,
                                                        paid=amount))
    return list(found.values())


@dataclass
class RoundSupplierBill:
    supplier_id: int
    name: str
    position: domain.RoundPosition


def round_supplier_bills(session: Session, rnd: Round) -> list[RoundSupplierBill]:
    """One bill per awarded supplier of the round: goods, delivery fee, credit
    notes, paid for this round, still owed."""
    bills = round_bills(session, rnd)
    if not bills:
        return []
    # settled before supplier accounts existed: the bills are not in the books
    in_books = rnd.state == "settled" and bool(_posted_bills(session, rnd.group, [rnd.id]))
    names = dict(session.execute(select(Supplier.id, Supplier.name).where(
        Supplier.id.in_([b.supplier_id for b in bills]))).all())
    paid = {s: amount for (s, r), amount in _paid(session, rnd.group).items() if r == rnd.id}
    rows = []
    for bill in bills:
        position = domain.RoundPosition(round_id=rnd.id, title=rnd.title, state=rnd.state,
                                        in_books=in_books, paid=paid.get(bill.supplier_id, 0))
        position.add_bill(bill)
        rows.append(RoundSupplierBill(bill.supplier_id, names.get(bill.supplier_id, ""),
                                      position))
    return rows


def still_owed(session: Session, supplier: Supplier, round_id: int | None = None) -> int:
    """What the group still owes the supplier: for one round, or in all."""
    [position] = positions(session, supplier_group(session, supplier), supplier)
    if round_id is None:
        return position.total.owed
    return sum(row.owed for row in position.rounds if row.round_id == round_id)


def supplier_group(session: Session, supplier: Supplier) -> Group:
    group = session.get(Group, supplier.group_id)
    assert group is not None
    return group


# --------------------------------------------------------------------------
# Paying a supplier
# --------------------------------------------------------------------------


def pay_supplier(session: Session, supplier: Supplier, *, amount: int, method: str,
                 reference: str, idempotency_key: str, actor: User,
                 round_id: int | None = None, beyond_owed: bool = False,
                 overdraw: bool = False) -> tuple[SupplierPayment, bool]:
    """The treasurer pays the supplier from the cash, the bank account or the
    mobile wallet (`method`), for a round or on account. Returns the payment
    and whether it is new: the same form sent twice records it once. More than
    is still owed only with `beyond_owed` (an advance, said so); more than
    the money account holds only with `overdraw` (ledger.pay_from)."""
    group = supplier_group(session, supplier)
    ledger._check_amount(amount)
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Unknown payment method."), field="method")
    key = (idempotency_key or "").strip()[:64]
    if len(key) < 16:
        raise DomainError(_l("The form has expired. Please reload the page and try again."))
    reference = (reference or "").strip()[:120]
    rnd = None
    if round_id is not None:
        rnd = session.get(Round, round_id)
        if rnd is None or rnd.group_id != group.id:
            raise DomainError(_l("There is no such round."), field="round")
    existing = payment_by_key(session, group.id, key)
    if existing is not None:
        return existing, False
    account = supplier_account(session, supplier)
    _lock_account(session, account)
    existing = payment_by_key(session, group.id, key)  # recorded while we waited
    if existing is not None:
        return existing, False
    owed = still_owed(session, supplier, round_id)
    extra = domain.beyond_owed(amount, owed)
    if extra and not beyond_owed:
        currency = group.currency
        if rnd is not None:
            message = _l("%(name)s is owed %(owed)s for “%(round)s”; %(amount)s is %(extra)s "
                         "more, which would be an advance.", name=supplier.name,
                         owed=fmt_money(max(owed, 0), currency), round=rnd.title,
                         amount=fmt_money(amount, currency), extra=fmt_money(extra, currency))
        else:
            message = _l("%(name)s is owed %(owed)s; %(amount)s is %(extra)s more, which "
                         "would be an advance.", name=supplier.name,
                         owed=fmt_money(max(owed, 0), currency),
                         amount=fmt_money(amount, currency), extra=fmt_money(extra, currency))
        raise DomainError(message, field="amount", confirm="beyond_owed")
    posting = ledger.post(session, group, debit=account,
                          credit=ledger.pay_from(session, group, method, amount,
                                                 overdraw=overdraw),
                          amount=amount,
                          kind="supplier_payment",
                          memo=" · ".join(x for x in (supplier.name, reference) if x),
                          actor=actor, round_id=round_id)
    assert posting is not None
    payment = SupplierPayment(group_id=group.id, supplier_id=supplier.id, round_id=round_id,
                              amount=amount, method=method, reference=reference,
                              idempotency_key=key, posting_id=posting.id,
                              created_by_id=actor.id)
    session.add(payment)
    # Two identical forms at the same moment: the unique key makes the second
    # flush (or commit) fail with IntegrityError; the caller rolls back and
    # finds the first one with payment_by_key.
    session.flush()
    return payment, True


def payment_by_key(session: Session, group_id: int, key: str) -> SupplierPayment | None:
    return session.scalar(select(SupplierPayment).where(
        SupplierPayment.group_id == group_id, SupplierPayment.idempotency_key == key))


def recent_payment(session: Session, supplier: Supplier, *, amount: int, method: str,
                   reference: str) -> SupplierPayment | None:
    """The latest payment of the last 24 h to this supplier with the same
    amount, method and reference, not reversed: what a form sent again after
    Back, or typed twice, repeats."""
    return session.scalar(select(SupplierPayment).where(
        SupplierPayment.supplier_id == supplier.id, SupplierPayment.amount == amount,
        SupplierPayment.method == method,
        SupplierPayment.reference == (reference or "").strip()[:120],
        SupplierPayment.created_at >= utcnow() - ledger.RECENT,
        SupplierPayment.posting_id.not_in(ledger.reversed_entries()))
        .order_by(SupplierPayment.id.desc()).limit(1))


def supplier_statement(session: Session, supplier: Supplier
                       ) -> tuple[int, list[ledger.StatementLine]]:
    """The supplier account's postings with the running balance (owed to her)."""
    return ledger.statement(session, supplier_account(session, supplier))
