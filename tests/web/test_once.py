"""Every form that moves money, as a treasurer uses it: the key comes with the
form shown; sent twice (a double click), it records once and says so; sent
again after Back (the page shown anew, so a new key) with the same content,
a record like one of the last 24 hours asks first, and records a second only
when she says yes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from coop.db import utcnow
from coop.ledger.models import Payment
from tests.conftest import login
from tests.integration import test_money_endpoints as harness

_KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Form:
    case: Callable[[Session], harness.Case]
    page: Callable[[str], str]  # the page that shows the form, from the form's action
    asks_again: bool  # a second record like a recent one asks first
    data: dict[str, str] | None = None  # instead of the harness's


def _statement(action: str) -> str:
    return re.sub(r"/(payment|write-off|adjust|postings/\d+/reverse)$", "", action)


FORMS = {
    "payment": Form(harness.case_ledger_record_payment, _statement, True),
    "write-off": Form(harness.case_ledger_write_off, _statement, True,
                      {"amount": "40", "reason": "Болезнь"}),
    "adjustment": Form(harness.case_ledger_adjust, _statement, True),
    "reversal": Form(harness.case_ledger_reverse, _statement, False),
    "pay-out": Form(harness.case_ledger_pay_out, lambda a: a.removesuffix("/pay-out"), True),
    "cash payout": Form(harness.case_sales_pay_cash, lambda a: a.removesuffix("/cash"), True),
    "supplier credit note": Form(harness.case_orders_credit_note,
                                 lambda a: a.replace("/credit-note", "/delivery"), True),
    "delivery": Form(harness.case_orders_delivery, lambda a: a, True),
    "shared cost": Form(harness.case_orders_add_cost, lambda a: a.removesuffix("/costs"), True),
    "sale": Form(harness.case_sales_new_sale, lambda a: a, True),
    "sale cost": Form(harness.case_sales_add_cost, lambda a: a.removesuffix("/costs"), True),
    "supplier payment": Form(harness.case_payables_pay, lambda a: a, True),
    "contribution": Form(harness.case_sales_add_contribution,
                         lambda a: a.removesuffix("/contributions"), True),
    "correction": Form(harness.case_sales_correct_contribution, lambda a: a, False),
}


def shown_key(client: FlaskClient, page: str, action: str) -> tuple[str, str]:
    """The key and CSRF token of the form posting to `action`, as the page shows it."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    html = response.get_data(as_text=True)
    start = html.find(f'action="{action}"')
    start = start if start >= 0 else html.find("<form", html.find("<main"))
    key = _KEY.search(html, start)
    assert key, f"no idempotency key in the form of {action} on {page}"
    return key.group(1), _CSRF.search(html, start).group(1)  # type: ignore[union-attr]


def send(client: FlaskClient, action: str, data: dict[str, str], key: str, csrf: str,
         **extra: str):  # type: ignore[no-untyped-def]
    return client.post(action, data={**data, "idempotency_key": key, "csrf_token": csrf,
                                     **extra})


@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_form_sent_twice_records_once_and_says_so(client: FlaskClient, session: Session,
                                                    name: str) -> None:
    form = FORMS[name]
    case = form.case(session)
    data = {k: v for k, v in (form.data or case.data or {}).items() if k != "idempotency_key"}
    login(client, case.login or "")
    key, csrf = shown_key(client, form.page(case.url), case.url)
    assert len(key) >= 16
    before = case.count(session)
    first = send(client, case.url, data, key, csrf)
    assert first.status_code == 302, first.get_data(as_text=True)[:1500]
    second = send(client, case.url, data, key, csrf)
    assert second.status_code == 302
    session.expire_all()
    assert case.count(session) == before + 1
    shown = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "already" in shown, shown[:3000]
    assert harness.check_books(session, case.group_id) == []


