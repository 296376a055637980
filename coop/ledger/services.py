"""The group's books: double-entry postings that are only ever added.

Every movement debits one account and credits another with the same positive
amount, so all accounts of a group always sum to zero. A member's balance is
credits minus debits: positive, she has credit; negative, she owes. Balances
are derived from the postings, never stored. Functions flush, never commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, case, func, select, update
from sqlalchemy.orm import Session, aliased

from coop.auth.models import User
from coop.db import utcnow
from coop.errors import AskFirst, DomainError
from coop.groups.models import Group, Membership
from coop.i18n import fmt_date, fmt_money, local_today
from coop.ledger.models import MONEY_KINDS, PAYMENT_METHODS, Account, Payment, Posting

# the savings group's loan fund and social fund bags (coop/savings)
SAVINGS_BAG_KINDS = ("sg_box_loan", "sg_box_social")

KIND_NAMES = {
    "charge": _l("Purchase round"), "levy": _l("Solidarity fund levy"),
    "rounding": _l("Cash rounding"), "fund_cover": _l("Losses and costs paid by the fund"),
    "payment": _l("Payment"), "write_off": _l("Debt written off"),
    "reversal": _l("Reversal"), "adjustment": _l("Adjustment"),
    "pay_out": _l("Paid to a supplier"), "payout": _l("Sales payout"),
    "sale": _l("Joint sale: paid by the buyer"), "sale_cost": _l("Joint sale: cost paid"),
    "sale_credit": _l("Joint sale: the buyer pays later"),
    "sale_payment": _l("Joint sale: the buyer paid"),
    "payout_cash": _l("Sales payout handed out"),
    "transfer": _l("Money moved between the group's accounts"),
    "supplier_goods": _l("Goods from the supplier"),
    "supplier_delivery": _l("Supplier's delivery fee"),
    "supplier_credit": _l("Supplier's credit note"),
    "supplier_payment": _l("Paid to the supplier"),
    "method_transfer": _l("Earlier payments by bank or mobile money, moved out of the cash"),
    "equipment_fee": _l("Equipment usage fee"),
    "equipment_repair": _l("Equipment repair paid from its maintenance fund"),
    "equipment_repair_share": _l("Equipment repair: owner's share"),
    "seed_loan": _l("Seed loan from the fund"),
    "seed_repay": _l("Seed loan repaid"),
    "seed_return": _l("Seed loan returned in kind"),
    "seed_payout": _l("Seed loan repaid from a sales payout"),
    "seed_income": _l("Seed loan: the fund's share above the value"),
    "seed_write_off": _l("Seed loan written off"),
    "seed_stock_out": _l("Seed taken out of the stock"),
    "payout_fund": _l("Sales lot: the share of produce returned for a seed loan"),
    "seed_return_lot": _l("Seed loan returned into a sales lot: its value leaves the stock"),
}
# Entries that a settled round, a lot's payout, a seed loan or an equipment
# booking made, and that their own pages show too: reversed from a member's
# statement, the books and those pages would tell two stories (the lot still
# "paid out", her invoice still owed). What she owes is corrected by an
# adjustment, which says why.
MADE_ELSEWHERE = {
    **dict.fromkeys(("charge", "levy", "rounding", "fund_cover"), _l("a settled purchase round")),
    **dict.fromkeys(("payout", "payout_fund", "seed_payout"), _l("a joint sale's payout")),
    **dict.fromkeys(("seed_loan", "seed_repay", "seed_return", "seed_income", "seed_write_off",
                     "seed_return_lot"), _l("a seed loan")),
    **dict.fromkeys(("equipment_fee", "equipment_repair_share"), _l("an equipment booking")),
}
METHOD_NAMES = {"cash": _l("cash"), "bank": _l("bank transfer"), "mobile": _l("mobile money")}
MAX_AMOUNT = 10**14


@dataclass(frozen=True)
class GroupAccounts:
    fund: int
    cash: int
    suppliers: int


def group_accounts(session: Session, group: Group) -> GroupAccounts:
    """The group's fund, cash and payables accounts (made on first use)."""
    found = {a.kind: a.id for a in session.scalars(select(Account).where(
        Account.group_id == group.id, Account.membership_id.is_(None)))}
    for kind in ("fund", "cash", "suppliers"):
        if kind not in found:
            account = Account(group_id=group.id, kind=kind)
            session.add(account)
            session.flush()
            found[kind] = account.id
    return GroupAccounts(fund=found["fund"], cash=found["cash"], suppliers=found["suppliers"])


def money_account(session: Session, group: Group, method: str) -> int:
    """Where money paid in or out by `method` (cash, bank, mobile) is kept:
    the cash box, the bank account, the mobile wallet (made on first use)."""
    if method not in MONEY_KINDS:
        raise DomainError(_l("Unknown payment method."), field="method")
    if method == "cash":
        return group_accounts(session, group).cash
    return _the_account(session, group, method)


