"""A product's step changed at the same moment as a needs survey is made a
round, or as seed lent is returned in kind: one of the two goes first and
the other is checked against what the first left (coop.season.services.
lock_steps, coop.suppliers.services.step_change_refusals). Before, the
conversion and the return read the step without waiting for anything: a
change committed meanwhile slipped past their checks, or they past its own
(the change does not see a round or a return not yet committed). The round
then had lines off the product's step (its pages could no longer split it),
or the loan was left owing what the new step cannot return.

As in test_step_change_concurrency: each test holds the first one's
transaction open at the moment that matters and runs the second meanwhile on
another connection, as two app workers would; the waiting is made certain,
not left to timing. On PostgreSQL only (row locks, concurrent writers):
COOP_TEST_DATABASE_URL."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.auth.models import User
from coop.i18n import local_today
from coop.orders import services as orders
from coop.orders.models import Request, Round
from coop.season import loans as seed
from coop.season import services as season
from coop.season.models import SeedLoan, SeedRepayment, Survey
from coop.season.services import AnswerInput
from coop.suppliers import services as suppliers
from coop.suppliers.models import Product
from tests.conftest import csrf_token, login, post
from tests.factories import make_catalog, make_group, make_member, make_sale_lot, make_settled_round
from tests.integration.test_money_endpoints import hidden_fields
from tests.integration.test_step_change_concurrency import (
    HEADER,
    ONE_ORDER_OFF,
    STEP_REFUSED,
    K,
    _client_meanwhile,
    _meanwhile,
    _step_change,
)

pytestmark = pytest.mark.postgres

# what the one that comes second is told, in Russian
SURE_OFF = "количество «точно» не кратно шагу {step}"
RETURN_OFF = "Семена томата: шагом {step} ({value} — не кратно)."
LOAN_REFUSED = ("Шаг нельзя изменить, пока этот заём семенами возвращается натурой с нынешним "
                "шагом: Заём семенами № {loan}, {member} (осталось вернуть {left} из {due}). "
                "Дождитесь, пока он будет возвращён или списан.")


def _step(session: Session, product_id: int) -> int:
    session.expire_all()
    return session.scalar(select(Product.granularity).where(Product.id == product_id)) or 0


def _treasurer(s: Session, w: SimpleNamespace) -> User:
    user = s.get(User, w.treasurer_id)
    assert user is not None
    return user


# -- the survey made a round ------------------------------------------------------------

def _survey_world(session: Session) -> SimpleNamespace:
    """A closed survey «Весна» of fabric (step 0.5 m): Гүлнара answered 1.5 m
    for sure, Нурила 2 m. Its step may become 1 m while nothing carries
    Гүлнара's 1.5 m; the round made of it would."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    gulnara, nurila = make_member(session, group, "Гүлнара"), make_member(session, group, "Нурила")
    fabric = make_catalog(session, group)[1]
    survey = season.create_survey(session, group, treasurer.user, title="Весна",
                                  product_ids=[fabric.id])
    season.move_survey(session, survey, "open")
    item = survey.items[0]
    for member, firm in ((gulnara, 1500), (nurila, 2 * K)):
        season.save_answers(session, survey, member, {item.id: AnswerInput(firm=firm)},
                            member.user, source="member")
    season.move_survey(session, survey, "closed")
    session.commit()
    return SimpleNamespace(group_id=group.id, survey_id=survey.id, product_id=fabric.id,
                           supplier_id=fabric.supplier_id, treasurer_id=treasurer.user_id,
                           treasurer_email=treasurer.user.email, gulnara=gulnara.user.name)


def _convert(w: SimpleNamespace, done: list[season.Conversion] | None = None
             ) -> Callable[[Session], object]:
    """The treasurer makes the survey the draft round «Весна», the survey
    loaded with its products first, as the conversion page does."""
    def convert(s: Session) -> None:
        survey = s.get(Survey, w.survey_id)
        assert survey is not None
        season.survey_demand(s, survey)  # the page's figures: the products loaded
        conversion = season.convert_survey(s, survey, _treasurer(s, w), title="Весна")
        if done is not None:
            done.append(conversion)
    return convert


