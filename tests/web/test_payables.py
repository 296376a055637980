"""Paying a supplier through the pages and the API; where what is owed shows."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.payables.models import SupplierPayment
from tests.conftest import csrf_token, login, post
from tests.factories import make_api_token, make_group, make_member, make_two_supplier_round
from tests.web.test_api import bearer, conforms, problem


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text with plain spaces and without the currency's name."""
    return (response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")
            .replace(" som", ""))


def _world(session: Session):  # type: ignore[no-untyped-def]
    """The two-supplier round, settled; the members have paid in 700.00 in
    cash, 400.00 by bank and 400.00 by mobile money (what is paid out below)."""
    w = make_two_supplier_round(session)
    for member, method, amount in ((w.nurila, "cash", 70000), (w.aigul, "bank", 40000),
                                   (w.aigul, "mobile", 40000)):
        ledger.record_payment(session, member, amount=amount, method=method, reference="",
                              idempotency_key=f"paid-in-{method}-0000000000",
                              actor=w.treasurer.user)
    session.commit()
    return w


def _pay_page(client: FlaskClient, w) -> str:  # type: ignore[no-untyped-def]
    return _text(client.get(f"/groups/{w.group.id}/payables/pay?supplier={w.agro.id}"
                            f"&round={w.rnd.id}"))


def test_treasurer_pays_part_of_a_bill_once_even_if_sent_twice(client: FlaskClient,
                                                               session: Session) -> None:
    w = _world(session)
    login(client, w.treasurer.user.email)
    page = _pay_page(client, w)
    assert f'<option selected value="{w.agro.id}">' in page
    assert "640.00" in page  # what Агро-Семена is owed
    form = {"supplier": str(w.agro.id), "amount": "400", "method": "bank",
            "reference": "ПП-17", "round": str(w.rnd.id), "idempotency_key": _key(page)}
    first = post(client, f"/groups/{w.group.id}/payables/pay", form)
    second = post(client, f"/groups/{w.group.id}/payables/pay", form)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].endswith(f"/suppliers/{w.agro.id}/account")
    assert "already recorded" in _text(client.get(second.headers["Location"]))
    assert session.scalar(select(func.count()).select_from(SupplierPayment)) == 1
    account = _text(client.get(first.headers["Location"]))
    assert re.search(r'id="still-owed">240.00', account)
    assert "ПП-17" in account and "Paid to the supplier" in account
    # the round page: one bill per supplier
    round_page = _text(client.get(f"/groups/{w.group.id}/rounds/{w.rnd.id}"))
    bills = round_page[round_page.index('class="supplier-bills'):]
    bills = bills[:bills.index("</table>")]
    rows = {m.group(1): re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)', m.group(2))
            for m in re.finditer(r'<tr data-supplier="(\d+)">(.*?)</tr>', bills, re.S)}
    assert rows[str(w.agro.id)] == ["500.00", "200.00", "−60.00", "640.00", "400.00",
                                    "240.00"]
    assert rows[str(w.textile.id)] == ["300.00", "0.00", "—", "300.00", "0.00", "300.00"]
    # the supplier's page and the reconciliation
    supplier_page = _text(client.get(f"/groups/{w.group.id}/suppliers/{w.agro.id}"))
    assert re.search(r'id="billed">640.00', supplier_page)
    assert re.search(r'id="still-owed">240.00', supplier_page)
    accounts = _text(client.get(f"/groups/{w.group.id}/accounts"))
    assert re.search(r'id="bank">0.00', accounts)
    assert re.search(r'id="cash">700.00', accounts)
    assert re.search(r'id="payables">540.00', accounts)  # 240 + 300
    assert re.search(r'id="purchases">100.00', accounts)  # the taxi
    assert "The books balance." in accounts


