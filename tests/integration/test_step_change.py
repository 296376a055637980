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


# -- quotes: the pack sizes a round's quotes offer --------------------------------

def _quoted_round(session: Session, npk_pack: int = 25_000):  # type: ignore[no-untyped-def]
    """`make_closed_round` asking one supplier for quotes, who offers NPK in
    packs of `npk_pack` (thousandths); the other products as the catalog has them."""
    from datetime import date, timedelta

    from coop.db import utcnow
    from coop.quotes import services as quotes
    from tests.factories import make_quote, offer_input

    world = make_closed_round(session)
    quote, _token = make_quote(session, world, "Агро-Юг")
    k, p = 1000, 1_000_000
    quotes.submit_revision(session, quote, offer_input(
        {world.seed.id: (25 * k, [(0, 45 * p)]), world.fabric.id: (30 * k, [(0, 25 * p)]),
         world.npk.id: (npk_pack, [(0, 75 * p)])},
        valid_until=date.today() + timedelta(days=30)), today=utcnow().date())
    session.commit()
    return world, quote


def test_a_step_the_packs_of_a_quote_do_not_fit_is_refused_naming_round_and_supplier(
        session: Session) -> None:
    world, _quote = _quoted_round(session)
    assert world.rnd.state == "quoting"
    npk = world.npk.product
    data = services.product_data(npk)
    # every order (60 + 10, 30 kg) fits 10 kg: only the quote's 25 kg packs do not
    with pytest.raises(DomainError) as info:
        services.update_product(session, npk, replace(data, granularity=10_000))
    text = str(info.value)
    assert info.value.field == "granularity"
    assert "«Весна»" in text and "Агро-Юг" in text and "25" in text
    session.rollback()
    assert _stored_step(session, npk.id) == 1000

    # the catalog file likewise, its line named
    lines = [HEADER, "A2;NPK;кг;50;10;1;95;0=78|100=71,25"]
    with pytest.raises(CatalogError) as refused:
        services.import_catalog(session, npk.supplier, "\r\n".join(lines).encode())
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "granularity")]
    assert "Агро-Юг" in refused.value.errors[0].message
    session.rollback()
    assert _stored_step(session, npk.id) == 1000

    # 5 kg fits the orders and the 25 kg packs
    services.update_product(session, npk, replace(data, granularity=5000))
    session.commit()


def _step_behind_the_service(session: Session, product_id: int, step: int) -> None:
    """A step changed as before the check existed (or by a race)."""
    session.execute(update(Product).where(Product.id == product_id).values(granularity=step))
    session.commit()
    session.expire_all()


def test_the_award_refuses_a_pack_off_the_current_step(session: Session) -> None:
    from coop.db import utcnow
    from coop.orders.models import RoundItem
    from coop.quotes import services as quotes

    world, quote = _quoted_round(session)
    _step_behind_the_service(session, world.npk.product_id, 10_000)
    with pytest.raises(DomainError) as info:
        quotes.award_whole(session, world.rnd, world.treasurer.user, quote.id,
                           today=utcnow().date())
    text = str(info.value)
    assert "Агро-Юг" in text and "NPK" in text and "pack_size" not in text
    session.rollback()
    assert session.get(RoundItem, world.npk.id).awarded_pack_size is None
    assert world.rnd.state == "quoting"


def test_the_comparison_words_an_engine_refusal_as_a_sentence(session: Session) -> None:
    from coop.db import utcnow
    from coop.quotes import services as quotes

    world, quote = _quoted_round(session)
    _step_behind_the_service(session, world.npk.product_id, 10_000)
    result = quotes.compare_quotes(session, world.rnd, today=utcnow().date())
    why = result.engine_errors[quote.id]
    assert "products[" not in why and "granularity" not in why
    assert "NPK" in why


# -- in-kind seed loans -------------------------------------------------------------

def _kind_loan(session: Session):  # type: ignore[no-untyped-def]
    """A seed loan of tomato seed (step 1 packet, pack 25), delivered, repaid in
    kind at 1.2: she owes her allocation × 1.2 rounded up to a packet."""
    from datetime import timedelta

    from coop.i18n import local_today
    from coop.season import loans as seed
    from tests.factories import make_settled_round

    w = make_settled_round(session, members=2)
    member = w.members[0]
    loan = seed.propose_loan(session, w.group, member, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="kind", repay_bp=12000,
                             due_on=local_today() + timedelta(days=120),
                             actor=w.treasurer.user, idempotency_key="k" * 20)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    session.commit()
    return w, member, loan


