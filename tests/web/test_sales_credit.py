"""A sale the buyer pays later, through the pages, in Russian: the sell form
offers it, the lot page says what is owed and takes the payments, the same
payment form sent twice records once, bad amounts are refused (422, said in
Russian, nothing written), and the invoice says what is to be paid, then paid."""

from __future__ import annotations

import re
import secrets
from datetime import date
from io import BytesIO

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger.models import Posting
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services
from coop.sales.models import Sale, SalePayment
from tests.conftest import csrf_token, login, post
from tests.web.test_sales_pages import text, world


def counts(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                 for model in (Posting, SalePayment, Sale))


def owed_sale(session: Session):  # type: ignore[no-untyped-def]
    """`world`'s lot with 36 top jars sold at 300.00 (10 800.00) to be paid by 1.10.2026."""
    group, treasurer, _aigul, _nurila, lot, buyer = world(session)
    treasurer.user.locale = "ru"
    top, _first = lot.grades
    sale = services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                                lines={top.id: (q("36"), p("300"))}, actor=treasurer.user,
                                pay_later=True, due_on=date(2026, 10, 1))
    session.commit()
    return group, treasurer, lot, sale


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return " ".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ") \
        .replace("\u202f", " ")


def test_the_sell_form_offers_paid_later_in_russian(client: FlaskClient,
                                                     session: Session) -> None:
    group, treasurer, _aigul, _nurila, lot, buyer = world(session)
    treasurer.user.locale = "ru"
    session.commit()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sell"
    page = text(client.get(url))
    assert "Оплачено сейчас в кассу группы" in page and "Покупатель заплатит позже" in page
    assert "Оплатить до" in page
    top, _first = lot.grades
    sent = post(client, url, {"buyer": str(buyer.id), "sold_on": "2026-09-01",
                              "payment": "later", "due_on": "2026-10-01",
                              f"quantity_{top.id}": "10", f"price_{top.id}": "300"})
    assert sent.status_code == 302, text(sent)[:2000]
    sale = session.scalars(select(Sale)).one()
    assert sale.paid_later and sale.due_on == date(2026, 10, 1)
    assert session.get(Posting, sale.posting_id).kind == "sale_credit"
    lot_page = text(client.get(f"/groups/{group.id}/sales/{lot.id}"))
    assert "долг 3 000,00" in lot_page and "просрочен с 01.10.2026" in lot_page
    assert f'id="pay-sale-{sale.id}"' in lot_page
    accounts = text(client.get(f"/groups/{group.id}/accounts"))
    assert "Покупатели должны" in accounts and "покупатели должны 3 000,00" in accounts
    # a day to pay by before the sale: refused in Russian, nothing written
    before = counts(session)
    refused = post(client, url, {"buyer": str(buyer.id), "sold_on": "2026-09-01",
                                 "payment": "later", "due_on": "2026-08-01",
                                 f"quantity_{top.id}": "1", f"price_{top.id}": "300"})
    assert refused.status_code == 422
    assert "раньше дня продажи" in text(refused)
    assert counts(session) == before
    # without the choice (as before): paid into the cash
    cash = post(client, url, {"buyer": str(buyer.id), "sold_on": "2026-09-02",
                              f"quantity_{top.id}": "2", f"price_{top.id}": "310"})
    assert cash.status_code == 302
    assert not session.scalars(select(Sale).order_by(Sale.id.desc())).first().paid_later


def test_the_payment_form_sent_twice_records_once(client: FlaskClient,
                                                  session: Session) -> None:
    group, treasurer, lot, sale = owed_sale(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}/payments"
    page = text(client.get(f"/groups/{group.id}/sales/{lot.id}"))
    assert re.search(r'name="amount"[^>]*value="10 ?800,00"', page), "defaults to what is owed"
    form = {"csrf_token": csrf_token(client), "idempotency_key": secrets.token_urlsafe(24),
            "amount": "4000", "method": "cash", "paid_on": "2026-09-10"}
    first = client.post(url, data=form)
    second = client.post(url, data=form)  # a double click, or Back and send again
    assert first.status_code == second.status_code == 302
    session.expire_all()
    payments = session.scalars(select(SalePayment)).all()
    assert [(x.amount, x.method) for x in payments] == [(400000, "cash")]
    assert services.sale_debt(session, sale).owed == 680000
    shown = text(client.get(f"/groups/{group.id}/sales/{lot.id}"))
    assert "Оплачено 10.09.2026: 4 000,00" in shown and "долг 6 800,00" in shown