def _the_account(session: Session, group: Group, kind: str) -> int:
    """The group's one account of this kind (made on first use)."""
    account_id = session.scalar(select(Account.id).where(
        Account.group_id == group.id, Account.kind == kind).order_by(Account.id).limit(1))
    if account_id is None:
        account = Account(group_id=group.id, kind=kind)
        session.add(account)
        session.flush()
        account_id = account.id
    return account_id


def buyers_account(session: Session, group: Group) -> int:
    """What the buyers of joint sales paid later still owe the group (made on
    first use): debited by such a sale, credited by the buyer's payments."""
    return _the_account(session, group, "buyers")


def member_account(session: Session, membership: Membership, kind: str = "member") -> int:
    """Her purchase account (`member`), or her seed-loan account (`seed_loan`),
    made on first use."""
    account_id = session.scalar(select(Account.id).where(
        Account.membership_id == membership.id, Account.kind == kind))
    if account_id is None:
        account = Account(group_id=membership.group_id, kind=kind,
                          membership_id=membership.id)
        session.add(account)
        session.flush()
        account_id = account.id
    return account_id


def post(session: Session, group: Group, *, debit: int, credit: int, amount: int, kind: str,
         memo: str = "", actor: User | None = None, round_id: int | None = None,
         membership_id: int | None = None, reverses_id: int | None = None,
         idempotency_key: str | None = None) -> Posting | None:
    """Move `amount` from `debit` to `credit`; a negative amount moves it back;
    zero posts nothing."""
    if amount == 0:
        return None
    if amount < 0:
        debit, credit, amount = credit, debit, -amount
    posting = Posting(group_id=group.id, debit_account_id=debit, credit_account_id=credit,
                      amount=amount, kind=kind, memo=memo[:300], round_id=round_id,
                      membership_id=membership_id, reverses_id=reverses_id,
                      idempotency_key=idempotency_key,
                      created_by_id=actor.id if actor else None)
    session.add(posting)
    session.flush()
    return posting


def account_balance(session: Session, account_id: int) -> int:
    return int(session.scalar(_balance_of(False), {"account": account_id}) or 0)


def member_balance(session: Session, membership: Membership) -> int:
    """What she has in credit (positive) or owes (negative); 0 with no postings."""
    return int(session.scalar(_balance_of(True), {"membership": membership.id}) or 0)


@cache
def _balance_of(member: bool) -> Select:
    """An account's balance (bind "account"), or a member's (bind
    "membership"). Built once: building it costs more than running it."""
    account: Any = bindparam("account") if not member else select(Account.id).where(
        Account.membership_id == bindparam("membership"),
        Account.kind == "member").scalar_subquery()
    return balance_statement(account)


def balance_statement(account: Any) -> Select:
    """The balance of `account`: a bind, or a column of an enclosing statement
    (the sign-in reads a member's balance with her on her share page)."""
    signed = case((Posting.credit_account_id == account, Posting.amount),
                  else_=-Posting.amount)
    return select(func.coalesce(func.sum(signed), 0)).where(
        (Posting.credit_account_id == account) | (Posting.debit_account_id == account))


def balances(session: Session, group: Group) -> dict[int, int]:
    """{account id: balance} for every account of the group, in two queries."""
    credits = dict(session.execute(
        select(Posting.credit_account_id, func.sum(Posting.amount))
        .where(Posting.group_id == group.id).group_by(Posting.credit_account_id)).all())
    debits = dict(session.execute(
        select(Posting.debit_account_id, func.sum(Posting.amount))
        .where(Posting.group_id == group.id).group_by(Posting.debit_account_id)).all())
    accounts = session.scalars(select(Account.id).where(Account.group_id == group.id))
    return {a: int(credits.get(a, 0) or 0) - int(debits.get(a, 0) or 0) for a in accounts}


def overdraw_question(session: Session, group: Group, method: str, amount: int, *,
                      account: int | None = None, reversal: bool = False,
                      cash_only: bool = False) -> str | None:
    """The question before paying `amount` out by `method` when its money
    account (cash, bank, mobile; `account` when the caller has it) holds less,
    else None. A cash box, a bank account or a wallet cannot hold less than
    nothing: such a payment is money that was never recorded coming in (or
    the wrong account chosen). `reversal`: the money goes out because an entry
    that brought it in is reversed; `cash_only`: the form pays from the cash
    alone (a sale's cost, a member's payout); neither is told to pay from
    another account."""
    if account is None:
        account = money_account(session, group, method)
    held = -account_balance(session, account)  # debited when money comes in
    if amount <= held:
        return None
    after = fmt_money(held - amount, group.currency)
    holds = fmt_money(max(held, 0), group.currency)
    if reversal:
        return _reversal_question(method, holds, after)
    if cash_only and method == "cash":
        return str(_l("The cash box holds only %(amount)s: after this payment it would show "
                      "%(after)s, money paid out that was never recorded coming in. Record "
                      "the payments that came into it first. Record it anyway (the money "
                      "came from elsewhere)?", amount=holds, after=after))
    if method == "bank":
        return str(_l("The bank account holds only %(amount)s: after this payment it would "
                      "show %(after)s, money paid out that was never recorded coming in. "
                      "Record the payments that came into it first, or pay from the cash or "
                      "the mobile wallet. Record it anyway (the money came from elsewhere)?",
                      amount=holds, after=after))
    if method == "mobile":
        return str(_l("The mobile wallet holds only %(amount)s: after this payment it would "
                      "show %(after)s, money paid out that was never recorded coming in. "
                      "Record the payments that came into it first, or pay from the cash or "
                      "the bank account. Record it anyway (the money came from elsewhere)?",
                      amount=holds, after=after))
    return str(_l("The cash box holds only %(amount)s: after this payment it would show "
                  "%(after)s, money paid out that was never recorded coming in. Record the "
                  "payments that came into it first, or pay from the bank account or the "
                  "mobile wallet. Record it anyway (the money came from elsewhere)?",
                  amount=holds, after=after))


