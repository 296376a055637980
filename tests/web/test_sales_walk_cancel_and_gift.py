"""What a new user's walk of joint sales on a phone found (a treasurer in
Russian): "no" to the gift question lost the typed sale form; a refused
cancel (of a sale, a cost, a buyer's payment) answered a bare page; nothing
said to give the buyer back what a cancel took back out; a day to pay by
typed with "paid now" chosen was dropped without a word; two payments of the
same amount on the same day read the same."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services
from coop.sales.models import Sale, SalePayment
from tests.conftest import login, post
from tests.web.test_sales_credit import counts, owed_sale
from tests.web.test_sales_pages import text, world


def plain(response) -> str:  # type: ignore[no-untyped-def]
    return unescape(text(response))


def details(page: str, anchor: str) -> str:
    """The cancel box with this id, to the end of its form."""
    start = page.index(f'<details id="{anchor}"')
    return page[start:page.index("</form>", start)]


def flashed(client: FlaskClient, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, plain(response)[:2000]
    return plain(client.get(response.headers["Location"]))


# --------------------------------------------------------------------------
# 1. "No" to the gift question
# --------------------------------------------------------------------------


def test_no_to_the_gift_question_brings_the_sale_form_back_as_typed(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, _aigul, _nurila, lot, buyer = world(session)
    treasurer.user.locale = "ru"
    session.commit()
    top, first = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sell"
    before = counts(session)
    asked = post(client, url, {"buyer": str(buyer.id), "sold_on": "2026-09-01",
                               "payment": "later", "due_on": "2026-10-01",
                               "note": "на рынке", f"quantity_{top.id}": "10",
                               f"price_{top.id}": "300", f"quantity_{first.id}": "2",
                               f"price_{first.id}": "0"})
    page = plain(asked)
    assert asked.status_code == 200 and "Записать как подарок?" in page, page[:3000]
    no = re.search(r'<a href="([^"]+)">Нет, вернуться</a>', page)
    assert no is not None, page[:4000]
    back = no.group(1)
    assert back.startswith(url + "?") and back.endswith(f"#line-{first.id}"), back
    again = client.get(back.split("#")[0])
    shown = plain(again)
    assert again.status_code == 200, shown[:2000]
    assert "Не записано как подарок: ничего не сохранено. Укажите цену" in shown
    assert "Цена 0: укажите цену, по которой продали." in shown
    # every box as she typed it
    assert re.search(rf'<option selected value="{buyer.id}"|<option value="{buyer.id}" selected',
                     shown), shown[:4000]
    assert 'value="2026-09-01"' in shown and 'value="2026-10-01"' in shown
    assert re.search(r'checked[^>]*value="later"|value="later"[^>]*checked', shown)
    assert 'value="на рынке"' in shown
    for grade, quantity, price in ((top, "10", "300"), (first, "2", "0")):
        assert f'name="quantity_{grade.id}" inputmode="decimal" autocomplete="off" ' \
               f'value="{quantity}"' in shown
        assert f'name="price_{grade.id}" inputmode="decimal" autocomplete="off" ' \
               f'value="{price}"' in shown
    line = shown[shown.index(f'id="line-{first.id}"'):]
    assert "Цена 0" in line[:line.index("</fieldset>")]  # said at the line, opened there
    assert f'id="line-{top.id}"' in shown and "Цена 0" not in shown[
        shown.index(f'id="line-{top.id}"'):shown.index(f'id="line-{first.id}"')]
    assert 'name="confirm_again" type="hidden" value=""' in shown
    assert counts(session) == before
    # she corrects the price: recorded, as typed
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', shown).group(1)
    sent = post(client, url, {"buyer": str(buyer.id), "sold_on": "2026-09-01",
                              "payment": "later", "due_on": "2026-10-01", "note": "на рынке",
                              f"quantity_{top.id}": "10", f"price_{top.id}": "300",
                              f"quantity_{first.id}": "2", f"price_{first.id}": "250",
                              "idempotency_key": key})
    assert sent.status_code == 302
    sale = session.scalars(select(Sale)).one()
    assert sale.revenue == 350000 and sale.paid_later and sale.due_on == date(2026, 10, 1)


# --------------------------------------------------------------------------
# 2. A refused cancel, in its place
# --------------------------------------------------------------------------


def test_a_refused_cancel_of_a_sale_a_payment_or_a_cost_is_shown_in_its_place(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, lot, sale = owed_sale(session)
    payment = services.record_sale_payment(session, lot, sale, amount=100000, method="cash",
                                           paid_on=date(2026, 9, 10), actor=treasurer.user,
                                           idempotency_key="walk-cancel-pay-00001")
    cost = services.add_cost(session, lot, kind="transport", amount=5000, actor=treasurer.user,
                             idempotency_key="walk-cancel-cost-0001")
    session.commit()
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/sales/{lot.id}"
    cases = ((f"{base}/sales/{sale.id}/cancel", f"sale-{sale.id}-cancel"),
             (f"{base}/sales/{sale.id}/payments/{payment.id}/cancel",
              f"payment-{payment.id}-cancel"),
             (f"{base}/costs/{cost.id}/cancel", f"cost-{cost.id}-cancel"))
    page = text(client.get(base))
    for url, anchor in cases:
        assert f'action="{url}#{anchor}"' in details(page, anchor)
        assert "Ничего не сохранено" not in details(page, anchor)
    before = counts(session)
    for url, anchor in cases:
        for reason in ("", "   "):
            response = post(client, url, {"reason": reason})
            page = plain(response)
            assert response.status_code == 422, page[:2000]
            assert "<h1>" in page and 'id="contribute"' in page  # the lot's page, not a bare one
            box = details(page, anchor)
            assert box.startswith(f'<details id="{anchor}" open>'), box[:300]
            assert 'role="alert"' in box and "Ничего не сохранено" in box, box
            assert "Обязательное поле." in box or "Укажите причину." in box, box
            assert f'action="{url}#{anchor}"' in box  # the page opened there
            assert page.count("Ничего не сохранено") == 1  # only this one
            assert counts(session) == before
    # what was typed stays: a reason too long for the service
    long = "ж" * 301
    response = post(client, f"{base}/costs/{cost.id}/cancel", {"reason": long})
    assert response.status_code == 422
    assert f'value="{long}"' in details(plain(response), f"cost-{cost.id}-cancel")
    assert counts(session) == before


def test_a_cancel_refused_on_a_closed_lot_is_said_at_the_top(client: FlaskClient,
                                                            session: Session) -> None:
    group, treasurer, _aigul, _nurila, lot, buyer = world(session)
    top, first = lot.grades
    sale = services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                                lines={top.id: (q("2"), p("300"))}, actor=treasurer.user)
    services.close_lot(session, lot, treasurer.user,
                       unsold_actions={top.id: "return", first.id: "return"})
    treasurer.user.locale = "ru"
    session.commit()
    login(client, treasurer.user.email)
    response = post(client, f"/groups/{group.id}/sales/{lot.id}/sales/{sale.id}/cancel",
                    {"reason": "ошибка"})
    page = plain(response)
    assert response.status_code == 422, page[:2000]
    assert "Ничего не сохранено" in page and "закрыт" in page, page[:3000]
    assert 'id="sales"' in page and f"#{lot.id}" in page  # the lot's page, not a bare one
    assert page.index('class="error banner"') < page.index('id="contributions"')  # on top
    assert session.get(Sale, sale.id).cancelled_at is None


# --------------------------------------------------------------------------
# 3. What to give back to the buyer
# --------------------------------------------------------------------------


def test_cancelling_a_partly_paid_sale_says_what_to_give_back_by_method(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, lot, sale = owed_sale(session)
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/sales/{lot.id}"
    for amount, method in (("500", "cash"), ("300", "bank")):
        assert post(client, f"{base}/sales/{sale.id}/payments", {
            "amount": amount, "method": method, "paid_on": "2026-09-10"}).status_code == 302
    page = plain(client.get(base))
    box = details(page, f"sale-{sale.id}-cancel")
    assert "При отмене оплаты покупателя сторнируются: 10.09.2026 500,00 сом (наличными); " \
           "10.09.2026 300,00 сом (банковский перевод). Верните покупателю 800,00 сом." in box, box
    done = flashed(client, post(client, f"{base}/sales/{sale.id}/cancel", {"reason": "отказ"}))
    assert "Продажа отменена" in done
    assert f"Верните 800,00 сом покупателю {sale.buyer.name}: наличными 500,00 сом; " \
           "банковским переводом 300,00 сом." in done, done[:3000]
    session.expire_all()
    assert all(x.cancelled_at for x in session.scalars(select(SalePayment)))


def test_cancelling_a_payment_or_a_sale_paid_now_says_to_give_it_back(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, lot, sale = owed_sale(session)
    _top, first = lot.grades
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/sales/{lot.id}"
    assert post(client, f"{base}/sales/{sale.id}/payments", {
        "amount": "700", "method": "mobile", "paid_on": "2026-09-10"}).status_code == 302
    payment = session.scalars(select(SalePayment)).one()
    done = flashed(client, post(client, f"{base}/sales/{sale.id}/payments/{payment.id}/cancel",
                                {"reason": "не та сумма"}))
    assert f"Верните 700,00 сом покупателю {sale.buyer.name} через мобильный кошелёк." in done, \
        done[:3000]
    # a sale paid into the cash: the page and the flash say to give its amount back
    paid = services.record_sale(session, lot, buyer_id=sale.buyer_id, sold_on=date(2026, 9, 2),
                                lines={first.id: (q("2"), p("150"))}, actor=treasurer.user)
    session.commit()
    box = details(plain(client.get(base)), f"sale-{paid.id}-cancel")
    assert "При отмене 300,00 сом списываются из кассы: верните их покупателю." in box, box
    done = flashed(client, post(client, f"{base}/sales/{paid.id}/cancel", {"reason": "ошибка"}))
    assert f"Верните 300,00 сом покупателю {sale.buyer.name} наличными." in done
    # a sale paid later with nothing paid: nothing to give back
    assert "При отмене" not in details(plain(client.get(base)), f"sale-{sale.id}-cancel")
    done = flashed(client, post(client, f"{base}/sales/{sale.id}/cancel", {"reason": "ошибка"}))
    assert "Продажа отменена" in done and "Верните" not in done


# --------------------------------------------------------------------------
# 4. A day to pay by with "paid now"
# --------------------------------------------------------------------------


def test_a_day_to_pay_by_with_paid_now_is_refused_on_its_field(client: FlaskClient,
                                                                session: Session) -> None:
    group, treasurer, _aigul, _nurila, lot, buyer = world(session)
    treasurer.user.locale = "ru"
    session.commit()
    top, _first = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/sell"
    before = counts(session)
    response = post(client, url, {"buyer": str(buyer.id), "sold_on": "2026-09-01",
                                  "payment": "now", "due_on": "2026-10-01",
                                  f"quantity_{top.id}": "3", f"price_{top.id}": "300"})
    page = plain(response)
    assert response.status_code == 422, page[:2000]
    words = "Срок оплаты указывают, только если покупатель заплатит позже"
    assert page.count(words) == 1, page[:4000]
    due = page[page.index('<fieldset id="payment"'):]
    due = due[:due.index("</fieldset>")]
    assert words in due and 'aria-invalid="true"' in due, due  # on the due-date field
    assert 'value="2026-10-01"' in due
    assert f'name="quantity_{top.id}" inputmode="decimal" autocomplete="off" value="3"' in page
    assert counts(session) == before
    # without the day: recorded, paid into the cash
    assert post(client, url, {"buyer": str(buyer.id), "sold_on": "2026-09-01",
                              "payment": "now", "due_on": "", f"quantity_{top.id}": "3",
                              f"price_{top.id}": "300"}).status_code == 302
    assert not session.scalars(select(Sale)).one().paid_later


# --------------------------------------------------------------------------
# 5. Two payments alike
# --------------------------------------------------------------------------


def test_each_payment_says_when_and_by_whom_it_was_recorded(client: FlaskClient,
                                                          session: Session) -> None:
    group, treasurer, lot, sale = owed_sale(session)
    group.timezone = "Asia/Bishkek"  # UTC+6
    for key, moment in (("walk-same-pay-000001", datetime(2026, 9, 10, 4, 5)),
                        ("walk-same-pay-000002", datetime(2026, 9, 10, 8, 40)),
                        ("walk-same-pay-000003", datetime(2026, 9, 12, 3, 0))):
        payment = services.record_sale_payment(session, lot, sale, amount=50000,
                                               method="cash", paid_on=date(2026, 9, 10),
                                               actor=treasurer.user, idempotency_key=key)
        payment.recorded_at = moment
    session.commit()
    login(client, treasurer.user.email)
    page = plain(client.get(f"/groups/{group.id}/sales/{lot.id}"))
    shown = re.findall(r'<span class="why payment-recorded">([^<]*)</span>', page)
    who = treasurer.user.name
    assert shown == [f"записано в 10:05, {who}", f"записано в 14:40, {who}",
                     f"записано 12.09.2026 09:00, {who}"], shown
    assert page.count("Оплачено 10.09.2026: 500,00 сом, наличными") == 3
