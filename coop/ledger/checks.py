"""The books check: what must hold of a group's books whatever happened, in
whatever order and at whatever moment. An empty list means the books are sound.

Run after the concurrency tests and the property tests; a treasurer's
installation can run it too (it only reads)."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.ledger.models import Account, Payment, Posting
from coop.orders.models import Settlement
from coop.sales.models import CashPayout, LotClosing, SalePayout


def check_books(session: Session, group_id: int | None = None) -> list[str]:
    """Every problem found, one line each (English: this is for developers and
    the platform admin, not for members)."""
    problems: list[str] = []
    postings = select(Posting)
    if group_id is not None:
        postings = postings.where(Posting.group_id == group_id)
    rows = list(session.scalars(postings.order_by(Posting.id)))
    by_id = {p.id: p for p in rows}
    problems += _balanced(session, rows)
    problems += _reversed_once(session, rows, by_id)
    problems += _write_offs_within_debt(session, rows)
    problems += _settled_once(session, rows, group_id)
    problems += _records_once(session, group_id)
    return problems


def _balanced(session: Session, rows: list[Posting]) -> list[str]:
    """Each posting moves a positive amount between two distinct accounts of
    its own group, so every group's accounts sum to zero."""
    problems = []
    account_group = dict(session.execute(select(Account.id, Account.group_id)).all())
    totals: dict[int, int] = defaultdict(int)
    for p in rows:
        if p.amount <= 0 or p.debit_account_id == p.credit_account_id:
            problems.append(f"posting {p.id}: amount {p.amount} between "
                            f"{p.debit_account_id} and {p.credit_account_id}")
        for account in (p.debit_account_id, p.credit_account_id):
            if account_group.get(account) != p.group_id:
                problems.append(f"posting {p.id}: account {account} of another group")
        totals[account_group.get(p.credit_account_id, -1)] += p.amount
        totals[account_group.get(p.debit_account_id, -1)] -= p.amount
    problems += [f"group {gid}: its accounts sum to {total}, not zero"
                 for gid, total in totals.items() if total]
    return problems


def _reversed_once(session: Session, rows: list[Posting], by_id: dict[int, Posting]
                   ) -> list[str]:
    """Each posting is reversed at most once, by its exact mirror; a reversal is
    never reversed."""
    problems = []
    count = Counter(p.reverses_id for p in rows if p.reverses_id is not None)
    for original, times in count.items():
        if times > 1:
            problems.append(f"posting {original} reversed {times} times")
    for p in rows:
        if p.reverses_id is None:
            continue
        original = by_id.get(p.reverses_id) or session.get(Posting, p.reverses_id)
        if original is None:
            problems.append(f"posting {p.id} reverses a posting that does not exist")
            continue
        if original.reverses_id is not None:
            problems.append(f"posting {p.id} reverses the reversal {original.id}")
        if (p.amount, p.debit_account_id, p.credit_account_id) != (
                original.amount, original.credit_account_id, original.debit_account_id):
            problems.append(f"posting {p.id} is not the mirror of {original.id}")
    return problems


def _write_offs_within_debt(session: Session, rows: list[Posting]) -> list[str]:
    """Replaying each member's account in order, no write-off takes more than
    she owed just before it."""
    problems = []
    member_accounts = dict(session.execute(
        select(Account.id, Account.membership_id).where(Account.kind == "member")).all())
    balance: dict[int, int] = defaultdict(int)
    for p in rows:
        if p.kind == "write_off" and p.credit_account_id in member_accounts:
            owed = -balance[p.credit_account_id]
            if p.amount > owed:
                problems.append(
                    f"write-off {p.id} of {p.amount} for membership "
                    f"{member_accounts[p.credit_account_id]}, who owed {max(owed, 0)}")
        balance[p.credit_account_id] += p.amount
        balance[p.debit_account_id] -= p.amount
    return problems


def _settled_once(session: Session, rows: list[Posting], group_id: int | None) -> list[str]:
    """One settlement per round: at most one of each settlement entry per
    member and round, one fund cover per round; one closing per lot."""
    problems = []
    per_round = Counter(s for s in session.scalars(select(Settlement.round_id)))
    problems += [f"round {r} settled {n} times" for r, n in per_round.items() if n > 1]
    charges = Counter((p.round_id, p.membership_id, p.kind) for p in rows
                      if p.round_id is not None and p.reverses_id is None
                      and p.kind in ("charge", "levy", "rounding", "fund_cover"))
    problems += [f"round {r}: {n} '{kind}' entries for membership {m}"
                 for (r, m, kind), n in charges.items() if n > 1]
    per_lot = Counter(session.scalars(select(LotClosing.lot_id)))
    problems += [f"lot {lot} closed {n} times" for lot, n in per_lot.items() if n > 1]
    payouts = Counter(session.execute(select(SalePayout.lot_id, SalePayout.membership_id)).all())
    problems += [f"lot {lot}: {n} payouts to membership {m}"
                 for (lot, m), n in payouts.items() if n > 1]
    del group_id
    return problems


def _records_once(session: Session, group_id: int | None) -> list[str]:
    """Each payment and cash payout has its own entry, of its amount."""
    problems = []
    for model, kind in ((Payment, "payment"), (CashPayout, "payout_cash")):
        query = select(model.id, model.amount, model.posting_id, Posting.amount,
                       Posting.kind).join(Posting, Posting.id == model.posting_id)
        if group_id is not None:
            query = query.where(model.group_id == group_id)
        seen: Counter[int] = Counter()
        for record_id, amount, posting_id, posted, posted_kind in session.execute(query):
            seen[posting_id] += 1
            if amount != posted or posted_kind != kind:
                problems.append(f"{kind} {record_id}: entry {posting_id} is {posted_kind} "
                                f"{posted}, not {amount}")
        problems += [f"entry {p} carries {n} {kind}s" for p, n in seen.items() if n > 1]
    return problems
