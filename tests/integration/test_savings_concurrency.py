"""Two treasurers (or one double tap) at the same moment on one savings
meeting: two closes, two confirmations of the share-out, two reopens. Each
thread has its own connection and transaction, as app workers would; the
cycle's row lock makes the second wait and then find the move done (409).
PostgreSQL only (SQLite has no concurrent writers)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.groups.models import Group
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.savings import services as savings
from coop.savings.models import Confirmation, SavingsMeeting, ShareOut
from tests.integration.test_concurrency import run_together
from tests.savings_factory import SavingsWorld, hold_meeting, make_savings_group

pytestmark = pytest.mark.postgres


def _postings(session: Session, meeting_id: int, kind: str | None = None) -> int:
    query = select(func.count()).select_from(Posting).where(Posting.sg_meeting_id == meeting_id)
    if kind is not None:
        query = query.where(Posting.kind == kind)
    return session.scalar(query) or 0


def _closer(world: SavingsWorld, meeting_id: int, counts: savings.Counts
            ) -> Callable[[Session], None]:
    group_id, user_id, holders = world.group.id, world.treasurer.user_id, world.key_holder_ids

    def close(s: Session) -> None:
        savings.close_meeting(s, s.get(SavingsMeeting, meeting_id), s.get(Group, group_id),
                              counts=counts, key_holder_ids=holders, actor=s.get(User, user_id))

    return close


def _counts(session: Session, world: SavingsWorld, meeting: SavingsMeeting) -> savings.Counts:
    run = savings.check_meeting(session, meeting, world.group)
    cash = savings.expected_cash(run, meeting)
    return savings.Counts(cash["loan"][0], cash["social"][0], cash["loan"][1], cash["social"][1])


def test_two_closes_of_one_meeting_at_once_post_it_once(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    world = make_savings_group(session)
    meeting = hold_meeting(session, world, 1, close_it=False)
    counts = _counts(session, world, meeting)
    session.commit()
    outcomes = run_together(app_ctx, _closer(world, meeting.id, counts), n=2)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert session.get(SavingsMeeting, meeting.id).state == "closed"
    assert _postings(session, meeting.id, "sg_loan_out") == 1
    assert _postings(session, meeting.id, "sg_shares") == 5  # each member's shares, once
    assert session.scalar(select(func.count()).select_from(Confirmation).where(
        Confirmation.meeting_id == meeting.id)) == 2  # one closing, two key-holders
    balances = savings.savings_balances(session, world.cycle)
    assert (-balances["sg_box_loan"], -balances["sg_box_social"], balances["sg_income"]) == (
        22000, 5000, 7300)  # §10.1 after meeting 1
    assert check_books(session, world.group.id) == []
    assert sum(ledger.balances(session, world.group).values()) == 0


def test_two_confirmations_of_one_share_out_at_once_pay_out_once(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    world = make_savings_group(session)
    for k in (1, 2, 3):
        hold_meeting(session, world, k)
    share_out = hold_meeting(session, world, 4, close_it=False)
    counts = _counts(session, world, share_out)
    session.commit()
    outcomes = run_together(app_ctx, _closer(world, share_out.id, counts), n=2)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    [done] = session.scalars(select(ShareOut).where(ShareOut.cycle_id == world.cycle.id)).all()
    assert [line.cash for line in done.lines] == [105800, 84600, 57400, 84600, 42300]
    assert _postings(session, share_out.id, "sg_payout") == 5
    assert _postings(session, share_out.id, "sg_residual") == 5
    balances = savings.savings_balances(session, world.cycle)
    assert (-balances["sg_box_loan"], -balances["sg_box_social"], balances["sg_income"]) == (
        0, 13250, 0)
    assert check_books(session, world.group.id) == []


def test_two_reopens_at_once_reverse_the_meeting_once(  # type: ignore[no-untyped-def]
        pg_only, app_ctx, session: Session) -> None:
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    meeting = hold_meeting(session, world, 2)
    session.commit()
    posted = _postings(session, meeting.id)
    meeting_id, group_id = meeting.id, world.group.id
    user_id, holders = world.treasurer.user_id, world.key_holder_ids

    def reopen(s: Session) -> None:
        savings.reopen_meeting(s, s.get(SavingsMeeting, meeting_id), s.get(Group, group_id),
                               reason="ошибка в долях", key_holder_ids=holders,
                               actor=s.get(User, user_id))

    outcomes = run_together(app_ctx, reopen, n=2)
    assert sorted(outcomes) == ["ok", "refused"], outcomes
    session.expire_all()
    assert session.get(SavingsMeeting, meeting_id).state == "open"
    assert _postings(session, meeting_id, "reversal") == posted
    balances = savings.savings_balances(session, world.cycle)
    assert (-balances["sg_box_loan"], -balances["sg_box_social"], balances["sg_income"]) == (
        22000, 5000, 7300)  # as after meeting 1
    assert check_books(session, world.group.id) == []
