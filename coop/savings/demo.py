"""The demo's savings group (ГВП) in Isfara, Sughd, mid-cycle: eight members,
three key-holders, five meetings closed through the services (shares, the
social fund, loans on declining balance with their repayments, one of them
late, a fine, a grant from the social fund) and the sixth meeting open, so
that the pages show a real cycle. Dates run back from today: the open meeting
was held yesterday, the others a month apart before it.

Idempotent: nothing is done when the group already has a cycle."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.groups import services as groups
from coop.groups.models import Group, Membership
from coop.savings import services as savings
from coop.savings.domain import add_months
from coop.savings.models import CycleMember, SavingsCycle, SavingsMeeting

SG_GROUP = "ГВП «Меҳр», Чоркӯҳ"
PASSWORD = "demo-password"

# name, phone, email, has login, role; enrolled in this order (passbook numbers)
SG_MEMBERS = [
    ("Мавлуда Назарова", "+992927100001", "mavluda@coop.example", True, "treasurer"),
    ("Гулчеҳра Шарипова", "+992927100002", "gulchehra@coop.example", True, "member"),
    ("Нигина Раҷабова", "+992927100003", None, False, "member"),
    ("Дилором Сафарова", None, None, False, "member"),
    ("Парвина Исмоилова", "+992927100005", None, False, "member"),
    ("Мунира Каримова", "+992927100006", None, False, "member"),
    ("Саодат Мирзоева", None, None, False, "member"),
    ("Ҳабиба Юсупова", "+992927100008", None, False, "member"),
]
KEY_HOLDERS = (2, 3, 5)  # Нигина, Дилором, Мунира (not the treasurer)

# Shares bought at meetings 1..6, in passbook order (0: absent).
SHARES = (
    (2, 3, 1, 2, 2, 1, 3, 2),
    (2, 3, 1, 2, 2, 2, 0, 2),
    (2, 3, 2, 2, 2, 2, 3, 2),
    (2, 2, 1, 2, 2, 2, 3, 2),
    (2, 3, 1, 2, 1, 2, 3, 2),
    (2, 3, 1, 2, 2, 2, 3, 2),
)
ABSENT = {2: {6}}  # meeting → members absent (Саодат at meeting 2)
# meeting → [(member, amount in diram)]: declining interest (2 % a month) first
REPAYMENTS = {
    2: [(1, 5300)],
    3: [(1, 5200), (3, 5000)],  # Дилором pays 50,00 of 204,00 due: late
    4: [(1, 5100), (3, 10000), (5, 8834)],
    5: [(3, 4000), (5, 8666)],
}
# meeting → [(member, principal in diram, months, purpose)]
LOANS = {
    1: [(1, 15000, 3, "пахта барои курпа")],
    2: [(3, 20000, 2, "мурғҳо")],
    3: [(5, 25000, 3, "мошини дарздӯзӣ")],
    5: [(1, 30000, 3, "тухмии пиёз")],
}


def _dates(today: date) -> list[date]:
    """Six monthly meetings, the last (open) one yesterday at the latest."""
    last = today - timedelta(days=1)
    last = last.replace(day=min(last.day, 28))
    start = add_months(last, -5)
    return [add_months(start, k) for k in range(6)]


def _group(session: Session) -> Group:
    group = session.scalar(select(Group).where(Group.name == SG_GROUP))
    if group is None:
        group = Group(name=SG_GROUP, village="Чоркӯҳ, ноҳияи Исфара", region="Вилояти Суғд",
                      country="TJ", currency="TJS", language="tg")
        session.add(group)
        session.flush()
        for person, phone, email, has_login, role in SG_MEMBERS:
            groups.add_member(session, group, name=person, phone=phone, email=email, role=role,
                              password=PASSWORD if has_login else None)
    return group


def ensure_savings_demo(session: Session, today: date | None = None) -> None:
    group = _group(session)
    if session.scalar(select(SavingsCycle.id).where(SavingsCycle.group_id == group.id)):
        return
    memberships = sorted(group.memberships, key=lambda m: m.id)
    treasurer = next(m for m in memberships if m.role == "treasurer")
    dates = _dates(today or date.today())
    settings = savings.CycleSettings(
        start_date=dates[0], share_out_date=add_months(dates[0], 12), share_value=2000,
        min_shares=1, max_shares=5, social_contribution=500, interest_method="declining",
        rate_bp=200, loan_multiple=300, max_term_months=3, loan_unit=100, payout_unit=100,
        fine_types=[("absent", "Ғоиб аз ҷаласа", 1000, "loan"),
                    ("late", "Дер омадан", 200, "social")])
    cycle = savings.create_cycle(session, group, settings, treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [memberships[i].id for i in KEY_HOLDERS])
    savings.activate(session, cycle, group)
    holders = [h.id for h in cycle.key_holders][:2]
    for k, day in enumerate(dates, start=1):
        meeting = _hold(session, group, cycle, treasurer, members, k, day)
        if k < len(dates):
            _close(session, group, meeting, treasurer, holders)


def _hold(session: Session, group: Group, cycle: SavingsCycle, treasurer: Membership,
          members: list[CycleMember], k: int, day: date) -> SavingsMeeting:
    meeting = savings.open_meeting(session, cycle, group, day=day, kind="regular",
                                   actor=treasurer.user)
    absent = ABSENT.get(k, set())
    repaid = dict(REPAYMENTS.get(k, []))
    savings.save_register(session, meeting, group, [
        savings.RegisterLine(member.id, "absent" if j in absent else "present",
                             shares=0 if j in absent else SHARES[k - 1][j],
                             social=j not in absent, repayment=repaid.get(j, 0))
        for j, member in enumerate(members)])
    types = {t.code: t.id for t in cycle.fine_types}
    if k == 2:
        savings.add_fine(session, meeting, group, member_id=members[6].id,
                         fine_type_id=types["absent"], amount=None, paid=False)
    if k == 3:
        savings.pay_fine(session, meeting, group, member_id=members[6].id,
                         fine_type_id=types["absent"])
        savings.add_grant(session, meeting, group, member_id=members[2].id, amount=3000,
                          reason="Беморӣ, доруворӣ")
    if k == 4:
        savings.add_fine(session, meeting, group, member_id=members[4].id,
                         fine_type_id=types["late"], amount=None, paid=True)
    for j, principal, months, purpose in LOANS.get(k, []):
        savings.add_loan(session, meeting, group, member_id=members[j].id, principal=principal,
                         months=months, purpose=purpose)
    return meeting


def _close(session: Session, group: Group, meeting: SavingsMeeting, treasurer: Membership,
           holders: list[int]) -> None:
    run = savings.check_meeting(session, meeting, group)
    expected = savings.expected_cash(run, meeting)
    savings.close_meeting(
        session, meeting, group,
        counts=savings.Counts(expected["loan"][0], expected["social"][0],
                              expected["loan"][1], expected["social"][1]),
        key_holder_ids=holders, actor=treasurer.user)
