"""A member's payment has a receipt she can keep (found on the walk: the
payment was numbered, but there was nothing to print or hand over): its
number, the day, how she paid, who took it and her account right after it,
in her language; figures from the payment and the postings, which never
change, so a receipt printed later says the same (and says it if the
payment was reversed since). Her statement (page and PDF) names each
payment's receipt."""

from __future__ import annotations

import os
from pathlib import Path

from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session

from coop.documents import builders, services
from coop.i18n import fmt_date, fmt_money, local_today
from coop.ledger import services as ledger
from tests.conftest import csrf_token, login
from tests.factories import make_group, make_member
from tests.integration.test_documents import pdf_text


def _flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _world(session: Session):  # type: ignore[no-untyped-def]
    """Айгүл owes 1,000.00; pays 600.00 in cash, then 500.00 by mobile money."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила")
    ledger.adjust_member(session, aigul, amount=100000, reason="семена",
                         actor=treasurer.user)
    first, _new = ledger.record_payment(session, aigul, amount=60000, method="cash",
                                        reference="тетрадь 12", idempotency_key="r" * 20,
                                        actor=treasurer.user)
    second, _new = ledger.record_payment(session, aigul, amount=50000, method="mobile",
                                         reference="", idempotency_key="s" * 20,
                                         actor=treasurer.user)
    session.commit()
    return group, treasurer, aigul, nurila, first, second


def _money(amount: int) -> str:
    with force_locale("ru"):
        return fmt_money(amount, "KGS").replace("\u00a0", " ")


def test_the_receipt_says_what_she_paid_and_where_her_account_stood(session: Session) -> None:
    _group, treasurer, aigul, nurila, first, second = _world(session)
    year = local_today().year
    data = services.receipt_data(session, aigul, first.id)
    assert data is not None
    assert (data.stamp.reference, data.amount, data.balance_after) == (
        f"{year}-0001", 60000, -40000)
    content = builders.build_receipt(data)
    if os.environ.get("COOP_SCREENSHOTS"):  # to look at it
        (Path(os.environ["COOP_SCREENSHOTS"]) / "receipt.pdf").write_bytes(content)
    text = _flat(pdf_text(content))
    for said in ("Квитанция", f"№{year}-0001", aigul.user.name, "Получено", _money(60000),
                 "Способ оплаты наличными", "тетрадь 12", treasurer.user.name,
                 f"После этого платежа вы должны {_money(40000)}."):
        assert said in text, (said, text)
    later = _flat(pdf_text(builders.build_receipt(services.receipt_data(
        session, aigul, second.id))))
    assert f"№{year}-0002" in later and _money(50000) in later
    assert f"После этого платежа у вас переплата {_money(10000)}." in later
    # printed again after the second payment: the first still says where she stood then
    assert _flat(pdf_text(builders.build_receipt(services.receipt_data(
        session, aigul, first.id)))) == text
    # not hers: none
    assert services.receipt_data(session, nurila, first.id) is None
    assert services.receipt_data(session, aigul, 999999) is None


def test_a_reversed_payments_receipt_says_so(session: Session) -> None:
    group, treasurer, aigul, _n, first, _second = _world(session)
    ledger.reverse_posting(session, group, first.posting_id, reason="ошибка",
                           actor=treasurer.user, overdraw=True)
    session.commit()
    data = services.receipt_data(session, aigul, first.id)
    assert data is not None and data.reversed_on is not None and data.balance_after == -40000
    text = _flat(pdf_text(builders.build_receipt(data)))
    with force_locale("ru"):
        on = fmt_date(data.reversed_on)
    assert f"Этот платёж сторнирован {on}: на её счёте его больше нет." in text, text


def test_the_receipt_is_hers_and_the_treasurers_and_her_statement_links_it(
        client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, nurila, first, second = _world(session)
    year = local_today().year
    url = f"/groups/{group.id}/accounts/{aigul.id}/receipts/{first.id}.pdf"
    login(client, aigul.user.email)
    mine = client.get(url)
    assert mine.status_code == 200 and mine.mimetype == "application/pdf"
    assert f"№{year}-0001" in _flat(pdf_text(mine.data))
    statement = client.get(f"/groups/{group.id}/accounts/{aigul.id}").get_data(as_text=True)
    assert f'href="{url}"' in statement
    printed = _flat(pdf_text(client.get(
        f"/groups/{group.id}/accounts/{aigul.id}/statement.pdf").data))
    assert f"квитанция №{year}-0001" in printed and f"квитанция №{year}-0002" in printed
    exported = client.get(f"/groups/{group.id}/accounts/{aigul.id}/statement.csv").data
    assert f";{year}-0001".encode() in exported and f";{year}-0002".encode() in exported
    # her payment under another member's address, another's receipt: none
    assert client.get(f"/groups/{group.id}/accounts/{nurila.id}/receipts/{first.id}.pdf"
                      ).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, nurila.user.email)
    assert client.get(url).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, treasurer.user.email)
    assert client.get(url).status_code == 200
    assert client.get(f"/groups/{group.id}/accounts/{aigul.id}/receipts/{second.id}.pdf"
                      ).status_code == 200


def test_the_api_gives_her_receipt_as_the_pages_do(client: FlaskClient,
                                                   session: Session) -> None:
    from tests.factories import make_api_token
    from tests.web.test_api import bearer, problem

    group, treasurer, aigul, nurila, first, _second = _world(session)
    tokens = {who: bearer(make_api_token(session, m.user))
              for who, m in (("treasurer", treasurer), ("aigul", aigul), ("nurila", nurila))}
    session.commit()
    year = local_today().year
    url = f"/api/v1/groups/{group.id}/accounts/{aigul.id}/payments/{first.id}/receipt"
    hers = client.get(url, headers=tokens["aigul"])
    assert hers.status_code == 200 and hers.mimetype == "application/pdf"
    text = _flat(pdf_text(hers.data))
    assert f"№{year}-0001" in text and _money(60000) in text
    assert client.get(url, headers=tokens["treasurer"]).status_code == 200
    problem(client.get(url, headers=tokens["nurila"]), 404)  # another's
    problem(client.get(f"/api/v1/groups/{group.id}/accounts/{nurila.id}/payments/"
                       f"{first.id}/receipt", headers=tokens["nurila"]), 404)  # not hers
