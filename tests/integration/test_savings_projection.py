"""'If we shared out today' (spec/savings.md §9.1, §11) gives the figures the
share-out would give: the engine is run on the cycle as `run_cycle` runs it,
with the paper books of a cycle adopted mid-way (§4.3) and the meetings'
corrections (§5.4). It used to run the bare scenario: an adopted cycle
showed 150,00 of equity after its first meeting instead of 475,00 (the six
shares and the income brought from paper left out), and a corrected share
count or waived interest was not in the projection."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.ledger.checks import check_books
from coop.savings import services as savings
from coop.savings.models import ShareOut
from tests.savings_factory import (
    close,
    hold_plain_meeting,
    make_adopted_group,
    make_savings_group,
)

_LINE = ("entitlement", "set_off", "net", "cash", "residual")


def _projection(session: Session, world) -> savings.ShareOutView:  # type: ignore[no-untyped-def]
    view = savings.share_out_view(session, world.cycle, world.group)
    assert view is not None and view.refusal is None and view.confirmed is None
    assert view.meeting is None  # a projection, not the open share-out meeting's draft
    return view


def _shared_out_the_next_day(session: Session, world, day: date) -> ShareOut:  # type: ignore[no-untyped-def]
    """The share-out meeting held the day after, with nothing else in it."""
    hold_plain_meeting(session, world, day, 0, kind="share_out")
    share_out = session.scalar(select(ShareOut).where(ShareOut.cycle_id == world.cycle.id))
    assert share_out is not None
    assert world.cycle.state == "closed"
    assert check_books(session, world.group.id) == []
    return share_out


def _rows(view: savings.ShareOutView) -> list[tuple[int, ...]]:
    return [(r["shares"], *(r[k] for k in _LINE)) for r in view.rows]


def _lines(share_out: ShareOut) -> list[tuple[int, ...]]:
    return [(x.shares, *(getattr(x, k) for k in _LINE))
            for x in sorted(share_out.lines, key=lambda x: x.passbook_no)]


def test_the_projection_of_an_adopted_cycle_counts_the_shares_bought_on_paper(
        session: Session) -> None:
    """After meeting 1 (one share each): 4 + 2 shares from paper and 3 bought,
    E = 9 × 50,00 + 25,00 = 475,00; Айгүл's 105,00 still owed from paper is
    set off. The share-out held the next day with nothing else gives the same
    lines, to the tyiyn; the passbook's figure (the engine's indicator) too."""
    world = make_adopted_group(session)
    hold_plain_meeting(session, world, date(2026, 3, 5), 1)
    view = _projection(session, world)
    assert (view.equity, view.total_shares, view.income, view.loan_bag) == (
        47500, 9, 2500, 37000)
    # 47 500 over 5/3/1 shares: 26 388 r 8, 15 833 r 3, 5 277 r 7; the 2 left to Айгүл, Чолпон
    assert _rows(view) == [(5, 26389, 10500, 15889, 15800, 89),
                           (3, 15833, 0, 15833, 15800, 33),
                           (1, 5278, 0, 5278, 5200, 78)]
    run = savings.closed_run(session, world.cycle, world.group)
    assert run is not None
    passbooks = {r["id"]: (savings.to_minor(r["entitlement"]), savings.to_minor(r["net"]))
                 for r in run.result["indicators"]["projected_share_out"]}
    assert [passbooks[run.ids[r["member"].id]] for r in view.rows] == [
        (r["entitlement"], r["net"]) for r in view.rows]

    # the social fund carried: 10,00 from paper + 3 × 10,00 + the 2,00 of coins
    assert view.social_fund_carried == 4200

    share_out = _shared_out_the_next_day(session, world, date(2026, 3, 6))
    assert (share_out.equity, share_out.total_shares) == (view.equity, view.total_shares)
    assert _lines(share_out) == _rows(view)
    assert -savings.savings_balances(session, world.cycle)["sg_box_social"] == 4200


def test_the_projection_holds_the_corrections_of_shares_and_interest(
        session: Session) -> None:
    """Meeting 2 takes a share back from Бермет (one too many written at
    meeting 1) and waives 2,00 of Чолпон's 5,00 interest: the projection has
    23 shares, not 24, and 3,00 of income, not 5,00 (E = 1 153,00); the
    share-out held the next day gives the same lines."""
    world = make_savings_group(session)
    group, bermet, cholpon = world.group, world.members[1], world.members[2]
    first = savings.open_meeting(session, world.cycle, group, day=date(2026, 3, 5),
                                 kind="regular", actor=world.treasurer.user)
    savings.save_register(session, first, group, [
        savings.RegisterLine(m.id, "present", shares=s, social=True)
        for m, s in zip(world.members, (5, 4, 3, 5, 2), strict=True)])
    savings.add_loan(session, first, group, member_id=cholpon.id, principal=10000, months=1,
                     purpose="семена")
    close(session, world, first)
    second = hold_plain_meeting(session, world, date(2026, 4, 5), 1, close_it=False)
    savings.add_share_adjustment(session, second, group, member_id=bermet.id, shares=-1,
                                 reason="на встрече 1 записали 4 доли вместо 3")
    savings.add_interest_waiver(session, second, group, member_id=cholpon.id, amount=200,
                                reason="решили на собрании")
    close(session, world, second)

    view = _projection(session, world)
    assert (view.total_shares, view.income, view.equity) == (23, 300, 115300)
    assert [r["shares"] for r in view.rows] == [6, 4, 4, 6, 3]
    assert view.rows[2]["set_off"] == 10300  # 100,00 and the 3,00 of interest left
    balances = savings.savings_balances(session, world.cycle)
    assert view.income == balances["sg_income"]
    assert view.loan_bag == -balances["sg_box_loan"]

    share_out = _shared_out_the_next_day(session, world, date(2026, 4, 6))
    assert (share_out.equity, share_out.total_shares) == (view.equity, view.total_shares)
    assert _lines(share_out) == _rows(view)
