"""A product's step changed at the same moment as an order, a delivery or an
award of a round that carries it: one of the two goes first and the other
is checked against what the first left (coop.suppliers.services.
step_change_refusals). Before, the order (delivery, award) read the step
without waiting for anything, so a change committed meanwhile slipped past
its check, or it past the change's: the round ended with lines (a delivery,
a frozen pack) off the product's step, and its pages could no longer split it.

Each test holds the first one's transaction open at the moment that matters
and runs the second meanwhile on another connection, as two app workers
would; the waiting is made certain, not left to timing. On PostgreSQL only
(row locks, concurrent writers): COOP_TEST_DATABASE_URL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.db import utcnow
from coop.errors import DomainError
from coop.extensions import db
from coop.groups.models import Group, Membership
from coop.orders import services as orders
from coop.orders.models import Delivery, Request, Round, RoundItem
from coop.suppliers import services as suppliers
from coop.suppliers.domain import CatalogError
from coop.suppliers.models import Product
from tests.conftest import csrf_token, login
from tests.factories import make_catalog, make_group, make_member

pytestmark = pytest.mark.postgres

HOLD = 0.6  # seconds the first keeps its transaction open while the second runs
K = 1000  # thousandths of the unit
HEADER = "article_code;name;unit;pack_size;granularity;weight_kg;retail_price;tiers"

# what the one that comes second is told, in Russian
STEP_REFUSED = ("Шаг нельзя изменить: в закупке «Весна» {what}. Сначала исправьте их или "
                "дождитесь, пока закупка будет рассчитана.")
ONE_ORDER_OFF = "1 заказ не кратен {step}"
TERMS_OFF = "размер упаковки по договору или полученное количество не кратны {step}"


def _world(session: Session, state: str = "open") -> SimpleNamespace:
    """make_catalog's products in the round «Весна»: fabric (step 0.5 m, pack
    30 m) ordered in whole 4 m (Айгүл 24 + 4, Нурила 4: a pack), so that its
    step may become 1 m, or 4 m with packs of 32 m; Гүлнара has not ordered.
    The round is `state`: open, closed or awarded (at list prices)."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul, nurila = make_member(session, group, "Айгүл"), make_member(session, group, "Нурила")
    gulnara = make_member(session, group, "Гүлнара")
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(session, rnd, treasurer.user, "open")
    fabric = rnd.items[1]
    for member, line in ((aigul, (24 * K, 4 * K)), (nurila, (4 * K, 0))):
        orders.save_order(session, rnd, member, {fabric.id: line}, treasurer.user,
                          as_treasurer=True)
    if state != "open":
        orders.move_round(session, rnd, treasurer.user, "closed")
    if state == "awarded":
        orders.award_at_list_prices(session, rnd, treasurer.user)
    session.commit()
    return SimpleNamespace(group_id=group.id, round_id=rnd.id, item_id=fabric.id,
                           product_id=fabric.product_id, supplier_id=fabric.product.supplier_id,
                           treasurer_id=treasurer.user_id, gulnara_id=gulnara.id,
                           aigul_id=aigul.id,
                           gulnara_email=gulnara.user.email,
                           treasurer_email=treasurer.user.email)


def _outcome(session: Session, work: Callable[[Session], object]) -> str:
    """"ok" (committed), or what the refusal says (in Russian), or the name
    of what else was raised."""
    try:
        with force_locale("ru"):
            work(session)
        session.commit()
        return "ok"
    except DomainError as exc:
        session.rollback()
        with force_locale("ru"):
            return str(exc.message).replace("\xa0", " ")
    except CatalogError as exc:
        session.rollback()
        return " ".join(str(error.message) for error in exc.errors).replace("\xa0", " ")
    except Exception as exc:
        session.rollback()
        return type(exc).__name__


def _meanwhile(app: Flask, first: Callable[[Session], object],
               second: Callable[[Session], object],
               then: Callable[[Session], object] | None = None) -> tuple[list[str], bool]:
    """`first` runs on a connection of its own and keeps its transaction
    open; `second` runs meanwhile on another. After HOLD seconds the first
    does `then` (if any) and commits, and the second, if it was waiting on
    the first's locks, goes on. Returns both outcomes (first, second) and
    whether the second was still waiting when the first went on."""
    outcomes = ["", ""]

    def run_second() -> None:
        with app.app_context(), Session(db.engine) as session:
            outcomes[1] = _outcome(session, second)

    with app.app_context(), Session(db.engine) as session:
        with force_locale("ru"):
            first(session)
        waiting = threading.Thread(target=run_second)
        waiting.start()
        waiting.join(HOLD)
        waited = waiting.is_alive()
        outcomes[0] = _outcome(session, then or (lambda _s: None))
        waiting.join(30)
        assert not waiting.is_alive()
    return outcomes, waited