def test_paying_more_than_owed_asks_first(client: FlaskClient, session: Session) -> None:
    w = _world(session)
    login(client, w.treasurer.user.email)
    page = _pay_page(client, w)
    form = {"supplier": str(w.agro.id), "amount": "700", "method": "cash",
            "round": str(w.rnd.id), "idempotency_key": _key(page)}
    refused = post(client, f"/groups/{w.group.id}/payables/pay", form)
    assert refused.status_code == 422
    text = _text(refused)
    assert "is owed 640.00" in text and "60.00 more" in text
    # the form names its tick box (the API, its flag)
    assert "Tick “Pay more than is owed (the rest is an advance)” to record it anyway." in text
    assert "Send “beyond_owed”" not in text
    assert session.scalar(select(func.count()).select_from(SupplierPayment)) == 0
    confirmed = post(client, f"/groups/{w.group.id}/payables/pay",
                     {**form, "idempotency_key": _key(text), "beyond_owed": "y"})
    assert confirmed.status_code == 302
    assert "advance 60.00" in _text(client.get(confirmed.headers["Location"]))


def test_bad_supplier_payments_get_a_message_and_write_nothing(client: FlaskClient,
                                                               session: Session) -> None:
    w = _world(session)
    other = make_group(session)
    stranger = make_two_supplier_round(session)  # another group's supplier
    session.commit()
    login(client, w.treasurer.user.email)
    page = _pay_page(client, w)
    url = f"/groups/{w.group.id}/payables/pay"
    base = {"supplier": str(w.agro.id), "amount": "10", "method": "cash",
            "idempotency_key": _key(page)}
    for change, message in (({"amount": "-5"}, "cannot be negative"),
                            ({"amount": "abc"}, "not a number"),
                            ({"amount": "0"}, "more than zero"),
                            ({"method": "gold"}, "Not a valid choice"),
                            ({"supplier": str(stranger.agro.id)}, "Unknown supplier"),
                            ({"supplier": "x"}, "Unknown supplier"),
                            ({"supplier": "9" * 30}, "Unknown supplier"),
                            ({"round": "9" * 30}, "no such round"),
                            ({"round": "999999999"}, "no such round"),
                            ({"idempotency_key": ""}, "expired")):
        response = post(client, url, {**base, **change})
        assert response.status_code == 422, change
        assert message in _text(response), (change, _text(response)[:3000])
    assert session.scalar(select(func.count()).select_from(SupplierPayment)) == 0
    assert other.id  # a group with no suppliers is not this one's business
    member = make_member(session, w.group, "Гүлнара")
    session.commit()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, member.user.email)
    assert client.get(url).status_code in (403, 404)
    assert client.get(f"/groups/{w.group.id}/suppliers/{w.agro.id}/account").status_code in (
        403, 404)


def test_api_pays_a_supplier_once_per_key(app: Flask, client: FlaskClient,
                                          session: Session) -> None:
    w = _world(session)
    token = bearer(make_api_token(session, w.treasurer.user))
    member_token = bearer(make_api_token(session, w.aigul.user))
    session.commit()
    g = f"/api/v1/groups/{w.group.id}"
    url = f"{g}/suppliers/{w.agro.id}/payments"
    key = {"Idempotency-Key": "pay-agro-2027-04-02-1"}
    body = {"amount": "400.00", "method": "mobile", "reference": "MB-7", "round_id": w.rnd.id}
    problem(client.post(url, json=body, headers={**member_token, **key}), 403)
    problem(client.post(url, json=body, headers=token), 400, "Idempotency-Key")
    beyond = problem(client.post(url, json={**body, "amount": "700.00"},
                                 headers={**token, **key}), 422, "amount")
    # the refusal names the flag that overrides it, in words and by name
    assert beyond["confirm"] == "beyond_owed"
    assert beyond["detail"].replace("\u00a0", " ").endswith(
        "is 60.00 som more, which would be an advance. Send “beyond_owed”: true to record it "
        "anyway."), beyond["detail"]
    assert "Tick" not in beyond["detail"]
    paid = conforms(app, client.post(url, json=body, headers={**token, **key}),
                    "/groups/{group_id}/suppliers/{supplier_id}/payments", "post")
    assert (paid["amount"], paid["method"], paid["still_owed"]) == ("400.00", "mobile",
                                                                     "240.00")
    again = client.post(url, json=body, headers={**token, **key})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == paid["id"]
    problem(client.post(url, json={**body, "amount": "1.00"}, headers={**token, **key}),
            422, "Idempotency-Key")
    problem(client.post(f"{g}/suppliers/999999/payments", json=body,
                        headers={**token, "Idempotency-Key": "another-key-000001"}), 404)
    listing = conforms(app, client.get(f"{g}/payables", headers=token),
                       "/groups/{group_id}/payables")
    owed = {row["name"]: (row["billed"], row["paid"], row["still_owed"])
            for row in listing["items"]}
    assert owed == {"Агро-Семена": ("640.00", "400.00", "240.00"),
                    "Текстиль-Ош": ("300.00", "0.00", "300.00")}
    balances = conforms(app, client.get(f"{g}/balances", headers=token),
                        "/groups/{group_id}/balances")
    assert (balances["in_mobile_wallet"], balances["owed_to_suppliers"]) == ("0.00", "540.00")
    session.expire_all()
    assert ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila]).total == 0


