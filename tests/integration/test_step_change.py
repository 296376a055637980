"""A product's step (granularity) changed while rounds still split with it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coop.errors import DomainError
from coop.orders import services as orders
from coop.suppliers import services
from coop.suppliers.domain import CatalogError
from coop.suppliers.models import Product
from tests.factories import make_closed_round

HEADER = "article_code;name;unit;pack_size;granularity;weight_kg;retail_price;tiers"


def _stored_step(session: Session, product_id: int) -> int:
    session.expire_all()
    return session.scalar(select(Product.granularity).where(Product.id == product_id)) or 0


def test_a_step_that_orders_of_an_awarded_round_do_not_fit_is_refused(
        session: Session) -> None:
    world = make_closed_round(session)  # fabric: step 0.5 m, orders 20 + 5 and 5 m
    orders.award_at_list_prices(session, world.rnd, world.treasurer.user)
    session.commit()
    fabric = world.fabric.product
    data = services.product_data(fabric)

    with pytest.raises(DomainError) as info:
        services.update_product(session, fabric, replace(data, granularity=3000))
    assert info.value.field == "granularity"
    assert "«Весна»" in str(info.value) and " 2 " in str(info.value)
    session.rollback()
    assert _stored_step(session, fabric.id) == 500

    # the catalog file likewise: all or nothing, the line named
    supplier = fabric.supplier
    lines = [HEADER, "A1;Ткань;м;30;3;0.2;38;0=27.40", "NEW;Новый;кг;1;1;0;;0=1"]
    with pytest.raises(CatalogError) as refused:
        services.import_catalog(session, supplier, "\r\n".join(lines).encode())
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "granularity")]
    session.rollback()
    assert _stored_step(session, fabric.id) == 500
    assert session.scalar(select(Product.id).where(Product.article_code == "NEW")) is None

    # a step every line, the awarded pack and the delivery fit is taken; the round splits
    services.update_product(session, fabric, replace(data, granularity=2500))
    session.commit()
    orders.compute_split(session, world.rnd)


def test_an_engine_refusal_reads_as_a_treasurer_message(session: Session) -> None:
    world = make_closed_round(session)
    orders.award_at_list_prices(session, world.rnd, world.treasurer.user)
    # a step changed behind the service's back (as before the check existed)
    session.execute(update(Product).where(Product.id == world.fabric.product_id)
                    .values(granularity=3000, pack_size=30000))
    session.commit()
    session.expire_all()
    with pytest.raises(DomainError) as info:
        orders.compute_split(session, world.rnd)
    text = str(info.value)
    assert "requests[" not in text and "granularity" not in text
    assert "Ткань" in text