# -- the two sides ------------------------------------------------------------------

def _step_change(w: SimpleNamespace, step: int, pack: int | None = None,
                 by: str = "form") -> Callable[[Session], object]:
    """The treasurer sets fabric's step (and pack size): on the product's
    form, or by importing the supplier's catalog file."""
    def change(s: Session) -> None:
        product = s.get(Product, w.product_id)
        assert product is not None
        data = replace(suppliers.product_data(product), granularity=step,
                       pack_size=pack or product.pack_size)
        if by == "form":
            suppliers.update_product(s, product, data)
            return
        line = ";".join(("A1", "Ткань", "м", _qty(data.pack_size), _qty(step), "0.2", "38",
                         "0=27.40"))
        suppliers.import_catalog(s, product.supplier, f"{HEADER}\r\n{line}".encode())
    return change


def _qty(thousandths: int) -> str:
    return f"{thousandths / K:g}"


def _order(w: SimpleNamespace, quantity: int) -> Callable[[Session], object]:
    """Гүлнара's order of `quantity` of fabric, entered by the treasurer."""
    def order(s: Session) -> None:
        orders.save_order(s, _round(s, w), _gulnara(s, w), {w.item_id: (quantity, 0)},
                          _treasurer(s, w), as_treasurer=True)
    return order


def _round(s: Session, w: SimpleNamespace, *, as_the_page: bool = False) -> Round:
    """The round; `as_the_page`: with its products loaded first, as the
    treasurer's pages load it before they call the service."""
    group = s.get(Group, w.group_id)
    assert group is not None
    rnd = orders.get_round(s, group, w.round_id, with_items=as_the_page)
    assert rnd is not None
    return rnd


def _gulnara(s: Session, w: SimpleNamespace) -> Membership:
    member = s.get(Membership, w.gulnara_id)
    assert member is not None
    return member


def _treasurer(s: Session, w: SimpleNamespace) -> User:
    user = s.get(User, w.treasurer_id)
    assert user is not None
    return user


def _step(session: Session, w: SimpleNamespace) -> int:
    session.expire_all()
    return session.scalar(select(Product.granularity).where(Product.id == w.product_id)) or 0


def _gulnara_lines(session: Session, w: SimpleNamespace) -> list[int]:
    return list(session.scalars(select(Request.quantity).where(
        Request.round_id == w.round_id, Request.membership_id == w.gulnara_id)))


def _still_splits(session: Session, w: SimpleNamespace) -> None:
    """The round's figures can still be made (its pages work)."""
    session.expire_all()
    rnd = session.get(Round, w.round_id)
    assert rnd is not None
    orders.compute_split(session, rnd)


# -- orders ---------------------------------------------------------------------------

@pytest.mark.parametrize("by", ["form", "import"])
def test_a_step_change_waits_for_an_order_being_saved_and_is_refused(
        app_ctx: Flask, session: Session, pg_only: None, by: str) -> None:
    """Гүлнара's 1.5 m of fabric is written, not yet committed, when the
    treasurer sets the step to 1 m. Before, the change checked the round's
    lines without her (not committed) and went through after her: the round
    ended with a line off its step. Now it waits for her order (her
    membership's lock) and then finds her line."""
    w = _world(session)
    outcomes, waited = _meanwhile(app_ctx, _order(w, 1500), _step_change(w, K, by=by))
    assert outcomes == ["ok", STEP_REFUSED.format(what=ONE_ORDER_OFF.format(step="1 метр"))]
    assert waited
    assert _step(session, w) == 500 and _gulnara_lines(session, w) == [1500]
    _still_splits(session, w)


