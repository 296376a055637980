"""At the share-out meeting, the share-out's own refusals (a fine owed to the
social fund, a debt above an entitlement) wait for the close: the entries
that clear them can be saved first. (Every save once ran the share-out, so a
meeting opened with a social-fund fine owed could not record its payment.)"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from coop.savings import services as savings
from tests.factories import make_group, make_member


def test_fines_to_the_social_fund_can_be_paid_at_the_share_out_meeting(
        session: Session) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    memberships = [make_member(session, group, name, login=False)
                   for name in ("Айгүл", "Бермет", "Чолпон", "Динара")]
    cycle = savings.create_cycle(session, group, savings.CycleSettings(
        start_date=date(2026, 3, 5), share_out_date=date(2026, 6, 5), share_value=5000,
        fine_types=[("help", "Взнос", 1000, "social")]), treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [m.id for m in memberships[1:]])
    savings.activate(session, cycle, group)
    holders = [h.id for h in cycle.key_holders][:2]
    fine_type = cycle.fine_types[0].id

    def close(meeting) -> None:  # type: ignore[no-untyped-def]
        run = savings.check_meeting(session, meeting, group)
        cash = savings.expected_cash(run, meeting)
        savings.close_meeting(session, meeting, group, counts=savings.Counts(
            None, None, cash["loan"][1], cash["social"][1]), key_holder_ids=holders,
            actor=treasurer.user)

    first = savings.open_meeting(session, cycle, group, day=date(2026, 3, 5), kind="regular",
                                 actor=treasurer.user)
    savings.save_register(session, first, group, [
        savings.RegisterLine(m.id, "present", shares=2) for m in members])
    for member in members[:2]:  # two of them are fined, to the social fund, unpaid
        savings.add_fine(session, first, group, member_id=member.id, fine_type_id=fine_type,
                         amount=None, paid=False)
    close(first)
    share_out = savings.open_meeting(session, cycle, group, day=date(2026, 4, 5),
                                     kind="share_out", actor=treasurer.user)
    # the roll call first (an absent member cannot pay)
    savings.save_register(session, share_out, group, [
        savings.RegisterLine(m.id, "present", shares=1) for m in members])
    savings.pay_fine(session, share_out, group, member_id=members[0].id, fine_type_id=fine_type)
    with pytest.raises(savings.DomainError):  # the other fine still owed: no share-out yet
        close(share_out)
    savings.pay_fine(session, share_out, group, member_id=members[1].id, fine_type_id=fine_type)
    close(share_out)
    assert cycle.state == "closed"