def _reversal_question(method: str, holds: str, after: str) -> str:
    if method == "bank":
        return str(_l("The bank account holds only %(amount)s: after this reversal it would "
                      "show %(after)s, money paid out that was never recorded coming in. "
                      "Record the payments that came into it first. Reverse it anyway (the "
                      "money came from elsewhere)?", amount=holds, after=after))
    if method == "mobile":
        return str(_l("The mobile wallet holds only %(amount)s: after this reversal it would "
                      "show %(after)s, money paid out that was never recorded coming in. "
                      "Record the payments that came into it first. Reverse it anyway (the "
                      "money came from elsewhere)?", amount=holds, after=after))
    return str(_l("The cash box holds only %(amount)s: after this reversal it would show "
                  "%(after)s, money paid out that was never recorded coming in. Record the "
                  "payments that came into it first. Reverse it anyway (the money came from "
                  "elsewhere)?", amount=holds, after=after))


def pay_from(session: Session, group: Group, method: str, amount: int, *,
             overdraw: bool = False, account: int | None = None,
             reversal: bool = False, cash_only: bool = False) -> int:
    """The money account that pays `amount` out by `method` (cash, bank,
    mobile), locked until the commit; more than it holds is asked first
    (AskFirst with overdraw_question) and paid only with `overdraw`, when the
    treasurer confirms the money came from elsewhere. Two payments at the
    same moment are checked one after the other. `account`: that money
    account, when the caller has it; `reversal`: asked as the reversal of an
    entry that brought the money in; `cash_only`: by a form that offers no
    other account."""
    if account is None:
        account = money_account(session, group, method)
    lock_account(session, account)
    question = None if overdraw else overdraw_question(session, group, method, amount,
                                                       account=account, reversal=reversal,
                                                       cash_only=cash_only)
    if question is not None:
        raise AskFirst(question, field="amount", confirm="overdraw")
    return account


def lock_account(session: Session, account_id: int) -> None:
    """The account's row, locked until the transaction ends: what pays out of
    a money account is checked against it one after the other."""
    session.execute(select(Account.id).where(Account.id == account_id).with_for_update())


def lock_accounts(session: Session, account_ids: Iterable[int]) -> None:
    """Several accounts' rows locked, lower id first: every path that holds
    more than one takes them in the same order, so two of them at once wait
    for each other instead of deadlocking (a move between two money accounts,
    a sale cancelled with payments into both)."""
    for account_id in sorted(set(account_ids)):
        lock_account(session, account_id)


def posting_accounts(session: Session, posting_ids: Iterable[int]) -> set[int]:
    """The accounts these postings debit and credit."""
    ids = list(posting_ids)
    if not ids:
        return set()
    rows = session.execute(select(Posting.debit_account_id, Posting.credit_account_id)
                           .where(Posting.id.in_(ids)))
    return {account for row in rows for account in row}


@dataclass
class MemberBalance:
    membership: Membership
    balance: int


@dataclass
class Books:
    members: list[MemberBalance]
    fund: int
    cash: int
    suppliers: int  # what the group still owes for purchases no supplier account carries
    bank: int = 0
    mobile: int = 0
    payables: int = 0  # what the group owes its suppliers, all supplier accounts together
    equipment: int = 0  # the maintenance funds of the group's equipment, together
    seed_loans: int = 0  # the members' seed-loan accounts together (negative: owed to the fund)
    seed_stock: int = 0  # the seed stock's value (negative: the group holds it)
    buyers: int = 0  # what buyers of sales paid later owe (negative: owed to the group)
    # The savings group's two bags (cash in them, positive), kept in books of
    # their own that balance apart from these; None: the group keeps no savings.
    savings_loan_bag: int | None = None
    savings_social_bag: int | None = None

    @property
    def total(self) -> int:
        """All accounts together: always zero."""
        return (self.members_net + self.fund + self.cash + self.bank + self.mobile
                + self.suppliers + self.payables + self.equipment + self.seed_loans
                + self.seed_stock + self.buyers)

    @property
    def buyers_owe(self) -> int:
        """What buyers of sales paid later still owe the group."""
        return -self.buyers

    @property
    def cash_on_hand(self) -> int:
        """Money in the box: the cash account is debited when money comes in."""
        return -self.cash

    @property
    def in_bank(self) -> int:
        return -self.bank

    @property
    def in_mobile(self) -> int:
        return -self.mobile

    @property
    def money(self) -> int:
        """Cash, bank and mobile wallet together."""
        return self.cash_on_hand + self.in_bank + self.in_mobile

    @property
    def members_net(self) -> int:
        return sum(m.balance for m in self.members)

    @property
    def members_owe(self) -> int:
        return -sum(m.balance for m in self.members if m.balance < 0)

    @property
    def members_credit(self) -> int:
        return sum(m.balance for m in self.members if m.balance > 0)


