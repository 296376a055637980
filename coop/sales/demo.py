"""Demo data for joint sales: apricot jam from six members in two grades,
sold to a shop and a wholesaler, with transport, a market fee and labels,
closed, the payouts in the members' accounts and two of them paid out in
cash. Russian data. Idempotent: nothing is added if the lot exists."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.groups import services as groups
from coop.groups.models import Group
from coop.i18n import local_today
from coop.ledger import services as ledger
from coop.quantities import parse_price, parse_quantity
from coop.sales import services
from coop.sales.models import SaleLot

DEMO_PRODUCT = "Варенье из абрикосов"
GRADES = [("Высший сорт", 1000), ("Первый сорт", 800)]
# member index among the contributors, grade index, jars, days before today
CONTRIBUTIONS = [(0, 0, "24", 58), (1, 0, "18", 57), (1, 1, "6", 57), (2, 0, "30", 55),
                 (3, 1, "12", 52), (4, 0, "20", 50), (4, 1, "10", 50), (5, 1, "8", 45)]
BUYERS = [("Магазин «Береке», Каракол", "shop", "+996 3922 5-40-40, ул. Абдрахманова 112"),
          ("ОсОО «Ысык-Көл Агро Экспорт»", "wholesaler", "Бишкек, +996 555 33 44 55")]
# buyer index, days before today, [(grade index, jars, price per jar)]
SALES = [(0, 30, [(0, "40", "350"), (1, "20", "280")]),
         (1, 24, [(0, "48", "320"), (1, "12", "250")])]
# kind, name, amount (som), rule, sale index or None
COSTS = [("transport", "Маршрутка до Каракола и обратно", "1500", "value", 0),
         ("market_fee", "Место на рынке, Каракол", "400", "equal", 0),
         ("packaging", "Этикетки и крышки", "600", "quantity", None)]


def ensure_sales_demo(session: Session, group: Group) -> SaleLot | None:
    """The closed jam lot of `group` (made once); None if the group has fewer
    than two members."""
    existing = session.scalar(select(SaleLot).where(SaleLot.group_id == group.id,
                                                    SaleLot.product == DEMO_PRODUCT))
    if existing is not None:
        return existing
    members = sorted(groups.list_members(session, group, include_inactive=False),
                     key=lambda m: m.id)
    treasurer = next((m for m in members if m.is_treasurer), None)
    contributors = [m for m in members if m is not treasurer][:6]
    if treasurer is None or len(contributors) < 2:
        return None
    actor = treasurer.user
    today = local_today()
    lot = services.create_lot(
        session, group, actor, product=DEMO_PRODUCT, unit="jar",
        grades=[services.GradeInput(name, factor) for name, factor in GRADES],
        period_from=today - timedelta(days=60), period_to=today - timedelta(days=40),
        place=f"Склад группы, {group.village}".rstrip(", "), step=parse_quantity("1"))
    for index, grade, jars, days in CONTRIBUTIONS:
        member = contributors[index % len(contributors)]
        services.record_contribution(session, lot, member, grade_id=lot.grades[grade].id,
                                     quantity=parse_quantity(jars), actor=actor,
                                     brought_on=today - timedelta(days=days))
    # One jar was counted twice: corrected, the original stays in the history.
    first = services.contribution_entries(session, lot)[0].original
    services.correct_contribution(session, lot, first.id, grade_id=first.grade_id,
                                  quantity=first.quantity - parse_quantity("1"),
                                  reason="Одна банка посчитана дважды", actor=actor)
    buyers = []
    for name, kind, contact in BUYERS:
        buyer = next((b for b in services.list_buyers(session, group) if b.name == name), None)
        buyers.append(buyer or services.create_buyer(session, group, name=name,
                                                     contact=contact, kind=kind))
    sales = []
    for buyer, days, lines in SALES:
        sales.append(services.record_sale(
            session, lot, buyer_id=buyers[buyer].id, sold_on=today - timedelta(days=days),
            lines={lot.grades[g].id: (parse_quantity(q), parse_price(p)) for g, q, p in lines},
            actor=actor))
    for kind, name, amount, rule, sale in COSTS:
        services.add_cost(session, lot, kind=kind, name=name, amount=int(amount) * 100,
                          rule=rule, actor=actor,
                          paid_on=sales[sale].sold_on if sale is not None else today,
                          sale_id=sales[sale].id if sale is not None else None)
    view = services.close_lot(session, lot, actor,
                              unsold_actions={g.id: "return" for g in lot.grades})
    for payout in view.split.members[:2]:
        membership = view.memberships[payout.member]
        # what she owes for purchases is netted: she gets the rest in cash
        amount = min(payout.payout, ledger.member_balance(session, membership))
        if amount > 0:
            services.pay_member(session, membership, amount=amount, actor=actor,
                                idempotency_key=f"demo-sales-payout-{lot.id}-{membership.id}",
                                note="Выдано наличными", lot_id=lot.id)
    return lot
