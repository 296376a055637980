"""The forms that take money out of the cash beyond what it holds ask first
(the "Record it anyway?" page, 200, nothing written) and record once when the
treasurer says yes on that page: a cost of selling, a sale cancelled, her
payment reversed from her statement. The books balance after."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.sales import services as sales
from coop.sales.models import Sale, SaleCost
from tests.conftest import csrf_token, login, post
from tests.factories import make_group, make_member
from tests.integration.test_money_endpoints import hidden_fields
from tests.integration.test_sales_services import jam, sell


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _held(session: Session, group) -> int:  # type: ignore[no-untyped-def]
    return -ledger.account_balance(session, ledger.money_account(session, group, "cash"))


def _asked(client: FlaskClient, url: str, form: dict[str, str], question: str,
           words: tuple[str, str] = ("Record it anyway?", "Yes, record it")) -> dict[str, str]:
    """Send the form: the page that asks first, with `question`, headed and
    answered with `words` (what is done: recorded, reversed, cancelled); its
    hidden fields, as the "yes" sends them."""
    asked = post(client, url, form)
    page = _text(asked)
    assert asked.status_code == 200 and f"<h1>{words[0]}</h1>" in page, page[:3000]
    assert f">{words[1]}</button>" in page, page[:3000]
    assert question in page, page[:3000]
    # the form's own address, and the place the form stands at on its page, if any
    assert re.search(rf'action="{re.escape(url)}(#[\w-]+)?"', page), page[:3000]
    fields = hidden_fields(asked.get_data(as_text=True))
    assert fields["confirm_again"] == "1"
    return fields


def _yes(client: FlaskClient, url: str, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(url, data={**fields, "csrf_token": csrf_token(client, "/")})


def _sold(session: Session):  # type: ignore[no-untyped-def]
    """The jam lot; two jars sold at 100.00: 200.00 in the cash."""
    group, treasurer, _women, lot, (top, _first), (shop, _w) = jam(session)
    sale = sell(session, lot, shop, treasurer.user, [(top, "2", "100")])
    session.commit()
    return group, treasurer, lot, sale, f"/groups/{group.id}/sales/{lot.id}"


def test_a_sale_cost_beyond_the_cash_asks_first_and_records_once(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, _lot, _sale, base = _sold(session)
    login(client, treasurer.user.email)
    within = post(client, f"{base}/costs", {"kind": "market_fee", "name": "Рынок",
                                            "amount": "50", "rule": "equal"})
    assert within.status_code == 302  # 50.00 of the 200.00: not asked
    postings = _count(session, Posting)
    form = {"kind": "transport", "name": "Такси", "amount": "200", "rule": "value",
            "paid_on": "2026-09-02", "sale": "", "idempotency_key": "cost-form-key-0000001"}
    fields = _asked(client, f"{base}/costs", form,
                    "The cash box holds only 150.00 som: after this payment it would show "
                    "-50.00 som")
    assert (_count(session, SaleCost), _count(session, Posting)) == (1, postings)
    for _ in range(2):  # "yes", and "yes" again (a double click, Back)
        assert _yes(client, f"{base}/costs", fields).status_code == 302
    assert (_count(session, SaleCost), _count(session, Posting)) == (2, postings + 1)
    assert session.scalar(select(SaleCost.name).order_by(SaleCost.id.desc())) == "Такси"
    assert _held(session, group) == -5000
    assert check_books(session, group.id) == []


def test_cancelling_a_sale_whose_money_was_spent_asks_first(client: FlaskClient,
                                                           session: Session) -> None:
    group, treasurer, lot, sale, base = _sold(session)
    sales.add_cost(session, lot, kind="transport", amount=15000, actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    url = f"{base}/sales/{sale.id}/cancel"
    postings = _count(session, Posting)
    fields = _asked(client, url, {"reason": "Покупатель отказался"},
                    "The cash box holds only 50.00 som: after this reversal it would show "
                    "-150.00 som", ("Cancel the sale anyway?", "Yes, cancel the sale"))
    assert fields["reason"] == "Покупатель отказался"
    assert _count(session, Posting) == postings
    assert session.get(Sale, sale.id).cancelled_at is None
    assert _yes(client, url, fields).status_code == 302
    session.expire_all()
    assert session.get(Sale, sale.id).cancelled_at is not None
    assert _count(session, Posting) == postings + 1
    # "yes" again (Back, a double click): cancelled already, said so, nothing more
    again = _yes(client, url, fields)
    assert again.status_code == 303 and again.location.endswith(f"{base}#sales")
    assert "The sale was cancelled already; nothing was done again." in _text(
        client.get(again.location))
    assert _count(session, Posting) == postings + 1
    assert _held(session, group) == -15000
    assert check_books(session, group.id) == []


def _paid_and_spent(session: Session):  # type: ignore[no-untyped-def]
    """Айгүл paid 500.00 into the cash; 300.00 of it was paid out since."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл")
    nurila = make_member(session, group, "Нурила")
    payment, _new = ledger.record_payment(session, aigul, amount=50000, method="cash",
                                          reference="", idempotency_key="paid-in-000000000001",
                                          actor=treasurer.user)
    ledger.pay_out(session, group, amount=30000, memo="Транспорт", actor=treasurer.user)
    session.commit()
    return group, treasurer, aigul, nurila, payment


def test_reversing_her_payment_the_cash_has_spent_asks_first_and_records_once(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, nurila, payment = _paid_and_spent(session)
    login(client, treasurer.user.email)
    postings = _count(session, Posting)
    # from another member's statement: refused, not asked
    refused = post(client, f"/groups/{group.id}/accounts/{nurila.id}/postings/"
                   f"{payment.posting_id}/reverse", {"reason": "ошибка"})
    page = _text(refused)
    assert refused.status_code == 422 and "no such entry" in page
    assert "Record it anyway?" not in page
    url = f"/groups/{group.id}/accounts/{aigul.id}/postings/{payment.posting_id}/reverse"
    fields = _asked(client, url, {"reason": "ошибка", "idempotency_key": "reverse-key-0000001"},
                    "The cash box holds only 200.00 som: after this reversal it would show "
                    "-300.00 som", ("Reverse it anyway?", "Yes, reverse it"))
    assert _count(session, Posting) == postings
    for _ in range(2):  # "yes", and "yes" again: reversed once
        done = _yes(client, url, fields)
        assert done.status_code == 302
        assert done.headers["Location"].endswith(f"/accounts/{aigul.id}")
    assert _count(session, Posting) == postings + 1
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.reverses_id == payment.posting_id)) == 1
    assert ledger.member_balance(session, aigul) == 0 and _held(session, group) == -30000
    assert check_books(session, group.id) == []


def test_a_cost_cancelled_twice_is_cancelled_once_and_said_so(client: FlaskClient,
                                                               session: Session) -> None:
    group, treasurer, lot, _sale, base = _sold(session)
    cost = sales.add_cost(session, lot, kind="transport", amount=5000, actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    postings = _count(session, Posting)
    url = f"{base}/costs/{cost.id}/cancel"
    first = post(client, url, {"reason": "Ошибка"})
    assert first.status_code == 302
    again = post(client, url, {"reason": "Ошибка"})  # Back, and sent again
    assert again.status_code == 303 and again.location.endswith(f"{base}#costs")
    assert "The cost was cancelled already; nothing was done again." in _text(
        client.get(again.location))
    assert _count(session, Posting) == postings + 1
    assert session.get(SaleCost, cost.id).cancelled_at is not None
    assert _held(session, group) == 20000
    assert check_books(session, group.id) == []