def _round_lines(session: Session, w: SimpleNamespace) -> list[int]:
    session.expire_all()
    return sorted(session.scalars(select(Request.quantity).join(
        Survey, Survey.round_id == Request.round_id).where(Survey.id == w.survey_id)))


def _round_splits(session: Session, w: SimpleNamespace) -> None:
    """The round made of the survey can still be split (its pages work)."""
    session.expire_all()
    rnd = session.scalar(select(Round).join(Survey, Survey.round_id == Round.id)
                         .where(Survey.id == w.survey_id))
    assert rnd is not None
    orders.compute_split(session, rnd)


@pytest.mark.parametrize("by", ["form", "import"])
def test_a_step_change_waits_for_a_survey_being_converted_and_is_refused(
        app_ctx: Flask, session: Session, pg_only: None, by: str) -> None:
    """The round is made of the survey, Гүлнара's 1.5 m in it, not yet
    committed, when the treasurer sets fabric's step to 1 m. Before, the
    change looked for rounds without this one (not committed) and went
    through after it: the new round had a line off its step. Now it waits
    for the conversion's share lock on the product, then finds the round."""
    w = _survey_world(session)
    outcomes, waited = _meanwhile(app_ctx, _convert(w), _step_change(w, K, by=by))
    assert outcomes == ["ok", STEP_REFUSED.format(what=ONE_ORDER_OFF.format(step="1 метр"))]
    assert waited
    assert _step(session, w.product_id) == 500 and _round_lines(session, w) == [1500, 2 * K]
    _round_splits(session, w)