def books(session: Session, group: Group, memberships: list[Membership]) -> Books:
    accounts = group_accounts(session, group)
    by_account = balances(session, group)
    member_accounts = dict(session.execute(select(Account.membership_id, Account.id).where(
        Account.group_id == group.id, Account.kind == "member")).all())
    members = [MemberBalance(m, by_account.get(member_accounts.get(m.id, -1), 0))
               for m in memberships]
    listed = {m.id for m in memberships}
    # Members left out of the list (inactive) still count in the total.
    hidden = sum(by_account.get(account, 0) for mid, account in member_accounts.items()
                 if mid not in listed)
    by_kind: dict[str, int] = defaultdict(int)
    for account_id, kind in session.execute(select(Account.id, Account.kind).where(
            Account.group_id == group.id,
            Account.kind.in_(("bank", "mobile", "supplier", "equipment", "seed_loan",
                              "seed_stock", "buyers", *SAVINGS_BAG_KINDS)))):
        by_kind[kind] += by_account.get(account_id, 0)
    bags = SAVINGS_BAG_KINDS[0] in by_kind
    return Books(members=members, fund=by_account.get(accounts.fund, 0),
                 cash=by_account.get(accounts.cash, 0),
                 suppliers=by_account.get(accounts.suppliers, 0) + hidden,
                 bank=by_kind["bank"], mobile=by_kind["mobile"], payables=by_kind["supplier"],
                 equipment=by_kind["equipment"], seed_loans=by_kind["seed_loan"],
                 seed_stock=by_kind["seed_stock"], buyers=by_kind["buyers"],
                 savings_loan_bag=-by_kind["sg_box_loan"] if bags else None,
                 savings_social_bag=-by_kind["sg_box_social"] if bags else None)


# --------------------------------------------------------------------------
# Movements the treasurer records
# --------------------------------------------------------------------------


def _check_amount(amount: int, field: str = "amount") -> None:
    if amount <= 0:
        raise DomainError(_l("The amount must be more than zero."), field=field)
    if amount >= MAX_AMOUNT:
        raise DomainError(_l("The amount is too large."), field=field)


def check_key(idempotency_key: str | None) -> str:
    """The form's idempotency key, or a refusal: a form without one is stale."""
    key = (idempotency_key or "").strip()[:64]
    if len(key) < 16:
        raise DomainError(_l("The form has expired. Please reload the page and try again."))
    return key


def posting_by_key(session: Session, group_id: int, key: str | None) -> Posting | None:
    """The entry an earlier sending of the same form made, if any."""
    if not key:
        return None
    return session.scalar(select(Posting).where(Posting.group_id == group_id,
                                                Posting.idempotency_key == key))


def lock_member(session: Session, membership: Membership) -> None:
    """Serialise what checks and moves a member's money (her balance, what she
    owes): an UPDATE of her membership row, a row lock on PostgreSQL and the
    write lock on SQLite, held until the transaction ends. The same lock as her
    orders and cash payouts take."""
    session.execute(update(Membership).where(Membership.id == membership.id)
                    .values(order_lock=Membership.order_lock + 1)
                    .execution_options(synchronize_session=False))


RECEIPT = "receipt"  # the document counter that numbers payments' receipts


def _take_receipt_number(session: Session, group_id: int, year: int) -> int:
    # Late import: documents builds on the ledger.
    from coop.documents.services import lock_counter, take_numbers

    lock_counter(session, group_id, RECEIPT, year)
    return take_numbers(session, group_id, RECEIPT, year)[0]