def test_api_pays_beyond_the_wallet_only_with_overdraw(app: Flask, client: FlaskClient,
                                                      session: Session) -> None:
    """The wallet holds 400.00: 500.00 from it is refused, naming `overdraw`
    (in words and by name), and recorded once with it."""
    w = _world(session)
    token = bearer(make_api_token(session, w.treasurer.user))
    session.commit()
    url = f"/api/v1/groups/{w.group.id}/suppliers/{w.agro.id}/payments"
    body = {"amount": "500.00", "method": "mobile", "round_id": w.rnd.id}
    headers = {**token, "Idempotency-Key": "pay-agro-beyond-wallet-1"}
    refused = problem(client.post(url, json=body, headers=headers), 422, "amount")
    assert refused["confirm"] == "overdraw"
    assert refused["detail"].endswith("Send “overdraw”: true to record it anyway."), refused
    assert session.scalar(select(func.count()).select_from(SupplierPayment)) == 0
    paid = conforms(app, client.post(url, json={**body, "overdraw": True}, headers=headers),
                    "/groups/{group_id}/suppliers/{supplier_id}/payments", "post")
    assert (paid["amount"], paid["still_owed"]) == ("500.00", "140.00")
    session.expire_all()
    books = ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])
    assert books.in_mobile == -10000 and books.total == 0


def test_another_cost_is_paid_from_the_account_of_its_method(client: FlaskClient,
                                                            session: Session) -> None:
    w = _world(session)
    login(client, w.treasurer.user.email)
    response = post(client, f"/groups/{w.group.id}/accounts/pay-out",
                    {"amount": "100", "memo": "Такси", "method": "mobile"})
    assert response.status_code == 302
    books = ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])
    assert (books.cash_on_hand, books.in_bank, books.in_mobile) == (70000, 40000, 30000)
    assert books.suppliers == 0 and books.total == 0
    bad = post(client, f"/groups/{w.group.id}/accounts/pay-out",
               {"amount": "100", "memo": "Такси", "method": "gold"})
    assert bad.status_code == 422


def test_paying_out_more_than_the_wallet_holds_asks_first(client: FlaskClient,
                                                         session: Session) -> None:
    """Found on the walk: a supplier was paid from a bank account at 0. More
    than the money account holds is asked first, with what it holds and what
    it would show; nothing is written until she says yes, then once."""
    w = _world(session)
    login(client, w.treasurer.user.email)
    count = select(func.count()).select_from(Posting)
    before = session.scalar(count)
    form = {"amount": "500", "memo": "Такси", "method": "mobile",
            "idempotency_key": "pay-out-key-000000001"}
    asked = post(client, f"/groups/{w.group.id}/accounts/pay-out", form)
    page = _text(asked)
    assert asked.status_code == 200 and "Record it anyway?" in page, page[:2000]
    assert "mobile wallet holds only 400.00" in page and "-100.00" in page
    session.expire_all()
    assert session.scalar(count) == before
    yes = {**form, "confirm_again": "1"}
    assert post(client, f"/groups/{w.group.id}/accounts/pay-out", yes).status_code == 302
    assert post(client, f"/groups/{w.group.id}/accounts/pay-out", yes).status_code == 302
    session.expire_all()
    assert session.scalar(count) == before + 1
    books = ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])
    assert books.in_mobile == -10000 and books.total == 0
    # the supplier's form asks the same, in Russian
    page = _pay_page(client, w)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/language", data={"locale": "ru", "next": "/", "csrf_token": csrf})
    page = _pay_page(client, w)
    asked = post(client, f"/groups/{w.group.id}/payables/pay",
                 {"supplier": str(w.agro.id), "amount": "500", "method": "bank",
                  "round": str(w.rnd.id), "idempotency_key": _key(page)})
    page = _text(asked)
    assert asked.status_code == 200 and "Всё равно записать?" in page, page[:2000]
    assert "На банковском счёте только 400,00" in page


