"""The indicators from the books (coop/savings/indicators.py) equal the
engine's (spec/savings-preview.md "Indicators") for example 01 after M3 and
after M4, sum across groups, and take a fixed number of queries."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session

from coop.savings import indicators, preview
from coop.savings import services as savings
from tests.savings_factory import (
    DATES,
    NAMES,
    SHARES,
    close,
    example_settings,
    hold_meeting,
    make_savings_group,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "savings"


def _engine(name: str) -> dict[str, object]:
    result = preview(json.loads((DATA / f"{name}.scenario.json").read_text()))
    out = dict(result["indicators"])
    del out["projected_share_out"]
    return out


def test_after_m3_as_the_engine_and_the_spec(session: Session) -> None:
    world = make_savings_group(session)
    for k in (1, 2, 3):
        hold_meeting(session, world, k)
    (row,) = indicators.compute(session, group_ids=[world.group.id])
    assert row.engine_dict() == _engine("03-mid-cycle-no-share-out")
    f = row.figures
    # spec §10.4, after M3
    assert (f.attendance_in_person, f.savings, f.loans_outstanding, f.interest_receivable,
            f.loan_fund_utilisation, f.par0, f.return_on_savings, f.total_assets) == (
        933, 270000, 96575, 6075, 339, 793, 78, 298950)


def test_after_m4_before_the_share_out_as_the_engine(session: Session) -> None:
    world = make_savings_group(session)
    for k in (1, 2, 3, 4):
        hold_meeting(session, world, k)
    (row,) = indicators.compute(session, group_ids=[world.group.id])
    assert row.engine_dict() == _engine("01-four-meetings-flat")
    assert row.figures.total_assets == 393950 and row.figures.par0 == 1000


def test_an_open_meeting_changes_nothing(session: Session) -> None:
    world = make_savings_group(session)
    for k in (1, 2):
        hold_meeting(session, world, k)
    hold_meeting(session, world, 3, close_it=False)
    (row,) = indicators.compute(session, group_ids=[world.group.id])
    assert row.meeting_number == 2 and row.engine_dict()["savings"] == "1800.00"


def test_declining_interest_falling_due_after_paying_ahead_is_at_risk(
        session: Session) -> None:
    """Aigul borrows 600,00 for 3 months at 5 % declining (200,00 an
    installment). At M2 installment 1 falls due with 30,00 interest and she
    pays 500,00: 30,00 + 200,00 + 200,00 of installment 2 (its interest not
    posted yet) + 70,00 of installment 3. At M3 installment 2 falls due with
    6,50 interest on her 130,00 and she pays nothing: its principal is paid,
    its interest is not, so it is overdue (savings-preview.md, step 12) and
    her 130,00 is at risk: PAR>0 = 100 %. Her 500,00 covers the 436,50 of
    installments 1 and 2 together, which is no proof that both are paid."""
    world = make_savings_group(session, settings=replace(
        example_settings(), interest_method="declining"))
    aigul = world.member("Айгүл")
    for k in (1, 2, 3):
        meeting = savings.open_meeting(session, world.cycle, world.group, day=DATES[k - 1],
                                       kind="regular", actor=world.treasurer.user)
        savings.save_register(session, meeting, world.group, [
            savings.RegisterLine(member.id, "present", shares=SHARES[k - 1][j], social=True,
                                 repayment=50000 if (k, member) == (2, aigul) else 0)
            for j, member in enumerate(world.members)])
        if k == 1:
            savings.add_loan(session, meeting, world.group, member_id=aigul.id,
                             principal=60000, months=3, purpose="семена")
        run = close(session, world, meeting)
    line = run.figures(3)["members"][NAMES.index("Айгүл")]
    assert (line["loan_principal"], line["loan_interest"], line["overdue"]) == (
        "130.00", "6.50", "6.50")
    engine = dict(run.result["indicators"])
    del engine["projected_share_out"]
    assert (engine["loans_outstanding"], engine["par0"], engine["par30"]) == (
        "130.00", "100.0", "0.0")
    (row,) = indicators.compute(session, group_ids=[world.group.id])
    assert row.engine_dict() == engine


def test_quarters_and_a_set_of_groups(session: Session) -> None:
    first = make_savings_group(session)
    for k in (1, 2, 3):
        hold_meeting(session, first, k)
    second = make_savings_group(session)
    for k in (1, 2):
        hold_meeting(session, second, k)
    ids = [first.group.id, second.group.id]
    quarters = indicators.compute(session, group_ids=ids, by_quarter=True)
    # M1 (March) closes Q1; M3 (May) is the last of Q2 for the first group, M2 (April) for the other
    # (in group name order, which the factory's numbered names need not share with the ids)
    assert sorted((r.group_id, r.quarter, r.meeting_number) for r in quarters) == sorted(
        [(first.group.id, (2026, 1), 1), (first.group.id, (2026, 2), 3),
         (second.group.id, (2026, 1), 1), (second.group.id, (2026, 2), 2)],
        key=lambda x: (x[0], x[1]))
    q1 = next(r for r in quarters if r.group_id == first.group.id and r.quarter == (2026, 1))
    assert q1.engine_dict()["savings"] == "950.00" and q1.engine_dict()["par0"] == "0.0"
    latest = indicators.compute(session, group_ids=ids)
    (total,) = indicators.totals(latest).values()
    a, b = (r.figures for r in latest)
    # Sums of numerators and denominators, not an average of percentages.
    assert total.present == a.present + b.present and total.enrolled == a.enrolled + b.enrolled
    assert total.attendance_in_person == indicators.Figures.tenths(
        a.present + b.present, a.enrolled + b.enrolled)
    assert total.savings == a.savings + b.savings and total.groups == 2


def test_the_number_of_queries_does_not_grow(session: Session, count_queries) -> None:  # type: ignore[no-untyped-def]
    one = make_savings_group(session)
    hold_meeting(session, one, 1)
    with count_queries() as small:
        indicators.compute(session)
    for world in (one, make_savings_group(session)):
        for k in ((2, 3) if world is one else (1, 2, 3)):
            hold_meeting(session, world, k)
    with count_queries() as large:
        rows = indicators.compute(session, by_quarter=True)
    assert len(rows) == 4
    assert small[0] == large[0] <= 8
