"""The accounts page's form that moves the group's money between its accounts,
in Russian: the move is recorded once and the cards show it; a move that
cannot be made is refused in place (422, as typed, its message next to the
field, nothing written); the same move again within 24 h is asked first; and
the hand-out of a payout the cash box cannot cover points to this form."""

from __future__ import annotations

import re
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.groups.services import list_members
from coop.ledger import services as ledger
from coop.ledger.checks import check_books
from coop.ledger.models import Posting
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services as sales
from tests.conftest import csrf_token, login, post
from tests.factories import make_group, make_member
from tests.integration.test_money_endpoints import hidden_fields
from tests.integration.test_sales_services import jam


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def _moves(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Posting).where(
        Posting.kind == "transfer")) or 0


def _card(page: str, name: str) -> str:
    found = re.search(rf'id="{name}">([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


def _world(session: Session):  # type: ignore[no-untyped-def]
    """A Russian-speaking treasurer; 3 000 сом came in by bank, 50 сом in cash."""
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    for method, amount in (("bank", 300000), ("cash", 5000)):
        ledger.record_payment(session, aigul, amount=amount, method=method, reference="",
                              idempotency_key=f"paid-{method}-0000000001",
                              actor=treasurer.user)
    session.commit()
    login_client = treasurer.user.email
    return group, login_client


def test_the_move_is_recorded_once_and_the_cards_show_it(client: FlaskClient,
                                                        session: Session) -> None:
    group, email = _world(session)
    login(client, email)
    url = f"/groups/{group.id}/accounts"
    page = _text(client.get(url))
    assert '<h2 id="move-money">Перевод денег между счетами группы</h2>' in page
    assert f'action="{url}/transfer#move-money"' in page
    for words in ("Откуда", "Куда", "Сумма перевода", "Заметка (необязательно)",
                  "Записать перевод", '<option selected value="bank">банковский счёт</option>',
                  '<option selected value="cash">касса</option>'):
        assert words in page, words
    key = "move-form-key-0000000001"
    form = {"source": "bank", "target": "cash", "amount": "1200", "memo": "",
            "idempotency_key": key}
    done = post(client, f"{url}/transfer", form)
    assert done.status_code == 302 and done.location.endswith(url)
    assert "Переведено 1 200,00 сом: из банка в кассу." in _text(client.get(done.location))
    again = post(client, f"{url}/transfer", form)  # Back and sent again: the same key
    assert again.status_code == 302
    assert "Больше ничего не записано." in _text(client.get(again.location))
    assert _moves(session) == 1
    page = _text(client.get(url))
    assert (_card(page, "cash"), _card(page, "bank")) == ("1 250,00 сом", "1 800,00 сом")
    assert "Учет сходится" in page
    # the move is listed, named readably
    assert re.search(r'id="transfers".*Банковский счёт → касса.*Из банка в кассу.*1 200,00 сом',
                     page, re.S)
    assert str(ledger.KIND_NAMES["transfer"]) == "Money moved between the group's accounts"
    books = ledger.books(session, group, list_members(session, group, include_inactive=True))
    assert books.total == 0 and (books.cash_on_hand, books.in_bank) == (125000, 180000)
    assert check_books(session, group.id) == []
    # a note typed: said after where the money went
    noted = post(client, f"{url}/transfer", {"source": "cash", "target": "bank", "amount": "50",
                                            "memo": "сдала в банк"})
    assert ("Переведено 50,00 сом: из кассы в банк (сдала в банк)."
            in _text(client.get(noted.location)))


def test_a_move_beyond_what_the_bank_holds_is_refused_in_place(client: FlaskClient,
                                                               session: Session) -> None:
    group, email = _world(session)
    login(client, email)
    url = f"/groups/{group.id}/accounts"
    postings = session.scalar(select(func.count()).select_from(Posting))
    refused = post(client, f"{url}/transfer", {"source": "bank", "target": "cash",
                                               "amount": "5000", "memo": "Снятие в Караколе"})
    page = _text(refused)
    assert refused.status_code == 422
    assert "Ничего не записано" in page
    assert ("На банковском счёте только 3 000,00 сом: больше с него перевести нельзя."
            in page), page
    # next to the amount, as typed, on the accounts page, at the form
    assert re.search(r'name="amount"[^>]*value="5000".*?<p class="error">На банковском счёте '
                     r'только', page, re.S)
    assert 'value="Снятие в Караколе"' in page
    assert page.count('value="5000"') == 1  # the other cost's form below is not filled in
    assert f'action="{url}/transfer#move-money"' in page
    assert '<h1>Счета</h1>' in page and "Учет сходится" in page
    # the same account on both sides, and nothing to move
    same = post(client, f"{url}/transfer", {"source": "cash", "target": "cash", "amount": "10"})
    assert same.status_code == 422
    assert ("Деньги можно перевести только на другой счёт, а не на тот, с которого они "
            "берутся." in _text(same))
    zero = post(client, f"{url}/transfer", {"source": "bank", "target": "mobile",
                                            "amount": "0"})
    assert zero.status_code == 422 and "Сумма должна быть больше нуля." in _text(zero)
    # a cash box is not overdrawn by a move either
    cash = post(client, f"{url}/transfer", {"source": "cash", "target": "bank", "amount": "51"})
    assert cash.status_code == 422
    assert "В кассе только 50,00 сом: больше из неё перевести нельзя." in _text(cash)
    # a form sent without its accounts (a script, not the page) is refused, not
    # moved from the bank by default
    for missing in ({"target": "cash", "amount": "1"}, {"source": "bank", "amount": "1"}):
        bare = post(client, f"{url}/transfer", missing)
        assert bare.status_code == 422, missing
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Posting)) == postings
    assert ledger.money_held(session, group) == {"cash": 5000, "bank": 300000, "mobile": 0}