def test_a_round_settled_before_supplier_accounts_says_where_its_bills_are(
        client: FlaskClient, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from coop.payables import services as payables

    monkeypatch.setattr(payables, "post_round_bills", lambda *args, **kwargs: [])
    w = _world(session)  # settled as the code before supplier accounts settled
    books = ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])
    assert (books.payables, books.suppliers, books.total) == (0, 104000, 0)
    assert all(not p.rounds for p in payables.positions(session, w.group))
    login(client, w.treasurer.user.email)
    page = _text(client.get(f"/groups/{w.group.id}/rounds/{w.rnd.id}"))
    assert "Settled before each supplier had her own account" in page
    assert 'class="supplier-bills' in page  # the bills of the split, for the record


def test_one_question_asks_both_when_a_pay_out_is_like_a_recent_one_and_beyond_the_wallet(
        client: FlaskClient, session: Session) -> None:
    """Sent again after Back, and more than the wallet holds now: both are
    asked on one page, so one "yes" answers what was asked."""
    w = _world(session)  # 400.00 in the mobile wallet
    login(client, w.treasurer.user.email)
    url = f"/groups/{w.group.id}/accounts/pay-out"
    form = {"amount": "300", "memo": "Такси", "method": "mobile"}
    assert post(client, url, {**form, "idempotency_key": "pay-out-key-000000001"}
                ).status_code == 302
    again = {**form, "idempotency_key": "pay-out-key-000000002"}
    asked = post(client, url, again)
    page = _text(asked)
    assert asked.status_code == 200 and "Record another?" in page, page[:2000]
    assert "The same entry" in page and "mobile wallet holds only 100.00" in page
    assert "-200.00" in page
    assert post(client, url, {**again, "confirm_again": "1"}).status_code == 302
    session.expire_all()
    books = ledger.books(session, w.group, [w.treasurer, w.aigul, w.nurila])
    assert books.in_mobile == -20000 and books.total == 0


def test_the_suppliers_page_says_what_the_group_paid_her_for_the_round(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: after the round was settled and paid, her page (the
    link she quoted through) showed her bill and nothing of what the group
    paid. It shows what the group paid her for the round and still owes, as
    the round page does."""
    from coop.orders import services as orders
    from coop.payables import services as payables
    from tests.factories import make_awarded_quote

    w, quote, token, _other, _other_token = make_awarded_quote(session)
    actor = w.treasurer.user
    arrived = {item.id: (fill.packs * fill.pack_size, 0)
               for item, fill in orders.pack_fills(session, w.rnd)}
    orders.record_delivery(session, w.rnd, arrived, actor=actor)
    orders.confirm_delivery(session, w.rnd, actor)
    orders.settle_round(session, w.rnd, actor)
    ledger.record_payment(session, w.aigul, amount=1_000_000, method="bank",
                          reference="", idempotency_key="paid-in-bank-00000000", actor=actor)
    session.commit()
    [bill] = [b.position for b in payables.round_supplier_bills(session, w.rnd)
              if b.supplier_id == quote.supplier_id]
    assert bill.billed > 100_000

    def shown() -> list[str]:
        page = _text(client.get(f"/q/{token}"))
        table = page[page.index('class="supplier-paid"'):]
        return re.findall(r'<td class="num[^"]*">([^<]*)', table[:table.index("</table>")])

    def som(minor: int) -> str:  # as the Russian page writes it
        return f"{minor // 100:,}".replace(",", " ") + f",{minor % 100:02d} сом"

    assert shown() == [som(0), som(bill.billed)]
    payables.pay_supplier(session, quote.supplier, amount=100_000, method="bank",
                          reference="ПП-1", idempotency_key="pay-supplier-0000001",
                          actor=actor, round_id=w.rnd.id)
    session.commit()
    owed = bill.billed - 100_000
    assert shown() == [som(100_000), som(owed)]
    page = _text(client.get(f"/q/{token}"))
    assert "Группа вам заплатила за неё" in page and "Группа ещё должна вам" in page
