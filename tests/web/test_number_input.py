"""One parser of numbers for the pages, the catalog files and the API
(coop.money.parse_decimal): "1..5" is not 15, anywhere. A decimal comma and
spaces of any width between thousands are welcome on the pages; the API takes
only the plain decimal string ("1234.50")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop import money
from coop.ledger import services as ledger
from coop.ledger.models import Payment
from coop.orders import services as orders
from coop.orders.models import Request
from tests.conftest import csrf_token, login, post
from tests.factories import make_api_token, make_catalog, make_group, make_member

REFUSED = ["1..5", "1,2,3", "1e5", "5-", "-5-", "+5", "NaN", "inf", "Infinity", "1 2",
           "12 34", "1.2.3", "1,,5", ".5", "5.", "1,234,5", "1.234,5,6", "0x10", "١٢٣", "1\t000",
           "1\n000", "", " ", "-", "5 -", "1 000.000,5", "1" * 41]
ACCEPTED = {"1234": "1234", "1234,5": "1234.5", "1234.50": "1234.50", "1 234,50": "1234.50",
            "1\u00a0234,50": "1234.50", "1\u202f234,5": "1234.5", "1\u2009234": "1234",
            "1.234,50": "1234.50", "1,234.50": "1234.50", "1.234.567": "1234567",
            "1'234'567": "1234567", "-2,50": "-2.50", "\u22122,5": "-2.5", " 12 ": "12",
            "0,01": "0.01"}


@pytest.mark.parametrize("text", REFUSED)
def test_what_is_not_a_number_is_refused(text: str) -> None:
    with pytest.raises(money.MoneyError, match="is not a number"):
        money.parse_decimal(text)


@pytest.mark.parametrize(("text", "plain"), ACCEPTED.items())
def test_what_people_type_is_read(text: str, plain: str) -> None:
    assert money.parse_decimal(text) == Decimal(plain)
    assert str(money.parse_decimal(plain, canonical=True)) == plain


@pytest.mark.parametrize("text", ["1 234,50", "1234,5", "1,234.50", " 12", "12 "])
def test_the_api_takes_only_plain_decimal_strings(text: str) -> None:
    with pytest.raises(money.MoneyError):
        money.parse_decimal(text, canonical=True)


@given(st.integers(min_value=-10**11 * 100 + 1, max_value=10**11 * 100 - 1),
       st.sampled_from(["ru", "ky", "tg", "en"]))
def test_what_the_app_prints_it_reads_back(minor: int, locale: str) -> None:
    printed = format_decimal(Decimal(minor).scaleb(-2), format="#,##0.00", locale=locale)
    assert money.parse_amount(printed, "KGS", allow_negative=True) == minor


def _world(session: Session):  # type: ignore[no-untyped-def]
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    products = make_catalog(session, group)
    rnd = orders.create_round(session, group, treasurer.user, title="Весна", deadline=None,
                              product_ids=[p.id for p in products])
    orders.move_round(session, rnd, treasurer.user, "open")
    token = make_api_token(session, treasurer.user)
    session.commit()
    return group, treasurer, aigul, rnd, token


def _payments(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Payment)) or 0


def test_pages_and_api_refuse_1_dot_dot_5(client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, _rnd, token = _world(session)
    login(client, treasurer.user.email)
    account = f"/groups/{group.id}/accounts/{aigul.id}"
    token_form = csrf_token(client, account)
    for n, text in enumerate(["1..5", "1,2,3", "1e5", "5-", "NaN", "inf"]):
        response = client.post(f"{account}/payment", data={
            "csrf_token": token_form, "amount": text, "method": "cash", "reference": "",
            "idempotency_key": f"number-input-key-{n:04d}"}, headers={"Accept-Language": "en"})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, text
        assert "Amount paid" in page and f"“{text}” is not a number." in page, page[-800:]
    assert _payments(session) == 0
    # the API refuses it too, naming the field
    response = client.post(f"/api/v1/groups/{group.id}/accounts/{aigul.id}/payments",
                           json={"amount": "1..5", "method": "cash"},
                           headers={"Authorization": f"Bearer {token}",
                                    "Idempotency-Key": "number-input-api-0001"})
    assert response.status_code == 422 and response.get_json()["field"] == "amount"
    assert _payments(session) == 0
    # what people type with narrow no-break spaces and a decimal comma is read
    # (she owes it: a payment far beyond her debt would be asked first)
    ledger.adjust_member(session, aigul, amount=123450, reason="весна", actor=treasurer.user)
    session.commit()
    response = client.post(f"{account}/payment", data={
        "csrf_token": token_form, "amount": "1\u202f234,50", "method": "cash",
        "reference": "", "idempotency_key": "number-input-key-ok01"})
    assert response.status_code == 302
    assert session.scalar(select(Payment.amount)) == 123450


def test_an_order_of_1_dot_dot_5_is_not_15(client: FlaskClient, session: Session) -> None:
    _group, _treasurer, aigul, rnd, _token = _world(session)
    seed, fabric, _npk = rnd.items
    login(client, aigul.user.email)
    url = f"/groups/{rnd.group_id}/rounds/{rnd.id}/order"
    for text in ("1..5", "1,2,3", "2 5", "5-"):
        response = post(client, url, {f"quantity_{seed.id}": text})
        assert response.status_code == 422, text
        assert f"“{text}” is not a number." in response.get_data(as_text=True)
    assert session.scalar(select(Request.id).where(Request.round_id == rnd.id)) is None
    assert post(client, url, {f"quantity_{fabric.id}": "1\u00a0000,5"}).status_code == 302
    assert session.scalar(select(Request.quantity)) == 1_000_500
