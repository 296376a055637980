"""The demo's savings group (coop/savings/demo.py): mid-cycle, idempotent,
its indicators as the engine has them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.groups.models import Group
from coop.savings import indicators
from coop.savings import services as savings
from coop.savings.demo import SG_GROUP, ensure_savings_demo
from coop.savings.models import SavingsCycle, SavingsMeeting


def test_a_cycle_mid_way_with_one_meeting_open(session: Session) -> None:
    ensure_savings_demo(session, today=date(2026, 3, 31))
    ensure_savings_demo(session, today=date(2026, 3, 31))  # only what is missing
    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    assert group is not None and group.currency == "TJS"
    assert session.scalar(select(func.count(SavingsCycle.id)).where(
        SavingsCycle.group_id == group.id)) == 1
    states = list(session.scalars(select(SavingsMeeting.state).where(
        SavingsMeeting.group_id == group.id).order_by(SavingsMeeting.number)))
    assert states == ["closed"] * 5 + ["open"]
    (row,) = indicators.compute(session, group_ids=[group.id])
    cycle = session.scalar(select(SavingsCycle).where(SavingsCycle.group_id == group.id))
    run = savings.closed_run(session, cycle, group)
    engine = dict(run.result["indicators"])
    del engine["projected_share_out"]
    assert row.engine_dict() == engine
    f = row.figures
    assert f.members == 8 and f.loans_outstanding_count == 3 and f.par0 and f.par30
    assert f.grants_count == 1 and f.loans_disbursed_count == 4