def test_an_order_checked_before_a_step_change_is_saved_and_the_change_refused(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Гүлнара's order form has read the terms (her membership locked, her
    1.5 m checked against 0.5 m) when the treasurer sets the step to 1 m.
    Before, the change went through at once and her order was then written
    on the step it had checked, the old one. Now the change waits for her
    order, and is refused."""
    w = _world(session)
    locked: list[orders.LockedOrder] = []

    def checked(s: Session) -> None:  # as the order form does before it saves
        locked.append(orders.lock_order(s, _round(s, w), _gulnara(s, w)))
        assert orders.order_line_errors(locked[0].terms, {w.item_id: (1500, 0)}) == {}

    def saved(s: Session) -> None:
        orders.save_order(s, _round(s, w), _gulnara(s, w), {w.item_id: (1500, 0)},
                          _treasurer(s, w), as_treasurer=True, locked=locked[0])

    outcomes, waited = _meanwhile(app_ctx, checked, _step_change(w, K), then=saved)
    assert outcomes == ["ok", STEP_REFUSED.format(what=ONE_ORDER_OFF.format(step="1 метр"))]
    assert waited
    assert _step(session, w) == 500 and _gulnara_lines(session, w) == [1500]
    _still_splits(session, w)


def test_an_order_sent_while_a_step_change_is_written_is_checked_against_the_new_step(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """The step change has checked the round and written 1 m, not yet
    committed, when Гүлнара's 1.5 m arrives. Before, her order read the old
    step (the new one not committed), passed, and was written after the
    change. Now it waits for the change (her membership's lock, taken before
    the terms are read) and is checked against 1 m."""
    w = _world(session)
    outcomes, waited = _meanwhile(app_ctx, _step_change(w, K), _order(w, 1500))
    assert outcomes == ["ok", "Ткань: заказывайте с шагом 1 метр (1,5 не подходит)."]
    assert waited
    assert _step(session, w) == K and _gulnara_lines(session, w) == []
    _still_splits(session, w)


# -- deliveries -------------------------------------------------------------------------

def _delivery(w: SimpleNamespace, received: int) -> Callable[[Session], object]:
    """The treasurer records `received` of fabric, the round loaded with its
    products first, as the delivery page does (more than ordered: she said
    so; what matters here is the step)."""
    def deliver(s: Session) -> None:
        orders.record_delivery(s, _round(s, w, as_the_page=True), {w.item_id: (received, 0)},
                               actor=_treasurer(s, w), beyond_ordered=True)
    return deliver


def _received(session: Session, w: SimpleNamespace) -> list[int]:
    return list(session.scalars(select(Delivery.received).where(
        Delivery.round_id == w.round_id)))


def test_a_step_change_waits_for_a_delivery_being_recorded_and_is_refused(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """1.5 m of fabric recorded as arrived, not yet committed, when the
    treasurer sets the step to 1 m. Before, the change checked the round's
    deliveries without it and went through after it. Now it waits for the
    round's lock the delivery holds, and then finds it."""
    w = _world(session, "awarded")
    outcomes, waited = _meanwhile(app_ctx, _delivery(w, 1500), _step_change(w, K))
    assert outcomes == ["ok", STEP_REFUSED.format(what=TERMS_OFF.format(step="1 метр"))]
    assert waited
    assert _step(session, w) == 500 and _received(session, w) == [1500]
    _still_splits(session, w)