def test_a_survey_converted_while_a_step_change_is_written_is_checked_against_the_new_step(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Both go through, one after the other: the step change has written
    1 m, not yet committed, when the survey is made a round. Before, the
    conversion checked the answers against the step it had loaded, 0.5 m,
    and carried Гүлнара's 1.5 m into the round, off the new step. Now it
    waits for the change and carries only what fits 1 m; her line is
    reported as not carried, and why."""
    w = _survey_world(session)
    done: list[season.Conversion] = []
    outcomes, waited = _meanwhile(app_ctx, _step_change(w, K), _convert(w, done))
    assert outcomes == ["ok", "ok"]
    assert waited
    assert _step(session, w.product_id) == K and _round_lines(session, w) == [2 * K]
    with force_locale("ru"):
        reasons = [(u.member, str(u.reason).replace("\xa0", " ")) for u in done[0].unconverted]
    assert reasons == [(w.gulnara, SURE_OFF.format(step="1 метр"))]
    _round_splits(session, w)


# -- seed returned in kind ----------------------------------------------------------------

def _loan_world(session: Session) -> SimpleNamespace:
    """Айгүл's seed loan of 12 packets of tomato seed (step 1 packet, pack 25),
    delivered, repaid in kind at 1.2: she owes 15 packets. The step may become
    5 packets (15 stays 15, three steps) while she has returned nothing, or 5;
    not once she has returned 3 (12 left). An open lot of packets, for a
    return of her produce into it instead."""
    w = make_settled_round(session, members=2)
    aigul = w.members[0]
    loan = seed.propose_loan(session, w.group, aigul, round_id=w.rnd.id,
                             product_id=w.seed.product_id, repay_mode="kind", repay_bp=12_000,
                             due_on=local_today() + timedelta(days=120), actor=w.treasurer.user)
    seed.approve_loan(session, loan, w.treasurer.user)
    seed.deliver_loan(session, loan, w.treasurer.user)
    lot = make_sale_lot(session, w.group, w.treasurer, product="Семена томата", unit="пакет")
    session.commit()
    assert (loan.quantity, seed.due_quantity(loan)) == (12 * K, 15 * K)
    return SimpleNamespace(group_id=w.group.id, loan_id=loan.id, product_id=loan.product_id,
                           treasurer_id=w.treasurer.user_id, aigul=aigul.user.name,
                           treasurer_email=w.treasurer.user.email, lot_id=lot.id,
                           grade_id=lot.grades[0].id)


def _seed_step_change(w: SimpleNamespace, step: int, by: str = "form"
                      ) -> Callable[[Session], object]:
    """The treasurer sets tomato seed's step: on the product's form, or by
    importing the supplier's catalog file."""
    def change(s: Session) -> None:
        product = s.get(Product, w.product_id)
        assert product is not None
        if by == "form":
            suppliers.update_product(s, product, replace(suppliers.product_data(product),
                                                          granularity=step))
            return
        line = f"A0;Семена томата;пакет;25;{step // K};0.01;65;0=48.50|50=42"
        suppliers.import_catalog(s, product.supplier, f"{HEADER}\r\n{line}".encode())
    return change


def _return(w: SimpleNamespace, quantity: int, into: str = "stock"
            ) -> Callable[[Session], object]:
    """Айгүл brings back `quantity` packets: into the seed stock, or her
    produce into the open lot, recorded by the treasurer (the loan's page
    loads the loan and its product first)."""
    def bring(s: Session) -> None:
        loan = s.get(SeedLoan, w.loan_id)
        assert loan is not None
        seed.due_quantity(loan)  # as the loan's page shows it
        lot = (w.lot_id, w.grade_id) if into == "lot" else (None, None)
        seed.repay_in_kind(s, loan, quantity=quantity, actor=_treasurer(s, w),
                           lot_id=lot[0], grade_id=lot[1])
    return bring


def _returned(session: Session, w: SimpleNamespace) -> list[int]:
    session.expire_all()
    return list(session.scalars(select(SeedRepayment.quantity).where(
        SeedRepayment.loan_id == w.loan_id, SeedRepayment.kind == "kind")))


@pytest.mark.parametrize("by", ["form", "import"])
def test_a_step_change_waits_for_a_return_in_kind_and_is_refused(
        app_ctx: Flask, session: Session, pg_only: None, by: str) -> None:
    """Айгүл's 3 packets are recorded, not yet committed, when the treasurer
    sets the step to 5 packets. Before, the change counted her returns
    without them (15 left: three steps) and went through after them: 12
    left, which 5 packets cannot return. Now it waits for the return's share
    lock on the product, then finds it."""
    w = _loan_world(session)
    outcomes, waited = _meanwhile(app_ctx, _return(w, 3 * K), _seed_step_change(w, 5 * K, by))
    assert outcomes == ["ok", LOAN_REFUSED.format(loan=w.loan_id, member=w.aigul,
                                                  left="12 пакетов", due="15 пакетов")]
    assert waited
    assert _step(session, w.product_id) == K and _returned(session, w) == [3 * K]


@pytest.mark.parametrize("into", ["stock", "lot"])
def test_a_return_in_kind_sent_while_a_step_change_is_written_is_checked_against_the_new_step(
        app_ctx: Flask, session: Session, pg_only: None, into: str) -> None:
    """The step change has checked her loan (15 left: three steps of 5) and
    written 5 packets, not yet committed, when her 3 packets are recorded.
    Before, the return checked them against the step it had loaded, 1
    packet, and went through after the change: 12 left, off the new step.
    Now it waits for the change and is checked against 5 packets."""
    w = _loan_world(session)
    outcomes, waited = _meanwhile(app_ctx, _seed_step_change(w, 5 * K), _return(w, 3 * K, into))
    assert outcomes == ["ok", RETURN_OFF.format(step="5 пакетов", value="3")]
    assert waited
    assert _step(session, w.product_id) == 5 * K and _returned(session, w) == []


def test_a_return_that_fits_the_new_step_goes_through_after_the_change(
        app_ctx: Flask, session: Session, pg_only: None) -> None:
    """Both go through, one after the other: 5 packets fit the new step and
    leave 10, two steps of it. The return waited for the change, so what
    it checked and what is left are in the new step."""
    w = _loan_world(session)
    outcomes, waited = _meanwhile(app_ctx, _seed_step_change(w, 5 * K), _return(w, 5 * K))
    assert outcomes == ["ok", "ok"]
    assert waited
    assert _step(session, w.product_id) == 5 * K and _returned(session, w) == [5 * K]
    loan = session.get(SeedLoan, w.loan_id)
    assert loan is not None and seed.due_quantity(loan) - seed.returned_quantity(loan) == 10 * K


# -- no deadlock --------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["conversion", "return"])
def test_a_conversion_or_a_return_goes_on_while_a_step_change_waits_for_it(
        app_ctx: Flask, session: Session, pg_only: None, what: str) -> None:
    """The conversion (the return) has taken its share lock on the product
    when the step change comes and waits for it; it then goes on: writes the
    round, its lines and their history (the return: the loan's lock, the
    stock's move, the books), all referring to the product and to her
    membership, which the waiting change locks next. None of that waits for
    the change, so PostgreSQL has no deadlock to end by failing one of the
    two (a 500): the conversion (return) commits, and the change is refused."""
    if what == "conversion":
        w = _survey_world(session)
        change, rest = _step_change(w, K), _convert(w)
        refused = STEP_REFUSED.format(what=ONE_ORDER_OFF.format(step="1 метр"))
    else:
        w = _loan_world(session)
        change, rest = _seed_step_change(w, 5 * K), _return(w, 3 * K)
        refused = LOAN_REFUSED.format(loan=w.loan_id, member=w.aigul, left="12 пакетов",
                                      due="15 пакетов")
    outcomes, waited = _meanwhile(
        app_ctx, lambda s: season.lock_steps(s, [w.product_id]), change, then=rest)
    assert outcomes == ["ok", refused]
    assert waited
    assert _step(session, w.product_id) == (500 if what == "conversion" else K)


# -- the pages: the one that loses is told why, never a 500 -----------------------------

def _text(response: object) -> str:
    return response.get_data(as_text=True).replace("\xa0", " ")  # type: ignore[attr-defined]


def test_the_product_page_refused_after_a_conversion_says_why(
        app_ctx: Flask, client: FlaskClient, session: Session, pg_only: None) -> None:
    w = _survey_world(session)
    login(client, w.treasurer_email)
    url = f"/groups/{w.group_id}/suppliers/{w.supplier_id}/products/{w.product_id}"
    form = {"csrf_token": csrf_token(client), "name": "Ткань", "unit": "м",
            "article_code": "A1", "pack_size": "30", "granularity": "1", "weight_kg": "0,2",
            "retail_price": "38", "tiers": "0 = 27,40"}
    first, response = _client_meanwhile(app_ctx, _convert(w), lambda: client.post(
        url, data=form, headers={"Accept-Language": "ru"}))
    assert first == "ok"
    assert response.status_code == 422
    assert STEP_REFUSED.format(what=ONE_ORDER_OFF.format(step="1 метр")) in _text(response)
    assert _step(session, w.product_id) == 500


def test_the_conversion_page_sent_during_a_step_change_says_what_it_left_out(
        app_ctx: Flask, client: FlaskClient, session: Session, pg_only: None) -> None:
    """The treasurer said yes to the round before the step changed; it is
    made after the change, without Гүлнара's 1.5 m, and the survey's page
    says which line was left out and why."""
    w = _survey_world(session)
    login(client, w.treasurer_email)
    url = f"/groups/{w.group_id}/season/surveys/{w.survey_id}"
    asked = client.get(f"{url}/convert", headers={"Accept-Language": "ru"})
    first, response = _client_meanwhile(app_ctx, _step_change(w, K), lambda: post(
        client, f"{url}/convert", hidden_fields(_text(asked)),
        headers={"Accept-Language": "ru"}))
    assert first == "ok"
    assert response.status_code == 303
    page = _text(client.get(url, headers={"Accept-Language": "ru"}))
    assert "1 строку не удалось перенести" in page
    assert re.search(re.escape(w.gulnara) + r".*?" + re.escape(SURE_OFF.format(step="1 метр")),
                     page, re.S)
    assert _round_lines(session, w) == [2 * K]


def test_the_return_page_sent_during_a_step_change_says_why(
        app_ctx: Flask, client: FlaskClient, session: Session, pg_only: None) -> None:
    w = _loan_world(session)
    login(client, w.treasurer_email)
    url = f"/groups/{w.group_id}/season/loans/{w.loan_id}/return"
    first, response = _client_meanwhile(app_ctx, _seed_step_change(w, 5 * K), lambda: post(
        client, url, {"quantity": "3", "destination": "stock", "note": ""},
        headers={"Accept-Language": "ru"}))
    assert first == "ok"
    assert response.status_code == 422
    assert RETURN_OFF.format(step="5 пакетов", value="3") in _text(response)
    assert _returned(session, w) == []