def record_payment(session: Session, membership: Membership, *, amount: int, method: str,
                   reference: str, idempotency_key: str, actor: User) -> tuple[Payment, bool]:
    """A member pays into the group's money (in advance too): the cash box, the
    bank account or the mobile wallet, as she paid. Returns the payment and
    whether it is new: the same form sent twice records it once."""
    _check_amount(amount)
    if method not in PAYMENT_METHODS:
        raise DomainError(_l("Unknown payment method."), field="method")
    key = check_key(idempotency_key)
    existing = payment_by_key(session, membership.group_id, key)
    if existing is not None:
        return existing, False
    group = membership.group
    posting = post(session, group, debit=money_account(session, group, method),
                   credit=member_account(session, membership), amount=amount, kind="payment",
                   memo=reference.strip(), actor=actor, membership_id=membership.id)
    assert posting is not None
    year = local_today().year  # as documents are numbered
    payment = Payment(group_id=group.id, membership_id=membership.id, amount=amount,
                      method=method, reference=reference.strip()[:120], idempotency_key=key,
                      posting_id=posting.id, receipt_year=year,
                      receipt_seq=_take_receipt_number(session, group.id, year),
                      created_by_id=actor.id)
    session.add(payment)
    # Two identical forms at the same moment: the unique key makes the second
    # flush (or commit) fail with IntegrityError; the caller rolls back and
    # finds the first one with payment_by_key.
    session.flush()
    return payment, True


def payment_by_key(session: Session, group_id: int, key: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.group_id == group_id,
                                                Payment.idempotency_key == key))


def receipt_links(session: Session, membership: Membership) -> dict[int, tuple[str, int]]:
    """{posting id: (receipt number, payment id)} of her payments, for her
    statement page, which links each to its receipt."""
    return {posting_id: (f"{year}-{seq:04d}", payment_id)
            for posting_id, year, seq, payment_id in session.execute(
                select(Payment.posting_id, Payment.receipt_year, Payment.receipt_seq,
                       Payment.id).where(Payment.membership_id == membership.id))}


def receipt_numbers(session: Session, membership: Membership) -> dict[int, str]:
    """{posting id: receipt number} of her payments ("" for other entries)."""
    return defaultdict(str, {posting_id: number for posting_id, (number, _payment)
                             in receipt_links(session, membership).items()})


# A second record that matches one made within this time asks first.
RECENT = timedelta(hours=24)


def recent_payment(session: Session, membership: Membership, *, amount: int, method: str,
                   reference: str) -> Payment | None:
    """The latest payment of the last 24 h with the same member, amount, method
    and reference: what a form sent again after Back, or typed twice, repeats."""
    return session.scalar(select(Payment).where(
        Payment.membership_id == membership.id, Payment.amount == amount,
        Payment.method == method, Payment.reference == reference.strip()[:120],
        Payment.created_at >= utcnow() - RECENT).order_by(Payment.id.desc()).limit(1))


def reversed_entries() -> Select:
    """The ids of the entries that a reversal undid (a subquery: `Posting.id.not_in(...)`)."""
    return select(Posting.reverses_id).where(Posting.reverses_id.is_not(None))


def recent_posting(session: Session, group: Group, *, kind: str, amount: int, memo: str,
                   membership_id: int | None = None, debit: int | None = None
                   ) -> Posting | None:
    """The latest entry of the last 24 h of this kind with the same member,
    amount and note, not reversed (a write-off, an adjustment, a pay-out…)."""
    query = select(Posting).where(
        Posting.group_id == group.id, Posting.kind == kind, Posting.amount == abs(amount),
        Posting.memo == memo.strip()[:300], Posting.created_at >= utcnow() - RECENT,
        Posting.id.not_in(reversed_entries()))
    query = query.where(Posting.membership_id.is_(None) if membership_id is None
                        else Posting.membership_id == membership_id)
    if debit is not None:
        query = query.where(Posting.debit_account_id == debit)
    return session.scalar(query.order_by(Posting.id.desc()).limit(1))


def _earlier(session: Session, group_id: int, key: str | None, kind: str) -> Posting | None:
    """The entry of this kind the same form made before, or a refusal when its
    key was used for something else."""
    existing = posting_by_key(session, group_id, key)
    if existing is not None and existing.kind != kind:
        raise DomainError(_l("The form has expired. Please reload the page and try again."))
    return existing


def write_off(session: Session, membership: Membership, *, amount: int, reason: str,
              actor: User, idempotency_key: str | None = None) -> Posting:
    """What a member cannot pay is taken over by the solidarity fund. Visible.
    What she owes is read under her lock: two write-offs at the same moment
    cannot take more than her debt."""
    _check_amount(amount)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why the debt is written off."), field="reason")
    existing = _earlier(session, membership.group_id, idempotency_key, "write_off")
    if existing is not None:
        return existing
    lock_member(session, membership)
    # Looked for again under the lock: the same form, sent at the same moment,
    # may have committed while this one waited.
    existing = _earlier(session, membership.group_id, idempotency_key, "write_off")
    if existing is not None:
        return existing
    owed = -member_balance(session, membership)
    if amount > owed:
        raise DomainError(_l("She owes only %(owed)s.", owed=_format(max(owed, 0), membership)),
                          field="amount")
    accounts = group_accounts(session, membership.group)
    posting = post(session, membership.group, debit=accounts.fund,
                   credit=member_account(session, membership), amount=amount,
                   kind="write_off", memo=reason, actor=actor, membership_id=membership.id,
                   idempotency_key=idempotency_key)
    assert posting is not None
    return posting