def test_a_delivery_recorded_while_a_step_change_is_written_is_checked_against_the_new_step(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """The step change has written 1 m, not yet committed, when 1.5 m of
    fabric is recorded. Before, the delivery waited for the round's lock but
    then checked the step its page had loaded before it, the old one. Now it
    reads the products again under the lock."""
    w = _world(session, "awarded")
    outcomes, waited = _meanwhile(app_ctx, _step_change(w, K), _delivery(w, 1500))
    assert outcomes == ["ok", "Ткань: количество указывается с шагом 1 метр."]
    assert waited
    assert _step(session, w) == K and _received(session, w) == []
    _still_splits(session, w)


# -- awards -------------------------------------------------------------------------------

def _award(w: SimpleNamespace, how: str) -> Callable[[Session], object]:
    """The round awarded at the catalog's list prices (its pages loaded
    first): from the round's page, or as the award of quotes does it."""
    def award(s: Session) -> None:
        from coop.quotes import services as quotes

        rnd = _round(s, w, as_the_page=True)
        if how == "round":
            orders.award_at_list_prices(s, rnd, _treasurer(s, w))
        else:
            quotes.award_quotes(s, rnd, _treasurer(s, w), {w.item_id: None},
                                today=utcnow().date())
    return award


def _awarded_pack(session: Session, w: SimpleNamespace) -> int | None:
    session.expire_all()
    return session.scalar(select(RoundItem.awarded_pack_size).where(
        RoundItem.id == w.item_id))


@pytest.mark.parametrize("how", ["round", "quotes"])
def test_a_step_change_waits_for_an_award_and_is_refused(
        app_ctx: Flask, session: Session, pg_only: None, how: str) -> None:
    """The award freezes fabric's pack, 30 m, when the treasurer sets the
    step to 4 m (packs of 32 m). Before, the change checked the round as
    closed (its quotes, none) and went through after the award: the frozen
    30 m was off the step."""
    w = _world(session, "closed")
    outcomes, waited = _meanwhile(app_ctx, _award(w, how), _step_change(w, 4 * K, 32 * K))
    assert outcomes == ["ok", STEP_REFUSED.format(what=TERMS_OFF.format(step="4 метра"))]
    assert waited
    assert _step(session, w) == 500 and _awarded_pack(session, w) == 30 * K
    _still_splits(session, w)


@pytest.mark.parametrize("how", ["round", "quotes"])
def test_an_award_made_while_a_step_change_is_written_freezes_the_new_pack(
        app_ctx: Flask, session: Session, pg_only: None, how: str) -> None:
    """Both may go through here, one after the other: the award comes after
    the change, so it freezes the new terms (4 m, packs of 32 m). Before, it
    waited for the round's lock but then froze the pack its page had loaded,
    30 m, off the new step."""
    w = _world(session, "closed")
    outcomes, waited = _meanwhile(app_ctx, _step_change(w, 4 * K, 32 * K), _award(w, how))
    assert outcomes == ["ok", "ok"]
    assert waited
    assert _step(session, w) == 4 * K and _awarded_pack(session, w) == 32 * K
    _still_splits(session, w)


# -- no deadlock ----------------------------------------------------------------------------

def test_a_seed_loan_proposed_while_a_step_change_waits_for_her_goes_through(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Айгүл's membership is locked (a seed loan of her fabric being
    proposed: propose_loan locks it, then writes the loan, which refers to
    the product) when the treasurer sets fabric's step to 1 m: the change
    waits for her. The product's row is locked FOR NO KEY UPDATE, which a
    reference to it does not wait for: locked FOR UPDATE, the loan would wait
    for the change in turn, and PostgreSQL would end the deadlock by failing
    one of the two (a 500)."""
    from datetime import timedelta

    from coop.ledger import services as ledger
    from coop.season import loans as seed
    from coop.season.models import SeedLoan

    w = _world(session, "awarded")

    def her_lock(s: Session) -> None:
        member = s.get(Membership, w.aigul_id)
        assert member is not None
        ledger.lock_member(s, member)

    def propose(s: Session) -> None:
        member = s.get(Membership, w.aigul_id)
        group = s.get(Group, w.group_id)
        assert member is not None and group is not None
        seed.propose_loan(s, group, member, round_id=w.round_id, product_id=w.product_id,
                          repay_mode="kind", repay_bp=12_000,
                          due_on=utcnow().date() + timedelta(days=200), actor=_treasurer(s, w))

    outcomes, waited = _meanwhile(app_ctx, her_lock, _step_change(w, K), then=propose)
    assert outcomes == ["ok", "ok"]
    assert waited
    assert _step(session, w) == K
    assert session.scalar(select(SeedLoan.product_id).where(
        SeedLoan.membership_id == w.aigul_id)) == w.product_id


# -- the pages: the one that loses is told why, never a 500 -----------------------------

def _client_meanwhile(app: Flask, first: Callable[[Session], object],
                      send: Callable[[], Any]) -> tuple[str, Any]:
    """`first` held open (as in _meanwhile) while a page is sent; then the
    first commits. Returns the first's outcome and the page's response."""
    responses: list[Any] = []
    outcomes, _waited = _meanwhile(app, first, lambda _s: responses.append(send()))
    assert outcomes[1] == "ok"
    return outcomes[0], responses[0]


def test_the_product_page_refused_after_an_order_says_why(
        app_ctx: Flask, client: FlaskClient, session: Session, pg_only: None) -> None:
    w = _world(session)
    login(client, w.treasurer_email)
    token = csrf_token(client)
    url = f"/groups/{w.group_id}/suppliers/{w.supplier_id}/products/{w.product_id}"
    form = {"csrf_token": token, "name": "Ткань", "unit": "м", "article_code": "A1",
            "pack_size": "30", "granularity": "1", "weight_kg": "0,2", "retail_price": "38",
            "tiers": "0 = 27,40"}
    first, response = _client_meanwhile(app_ctx, _order(w, 1500), lambda: client.post(
        url, data=form, headers={"Accept-Language": "ru"}))
    assert first == "ok"
    assert response.status_code == 422
    page = response.get_data(as_text=True).replace("\xa0", " ")
    assert STEP_REFUSED.format(what=ONE_ORDER_OFF.format(step="1 метр")) in page
    assert _step(session, w) == 500


def test_the_order_page_sent_during_a_step_change_says_why(
        app_ctx: Flask, client: FlaskClient, session: Session, pg_only: None) -> None:
    w = _world(session)
    login(client, w.gulnara_email)
    token = csrf_token(client)
    url = f"/groups/{w.group_id}/rounds/{w.round_id}/order"
    first, response = _client_meanwhile(app_ctx, _step_change(w, K), lambda: client.post(
        url, data={"csrf_token": token, f"quantity_{w.item_id}": "1,5"},
        headers={"Accept-Language": "ru"}))
    assert first == "ok"
    assert response.status_code == 422
    page = response.get_data(as_text=True).replace("\xa0", " ")
    assert "Ткань: заказывайте с шагом 1 метр (1,5 не подходит)." in page
    assert _step(session, w) == K and _gulnara_lines(session, w) == []