def test_bad_payments_are_refused_in_russian_with_nothing_written(client: FlaskClient,
                                                                  session: Session) -> None:
    group, treasurer, lot, sale = owed_sale(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}/payments"
    before = counts(session)
    for amount, words in (("сто", None), ("abc", None), ("0", "больше нуля"),
                          ("-5", None), ("10800,01", "должен по этой продаже 10 800,00")):
        response = post(client, url, {"amount": amount, "method": "cash",
                                      "paid_on": "2026-09-10"})
        assert response.status_code == 422, (amount, response.status_code)
        body = text(response)
        assert "Ничего не сохранено" in body or "Ничего не записано" in body, body[:3000]
        if words:
            assert words in body, (amount, body[:3000])
        assert re.search("[а-я]", body) and "Nothing was" not in body
        assert counts(session) == before, amount
    # the close refuses while she owes, and says who owes what, with the link
    close = text(client.get(f"/groups/{group.id}/sales/{lot.id}/close"))
    assert "должен 10 800,00" in close and f"#sale-{sale.id}" in close


def test_the_invoice_says_to_pay_then_paid(client: FlaskClient, session: Session) -> None:
    group, treasurer, lot, sale = owed_sale(session)
    login(client, treasurer.user.email)
    invoice_url = f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}/invoice.pdf"
    owed = pdf_text(client.get(invoice_url).data)
    assert "К оплате: 10 800,00" in owed and "01.10.2026" in owed
    assert "Оплачено полностью" not in owed
    assert client.get(invoice_url).data  # the same invoice again
    url = f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}/payments"
    for amount, method, day in (("4000", "cash", "2026-09-10"), ("6800", "bank", "2026-09-20")):
        assert post(client, url, {"amount": amount, "method": method,
                                  "paid_on": day}).status_code == 302
    paid = pdf_text(client.get(invoice_url).data)
    assert "Оплачено полностью 20.09.2026" in paid and "К оплате" not in paid
    assert "10.09.2026" in paid and "в кассу группы" not in paid
    assert "заменяет счёт" in paid


def test_the_api_shows_what_the_buyer_owes_and_by_when(app, client: FlaskClient,
                                                       session: Session) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import make_api_token
    from tests.web.test_api import API, bearer, conforms

    group, treasurer, lot, sale = owed_sale(session)
    services.record_sale_payment(session, lot, sale, amount=400000, method="cash",
                                 paid_on=date(2026, 9, 10), actor=treasurer.user,
                                 idempotency_key="api-shown-payment-0001")
    member = services.contribution_entries(session, lot)[0].original.membership
    tokens = {"treasurer": make_api_token(session, treasurer.user),
              "member": make_api_token(session, member.user)}
    session.commit()
    url = f"{API}/groups/{group.id}/lots/{lot.id}"
    found = conforms(app, client.get(url, headers=bearer(tokens["treasurer"])),
                     "/groups/{group_id}/lots/{lot_id}")
    assert found["sales"] == [{
        "id": sale.id, "buyer": sale.buyer.name, "sold_on": "2026-09-01", "amount": "10800.00",
        "cancelled": False, "paid_later": True, "due_on": "2026-10-01", "paid": "4000.00",
        "owed": "6800.00", "paid_on": None}]
    hers = conforms(app, client.get(url, headers=bearer(tokens["member"])),
                    "/groups/{group_id}/lots/{lot_id}")
    assert hers["sales"] == []