@pytest.mark.parametrize("name", sorted(FORMS))
def test_sent_again_after_back_asks_or_records_as_its_kind_wants(
        client: FlaskClient, session: Session, name: str) -> None:
    """After Back the page is shown anew: a new key, the same content."""
    form = FORMS[name]
    case = form.case(session)
    data = {k: v for k, v in (form.data or case.data or {}).items() if k != "idempotency_key"}
    login(client, case.login or "")
    key, csrf = shown_key(client, form.page(case.url), case.url)
    assert send(client, case.url, data, key, csrf).status_code == 302
    session.expire_all()
    once = case.count(session)
    new_key, csrf = shown_key(client, form.page(case.url), case.url)
    assert new_key != key
    again = send(client, case.url, data, new_key, csrf)
    session.expire_all()
    if name == "reversal":  # an entry is reversed once, whatever the key
        assert again.status_code == 422
        assert "already reversed" in again.get_data(as_text=True)
        assert case.count(session) == once
    elif name == "correction":  # the same correction again corrects nothing
        assert again.status_code == 422
        assert "nothing to correct" in again.get_data(as_text=True)
        assert case.count(session) == once
    elif form.asks_again:
        page = again.get_data(as_text=True)
        assert again.status_code == 200 and "Record another?" in page, page[:2000]
        assert case.count(session) == once  # nothing recorded while it asks
        # The question's page carries the form as sent, the same key, and the answer.
        assert f'value="{new_key}"' in page and 'name="confirm_again" value="1"' in page
        yes = send(client, case.url, data, new_key, _CSRF.search(page).group(1),  # type: ignore[union-attr]
                   confirm_again="1")
        assert yes.status_code == 302
        session.expire_all()
        assert case.count(session) == once + 1
        # "yes" sent twice still records one more only
        send(client, case.url, data, new_key, csrf, confirm_again="1")
        session.expire_all()
        assert case.count(session) == once + 1
    else:  # pragma: no cover  (every other form asks, or refuses, as above)
        raise AssertionError(f"{name}: no kind of answer to a form sent again")
    assert harness.check_books(session, case.group_id) == []


def _paid_once(client: FlaskClient, session: Session):  # type: ignore[no-untyped-def]
    case = harness.case_ledger_record_payment(session)
    login(client, case.login or "")
    page = _statement(case.url)
    data = {"amount": "500", "method": "cash", "reference": "Кв-12"}
    key, csrf = shown_key(client, page, case.url)
    assert send(client, case.url, data, key, csrf).status_code == 302
    return case, page, data


def test_the_question_names_the_earlier_payment_in_russian(client: FlaskClient,
                                                          session: Session) -> None:
    case, page, data = _paid_once(client, session)
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": shown_key(client, page, case.url)[1]})
    session.expire_all()
    payment = session.query(Payment).order_by(Payment.id.desc()).first()
    assert payment is not None and payment.reference == "Кв-12"
    key, csrf = shown_key(client, page, case.url)
    asked = send(client, case.url, data, key, csrf)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Платёж на сумму 500,00" in text, text[:3000]
    assert "Айгүл" in text and f"№{payment.receipt_number}" in text
    assert "Записать ещё один?" in text


@pytest.mark.parametrize("change", ["amount", "method", "reference", "older"])
def test_what_differs_or_is_older_than_a_day_is_recorded_without_asking(
        client: FlaskClient, session: Session, change: str) -> None:
    case, page, data = _paid_once(client, session)
    if change == "older":
        session.execute(update(Payment).values(created_at=utcnow() - timedelta(hours=25)))
        session.commit()
    else:
        data = {**data, change: {"amount": "501", "method": "mobile",
                                 "reference": "Кв-13"}[change]}
    key, csrf = shown_key(client, page, case.url)
    assert send(client, case.url, data, key, csrf).status_code == 302
    session.expire_all()
    assert case.count(session) == 3  # the setup's, the first and this one


def test_receipt_numbers_follow_each_other_per_group_and_year(client: FlaskClient,
                                                             session: Session) -> None:
    case, page, data = _paid_once(client, session)
    key, csrf = shown_key(client, page, case.url)
    response = send(client, case.url, {**data, "amount": "20"}, key, csrf)
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    numbers = [p.receipt_number for p in session.query(Payment).order_by(Payment.id)]
    year = numbers[0][:4]
    assert numbers == [f"{year}-0001", f"{year}-0002", f"{year}-0003"]
    assert f"№{year}-0003" in shown
    # each payment's line on her statement carries its receipt's number
    assert f"receipt №{year}-0002" in shown and f"receipt №{year}-0003" in shown
    # another group starts at 1
    other = harness.case_ledger_record_payment(session)
    session.expire_all()
    assert session.query(Payment).filter(Payment.group_id == other.group_id).one(
    ).receipt_number == f"{year}-0001"


