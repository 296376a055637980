"""Test data built through the services, as the app builds it."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.groups import services as groups
from coop.groups.models import Group, Membership

PASSWORD = "secret-password"
_seq = itertools.count(1)


def make_group(session: Session, name: str = "Группа", currency: str = "KGS",
               language: str = "ru", **settings: object) -> Group:
    group = Group(name=f"{name} {next(_seq)}", village="Село", region="Иссык-Куль",
                  country="KG", currency=currency, language=language, **settings)
    session.add(group)
    session.flush()
    return group


def make_member(session: Session, group: Group, name: str = "Айгүл", role: str = "member",
                login: bool = True, locale: str | None = None) -> Membership:
    n = next(_seq)
    return groups.add_member(
        session, group, name=f"{name} {n}", role=role, locale=locale,
        email=f"person{n}@example.org" if login else None,
        password=PASSWORD if login else None)


def make_admin(session: Session) -> User:
    from coop.auth import services as auth

    n = next(_seq)
    user = User(name=f"Admin {n}", email=f"admin{n}@example.org", is_admin=True)
    auth.set_password(user, PASSWORD)
    session.add(user)
    session.flush()
    return user


from coop.suppliers.models import Product, Supplier  # noqa: E402


def make_supplier(session: Session, group: Group, name: str = "Агро-Маркет", **fields: object
                  ) -> Supplier:
    from coop.suppliers import services as suppliers

    return suppliers.create_supplier(session, group, name=f"{name} {next(_seq)}",
                                     **fields)  # type: ignore[arg-type]


def make_product(session: Session, supplier: Supplier, name: str = "Семена моркови",
                 unit: str = "kg", pack_size: str = "5", granularity: str = "0.5",
                 tiers: str = "0 = 48,50\n50 = 42", article_code: str | None = None,
                 weight_kg: str = "1", retail_price: str = "60") -> Product:
    """A product typed as a treasurer types it (decimal commas welcome)."""
    from coop.suppliers import domain
    from coop.suppliers import services as suppliers

    data, errors = domain.product_from_text({
        "name": name, "unit": unit, "pack_size": pack_size, "granularity": granularity,
        "tiers": tiers, "article_code": article_code or f"ART-{next(_seq)}",
        "weight_kg": weight_kg, "retail_price": retail_price})
    assert data is not None, errors
    return suppliers.create_product(session, supplier, data)


def make_catalog(session: Session, group: Group) -> list:
    """A supplier with three products: seed sachets (pack 25), fabric by the
    half metre (pack 30), and NPK by the kg (pack 50, cheaper from 100 kg)."""
    from coop.quantities import parse_price, parse_quantity, parse_weight
    from coop.suppliers.models import PriceTier, Product, Supplier

    supplier = Supplier(group_id=group.id, name=f"Агро {next(_seq)}", language="ru")
    session.add(supplier)
    session.flush()
    rows = [("Семена томата", "пакет", "25", "1", "0.01", "65", [("0", "48.50"), ("50", "42")]),
            ("Ткань", "м", "30", "0.5", "0.2", "38", [("0", "27.40")]),
            ("NPK", "кг", "50", "1", "1", "95", [("0", "78"), ("100", "71.25")])]
    products = []
    for n, (name, unit, pack, step, weight, retail, tiers) in enumerate(rows):
        product = Product(group_id=group.id, supplier_id=supplier.id, article_code=f"A{n}",
                          name=name, unit=unit, pack_size=parse_quantity(pack),
                          granularity=parse_quantity(step), weight_grams=parse_weight(weight),
                          retail_price=parse_price(retail),
                          price_tiers=[PriceTier(min_qty=parse_quantity(a),
                                                 unit_price=parse_price(b)) for a, b in tiers])
        session.add(product)
        products.append(product)
    session.flush()
    return products


# -- quotes ---------------------------------------------------------------------

def make_closed_round(session: Session, currency: str = "KGS"):  # type: ignore[no-untyped-def]
    """A closed round on `make_catalog` with two members' orders. Pooled demand:
    tomato seed 45 + 10 tolerance (pack 25: 50 ordered), fabric 25 + 5 m (pack
    30, step 0.5: 30 ordered), NPK 90 + 10 kg (pack 50: 100 ordered)."""
    from types import SimpleNamespace

    from coop.orders import services as orders

    group = make_group(session, currency=currency)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    nurila = make_member(session, group, "Нурила", login=False)
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(session, rnd, treasurer.user, "open")
    seed, fabric, npk = rnd.items
    orders.save_order(session, rnd, aigul, {seed.id: (30000, 5000), fabric.id: (20000, 5000),
                                            npk.id: (60000, 10000)},
                      treasurer.user, as_treasurer=True)
    orders.save_order(session, rnd, nurila, {seed.id: (15000, 5000), fabric.id: (5000, 0),
                                             npk.id: (30000, 0)},
                      treasurer.user, as_treasurer=True)
    orders.move_round(session, rnd, treasurer.user, "closed")
    session.flush()
    return SimpleNamespace(group=group, treasurer=treasurer, aigul=aigul, nurila=nurila,
                           rnd=rnd, seed=seed, fabric=fabric, npk=npk, products=products)


def make_quote(session: Session, world, name: str = "Поставщик", language: str = "ru",  # type: ignore[no-untyped-def]
               days: int = 14):
    """Ask a new supplier of the world's group for a quote: (quote, raw token)."""
    from coop.quotes import services as quotes

    supplier = make_supplier(session, world.group, name, language=language)
    [(quote, token)] = quotes.request_quotes(session, world.rnd, world.treasurer.user,
                                             supplier_ids=[supplier.id], days=days)
    return quote, token


