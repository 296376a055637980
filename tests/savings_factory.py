"""A savings group to test with: spec/savings.md §10 (example 01), entered
through the services meeting by meeting, as a treasurer enters it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.groups.models import Group, Membership
from coop.savings import services as savings
from coop.savings.models import CycleMember, SavingsCycle, SavingsMeeting
from tests.factories import make_group, make_member

NAMES = ("Айгүл", "Бермет", "Чолпон", "Динара", "Элмира")
DATES = (date(2026, 3, 5), date(2026, 4, 5), date(2026, 5, 5), date(2026, 6, 5))
# Shares bought at each meeting, in passbook order.
SHARES = ((5, 4, 3, 5, 2), (5, 4, 3, 5, 0), (5, 4, 3, 3, 3), (5, 4, 3, 3, 3))


@dataclass
class SavingsWorld:
    group: Group
    treasurer: Membership
    memberships: list[Membership]
    cycle: SavingsCycle
    members: list[CycleMember]
    meetings: list[SavingsMeeting]

    def member(self, name: str) -> CycleMember:
        return self.members[NAMES.index(name)]

    @property
    def key_holder_ids(self) -> list[int]:
        return [h.id for h in self.cycle.key_holders][:2]


def example_settings() -> savings.CycleSettings:
    return savings.CycleSettings(
        start_date=DATES[0], share_out_date=date(2026, 6, 5), share_value=5000, min_shares=1,
        max_shares=5, social_contribution=1000, interest_method="flat", rate_bp=500,
        loan_multiple=300, max_term_months=3, loan_unit=100, payout_unit=100,
        fine_types=[("absent", "Пропуск собрания", 2000, "loan"),
                    ("late", "Опоздание", 500, "loan")])


def make_savings_group(session: Session, currency: str = "KGS",
                       settings: savings.CycleSettings | None = None) -> SavingsWorld:
    """The group of §10 with its cycle active, no meeting yet (with the
    example's settings unless others are given)."""
    group = make_group(session, currency=currency)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    memberships = [make_member(session, group, name, login=(i == 0))
                   for i, name in enumerate(NAMES)]
    cycle = savings.create_cycle(session, group, settings or example_settings(),
                                 treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [memberships[i].id for i in (1, 2, 4)])
    savings.activate(session, cycle, group)
    return SavingsWorld(group, treasurer, memberships, cycle, members, [])


def close(session: Session, world: SavingsWorld, meeting: SavingsMeeting) -> savings.Run:
    run = savings.check_meeting(session, meeting, world.group)
    expected = savings.expected_cash(run, meeting)
    return savings.close_meeting(
        session, meeting, world.group,
        counts=savings.Counts(expected["loan"][0], expected["social"][0],
                              expected["loan"][1], expected["social"][1]),
        key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)


def hold_meeting(session: Session, world: SavingsWorld, k: int, *, close_it: bool = True
                 ) -> SavingsMeeting:
    """Meeting k (1..4) of §10.1, entered and (by default) closed."""
    group, m = world.group, world.member
    kind = "share_out" if k == 4 else "regular"
    meeting = savings.open_meeting(session, world.cycle, group, day=DATES[k - 1], kind=kind,
                                   actor=world.treasurer.user)
    world.meetings.append(meeting)
    absent = {"Элмира"} if k == 2 else set()
    repayments = {2: {"Айгүл": 40150}, 3: {"Айгүл": 40150, "Динара": 30000},
                  4: {"Динара": 81650, "Чолпон": 15000}}.get(k, {})
    savings.save_register(session, meeting, group, [
        savings.RegisterLine(member.id, "absent" if name in absent else "present",
                             shares=SHARES[k - 1][j], social=name not in absent,
                             repayment=repayments.get(name, 0))
        for j, (name, member) in enumerate(zip(NAMES, world.members, strict=True))])
    types = {t.code: t.id for t in world.cycle.fine_types}
    if k == 1:
        savings.add_loan(session, meeting, group, member_id=m("Айгүл").id, principal=73000,
                         months=2, purpose="семена")
    if k == 2:
        savings.add_fine(session, meeting, group, member_id=m("Элмира").id,
                         fine_type_id=types["absent"], amount=None, paid=False)
        savings.add_loan(session, meeting, group, member_id=m("Динара").id, principal=101500,
                         months=2, purpose="овца")
    if k == 3:
        savings.pay_fine(session, meeting, group, member_id=m("Элмира").id,
                         fine_type_id=types["absent"])
        savings.add_fine(session, meeting, group, member_id=m("Бермет").id,
                         fine_type_id=types["late"], amount=None, paid=True)
        savings.add_grant(session, meeting, group, member_id=m("Чолпон").id, amount=6000,
                          reason="болезнь")
        savings.add_loan(session, meeting, group, member_id=m("Чолпон").id, principal=20000,
                         months=1, purpose="")
    if close_it:
        close(session, world, meeting)
    return meeting


def savings_ids(session: Session, group: Group, treasurer: Membership,
                members: list[Membership]) -> dict[str, int]:
    """For the walks over every route: the group's running savings cycle (one
    is made of four of `members` when it has none), an open meeting of it,
    the second member's passbook and a line (a fine) of the meeting."""
    from coop.i18n import local_today
    from coop.savings.models import Fine

    cycle = savings.running_cycle(session, group)
    if cycle is None:
        today = local_today()
        cycle = savings.create_cycle(session, group, savings.CycleSettings(
            start_date=today - timedelta(days=60), share_out_date=today + timedelta(days=300),
            share_value=5000), treasurer.user)
        for membership in members[:4]:
            savings.enrol(session, cycle, membership)
        savings.set_key_holders(session, cycle, [m.id for m in members[1:4]])
        savings.activate(session, cycle, group)
    meetings = savings.meetings_of(session, cycle)
    meeting = meetings[-1] if meetings else None
    if meeting is None or meeting.state != "open":
        after = meeting.date if meeting else cycle.start_date - timedelta(days=1)
        meeting = savings.open_meeting(session, cycle, group, day=after + timedelta(days=1),
                                       kind="regular", actor=treasurer.user)
    someone = next(m for m in savings.cycle_members(session, cycle)
                   if m.membership_id != members[0].id)
    fine = session.scalar(select(Fine).where(Fine.meeting_id == meeting.id))
    if fine is None:
        savings.add_fine(session, meeting, group, member_id=someone.id,
                         fine_type_id=cycle.fine_types[0].id, amount=None, paid=False)
        fine = session.scalar(select(Fine).where(Fine.meeting_id == meeting.id))
    assert fine is not None
    return {"cycle_id": cycle.id, "meeting_id": meeting.id, "member_id": someone.id,
            "entry_id": fine.id}


def make_adopted_group(session: Session) -> SavingsWorld:
    """A group that adopts Coop mid-cycle (§4.3), the example's settings, three
    members: on paper Айгүл bought 4 shares and still owes 100,00 of a loan
    and its 5,00 interest (due 2026-04-05), Бермет bought 2, Чолпон none; the
    income so far 25,00, the social fund 10,00. The key-holders counted the
    loan bag 220,00 (6 × 50,00 + 25,00 − 105,00) and the social bag 10,00."""
    group = make_group(session)
    treasurer = make_member(session, group, "Гүлнара", role="treasurer")
    memberships = [make_member(session, group, name, login=(i == 0))
                   for i, name in enumerate(NAMES[:3])]
    cycle = savings.create_cycle(session, group, example_settings(), treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [m.id for m in memberships])
    savings.set_opening(session, cycle, group, income=2500, social_fund=1000, balances=[
        savings.OpeningBalance(members[0].id, 4, 10000, 500, (date(2026, 4, 5),)),
        savings.OpeningBalance(members[1].id, 2)])
    world = SavingsWorld(group, treasurer, memberships, cycle, members, [])
    savings.activate(session, cycle, group, counted_loan=22000, counted_social=1000,
                     key_holder_ids=world.key_holder_ids, actor=treasurer.user)
    return world


def hold_plain_meeting(session: Session, world: SavingsWorld, day: date, shares: int,
                       kind: str = "regular", *, close_it: bool = True) -> SavingsMeeting:
    """A meeting where everyone comes and buys `shares` (and pays the social
    contribution when she buys), nothing else."""
    meeting = savings.open_meeting(session, world.cycle, world.group, day=day, kind=kind,
                                   actor=world.treasurer.user)
    world.meetings.append(meeting)
    savings.save_register(session, meeting, world.group, [
        savings.RegisterLine(m.id, "present", shares=shares, social=shares > 0)
        for m in world.members])
    if close_it:
        close(session, world, meeting)
    return meeting