def test_the_api_gives_the_receipt_number_and_records_a_key_once(client: FlaskClient,
                                                                session: Session) -> None:
    case = harness.case_api_record_payment(session)
    first = client.post(case.url, json=case.json, headers=case.headers)
    again = client.post(case.url, json=case.json, headers=case.headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["receipt_number"] == again.get_json()["receipt_number"]
    assert again.headers["Idempotent-Replayed"] == "true"
    session.expire_all()
    assert case.count(session) == case.once


def test_a_refund_is_not_taken_for_the_charge_of_the_same_amount(client: FlaskClient,
                                                                session: Session) -> None:
    case = harness.case_ledger_adjust(session)
    login(client, case.login or "")
    page = _statement(case.url)
    for amount in ("5", "-5"):
        key, csrf = shown_key(client, page, case.url)
        sent = send(client, case.url, {"amount": amount, "reason": "Скидка"}, key, csrf)
        assert sent.status_code == 302
    session.expire_all()
    assert case.count(session) == 3  # the setup's debt, the charge and the refund


def test_a_sale_at_price_0_sent_twice_records_one_sale(client: FlaskClient,
                                                      session: Session) -> None:
    """A gift or a sample (the price of 0 asked first, and confirmed): no
    payment, so no entry in the books to keep the key; the sale keeps it."""
    from coop.sales.models import Sale

    case = harness.case_sales_new_sale(session)
    top = next(k for k in (case.data or {}) if k.startswith("price_"))
    data = {**(case.data or {}), top: "0", "confirm_again": "1"}
    data.pop("idempotency_key")
    login(client, case.login or "")
    key, csrf = shown_key(client, case.url, case.url)
    before = case.count(session)
    for _ in range(2):
        assert send(client, case.url, data, key, csrf).status_code == 302
    session.expire_all()
    assert case.count(session) == before + 1
    sale = session.query(Sale).order_by(Sale.id.desc()).first()
    assert sale is not None and sale.revenue == 0 and sale.posting_id is None
    assert sale.idempotency_key == key


def _supplier_paid(client: FlaskClient, session: Session, amount: str
                   ) -> tuple[harness.Case, dict[str, str]]:
    case = harness.case_payables_pay(session)  # Агро-Семена is owed 640.00
    data = {k: v for k, v in (case.data or {}).items() if k != "idempotency_key"}
    data.update(amount=amount, reference="ПП-17")
    login(client, case.login or "")
    key, csrf = shown_key(client, case.url, case.url)
    assert send(client, case.url, data, key, csrf).status_code == 302
    return case, data


def test_the_supplier_question_names_the_earlier_payment_in_russian(
        client: FlaskClient, session: Session) -> None:
    case, data = _supplier_paid(client, session, "100")
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": shown_key(client, case.url, case.url)[1]})
    key, csrf = shown_key(client, case.url, case.url)
    asked = send(client, case.url, data, key, csrf)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200, text[:2000]
    assert "Оплата 100,00" in text and "Агро-Семена" in text, text[:3000]
    assert "Записать ещё одну?" in text
    session.expire_all()
    assert case.count(session) == 1


@pytest.mark.parametrize("change", ["amount", "method", "reference", "supplier", "older"])
def test_a_supplier_payment_that_differs_or_is_older_is_recorded_without_asking(
        client: FlaskClient, session: Session, change: str) -> None:
    from coop.payables.models import SupplierPayment
    from coop.suppliers.models import Supplier

    case, data = _supplier_paid(client, session, "100")
    if change == "older":
        session.execute(update(SupplierPayment).values(
            created_at=utcnow() - timedelta(hours=25)))
        session.commit()
    elif change == "supplier":
        other = session.query(Supplier).filter(Supplier.group_id == case.group_id,
                                               Supplier.id != int(data["supplier"])).first()
        assert other is not None
        data = {**data, "supplier": str(other.id), "amount": "10"}
    else:
        data = {**data, change: {"amount": "101", "method": "bank",
                                 "reference": "ПП-18"}[change]}
    key, csrf = shown_key(client, case.url, case.url)
    sent = send(client, case.url, data, key, csrf)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    session.expire_all()
    assert case.count(session) == 2


def test_the_question_keeps_an_unticked_pay_more_than_owed_unticked(
        client: FlaskClient, session: Session) -> None:
    """400.00 of 640.00 twice: the second asks; "yes" without the tick is
    refused (800.00 is more than is owed), with the tick it is an advance."""
    case, data = _supplier_paid(client, session, "400")
    key, csrf = shown_key(client, case.url, case.url)
    asked = send(client, case.url, data, key, csrf)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Record another?" in page
    assert 'name="beyond_owed"' not in page
    hidden = harness.hidden_fields(page)
    refused = client.post(case.url, data=hidden)
    assert refused.status_code == 422
    assert "is owed 240.00" in refused.get_data(as_text=True)
    session.expire_all()
    assert case.count(session) == 1
    ticked = send(client, case.url, {**data, "beyond_owed": "y"}, key, csrf)
    page = ticked.get_data(as_text=True)
    assert ticked.status_code == 200 and 'name="beyond_owed" value="y"' in page
    assert client.post(case.url, data=harness.hidden_fields(page)).status_code == 302
    session.expire_all()
    assert case.count(session) == 2
