"""A large demo for the HTTP bench: one group, 1,000 members, 50 products, an
open round in which every member orders every product (50,000 request lines).

Bulk inserts through SQLAlchemy Core on the models' own tables (the schema
comes from the migrations, run before). Only a few members get a login, all
with the same password hashed once: hashing a thousand scrypt passwords would
take longer than the rest of the seeding together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, text
from werkzeug.security import generate_password_hash

from coop.auth.models import User
from coop.groups.models import Group, Membership
from coop.orders.models import Request, Round, RoundItem, SharedCost
from coop.suppliers.models import PriceTier, Product, Supplier

PASSWORD = "bench-password"
TREASURER_EMAIL = "treasurer@bench.example"


@dataclass
class Seeded:
    group_id: int
    round_id: int
    treasurer_login: str
    member_logins: list[str]  # members who can sign in (PASSWORD)
    item_ids: list[int]  # the round's products, in order
    members: int
    products: int

    @property
    def request_lines(self) -> int:
        return self.members * self.products


def seed(engine: Engine, *, members: int = 1000, products: int = 50, with_login: int = 8
         ) -> Seeded:
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    with engine.begin() as conn:
        group_id = conn.execute(insert(Group.__table__).returning(Group.__table__.c.id), {
            "name": "Бенч — группа солидарных производителей", "village": "Светлая Поляна",
            "region": "Иссык-Кульская область", "country": "KG", "currency": "KGS",
            "language": "ru", "levy_basis_points": 200, "cash_rounding": 100,
            "loss_policy": "product"}).scalar_one()
        people = [{"name": "Казначей Бенч", "email": TREASURER_EMAIL,
                   "password_hash": password_hash, "locale": "ru"}]
        logins = [f"member{m:04d}@bench.example" for m in range(with_login)]
        for m in range(members):
            people.append({"name": f"Участница {m:04d}",
                           "email": logins[m] if m < with_login else None,
                           "password_hash": password_hash if m < with_login else None,
                           "locale": None})
        conn.execute(insert(User.__table__), people)
        user_ids = dict(conn.execute(select(User.__table__.c.name, User.__table__.c.id)).all())
        conn.execute(insert(Membership.__table__), [
            {"group_id": group_id, "user_id": user_ids[p["name"]],
             "role": "treasurer" if i == 0 else "member", "active": True}
            for i, p in enumerate(people)])
        membership_ids = [row[0] for row in conn.execute(
            select(Membership.__table__.c.id).where(Membership.__table__.c.group_id == group_id)
            .order_by(Membership.__table__.c.id))]
        treasurer_user = user_ids["Казначей Бенч"]

        supplier_ids = [conn.execute(insert(Supplier.__table__).returning(
            Supplier.__table__.c.id), {"group_id": group_id, "name": name, "language": "ru",
                                       "contact_person": "Асель", "phone": "+996 555 000 000",
                                       "address": "Каракол"}).scalar_one()
            for name in ("Агро-Каракол", "Суу-Тех", "Бишкек-Семена")]
        product_rows = [{
            "group_id": group_id, "supplier_id": supplier_ids[p % 3],
            "article_code": f"B-{p:03d}", "name": f"Семена «Сорт {p}», пакет {5 + p % 20} г",
            "unit": "пакет", "pack_size": (5 + p % 20) * 1000, "granularity": 1000,
            "weight_grams": 10 + p % 50, "retail_price": (60 + p % 40) * 1_000_000,
            "retired": False} for p in range(products)]
        product_ids = list(conn.execute(
            insert(Product.__table__).returning(Product.__table__.c.id,
                                                sort_by_parameter_order=True),
            product_rows).scalars())
        conn.execute(insert(PriceTier.__table__), [
            row for p, pid in enumerate(product_ids) for row in (
                {"product_id": pid, "min_qty": 0,
                 "unit_price": (40 + p % 30) * 1_000_000 + 500_000},
                {"product_id": pid, "min_qty": members * 3000,
                 "unit_price": (36 + p % 30) * 1_000_000})])

        round_id = conn.execute(insert(Round.__table__).returning(Round.__table__.c.id), {
            "group_id": group_id, "title": "Весенний заказ (бенч)", "state": "open",
            "loss_policy": "product", "levy_basis_points": 200, "cash_rounding": 100,
            "delivery_place": "Дом культуры", "created_by_id": treasurer_user}).scalar_one()
        item_ids = list(conn.execute(
            insert(RoundItem.__table__).returning(RoundItem.__table__.c.id,
                                                  sort_by_parameter_order=True),
            [{"round_id": round_id, "product_id": pid, "position": p}
             for p, pid in enumerate(product_ids)]).scalars())
        conn.execute(insert(SharedCost.__table__), [
            {"round_id": round_id, "name": "Грузовик", "amount": 2_500_000, "rule": "weight"},
            {"round_id": round_id, "name": "Банк", "amount": 150_000, "rule": "value"}])
        member_ids = membership_ids[1:]
        conn.execute(insert(Request.__table__), [
            {"round_id": round_id, "round_item_id": item_id, "membership_id": membership_id,
             "quantity": (1 + (m * 7 + p * 3) % 9) * 1000, "tolerance": ((m + p) % 4) * 1000,
             "updated_by_id": treasurer_user}
            for m, membership_id in enumerate(member_ids)
            for p, item_id in enumerate(item_ids)])
    if engine.dialect.name == "postgresql":
        # the planner's statistics of the tables loaded, as autovacuum gathers
        # them a minute after a load like this one: without them it plans the
        # joins of a page's reads as over empty tables (an order's read of
        # her lines passed over 1,225 others to find her 50: 1.7 ms on the
        # server, 0.26 ms with them)
        tables = (Group, Membership, PriceTier, Product, Request, Round, RoundItem, SharedCost,
                  Supplier, User)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE " + ", ".join(
                sorted(model.__table__.name for model in tables))))
    return Seeded(group_id=group_id, round_id=round_id, treasurer_login=TREASURER_EMAIL,
                  member_logins=logins, item_ids=item_ids, members=members,
                  products=products)
