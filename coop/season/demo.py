"""Demo data for the season: a needs survey answered (by quantity, by land,
on paper) and turned into a draft round; a second survey open for answers;
household profiles; a seed loan of cucumber seed from the settled round,
repaid from Aigul's payout of a dried-apricot lot; a seed loan returned in
kind into the seed stock. Russian data. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.groups import services as groups
from coop.groups.models import Group, Membership
from coop.i18n import local_today
from coop.orders.models import Round
from coop.quantities import parse_price, parse_quantity
from coop.sales import services as sales
from coop.sales.models import SaleLot
from coop.season import loans, services
from coop.season.models import SeedLoan, Survey
from coop.season.services import AnswerInput
from coop.suppliers.models import Product

SURVEY = "Что покупаем весной 2027"
OPEN_SURVEY = "Осенние работы: инструменты и удобрения"
SURVEY_ROUND = "Весна 2027 (по опросу)"
LOT = "Урюк сушёный"
SEED_RATES = {"TS-10": "0.2", "CU-05": "0.3"}  # bags per сотка
# member index, article, firm, maybe, area (сотых) — or None
ANSWERS = [(1, "TS-10", "10", "4", None), (1, "NPK-16", "30", "10", None),
           (2, "TS-10", None, None, "40"), (2, "CU-05", "6", "0", None),
           (3, "TS-10", "8", "0", None), (3, "NPK-16", "25", "0", None),
           (4, "CU-05", None, None, "15"), (5, "NPK-16", "0", "10", None),
           (6, "TS-10", "5", "5", None)]
PROFILES = [(1, 5, "25", 3, True), (2, 7, "40", 6, False), (3, 4, "12", 0, True),
            (4, 3, "8", 2, None)]


def _milli(text: str | None) -> int:
    return parse_quantity(text) if text else 0


def ensure_season_demo(session: Session, group: Group) -> None:
    if session.scalar(select(Survey.id).where(Survey.group_id == group.id,
                                              Survey.title == SURVEY)) is not None:
        return
    members = sorted(groups.list_members(session, group), key=lambda m: m.id)
    treasurer = members[0]
    actor = treasurer.user
    products = {p.article_code: p for p in session.scalars(
        select(Product).where(Product.group_id == group.id))}
    if not all(code in products for code in ("TS-10", "CU-05", "NPK-16", "HOE-1")):
        return
    services.set_seed_rates(session, group, {products[c].id: parse_quantity(r)
                                             for c, r in SEED_RATES.items()})
    _survey(session, group, members, products, actor)
    _profiles(session, members, actor)
    _loans(session, group, members, products, actor)


def _survey(session: Session, group: Group, members: list[Membership],
            products: dict[str, Product], actor) -> None:  # type: ignore[no-untyped-def]
    survey = services.create_survey(
        session, group, actor, title=SURVEY,
        product_ids=[products[c].id for c in ("TS-10", "CU-05", "NPK-16")],
        note="Напишите, что купите точно и что, может быть, возьмёте.",
        closes_on=local_today() - timedelta(days=2))
    services.move_survey(session, survey, "open")
    items = {i.product_id: i.id for i in survey.items}
    for index, article, firm, maybe, area in ANSWERS:
        answer = AnswerInput(firm=_milli(firm), maybe=_milli(maybe),
                             area=_milli(area) if area else None)
        services.save_answers(session, survey, members[index],
                              {items[products[article].id]: answer}, actor,
                              source="member" if index == 1 else "paper")
    services.add_wish(session, survey, members[2], text="Семена лука-севка", quantity="3 кг",
                      actor=actor)
    services.move_survey(session, survey, "closed")
    services.convert_survey(session, survey, actor, title=SURVEY_ROUND)

    autumn = services.create_survey(
        session, group, actor, title=OPEN_SURVEY,
        product_ids=[products[c].id for c in ("HOE-1", "NPK-16")],
        closes_on=local_today() + timedelta(days=10))
    services.move_survey(session, autumn, "open")
    services.save_answers(session, autumn, members[3], {
        autumn.items[0].id: AnswerInput(firm=parse_quantity("1"))}, actor, source="paper")


def _profiles(session: Session, members: list[Membership], actor) -> None:  # type: ignore[no-untyped-def]
    for index, size, land, livestock, migrant in PROFILES:
        services.save_profile(session, members[index], actor, household_size=size,
                              land=parse_quantity(land), livestock=livestock,
                              migrant_abroad=migrant, services_wanted="")


def _loans(session: Session, group: Group, members: list[Membership],
           products: dict[str, Product], actor) -> None:  # type: ignore[no-untyped-def]
    settled = session.scalar(select(Round).where(Round.group_id == group.id,
                                                 Round.state == "settled")
                             .order_by(Round.id).limit(1))
    if settled is None:
        return
    aigul, nurila = members[1], members[3]
    due = local_today() + timedelta(days=150)
    loan = loans.propose_loan(session, group, aigul, round_id=settled.id,
                              product_id=products["CU-05"].id, repay_mode="payout",
                              repay_bp=12000, due_on=due, actor=actor,
                              note="Вернёт с продажи урюка", idempotency_key="demo-seed-loan-1")
    loans.approve_loan(session, loan, actor)
    loans.deliver_loan(session, loan, actor)
    kind = loans.propose_loan(session, group, nurila, round_id=settled.id,
                              product_id=products["CU-05"].id, repay_mode="kind",
                              repay_bp=12500, due_on=due, actor=actor,
                              idempotency_key="demo-seed-loan-2")
    loans.approve_loan(session, kind, actor)
    loans.deliver_loan(session, kind, actor)
    step = products["CU-05"].granularity
    loans.repay_in_kind(session, kind, quantity=loans.due_quantity(kind) - step, actor=actor,
                        idempotency_key="demo-seed-return-2", note="Семена со своего участка")
    third = loans.propose_loan(session, group, members[2], round_id=settled.id,
                               product_id=products["CU-05"].id, repay_mode="cash",
                               repay_bp=11000, due_on=local_today() + timedelta(days=90),
                               actor=actor, idempotency_key="demo-seed-loan-3")
    del third  # proposed, waiting for the group's approval
    _apricot_lot(session, group, aigul, members, actor)


def _apricot_lot(session: Session, group: Group, aigul: Membership,
                 members: list[Membership], actor) -> None:  # type: ignore[no-untyped-def]
    """A lot Aigul contributes to: closing it repays her seed loan first."""
    if session.scalar(select(SaleLot.id).where(SaleLot.group_id == group.id,
                                               SaleLot.product == LOT)) is not None:
        return
    today = local_today()
    lot = sales.create_lot(session, group, actor, product=LOT, unit="kg",
                           grades=[sales.GradeInput("Первый сорт", 1000)],
                           period_from=today - timedelta(days=20), period_to=today,
                           place=f"Склад группы, {group.village}".rstrip(", "),
                           step=parse_quantity("1"))
    grade = lot.grades[0]
    for member, kilos in ((aigul, "20"), (members[5], "15")):
        sales.record_contribution(session, lot, member, grade_id=grade.id,
                                  quantity=parse_quantity(kilos), actor=actor,
                                  brought_on=today - timedelta(days=15))
    buyer = next(iter(sales.list_buyers(session, group)), None) or sales.create_buyer(
        session, group, name="Магазин «Береке», Каракол", contact="", kind="shop")
    sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=today - timedelta(days=5),
                      lines={grade.id: (parse_quantity("35"), parse_price("240"))}, actor=actor)
    sales.close_lot(session, lot, actor, unsold_actions={})


def demo_ids(session: Session, group: Group) -> dict[str, int]:
    """For the page walks: a survey and a loan of the demo group."""
    survey = session.scalar(select(Survey.id).where(Survey.group_id == group.id,
                                                    Survey.title == SURVEY))
    loan = session.scalar(select(SeedLoan.id).where(SeedLoan.group_id == group.id)
                          .order_by(SeedLoan.id).limit(1))
    return {"survey_id": survey or 0, "loan_id": loan or 0}