def test_the_same_move_again_is_asked_first_and_recorded_once_on_yes(
        client: FlaskClient, session: Session) -> None:
    group, email = _world(session)
    login(client, email)
    url = f"/groups/{group.id}/accounts/transfer"
    assert post(client, url, {"source": "bank", "target": "cash", "amount": "500",
                              "memo": ""}).status_code == 302
    # typed again (a new form, a new key), even with another note
    asked = post(client, url, {"source": "bank", "target": "cash", "amount": "500",
                               "memo": "ещё раз", "idempotency_key": "second-move-0000000001"})
    page = _text(asked)
    assert asked.status_code == 200 and "<h1>Записать ещё раз?</h1>" in page, page[:2000]
    assert "Перевод между счетами группы, 500,00 сом, «Из банка в кассу»" in page, page
    assert _moves(session) == 1
    assert re.search(rf'action="{re.escape(url)}#move-money"', page)
    fields = hidden_fields(asked.get_data(as_text=True))
    assert fields["confirm_again"] == "1" and fields["memo"] == "ещё раз"
    for _ in range(2):  # "yes", and "yes" again (a double click, Back)
        yes = client.post(url, data={**fields, "csrf_token": csrf_token(client, "/")})
        assert yes.status_code == 302
    assert _moves(session) == 2
    assert ledger.money_held(session, group)["cash"] == 105000
    # the other way round is another move: not asked
    assert post(client, url, {"source": "cash", "target": "bank", "amount": "500",
                              "memo": ""}).status_code == 302
    assert _moves(session) == 3


def test_a_member_cannot_move_the_groups_money(client: FlaskClient, session: Session) -> None:
    group = make_group(session)
    make_member(session, group, "Майрам", role="treasurer", locale="ru")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    session.commit()
    login(client, aigul.user.email)
    sent = post(client, f"/groups/{group.id}/accounts/transfer",
                {"source": "bank", "target": "cash", "amount": "1"})
    assert sent.status_code == 403
    assert _moves(session) == 0


def test_a_hand_out_the_cash_box_cannot_cover_points_to_the_move(
        client: FlaskClient, session: Session) -> None:
    """The buyer paid by bank: the lot's payout is in the bank account, the
    cash box is empty; handing her payout out asks first and says where the
    money can be moved into the cash box."""
    group, treasurer, women, lot, (top, _first), (_shop, wholesaler) = jam(session)
    sale = sales.record_sale(session, lot, buyer_id=wholesaler.id, sold_on=date(2026, 9, 1),
                             lines={top.id: (q("10"), p("300"))}, actor=treasurer.user,
                             pay_later=True)
    sales.record_sale_payment(session, lot, sale, amount=300000, method="bank",
                              actor=treasurer.user, idempotency_key="bank-payment-000000001")
    sales.close_lot(session, lot, treasurer.user, unsold_actions={
        grade.id: "return" for grade in lot.grades})
    treasurer.user.locale = "ru"
    session.commit()
    member = next(w for w in women if ledger.member_balance(session, w) > 0)
    due = ledger.member_balance(session, member)
    assert ledger.money_held(session, group)["cash"] == 0
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/payout/{member.id}/cash"
    asked = post(client, url, {"amount": str(due // 100), "note": ""})
    page = _text(asked)
    assert asked.status_code == 200 and "<h1>Всё равно записать?</h1>" in page, page[:3000]
    assert "В кассе только 0,00 сом" in page
    assert ("На банковском счёте 3 000,00 сом, в мобильном кошельке 0,00 сом: эти деньги "
            "можно перевести в кассу на странице «Счета»." in page), page
    assert (f'<a href="/groups/{group.id}/accounts#move-money">Перевести деньги между '
            f'счетами</a>' in page)
    assert _moves(session) == 0
