"""Suppliers, products and the catalog import against the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.suppliers import domain, services
from coop.suppliers.domain import CatalogError, ProductData, Tier
from coop.suppliers.models import PriceTier, Product, Supplier
from tests.factories import make_group, make_product, make_supplier

HEADER = "article_code;name;unit;pack_size;granularity;weight_kg;retail_price;tiers"


def catalog(*lines: str) -> bytes:
    return "\r\n".join([HEADER, *lines]).encode()


def product_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Product)) or 0


def tiers_of(product: Product) -> list[tuple[int, int]]:
    return [(t.min_qty, t.unit_price) for t in product.price_tiers]


def test_supplier_rules(session: Session) -> None:
    group = make_group(session)
    supplier = services.create_supplier(session, group, name="  Агро-Маркет ", phone="0555")
    assert (supplier.name, supplier.language, supplier.group_id) == ("Агро-Маркет", "ru", group.id)
    for kwargs, field in (({"name": " "}, "name"), ({"name": "агро-маркет"}, "name"),
                          ({"name": "B", "language": "de"}, "language"),
                          ({"name": "B", "phone": "1" * 41}, "phone")):
        with pytest.raises(DomainError) as info:
            services.create_supplier(session, group, **kwargs)  # type: ignore[arg-type]
        assert info.value.field == field
    # the same name in another group is fine; renaming to itself too
    services.create_supplier(session, make_group(session), name="Агро-Маркет")
    services.update_supplier(session, supplier, name="Агро-Маркет", contact_person="Бакыт",
                             phone="", address="Каракол", language="ky")
    assert (supplier.contact_person, supplier.language) == ("Бакыт", "ky")


def test_services_flush_and_never_commit(session: Session) -> None:
    group = make_group(session)
    session.commit()
    supplier = make_supplier(session, group)
    services.import_catalog(session, supplier, catalog("A;X;kg;1;1;0;;0=1"))
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Supplier)) == 0
    assert product_count(session) == 0


def test_product_tiers_change_in_place(session: Session) -> None:
    supplier = make_supplier(session, make_group(session))
    product = make_product(session, supplier, granularity="0,5", pack_size="5",
                           tiers="0 = 48,50\n50 = 42")
    kept_row = product.price_tiers[0]
    data = services.product_data(product)
    services.update_product(session, product, ProductData(**{
        **data.__dict__, "tiers": (Tier(0, 47_000_000), Tier(100_000, 40_000_000),
                                   Tier(200_000, 39_500_000))}))
    session.expire_all()
    product = session.get(Product, product.id)
    assert tiers_of(product) == [(0, 47_000_000), (100_000, 40_000_000), (200_000, 39_500_000)]
    assert product.price_tiers[0].id == kept_row.id
    assert session.scalar(select(func.count()).select_from(PriceTier)) == 3


def test_product_rules_are_enforced_by_the_service(session: Session) -> None:
    supplier = make_supplier(session, make_group(session))
    make_product(session, supplier, article_code="S-1")
    data = ProductData(name="Лук", unit="kg", pack_size=2500, granularity=1000,
                       tiers=(Tier(0, 1),), article_code="S-2")
    with pytest.raises(DomainError) as info:
        services.create_product(session, supplier, data)
    assert info.value.field == "pack_size"
    with pytest.raises(DomainError) as info:
        services.create_product(session, supplier, ProductData(
            **{**data.__dict__, "pack_size": 3000, "article_code": "S-1"}))
    assert info.value.field == "article_code"
    # another supplier may use the same code
    other_group = make_group(session)
    same_code = ProductData(**{**data.__dict__, "pack_size": 3000, "article_code": "S-1"})
    made = services.create_product(session, make_supplier(session, other_group), same_code)
    assert made.group_id == other_group.id


def test_retire_and_reinstate(session: Session) -> None:
    group = make_group(session)
    product = make_product(session, make_supplier(session, group))
    services.retire_product(session, product)
    assert product.retired and services.list_products(session, group) == []
    assert services.list_products(session, group, include_retired=True) == [product]
    with pytest.raises(DomainError):
        services.retire_product(session, product)
    services.reinstate_product(session, product)
    assert services.list_products(session, group) == [product]
    with pytest.raises(DomainError):
        services.reinstate_product(session, product)


def test_list_products_is_the_groups_sorted_and_eagerly_loaded(session: Session,
                                                               count_queries) -> None:  # type: ignore[no-untyped-def]
    group = make_group(session)
    zeta = make_supplier(session, group, "Zeta")
    alpha = make_supplier(session, group, "Alpha")
    make_product(session, zeta, "Морковь")
    make_product(session, alpha, "Чеснок")
    make_product(session, alpha, "Лук")
    make_product(session, make_supplier(session, make_group(session)), "Чужой")
    session.commit()
    session.expire_all()
    group = session.get(type(group), group.id)
    with count_queries() as queries:
        products = services.list_products(session, group)
        seen = [(p.supplier.name.split()[0], p.name, tiers_of(p)[0][0]) for p in products]
    assert seen == [("Alpha", "Лук", 0), ("Alpha", "Чеснок", 0), ("Zeta", "Морковь", 0)]
    assert queries[0] == 2  # products with suppliers, then all their tiers


def test_get_product_refuses_another_groups_product(session: Session) -> None:
    group, other = make_group(session), make_group(session)
    mine = make_product(session, make_supplier(session, group))
    theirs = make_product(session, make_supplier(session, other))
    assert services.get_product(session, group, mine.id) is mine
    for product_id in (theirs.id, 10**9):
        with pytest.raises(DomainError):
            services.get_product(session, group, product_id)
    with pytest.raises(DomainError):
        services.get_supplier(session, group, theirs.supplier_id)


def test_import_adds_then_updates_by_article_code(session: Session) -> None:
    supplier = make_supplier(session, make_group(session))
    untouched = make_product(session, supplier, "Вне файла", article_code="OLD")
    result = services.import_catalog(session, supplier, catalog(
        "A;Семена;kg;5;0,5;1;60;0=48,50|50=42", "B;Кетмень;шт;1;1;1,2;;0=380"))
    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    seeds = session.scalar(select(Product).where(Product.article_code == "A"))
    services.retire_product(session, seeds)

    result = services.import_catalog(session, supplier, catalog(
        "B;Кетмень;шт;1;1;1,2;;0=380", "A;Семена моркови;kg;5;0,5;1;60;0=45|100=40",
        "C;Вилы;шт;1;1;;;0=300"))
    assert (result.added, result.updated, result.unchanged, result.retired) == (1, 1, 1, 1)
    session.expire_all()
    seeds = session.get(Product, seeds.id)
    assert seeds.name == "Семена моркови" and seeds.retired
    assert tiers_of(seeds) == [(0, 45_000_000), (100_000, 40_000_000)]
    assert session.get(Product, untouched.id).name == "Вне файла"
    assert product_count(session) == 4


def test_import_is_all_or_nothing(session: Session) -> None:
    supplier = make_supplier(session, make_group(session))
    services.import_catalog(session, supplier, catalog("A;Семена;kg;5;1;1;60;0=48"))
    session.commit()
    with pytest.raises(CatalogError) as info:
        services.import_catalog(session, supplier, catalog(
            "A;Семена;kg;5;1;1;60;0=10", "B;Новое;kg;5;1;1;60;0=1", "C;Плохое;kg;2,5;1;1;;0=1"))
    assert [(e.line, e.column) for e in info.value.errors] == [(4, "pack_size")]
    session.rollback()
    assert product_count(session) == 1
    assert tiers_of(session.scalar(select(Product))) == [(0, 48_000_000)]


def test_upsert_checks_rows_it_did_not_parse_itself(session: Session) -> None:
    supplier = make_supplier(session, make_group(session))
    bad = domain.CatalogRow(7, ProductData(name="X", unit="kg", pack_size=1000,
                                           granularity=1000, tiers=(), article_code="A"))
    with pytest.raises(CatalogError) as info:
        services.upsert_catalog(session, supplier, [bad])
    assert [(e.line, e.column) for e in info.value.errors] == [(7, "tiers")]
    assert product_count(session) == 0


def test_import_does_not_query_per_row(session: Session, count_queries) -> None:  # type: ignore[no-untyped-def]
    supplier = make_supplier(session, make_group(session))
    lines = [f"A{i};Товар {i};kg;1;1;0;;0={i}|10={i}" for i in range(300)]
    with count_queries() as first:
        services.import_catalog(session, supplier, catalog(*lines))
    session.commit()
    session.expire_all()
    supplier = session.get(Supplier, supplier.id)
    changed = [line.replace("|10=", "|20=") for line in lines]
    with count_queries() as again:
        result = services.import_catalog(session, supplier, catalog(*changed))
    assert result.updated == 300
    # a constant handful of statements, not one (or more) per line
    assert first[0] <= 8, first[0]
    assert again[0] <= 8, again[0]


def test_export_reads_back_unchanged(session: Session) -> None:
    supplier = make_supplier(session, make_group(session))
    make_product(session, supplier, "Семена; \"Нантская\"", granularity="0,25", pack_size="2,5",
                 tiers="0 = 48,123456\n5 = 40", weight_kg="0,125", retail_price="")
    make_product(session, supplier, "=Кетмень", unit="шт", granularity="1", pack_size="10",
                 tiers="0 = 380", retail_price="450,5")
    retired = make_product(session, supplier, "Старое")
    services.retire_product(session, retired)
    data = services.export_catalog(session, supplier)
    assert "Старое" not in data.decode("utf-8-sig")
    result = services.import_catalog(session, supplier, data)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 2)


def test_a_product_without_article_code_is_exported_but_refused_on_import(
        session: Session) -> None:
    supplier = make_supplier(session, make_group(session))
    make_product(session, supplier, "С кодом", article_code="A-1")
    no_code = make_product(session, supplier, "Без кода", article_code="A-2")
    services.update_product(session, no_code, ProductData(
        **{**services.product_data(no_code).__dict__, "article_code": None}))
    data = services.export_catalog(session, supplier)
    with pytest.raises(CatalogError) as info:
        services.import_catalog(session, supplier, data)
    [error] = info.value.errors
    assert (error.line, error.column) == (2, "article_code")  # sorted by name: "Без кода" first
    assert "make one up" in str(error.message)