def offer_input(lines: dict, fee: int = 0, valid_until=None, lead_time_days=None,  # type: ignore[no-untyped-def]
                note: str = ""):
    """An OfferInput from {item id: None (cannot deliver) or (pack, [(min, price)], max)}
    in storage units (thousandths, millionths); the fee in minor units."""
    from coop.quotes import domain

    return domain.OfferInput(
        lines={item_id: domain.LineInput(False) if spec is None else domain.LineInput(
            True, spec[0], tuple(domain.Tier(q, p) for q, p in spec[1]),
            spec[2] if len(spec) > 2 else None) for item_id, spec in lines.items()},
        delivery_fee=fee, valid_until=valid_until, lead_time_days=lead_time_days, note=note)


# -- documents ------------------------------------------------------------------

def make_settled_round(session: Session, members: int = 3, currency: str = "KGS",  # type: ignore[no-untyped-def]
                       language: str = "ru", **settings: object):
    """A settled round on `make_catalog`: `members` members each ordering tomato
    seed, fabric and NPK (with tolerances), everything delivered, 2 kg of NPK
    damaged, a shared transport cost; settled by the treasurer."""
    from types import SimpleNamespace

    from coop.orders import services as orders

    group = make_group(session, currency=currency, language=language, **settings)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    people = [make_member(session, group, name) for name in
              (["Айгүл", "Нурила", "Гүлнара", "Бүбүсара", "Чолпон"] * (members // 5 + 1))[:members]]
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[p.id for p in products],
                              delivery_place="Дом культуры")
    orders.move_round(session, rnd, treasurer.user, "open")
    seed, fabric, npk = rnd.items
    for i, member in enumerate(people):
        orders.save_order(session, rnd, member, {
            seed.id: ((10 + i % 7) * 1000, 15000), fabric.id: ((3 + i % 4) * 1000 + 500, 1000),
            npk.id: ((20 + 5 * (i % 3)) * 1000, 10000)}, treasurer.user, as_treasurer=True)
    orders.add_shared_cost(session, rnd, name="Грузовик", amount=150000, rule="weight")
    orders.move_round(session, rnd, treasurer.user, "closed")
    orders.award_at_list_prices(session, rnd, treasurer.user)
    arrived = {item.id: (fill.packs * fill.pack_size,
                         2000 if item is npk and fill.packs else 0)
               for item, fill in orders.pack_fills(session, rnd)}
    orders.record_delivery(session, rnd, arrived, actor=treasurer.user)
    orders.confirm_delivery(session, rnd, treasurer.user)
    orders.settle_round(session, rnd, treasurer.user)
    session.flush()
    return SimpleNamespace(group=group, treasurer=treasurer, members=people, rnd=rnd,
                           products=products, seed=seed, fabric=fabric, npk=npk)


def make_awarded_quote(session: Session, language: str = "ru", fee: int = 50000):  # type: ignore[no-untyped-def]
    """`make_closed_round` awarded whole on one supplier's quote (delivery fee
    `fee`), plus a second supplier who quoted and lost: (world, quote, token,
    losing quote, losing token)."""
    from datetime import date, timedelta

    from coop.db import utcnow
    from coop.quotes import services as quotes

    today = utcnow().date()
    w = make_closed_round(session)
    quote, token = make_quote(session, w, "Победитель", language=language)
    other, other_token = make_quote(session, w, "Другой")
    k, p = 1000, 1_000_000
    offer = offer_input({w.seed.id: (25 * k, [(0, 45 * p), (50 * k, 40 * p)]),
                         w.fabric.id: (30 * k, [(0, 25 * p)]),
                         w.npk.id: (50 * k, [(0, 75 * p), (100 * k, 70 * p)])}, fee=fee,
                        valid_until=date.today() + timedelta(days=30))
    quotes.submit_revision(session, quote, offer, today=today)
    quotes.submit_revision(session, other, offer, today=today)
    quotes.award_whole(session, w.rnd, w.treasurer.user, quote.id, today=today)
    session.flush()
    return w, quote, token, other, other_token


# -- joint sales ------------------------------------------------------------------

def make_sale_lot(session: Session, group: Group, treasurer: Membership,  # type: ignore[no-untyped-def]
                  product: str = "Варенье из абрикосов", unit: str = "банка",
                  grades: tuple = (("Высший сорт", "1"), ("Первый сорт", "0.8")),
                  step: str = "1", levy_basis_points: int | None = None):
    """An open lot with its grades typed as a treasurer types them."""
    from datetime import date

    from coop.quantities import parse_quantity
    from coop.sales import services as sales
    from coop.sales.forms import parse_factor

    return sales.create_lot(
        session, group, treasurer.user, product=product, unit=unit,
        grades=[sales.GradeInput(name, parse_factor(factor)) for name, factor in grades],
        period_from=date(2026, 8, 1), period_to=date(2026, 9, 30), place="Склад группы",
        step=parse_quantity(step), levy_basis_points=levy_basis_points)


def make_buyer(session: Session, group: Group, name: str = "Магазин «Береке»",  # type: ignore[no-untyped-def]
               kind: str = "shop"):
    from coop.sales import services as sales

    return sales.create_buyer(session, group, name=f"{name} {next(_seq)}",
                              contact="+996 555 00 00 00", kind=kind)


# -- the API ----------------------------------------------------------------------

def make_api_token(session: Session, user: User, name: str = "script") -> str:
    """A personal API token of `user`: the raw token, for `Authorization: Bearer`."""
    from coop.api.services import create_token

    return create_token(session, user, name)[1]


# -- payables ---------------------------------------------------------------------

def make_two_supplier_round(session: Session, settle: bool = True):  # type: ignore[no-untyped-def]
    """A round with two suppliers' products, settled. Seed from "Агро-Семена"
    (pack 10, 50.00 each) and fabric from "Текстиль-Ош" (pack 10 m, 30.00 a
    metre); Aigul orders 6 seed + 4 m, Nurila 4 seed + 6 m: one pack of each.
    Агро-Семена's delivery fee 200.00 (a shared cost of her goods), a taxi
    100.00 (no supplier). 2 seed arrive damaged; Агро-Семена credits 60.00.
    Bills: Агро-Семена 500.00 + 200.00 − 60.00 = 640.00; Текстиль-Ош 300.00."""
    from types import SimpleNamespace

    from coop.orders import services as orders
    from coop.quantities import parse_price, parse_quantity
    from coop.suppliers.models import PriceTier

    group = make_group(session, currency="KGS", language="ru")
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    nurila = make_member(session, group, "Нурила")
    agro = Supplier(group_id=group.id, name="Агро-Семена", language="ru")
    textile = Supplier(group_id=group.id, name="Текстиль-Ош", language="ru")
    session.add_all([agro, textile])
    session.flush()
    seed = Product(group_id=group.id, supplier_id=agro.id, article_code="S1", name="Семена",
                   unit="пакет", pack_size=parse_quantity("10"), granularity=parse_quantity("1"),
                   weight_grams=100, retail_price=parse_price("70"),
                   price_tiers=[PriceTier(min_qty=0, unit_price=parse_price("50"))])
    fabric = Product(group_id=group.id, supplier_id=textile.id, article_code="F1", name="Ткань",
                     unit="м", pack_size=parse_quantity("10"), granularity=parse_quantity("1"),
                     weight_grams=200, retail_price=parse_price("40"),
                     price_tiers=[PriceTier(min_qty=0, unit_price=parse_price("30"))])
    session.add_all([seed, fabric])
    session.flush()
    actor = treasurer.user
    rnd = orders.create_round(session, group, actor, title="Весна-2027", deadline=None,
                              product_ids=[seed.id, fabric.id])
    orders.move_round(session, rnd, actor, "open")
    seed_item, fabric_item = rnd.items
    orders.save_order(session, rnd, aigul, {seed_item.id: (6000, 0), fabric_item.id: (4000, 0)},
                      actor, as_treasurer=True)
    orders.save_order(session, rnd, nurila, {seed_item.id: (4000, 0),
                                             fabric_item.id: (6000, 0)},
                      actor, as_treasurer=True)
    orders.add_shared_cost(session, rnd, name="Доставка Агро-Семена", amount=20000,
                           rule="value", supplier_id=agro.id)
    orders.add_shared_cost(session, rnd, name="Такси", amount=10000, rule="equal")
    orders.move_round(session, rnd, actor, "closed")
    orders.award_at_list_prices(session, rnd, actor)
    orders.record_delivery(session, rnd, {seed_item.id: (10000, 2000),
                                          fabric_item.id: (10000, 0)}, actor=actor)
    orders.record_credit_note(session, rnd, seed_item.id, amount=6000, note="2 пакета",
                              actor=actor)
    orders.confirm_delivery(session, rnd, actor)
    if settle:
        orders.settle_round(session, rnd, actor)
    session.flush()
    return SimpleNamespace(group=group, treasurer=treasurer, aigul=aigul, nurila=nurila,
                           agro=agro, textile=textile, rnd=rnd, seed=seed_item,
                           fabric=fabric_item)


def make_equipment_world(session: Session, *, fee: int = 30_000, fee_unit: str = "day",
                         owners_pay_fee: bool = True):  # type: ignore[no-untyped-def]
    """A group with a treasurer, three owners of a motoblock (shares 2 600, 2 000,
    2 000 som) and a member who owns none; nothing booked yet."""
    from types import SimpleNamespace

    from coop.equipment import services as equipment

    group = make_group(session, "Техника")
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    owners = [make_member(session, group, name) for name in ("Айгүл", "Нурила", "Гүлнара")]
    other = make_member(session, group, "Чолпон")
    asset = equipment.create_asset(session, group, equipment.AssetInput(
        name="Мотоблок", purchase_value=660_000, fee=fee, fee_unit=fee_unit,
        owners_pay_fee=owners_pay_fee, keeper_id=owners[1].id,
        owners={owners[0].id: 260_000, owners[1].id: 200_000, owners[2].id: 200_000}),
        treasurer.user)
    session.commit()
    return SimpleNamespace(group=group, treasurer=treasurer, owners=owners, other=other,
                           asset=asset, base=f"/groups/{group.id}/equipment/{asset.id}")