def test_a_payment_and_a_partly_paid_sale_are_cancelled_from_the_lot_page(
        client: FlaskClient, session: Session) -> None:
    from coop.groups.services import list_members
    from coop.ledger import services as ledger

    group, treasurer, lot, sale = owed_sale(session)
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}"
    for amount in ("1000", "2000"):
        assert post(client, f"{base}/payments", {"amount": amount, "method": "cash",
                                                 "paid_on": "2026-09-10"}).status_code == 302
    first, second = session.scalars(select(SalePayment).order_by(SalePayment.id)).all()
    cancelled = post(client, f"{base}/payments/{first.id}/cancel", {"reason": "ошибка"})
    assert cancelled.status_code == 302
    session.expire_all()
    assert services.sale_debt(session, sale).owed == 880000
    # after a cost of 1 500,00 the cash holds 500,00, less than the 2 000,00 paid: asked first
    services.add_cost(session, lot, kind="transport", amount=150000, actor=treasurer.user,
                      idempotency_key="web-cost-key-00000001")
    session.commit()
    asked = post(client, f"{base}/cancel", {"reason": "покупатель отказался"})
    assert asked.status_code == 200 and "Всё равно отменить продажу?" in text(asked)
    session.expire_all()
    assert session.get(Sale, sale.id).cancelled_at is None
    done = post(client, f"{base}/cancel", {"reason": "покупатель отказался",
                                           "confirm_again": "1"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Sale, sale.id).cancelled_at is not None
    assert session.get(SalePayment, second.id).cancelled_at is not None
    books = ledger.books(session, group, list_members(session, group, include_inactive=True))
    assert (books.buyers_owe, books.cash_on_hand, books.total) == (0, -150000, 0)


def test_a_refused_payment_is_shown_in_its_place_as_typed(client: FlaskClient,
                                                          session: Session) -> None:
    """Not on a bare page that loses what she typed, as the walk found of the
    lot's other forms: the lot page again, the payment form of that sale as
    typed with its message above it, the page opened there."""
    group, treasurer, lot, sale = owed_sale(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}/payments"
    page = text(client.get(f"/groups/{group.id}/sales/{lot.id}"))
    assert f'action="{url}#pay-sale-{sale.id}"' in page
    before = counts(session)
    response = post(client, url, {"amount": "10800,01", "method": "bank",
                                  "paid_on": "2026-09-10"})
    assert response.status_code == 422
    body = text(response)
    place = body[body.index('<details class="pay-sale" open>'):]
    place = place[:place.index("</form>")]
    assert 'role="alert"' in place and "должен по этой продаже 10 800,00" in body
    assert 'value="10800,01"' in place and 'value="bank" selected' in place.replace(
        'selected value="bank"', 'value="bank" selected'), place[:3000]
    assert "Ничего не сохранено" in place
    assert counts(session) == before


def test_the_same_payment_again_through_back_is_asked_first(client: FlaskClient,
                                                            session: Session) -> None:
    """Found on a walk: Back brings the form with a new key, and the same
    payment sent again was recorded twice without a word."""
    group, treasurer, lot, sale = owed_sale(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}/payments"
    form = {"csrf_token": csrf_token(client), "amount": "300", "method": "cash",
            "paid_on": "2026-09-10"}
    assert client.post(url, data={**form, "idempotency_key": secrets.token_urlsafe(24)}
                       ).status_code == 302
    before = counts(session)
    again = client.post(url, data={**form, "idempotency_key": secrets.token_urlsafe(24)})
    body = text(again)
    assert again.status_code == 200, body[:2000]
    assert "Такая же оплата от" in body and "(300,00 сом) уже записана" in body, body[:3000]
    assert f'action="{url}#pay-sale-{sale.id}"' in body
    assert counts(session) == before  # nothing yet
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    assert client.post(url, data=fields).status_code == 302  # "yes": a second payment
    session.expire_all()
    assert [x.amount for x in session.scalars(select(SalePayment))] == [30000, 30000]


def test_a_gift_is_a_gift_even_when_pays_later_was_chosen(client: FlaskClient,
                                                          session: Session) -> None:
    """Found on a walk: a sale at 0 with "pays later" chosen read "paid" on
    the lot page and "paid in full" on its invoice."""
    group, treasurer, _aigul, _nurila, lot, buyer = world(session)
    treasurer.user.locale = "ru"
    top, _first = lot.grades
    gift = services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                                lines={top.id: (q("1"), p("0"))}, actor=treasurer.user,
                                gift=True, pay_later=True, due_on=date(2026, 10, 1))
    session.commit()
    assert not gift.paid_later and gift.due_on is None
    login(client, treasurer.user.email)
    page = text(client.get(f"/groups/{group.id}/sales/{lot.id}"))
    state = re.search(rf'id="sale-state-{gift.id}">(.*?)</span>', page).group(1)
    assert state == "подарок или образец: платить нечего", state
    invoice = pdf_text(client.get(
        f"/groups/{group.id}/sales/{lot.id}/sales/{gift.id}/invoice.pdf").data)
    assert "Подарок или образец: платить нечего." in invoice
    assert "Оплачено" not in invoice