def test_a_step_that_would_move_or_strand_an_open_seed_loan_is_refused(
        session: Session) -> None:
    from coop.season import domain as season
    from coop.season import loans as seed

    w, member, loan = _kind_loan(session)
    product = loan.product
    due = seed.due_quantity(loan)
    # a step of 5 or 25 packets that her due is not a whole number of
    step = next(s for s in (5000, 25000) if due % s)
    assert season.due_kind(loan.quantity, loan.repay_bp, step) != due
    data = services.product_data(product)
    with pytest.raises(DomainError) as info:
        services.update_product(session, product, replace(data, granularity=step))
    text = str(info.value)
    assert member.user.name in text and str(loan.id) in text
    session.rollback()
    assert _stored_step(session, product.id) == 1000

    lines = [HEADER, f"{product.article_code};Семена томата;пакет;25;{step // 1000};0,01;65;"
             "0=48,50|50=42"]
    with pytest.raises(CatalogError) as refused:
        services.import_catalog(session, product.supplier, "\r\n".join(lines).encode())
    assert [(e.line, e.column) for e in refused.value.errors] == [(2, "granularity")]
    session.rollback()
    assert _stored_step(session, product.id) == 1000

    # once she has returned it all, the step may change
    session.expire_all()
    loan = session.get(type(loan), loan.id)
    seed.repay_in_kind(session, loan, quantity=due, actor=w.treasurer.user,
                       idempotency_key="r" * 20)
    assert loan.state == "repaid"
    services.update_product(session, loan.product, replace(data, granularity=step))
    session.commit()


# -- the lock and the statements ------------------------------------------------------

def _statements(session: Session) -> list[object]:
    from sqlalchemy import event

    seen: list[object] = []
    event.listen(session(), "do_orm_execute",  # type: ignore[operator]
                 lambda state: seen.append(state.statement))
    return seen


def _locks_products_before_reading_requests(statements: list[object]) -> bool:
    def tables(statement: object) -> set[str]:
        return {getattr(t, "name", "") for t in getattr(statement, "get_final_froms",
                                                         lambda: [])()}

    lock = next((i for i, s in enumerate(statements)
                 if getattr(s, "_for_update_arg", None) is not None
                 and "products" in tables(s)), None)
    read = next((i for i, s in enumerate(statements) if "requests" in str(s)), None)
    return lock is not None and read is not None and lock < read


def test_the_product_row_is_locked_before_its_step_is_checked(session: Session) -> None:
    world = make_closed_round(session)
    session.commit()
    fabric = world.fabric.product
    seen = _statements(session)
    services.update_product(session, fabric,
                            replace(services.product_data(fabric), granularity=2500))
    assert _locks_products_before_reading_requests(seen)
    session.rollback()

    seen.clear()
    lines = [HEADER, "A1;Ткань;м;30;2,5;0,2;38;0=27,40"]
    services.import_catalog(session, fabric.supplier, "\r\n".join(lines).encode())
    assert _locks_products_before_reading_requests(seen)
    session.rollback()


def test_the_import_checks_steps_with_as_many_statements_for_one_product_as_for_three(
        session: Session, count_queries) -> None:  # type: ignore[no-untyped-def]
    lines = {"A0": "A0;Семена томата;пакет;25;{};0,01;65;0=48,50|50=42",
             "A1": "A1;Ткань;м;30;{};0,2;38;0=27,40",
             "A2": "A2;NPK;кг;50;{};1;95;0=78|100=71,25"}
    new_steps = {"A0": "5", "A1": "2,5", "A2": "10"}
    old_steps = {"A0": "1", "A1": "0,5", "A2": "1"}
    counts = []
    for changing in (("A2",), ("A0", "A1", "A2")):
        world = make_closed_round(session)
        orders.award_at_list_prices(session, world.rnd, world.treasurer.user)
        session.commit()
        supplier = world.fabric.product.supplier
        body = [HEADER] + [line.format(new_steps[code] if code in changing else old_steps[code])
                           for code, line in lines.items()]
        with count_queries() as n:
            result = services.import_catalog(session, supplier, "\r\n".join(body).encode())
        assert result.updated == 3
        session.commit()
        assert _stored_step(session, world.npk.product_id) == 10_000
        counts.append(n[0])
    assert counts[0] == counts[1], counts