def adjust_member(session: Session, membership: Membership, *, amount: int, reason: str,
                  actor: User, round_id: int | None = None,
                  idempotency_key: str | None = None) -> Posting:
    """Correct a member's charge: positive charges her more, negative refunds her;
    the other side is the group's purchases account."""
    if amount == 0:
        raise DomainError(_l("The amount must not be zero."), field="amount")
    if abs(amount) >= MAX_AMOUNT:
        raise DomainError(_l("The amount is too large."), field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why."), field="reason")
    existing = _earlier(session, membership.group_id, idempotency_key, "adjustment")
    if existing is not None:
        return existing
    lock_member(session, membership)
    existing = _earlier(session, membership.group_id, idempotency_key, "adjustment")
    if existing is not None:  # the same form, committed while this one waited
        return existing
    accounts = group_accounts(session, membership.group)
    posting = post(session, membership.group, debit=member_account(session, membership),
                   credit=accounts.suppliers, amount=amount, kind="adjustment", memo=reason,
                   actor=actor, round_id=round_id, membership_id=membership.id,
                   idempotency_key=idempotency_key)
    assert posting is not None
    return posting


def reverse_posting(session: Session, group: Group, posting_id: int, *, reason: str,
                    actor: User, idempotency_key: str | None = None,
                    account_id: int | None = None, overdraw: bool = False) -> Posting:
    """Undo a posting with its mirror image; both stay in the books. The posting
    is locked while it is checked, and the unique index on `reverses_id` makes
    a second reversal impossible whatever the timing. With `account_id` (a
    member's statement), the posting must be one of that account's. A mirror
    that takes money back out of the cash, the bank account or the wallet (the
    entry brought it in) is a payment out of it: more than it holds is asked
    first, after every refusal, and made only with `overdraw` (pay_from).
    From a statement (`account_id`), an entry another page shows too
    (MADE_ELSEWHERE) is refused."""
    reason = (reason or "").strip()
    existing = _earlier(session, group.id, idempotency_key, "reversal")
    if existing is not None:
        if existing.reverses_id != posting_id:
            raise DomainError(_l("The form has expired. Please reload the page and try "
                                 "again."))
        return existing
    posting = session.scalar(select(Posting).where(Posting.id == posting_id)
                             .with_for_update())
    if posting is None or posting.group_id != group.id or (
            account_id is not None
            and account_id not in (posting.debit_account_id, posting.credit_account_id)):
        raise DomainError(_l("There is no such entry."))
    existing = _earlier(session, group.id, idempotency_key, "reversal")  # under the lock
    if existing is not None and existing.reverses_id == posting_id:
        return existing
    if not reason:
        raise DomainError(_l("Say why."), field="reason")
    if posting.reverses_id is not None:
        raise DomainError(_l("A reversal cannot be reversed; record a new entry instead."))
    if posting.sg_meeting_id is not None:
        raise DomainError(_l("A savings meeting's entry is corrected by reopening the meeting, "
                             "not here."))
    if account_id is not None and posting.kind in MADE_ELSEWHERE:
        raise DomainError(_l("This entry was made by %(what)s, whose page shows it too: it is "
                             "not reversed here. To correct what she owes, record an "
                             "adjustment, which says why.", what=MADE_ELSEWHERE[posting.kind]))
    if session.scalar(select(Posting.id).where(Posting.reverses_id == posting.id)):
        raise DomainError(_l("This entry is already reversed."))
    _take_back_out(session, group, posting, overdraw=overdraw)
    mirror = post(session, group, debit=posting.credit_account_id,
                  credit=posting.debit_account_id, amount=posting.amount, kind="reversal",
                  memo=reason, actor=actor, round_id=posting.round_id,
                  membership_id=posting.membership_id, reverses_id=posting.id,
                  idempotency_key=idempotency_key)
    assert mirror is not None
    return mirror


def _take_back_out(session: Session, group: Group, posting: Posting, *,
                   overdraw: bool) -> None:
    """The mirror of an entry that brought money into the cash, the bank
    account or the wallet takes it back out: checked (and the account locked)
    as any payment out of it."""
    kind = session.scalar(select(Account.kind).where(Account.id == posting.debit_account_id))
    if kind in MONEY_KINDS:
        pay_from(session, group, kind, posting.amount, overdraw=overdraw,
                 account=posting.debit_account_id, reversal=True)


def pay_out(session: Session, group: Group, *, amount: int, memo: str, actor: User,
            method: str = "cash", idempotency_key: str | None = None,
            overdraw: bool = False) -> Posting:
    """The treasurer pays a shared cost (transport…) from the cash, the bank
    account or the mobile wallet (`method`). A supplier's bill is paid with
    coop.payables.services.pay_supplier, into her own account."""
    _check_amount(amount)
    memo = (memo or "").strip()
    if not memo:
        raise DomainError(_l("Say whom you paid and what for."), field="memo")
    existing = _earlier(session, group.id, idempotency_key, "pay_out")
    if existing is not None:
        return existing
    account = money_account(session, group, method)
    lock_account(session, account)
    existing = _earlier(session, group.id, idempotency_key, "pay_out")
    if existing is not None:  # the same form, committed while this one waited
        return existing
    accounts = group_accounts(session, group)
    posting = post(session, group, debit=accounts.suppliers,
                   credit=pay_from(session, group, method, amount, overdraw=overdraw,
                                   account=account),
                   amount=amount, kind="pay_out", memo=memo, actor=actor,
                   idempotency_key=idempotency_key)
    assert posting is not None
    return posting


# Where the money is, in the words of the form that moves it between accounts.
ACCOUNT_NAMES = {"cash": _l("cash box"), "bank": _l("bank account"),
                 "mobile": _l("mobile wallet")}
TRANSFER_MEMOS = {
    ("bank", "cash"): _l("From the bank account to the cash box"),
    ("cash", "bank"): _l("From the cash box to the bank account"),
    ("mobile", "cash"): _l("From the mobile wallet to the cash box"),
    ("cash", "mobile"): _l("From the cash box to the mobile wallet"),
    ("bank", "mobile"): _l("From the bank account to the mobile wallet"),
    ("mobile", "bank"): _l("From the mobile wallet to the bank account"),
}


def _check_transfer(source: str, target: str, amount: int) -> None:
    if source not in MONEY_KINDS:
        raise DomainError(_l("Choose the account the money comes out of."), field="source")
    if target not in MONEY_KINDS:
        raise DomainError(_l("Choose the account the money goes into."), field="target")
    if source == target:
        raise DomainError(_l("The money must go into another account than the one it comes "
                             "out of."), field="target")
    _check_amount(amount)


def _holds_too_little(method: str, held: str) -> DomainError:
    if method == "bank":
        message = _l("The bank account holds only %(amount)s: no more can be moved out of it.",
                     amount=held)
    elif method == "mobile":
        message = _l("The mobile wallet holds only %(amount)s: no more can be moved out of it.",
                     amount=held)
    else:
        message = _l("The cash box holds only %(amount)s: no more can be moved out of it.",
                     amount=held)
    return DomainError(message, field="amount")


def transfer_money(session: Session, group: Group, *, source: str, target: str, amount: int,
                   memo: str, actor: User, idempotency_key: str | None = None) -> Posting:
    """The treasurer moves the group's own money between its accounts: takes
    cash out of the bank, pays cash into it, cashes out the mobile wallet.
    One entry, debiting the account the money goes into and crediting the
    one it leaves. Nothing comes in or goes out of the group, so more than
    the source holds is refused, not asked (unlike a payment out: there is
    no "money from elsewhere" here). The two accounts are locked lower id
    first, so two moves in opposite directions at the same moment wait for
    each other instead of deadlocking, and what the source holds is read
    under its lock."""
    _check_transfer(source, target, amount)
    memo = transfer_memo(source, target, memo)
    existing = _earlier(session, group.id, idempotency_key, "transfer")
    if existing is not None:
        return existing
    source_id = money_account(session, group, source)
    target_id = money_account(session, group, target)
    lock_accounts(session, (source_id, target_id))
    existing = _earlier(session, group.id, idempotency_key, "transfer")
    if existing is not None:  # the same form, committed while this one waited
        return existing
    held = -account_balance(session, source_id)  # debited when money comes in
    if amount > held:
        raise _holds_too_little(source, fmt_money(max(held, 0), group.currency))
    posting = post(session, group, debit=target_id, credit=source_id, amount=amount,
                   kind="transfer", memo=memo, actor=actor, idempotency_key=idempotency_key)
    assert posting is not None
    return posting


def transfer_memo(source: str, target: str, memo: str | None) -> str:
    """A move's note: as typed, else where the money went («Из банка в кассу»)."""
    memo = (memo or "").strip()[:300]
    return memo or str(TRANSFER_MEMOS.get((source, target), KIND_NAMES["transfer"]))


@dataclass(frozen=True)
class Transfer:
    posting: Posting
    source: str  # cash, bank, mobile
    target: str


def recent_transfers(session: Session, group: Group, limit: int = 5) -> list[Transfer]:
    """The group's latest moves between its accounts, newest first."""
    kinds = {account_id: kind for kind, account_id in money_accounts(session, group).items()}
    if not kinds:
        return []
    return [Transfer(p, kinds.get(p.credit_account_id, ""), kinds.get(p.debit_account_id, ""))
            for p in session.scalars(select(Posting).where(
                Posting.group_id == group.id, Posting.kind == "transfer")
                .order_by(Posting.id.desc()).limit(limit))]


def recent_transfer(session: Session, group: Group, *, source: str, target: str,
                    amount: int) -> Posting | None:
    """The latest move of the last 24 h of this amount between the same two
    accounts, not reversed, whatever its note: the same move sent again."""
    if source not in MONEY_KINDS or target not in MONEY_KINDS or source == target:
        return None
    found = money_accounts(session, group)
    if source not in found or target not in found:
        return None
    return session.scalar(select(Posting).where(
        Posting.group_id == group.id, Posting.kind == "transfer", Posting.amount == amount,
        Posting.credit_account_id == found[source], Posting.debit_account_id == found[target],
        Posting.created_at >= utcnow() - RECENT, Posting.id.not_in(reversed_entries()))
        .order_by(Posting.id.desc()).limit(1))


def money_accounts(session: Session, group: Group) -> dict[str, int]:
    """{method: account id} of the group's money accounts that exist (none made)."""
    return {kind: account_id for account_id, kind in session.execute(
        select(Account.id, Account.kind).where(
            Account.group_id == group.id, Account.membership_id.is_(None),
            Account.kind.in_(MONEY_KINDS)).order_by(Account.id.desc()))}


def money_held(session: Session, group: Group) -> dict[str, int]:
    """What the cash box, the bank account and the mobile wallet hold (0 for
    one not made yet); reads only."""
    found = money_accounts(session, group)
    return {kind: -account_balance(session, found[kind]) if kind in found else 0
            for kind in MONEY_KINDS}


def _format(amount: int, membership: Membership) -> str:
    """An amount in a message, as the reader writes it ("103,00 сом")."""
    return fmt_money(amount, membership.group.currency)


# --------------------------------------------------------------------------
# Statements
# --------------------------------------------------------------------------


@dataclass
class StatementLine:
    posting: Posting
    amount: int  # signed for this account: + credit, - debit
    balance: int  # running balance after this line
    author: str
    reversed_by: int | None = None  # the reversal of this entry, if it was reversed
    reversed_at: datetime | None = None  # when
    reverses_at: datetime | None = None  # a reversal: when the entry it reverses was made

    @property
    def reversal_note(self) -> str:
        """Its reversal mark in words, for the CSV and the PDF (the page links
        the two entries): "reversed on …" or "reverses the entry of …"."""
        if self.reversed_by is not None and self.reversed_at is not None:
            return str(_l("reversed on %(date)s", date=fmt_date(self.reversed_at)))
        if self.posting.reverses_id is not None and self.reverses_at is not None:
            return str(_l("reverses the entry of %(date)s", date=fmt_date(self.reverses_at)))
        return ""

    @property
    def reversible(self) -> bool:
        """What reverse_posting accepts from a statement: not a reversal, not
        reversed yet, not a savings meeting's entry, not one made elsewhere."""
        return (self.reversed_by is None and self.posting.reverses_id is None
                and self.posting.sg_meeting_id is None
                and self.posting.kind not in MADE_ELSEWHERE)


def statement(session: Session, account_id: int, *, start: datetime | None = None,
              end: datetime | None = None) -> tuple[int, list[StatementLine]]:
    """(opening balance, lines with running balance) of one account."""
    touches = (Posting.credit_account_id == account_id) | (Posting.debit_account_id == account_id)
    opening = 0
    if start is not None:
        signed = case((Posting.credit_account_id == account_id, Posting.amount),
                      else_=-Posting.amount)
        opening = int(session.scalar(select(func.coalesce(func.sum(signed), 0)).where(
            touches, Posting.created_at < start)) or 0)
    author = aliased(User)
    # Which entries were reversed, and by what, in the same query (a posting is
    # reversed at most once: the unique index on reverses_id).
    reversal, original = aliased(Posting), aliased(Posting)
    query = (select(Posting, author.name, reversal.id, reversal.created_at, original.created_at)
             .outerjoin(author, author.id == Posting.created_by_id)
             .outerjoin(reversal, reversal.reverses_id == Posting.id)
             .outerjoin(original, original.id == Posting.reverses_id)
             .where(touches).order_by(Posting.created_at, Posting.id))
    if start is not None:
        query = query.where(Posting.created_at >= start)
    if end is not None:
        query = query.where(Posting.created_at < end)
    lines, balance = [], opening
    for posting, name, reversed_by, reversed_at, reverses_at in session.execute(query):
        amount = posting.amount if posting.credit_account_id == account_id else -posting.amount
        balance += amount
        lines.append(StatementLine(posting, amount, balance, name or "", reversed_by,
                                   reversed_at, reverses_at))
    return opening, lines


def fund_explained(session: Session, group: Group) -> dict[str, int]:
    """The fund's balance by kind of movement (they add up to the balance)."""
    fund = group_accounts(session, group).fund
    by_kind: dict[str, int] = defaultdict(int)
    for kind, credit, amount in session.execute(
            select(Posting.kind, Posting.credit_account_id, Posting.amount).where(
                (Posting.credit_account_id == fund) | (Posting.debit_account_id == fund))):
        by_kind[kind] += amount if credit == fund else -amount
    return dict(by_kind)


def fund_history(session: Session, group: Group) -> list[tuple[datetime, int]]:
    """(time, fund balance after it) for each movement of the fund."""
    _opening, lines = statement(session, group_accounts(session, group).fund)
    return [(line.posting.created_at, line.balance) for line in lines]
