"""Demo data for quotes: a closed round "Инструменты и плёнка" of the demo
group, three suppliers' tiered offers and one counter-offer answered, left in
`quoting` so that a newcomer can compare and award. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop import money
from coop.db import utcnow
from coop.groups import services as groups
from coop.groups.models import Group
from coop.orders import services as orders
from coop.orders.models import Round
from coop.quantities import parse_price, parse_quantity, parse_weight
from coop.quotes import domain, services
from coop.suppliers.models import PriceTier, Product, Supplier

QUOTES_ROUND = "Инструменты и плёнка"
CATALOG_SUPPLIER = ("Агро-Каракол", "+996 3922 5-12-34")

# name, unit, article, pack, step, weight kg, retail, list tiers
PRODUCTS = [
    ("Плёнка тепличная 150 мкм", "m", "FILM-150", "50", "1", "0.45", "95",
     [("0", "78.00"), ("100", "72.00")]),
    ("Лопата штыковая", "piece", "SPADE-1", "5", "1", "1.6", "650",
     [("0", "540.00"), ("10", "505.00")]),
    ("Шланг поливочный 3/4\", 25 м", "piece", "HOSE-25", "1", "1", "2.8", "1400",
     [("0", "1150.00")]),
]

# member index (in joining order; 0 is the treasurer), article, quantity, tolerance
ORDERS = [
    (1, "FILM-150", "60", "20"), (2, "FILM-150", "40", "10"), (3, "FILM-150", "30", "0"),
    (5, "FILM-150", "25", "15"), (1, "SPADE-1", "2", "1"), (4, "SPADE-1", "3", "0"),
    (6, "SPADE-1", "2", "2"), (7, "SPADE-1", "1", "0"), (2, "HOSE-25", "1", "0"),
    (3, "HOSE-25", "1", "0"), (8, "HOSE-25", "1", "0"),
]

# supplier (name, phone, language): {article: (pack, [(from, price)], most or None) or None},
# delivery fee, days of delivery, days valid
OFFERS = [
    ((*CATALOG_SUPPLIER, "ru"),
     {"FILM-150": ("50", [("0", "76"), ("100", "70"), ("200", "66")], None),
      "SPADE-1": ("5", [("0", "530"), ("10", "500")], None),
      "HOSE-25": ("1", [("0", "1120")], None)},
     "1500", 7, 14),
    (("Бишкек-Инструмент", "+996 555 40 50 60", "ru"),
     {"FILM-150": ("100", [("0", "74"), ("200", "64")], None),
      "SPADE-1": ("1", [("0", "520")], None),
      "HOSE-25": ("1", [("0", "1090")], "2")},
     "2500", 10, 10),
    (("Ош-Агроснаб", "+996 777 11 22 33", "ky"),
     {"FILM-150": ("50", [("0", "79"), ("150", "68")], None),
      "SPADE-1": None,
      "HOSE-25": ("1", [("0", "1180")], None)},
     "900", 5, 7),
]
COUNTER = ("Бишкек-Инструмент", {"FILM-150": "62"},
           "Можете дать плёнку по 62 сома и три шланга? Тогда берём у вас всё.")
ANSWER = {"FILM-150": ("100", [("0", "72"), ("200", "63")], None),
          "SPADE-1": ("1", [("0", "520")], None),
          "HOSE-25": ("1", [("0", "1090")], "3")}


def _supplier(session: Session, group: Group, name: str, phone: str, language: str
              ) -> Supplier:
    supplier = session.scalar(select(Supplier).where(Supplier.group_id == group.id,
                                                     Supplier.name == name))
    if supplier is None:
        supplier = Supplier(group_id=group.id, name=name, phone=phone, language=language)
        session.add(supplier)
        session.flush()
    return supplier


def _products(session: Session, group: Group) -> dict[str, Product]:
    supplier = _supplier(session, group, *CATALOG_SUPPLIER, "ru")
    products = {}
    for name, unit, article, pack, step, weight, retail, tiers in PRODUCTS:
        product = session.scalar(select(Product).where(Product.supplier_id == supplier.id,
                                                       Product.article_code == article))
        if product is None:
            product = Product(
                group_id=group.id, supplier_id=supplier.id, article_code=article, name=name,
                unit=unit, pack_size=parse_quantity(pack), granularity=parse_quantity(step),
                weight_grams=parse_weight(weight), retail_price=parse_price(retail),
                price_tiers=[PriceTier(min_qty=parse_quantity(q), unit_price=parse_price(p))
                             for q, p in tiers])
            session.add(product)
        products[article] = product
    session.flush()
    return products


def _offer(lines: dict, items: dict[str, int], fee: str, lead: int, valid_days: int,  # type: ignore[type-arg]
           currency: str) -> domain.OfferInput:
    def line(spec: tuple | None) -> domain.LineInput:  # type: ignore[type-arg]
        if spec is None:
            return domain.LineInput(False)
        pack, tiers, most = spec
        return domain.LineInput(True, parse_quantity(pack),
                                tuple(domain.Tier(parse_quantity(q), parse_price(p))
                                      for q, p in tiers),
                                parse_quantity(most) if most else None)

    return domain.OfferInput(
        lines={items[article]: line(spec) for article, spec in lines.items()},
        delivery_fee=money.parse_amount(fee, currency), lead_time_days=lead,
        valid_until=utcnow().date() + timedelta(days=valid_days))


def ensure_quotes_demo(session: Session, group: Group) -> Round:
    """The quotes demo round of `group` (a treasurer and eight members needed)."""
    existing = session.scalar(select(Round).where(Round.group_id == group.id,
                                                  Round.title == QUOTES_ROUND))
    if existing is not None:
        return existing
    members = sorted(groups.list_members(session, group, include_inactive=False),
                     key=lambda m: m.id)
    treasurer = next(m for m in members if m.is_treasurer).user
    products = _products(session, group)
    rnd = orders.create_round(session, group, treasurer, title=QUOTES_ROUND,
                              deadline=utcnow() - timedelta(days=1),
                              product_ids=[p.id for p in products.values()],
                              delivery_place="Светлая Поляна, дом культуры")
    orders.move_round(session, rnd, treasurer, "open")
    items = {item.product.article_code or "": item.id for item in rnd.items}
    for index, article, quantity, tolerance in ORDERS:
        orders.save_order(session, rnd, members[index % len(members)],
                          {items[article]: (parse_quantity(quantity),
                                            parse_quantity(tolerance))},
                          treasurer, as_treasurer=True)
    orders.move_round(session, rnd, treasurer, "closed")
    suppliers = [_supplier(session, group, *who) for who, *_rest in OFFERS]
    links = services.request_quotes(session, rnd, treasurer,
                                    supplier_ids=[s.id for s in suppliers])
    by_name = {quote.supplier.name: quote for quote, _token in links}
    today = utcnow().date()
    for (who, lines, fee, lead, valid_days) in OFFERS:
        services.submit_revision(session, by_name[who[0]],
                                 _offer(lines, items, fee, lead, valid_days, group.currency),
                                 today=today)
    name, targets, message = COUNTER
    quote = by_name[name]
    services.send_counter_offer(session, quote, treasurer, message=message, targets={
        items[article]: parse_price(price) for article, price in targets.items()})
    services.submit_revision(session, quote, _offer(ANSWER, items, "2500", 10, 10, group.currency),
                             today=today)
    session.flush()
    return rnd
