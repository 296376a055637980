"""Realistic demo data: an Issyk-Kul group buying seed, a Sughd sewing group
and a Sughd savings group (ГВП) mid-cycle.
Idempotent: each part is created only when it is missing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth import services as auth_services
from coop.auth.models import User
from coop.certificates.demo import ensure_certificates_demo
from coop.db import utcnow
from coop.equipment.demo import ensure_equipment_demo
from coop.groups import services as groups
from coop.groups.models import Group, Membership
from coop.ledger import services as ledger
from coop.orders import services as orders_services
from coop.orders.models import Round
from coop.payables import services as payables
from coop.quantities import parse_price, parse_quantity, parse_weight
from coop.quotes.demo import ensure_quotes_demo
from coop.sales.demo import ensure_sales_demo
from coop.savings.demo import ensure_savings_demo
from coop.season.demo import ensure_season_demo
from coop.suppliers.models import PriceTier, Product, Supplier
from coop.timebank.demo import ensure_timebank_demo

DEMO_PASSWORD = "demo-password"
ADMIN_EMAIL = "admin@coop.example"
KG_GROUP = "Светлая Поляна — группа солидарных производителей"
TJ_GROUP = "Гурӯҳи дӯзандагони Исфара"

# name, phone, email, has login, role
KG_MEMBERS = [
    ("Майрам Дукенбаева", "+996555100001", "mairam@coop.example", True, "treasurer"),
    ("Айгүл Токтогулова", "+996555100002", "aigul@coop.example", True, "member"),
    ("Майрам Дүйшөнбаева", "+996555100005", None, False, "member"),
    ("Нурила Асанова", "+996555100003", None, True, "member"),
    ("Гүлнара Осмонова", "+996555100004", None, False, "member"),
    ("Жылдыз Мамыткулова", "+996555100006", None, True, "member"),
    ("Бүбүсара Жумабекова", None, None, False, "member"),
    ("Чолпон Сыдыкова", "+996555100008", None, False, "member"),
    ("Назгүл Абдыкадырова", "+996555100009", None, True, "member"),
    ("Асель Эсенгулова", None, None, False, "member"),
    ("Динара Бекболотова", "+996555100011", None, False, "member"),
    ("Элмира Турдубаева", "+996555100012", None, False, "member"),
]

TJ_MEMBERS = [
    ("Фарангис Азамова", "+992927000001", "farangis@coop.example", True, "treasurer"),
    ("Зарина Раҳимова", "+992927000002", None, True, "member"),
    ("Малика Ҷӯраева", "+992927000003", None, False, "member"),
    ("Шаҳло Қодирова", None, None, False, "member"),
    ("Гулноза Ҳасанова", "+992927000005", None, False, "member"),
]


def _upload_folder() -> Path:
    from coop.certificates.views import upload_folder

    return upload_folder()


def _ensure_admin(session: Session) -> None:
    if session.scalar(select(User).where(User.email == ADMIN_EMAIL)) is None:
        admin = User(name="Администратор Coop", email=ADMIN_EMAIL, is_admin=True, locale="ru")
        auth_services.set_password(admin, DEMO_PASSWORD)
        session.add(admin)
        session.flush()


def _ensure_group(session: Session, name: str, members: list[tuple], **details: object) -> bool:
    if session.scalar(select(Group).where(Group.name == name)) is not None:
        return False
    group = Group(name=name, **details)
    session.add(group)
    session.flush()
    for person, phone, email, has_login, role in members:
        groups.add_member(session, group, name=person, phone=phone, email=email, role=role,
                          password=DEMO_PASSWORD if has_login else None)
    return True


def load_demo(session: Session) -> tuple[bool, list[tuple[str, str]]]:
    _ensure_admin(session)
    created = _ensure_group(
        session, KG_GROUP, KG_MEMBERS, village="Светлая Поляна", region="Иссык-Кульская область",
        country="KG", currency="KGS", language="ru", levy_basis_points=200, cash_rounding=100)
    kg_group = session.scalar(select(Group).where(Group.name == KG_GROUP))
    assert kg_group is not None
    _ensure_settled_round(session, kg_group)
    ensure_sales_demo(session, kg_group)
    _ensure_rounds(session, kg_group)
    ensure_quotes_demo(session, kg_group)
    ensure_equipment_demo(session, kg_group)
    ensure_certificates_demo(session, kg_group, _upload_folder())
    ensure_season_demo(session, kg_group)
    ensure_timebank_demo(session, kg_group)
    created |= _ensure_group(
        session, TJ_GROUP, TJ_MEMBERS, village="Исфара", region="Вилояти Суғд", country="TJ",
        currency="TJS", language="tg")
    tj_group = session.scalar(select(Group).where(Group.name == TJ_GROUP))
    assert tj_group is not None
    _ensure_tj_round(session, tj_group)
    ensure_savings_demo(session)
    logins = [
        ("platform admin", ADMIN_EMAIL),
        ("treasurer, Svetlaya Polyana", "mairam@coop.example"),
        ("member, Svetlaya Polyana", "aigul@coop.example"),
        ("member (by phone)", "+996555100003"),
        ("treasurer, Isfara", "farangis@coop.example"),
        ("treasurer, savings group, Chorkuh (Isfara)", "mavluda@coop.example"),
        ("member, savings group, Chorkuh (Isfara)", "gulchehra@coop.example"),
    ]
    return created, logins


# --------------------------------------------------------------------------
# Suppliers, products and rounds (Svetlaya Polyana)
# --------------------------------------------------------------------------

# name, unit, article, pack, granularity, weight kg, retail, tiers [(min, price)]
KG_CATALOG = {
    ("Агро-Каракол", "Асель Бейшенова", "+996 3922 5-12-34", "Каракол, ул. Торговая 12"): [
        ("Семена томата «Волгоградец», пакет 10 г", "bag", "TS-10", "25", "1", "0.01", "65",
         [("0", "48.50"), ("50", "42.00")]),
        ("Удобрение NPK 16-16-16", "kg", "NPK-16", "50", "1", "1", "95",
         [("0", "78.00"), ("100", "71.25")]),
        ("Семена огурца «Конкурент», пакет 5 г", "bag", "CU-05", "20", "1", "0.005", "55",
         [("0", "38.00"), ("40", "33.50")]),
        ("Тяпка садовая", "piece", "HOE-1", "10", "1", "0.8", "450",
         [("0", "390.00"), ("20", "355.00")]),
    ],
    ("Суу-Тех", "Бакыт Осмонов", "+996 555 77 88 99", "Бишкек, ул. Ахунбаева 45"): [
        ("Комплект капельного полива, 100 м", "компл.", "DRIP-100", "1", "1", "6.5", "4200",
         [("0", "3650.00"), ("3", "3390.00")]),
    ],
}

SPRING_ROUND = "Весенние семена и удобрения"
AUTUMN_ROUND = "Осенний заказ: семена и инструменты"

# member index in KG_MEMBERS, article, quantity, tolerance (spec example 01)
SPRING_ORDERS = [
    (1, "TS-10", "12", "4"), (2, "TS-10", "20", "0"), (3, "TS-10", "9", "6"),
    (4, "TS-10", "5", "5"), (1, "NPK-16", "40", "10"), (2, "NPK-16", "35", "0"),
    (3, "NPK-16", "30", "15"), (1, "DRIP-100", "1", "0"), (3, "DRIP-100", "1", "0"),
    (4, "DRIP-100", "1", "0"),
]
AUTUMN_ORDERS = [
    (1, "CU-05", "6", "4"), (3, "CU-05", "10", "0"), (5, "CU-05", "8", "2"),
    (6, "HOE-1", "1", "1"), (7, "HOE-1", "2", "0"), (1, "HOE-1", "1", "0"),
    (8, "TS-10", "10", "5"),
]


def _ensure_catalog(session: Session, group: Group) -> dict[str, Product]:
    products: dict[str, Product] = {}
    for (name, contact, phone, address), items in KG_CATALOG.items():
        supplier = session.scalar(select(Supplier).where(Supplier.group_id == group.id,
                                                         Supplier.name == name))
        if supplier is None:
            supplier = Supplier(group_id=group.id, name=name, contact_person=contact,
                                phone=phone, address=address, language="ru")
            session.add(supplier)
            session.flush()
        for pname, unit, article, pack, step, weight, retail, tiers in items:
            product = session.scalar(select(Product).where(
                Product.supplier_id == supplier.id, Product.article_code == article))
            if product is None:
                product = Product(
                    group_id=group.id, supplier_id=supplier.id, article_code=article,
                    name=pname, unit=unit, pack_size=parse_quantity(pack),
                    granularity=parse_quantity(step), weight_grams=parse_weight(weight),
                    retail_price=parse_price(retail),
                    price_tiers=[PriceTier(min_qty=parse_quantity(q), unit_price=parse_price(p))
                                 for q, p in tiers])
                session.add(product)
            products[article] = product
    session.flush()
    return products


def _order(session: Session, rnd: Round, members: list[Membership], actor: User,
           orders: list[tuple[int, str, str, str]], products: dict[str, Product]) -> None:
    items = {item.product_id: item.id for item in rnd.items}
    for index, article, quantity, tolerance in orders:
        orders_services.save_order(
            session, rnd, members[index],
            {items[products[article].id]: (parse_quantity(quantity), parse_quantity(tolerance))},
            actor, as_treasurer=True)


def _ensure_rounds(session: Session, group: Group) -> None:
    if session.scalar(select(Round.id).where(Round.group_id == group.id,
                                             Round.title == SPRING_ROUND)) is not None:
        return
    products = _ensure_catalog(session, group)
    members = groups.list_members(session, group)
    members.sort(key=lambda m: m.id)
    treasurer = members[0].user

    spring = orders_services.create_round(
        session, group, treasurer, title=SPRING_ROUND, deadline=utcnow() - timedelta(days=3),
        product_ids=[products[a].id for a in ("TS-10", "NPK-16", "DRIP-100")],
        delivery_place="Светлая Поляна, дом культуры")
    orders_services.move_round(session, spring, treasurer, "open")
    _order(session, spring, members, treasurer, SPRING_ORDERS, products)
    orders_services.move_round(session, spring, treasurer, "closed")
    orders_services.add_shared_cost(session, spring, name="Грузовик Каракол → Светлая Поляна",
                                    amount=180000, rule="weight")
    orders_services.add_shared_cost(session, spring, name="Банковская комиссия (Суу-Тех)",
                                    amount=15000, rule="value",
                                    supplier_id=products["DRIP-100"].supplier_id)

    autumn = orders_services.create_round(
        session, group, treasurer, title=AUTUMN_ROUND, deadline=utcnow() + timedelta(days=14),
        product_ids=[products[a].id for a in ("CU-05", "HOE-1", "TS-10")],
        delivery_place="Светлая Поляна, дом культуры")
    orders_services.move_round(session, autumn, treasurer, "open")
    _order(session, autumn, members, treasurer, AUTUMN_ORDERS, products)
    orders_services.add_shared_cost(session, autumn, name="Доставка из Каракола",
                                    amount=120000, rule="weight")


# --------------------------------------------------------------------------
# Delivery and books
# --------------------------------------------------------------------------

SETTLED_ROUND = "Огуречные семена и тяпки (март)"
TJ_ROUND = "Матоъ барои пардаҳо"  # curtain fabric: spec example 02, awarded


def _ensure_settled_round(session: Session, group: Group) -> None:
    """A round already delivered, settled and partly paid, so that the books,
    the fund and the savings have a history."""
    if session.scalar(select(Round.id).where(Round.group_id == group.id,
                                             Round.title == SETTLED_ROUND)):
        return
    products = _ensure_catalog(session, group)
    members = sorted(groups.list_members(session, group), key=lambda m: m.id)
    treasurer = members[0].user
    rnd = orders_services.create_round(
        session, group, treasurer, title=SETTLED_ROUND, deadline=utcnow() - timedelta(days=60),
        product_ids=[products[a].id for a in ("CU-05", "HOE-1")])
    orders_services.move_round(session, rnd, treasurer, "open")
    _order(session, rnd, members, treasurer, [
        (1, "CU-05", "10", "5"), (2, "CU-05", "12", "0"), (3, "CU-05", "8", "4"),
        (4, "CU-05", "6", "4"), (1, "HOE-1", "2", "0"), (5, "HOE-1", "3", "1"),
        (6, "HOE-1", "4", "0"), (7, "HOE-1", "1", "1")], products)
    orders_services.add_shared_cost(session, rnd, name="Маршрутка до Каракола", amount=60000,
                                    rule="equal")
    orders_services.move_round(session, rnd, treasurer, "closed")
    orders_services.award_at_list_prices(session, rnd, treasurer)
    cucumber, hoe = rnd.items
    orders_services.record_delivery(session, rnd, {
        cucumber.id: (parse_quantity("40"), parse_quantity("2")),
        hoe.id: (parse_quantity("10"), 0)}, actor=treasurer)
    orders_services.confirm_delivery(session, rnd, treasurer)
    settled = orders_services.settle_round(session, rnd, treasurer)
    by_id = {str(m.id): m for m in members}
    for index, member in enumerate(settled.outcome.members):
        if index % 3 != 2:  # most have paid; some still owe
            ledger.record_payment(session, by_id[member.id], amount=member.total,
                                  method="cash" if index % 2 else "mobile",
                                  reference="" if index % 2 else f"MB-{1000 + index}",
                                  idempotency_key=f"demo-payment-{rnd.id}-{member.id}",
                                  actor=treasurer)
    # The supplier is paid in full, in cash, before every member has paid: the
    # treasurer made up the rest (the cash box shows it until they pay).
    for bill in payables.round_bills(session, rnd):
        payables.pay_supplier(session, session.get(Supplier, bill.supplier_id),
                              amount=bill.billed, method="cash", reference="счёт за март",
                              idempotency_key=f"demo-supplier-{rnd.id}-{bill.supplier_id}",
                              actor=treasurer, round_id=rnd.id, overdraw=True)


TJ_CATALOG = [("Матоъ барои парда", "m", "CF-1", "30", "0.5", "0.3", "38", "27.40"),
              ("Ресмон, 5000 м", "ғалтак", "TH-5", "10", "1", "0.1", None, "16.00")]
# Farangis (the treasurer orders too), Zarina, Malika: as in spec example 02
TJ_ORDERS = [(0, "CF-1", "25", "5"), (1, "CF-1", "22.5", "0"), (2, "CF-1", "12.5", "2.5"),
             (0, "TH-5", "4", "2"), (2, "TH-5", "3", "1")]


def _ensure_tj_round(session: Session, group: Group) -> None:
    if session.scalar(select(Round.id).where(Round.group_id == group.id)) is not None:
        return
    supplier = Supplier(group_id=group.id, name="Бозори Исфара", contact_person="Рустам",
                        phone="+992 92 700 11 22", address="Исфара, бозори марказӣ",
                        language="tg")
    session.add(supplier)
    session.flush()
    products = {}
    for name, unit, article, pack, step, weight, retail, price in TJ_CATALOG:
        products[article] = Product(
            group_id=group.id, supplier_id=supplier.id, article_code=article, name=name,
            unit=unit, pack_size=parse_quantity(pack), granularity=parse_quantity(step),
            weight_grams=parse_weight(weight),
            retail_price=parse_price(retail) if retail else None,
            price_tiers=[PriceTier(min_qty=0, unit_price=parse_price(price))])
        session.add(products[article])
    session.flush()
    members = sorted(groups.list_members(session, group), key=lambda m: m.id)
    treasurer = members[0].user
    rnd = orders_services.create_round(
        session, group, treasurer, title=TJ_ROUND, deadline=utcnow() - timedelta(days=5),
        product_ids=[p.id for p in products.values()], delivery_place="Исфара")
    orders_services.move_round(session, rnd, treasurer, "open")
    _order(session, rnd, members, treasurer, TJ_ORDERS, products)
    orders_services.add_shared_cost(session, rnd, name="Такси аз бозори Исфара", amount=6000,
                                    rule="equal")
    orders_services.move_round(session, rnd, treasurer, "closed")
    orders_services.award_at_list_prices(session, rnd, treasurer)
