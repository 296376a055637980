"""The group's books. Postings are only ever added; balances are derived."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from coop.groups.models import Membership
from coop.ledger.models import Account, Posting


def account_balance(session: Session, account_id: int) -> int:
    """Credits minus debits, in minor units (for a member: positive = in credit)."""
    signed = case((Posting.credit_account_id == account_id, Posting.amount),
                  else_=-Posting.amount)
    total = session.scalar(select(func.coalesce(func.sum(signed), 0)).where(
        (Posting.credit_account_id == account_id) | (Posting.debit_account_id == account_id)))
    return int(total or 0)


def member_balance(session: Session, membership: Membership) -> int:
    """What she has in credit (positive) or owes (negative); 0 with no postings."""
    account_id = session.scalar(select(Account.id).where(
        Account.membership_id == membership.id))
    return 0 if account_id is None else account_balance(session, account_id)
