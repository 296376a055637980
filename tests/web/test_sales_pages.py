"""Joint sales pages: the treasurer's run of a lot from the phone, bad input
(a clear message, a 4xx, nothing changed), and who may see what."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services
from coop.sales.models import Buyer, Contribution, Sale, SaleCost, SaleLot
from tests.conftest import login, post
from tests.factories import make_buyer, make_group, make_member, make_sale_lot


def world(session: Session):  # type: ignore[no-untyped-def]
    group = make_group(session, levy_basis_points=200)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл", locale="ru")
    nurila = make_member(session, group, "Нурила")
    lot = make_sale_lot(session, group, treasurer)
    top, first = lot.grades
    for woman, grade, jars in ((aigul, top, "12"), (nurila, top, "24"), (nurila, first, "5")):
        services.record_contribution(session, lot, woman, grade_id=grade.id, quantity=q(jars),
                                     actor=treasurer.user)
    buyer = make_buyer(session, group)
    session.commit()
    return group, treasurer, aigul, nurila, lot, buyer


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                 for model in (Contribution, Sale, SaleCost, Posting, SaleLot, Buyer))


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


def sold_and_closed(session: Session):  # type: ignore[no-untyped-def]
    """`world` with 36 jars of the top grade sold at 300.00 and the lot closed
    (the first grade given back): 10 800.00 − 2 % levy, 12 of 36 jars Айгүл's."""
    group, treasurer, aigul, nurila, lot, buyer = world(session)
    top, first = lot.grades
    services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                         lines={top.id: (q("36"), p("300"))}, actor=treasurer.user)
    services.close_lot(session, lot, treasurer.user, unsold_actions={first.id: "return"})
    return group, treasurer, aigul, nurila, lot


def test_the_treasurer_runs_a_lot_from_start_to_payouts(client: FlaskClient,
                                                        session: Session) -> None:
    group, treasurer, aigul, nurila, _lot, buyer = world(session)
    login(client, treasurer.user.email)
    base = f"/groups/{group.id}/sales"
    assert "Sales" in text(client.get(f"/groups/{group.id}/rounds"))  # the tab
    form = {"product": "Курага", "unit": "кг", "step": "0,1", "period_from": "2026-08-01",
            "period_to": "", "place": "Исфара", "levy_percent": "1,5",
            "grades-0-name": "первый сорт", "grades-0-factor": "1",
            "grades-1-name": "второй сорт", "grades-1-factor": "0,75",
            "grades-2-name": "", "grades-2-factor": "", "grades-3-name": "",
            "grades-3-factor": ""}
    created = post(client, f"{base}/new", form)
    assert created.status_code == 302, text(created)[:2000]
    lot = session.scalar(select(SaleLot).where(SaleLot.product == "Курага"))
    assert lot is not None and lot.step == 100 and lot.levy_basis_points == 150
    first, second = lot.grades
    assert (first.factor, second.factor) == (1000, 750)
    url = f"{base}/{lot.id}"
    for member, grade, qty in ((aigul, first, "10,5"), (nurila, first, "20"),
                               (nurila, second, "4")):
        response = post(client, f"{url}/contributions", {
            "member": member.id, "grade": grade.id, "quantity": qty,
            "brought_on": "2026-08-03", "note": ""})
        assert response.status_code == 302, text(response)[:2000]
    page = text(client.get(url))
    assert "10.5 kilograms" in page  # "кг" as typed is the list's kilogram, in English
    sold = post(client, f"{url}/sell", {"buyer": buyer.id, "sold_on": "2026-09-01", "note": "",
                                        f"quantity_{first.id}": "30",
                                        f"price_{first.id}": "320,50",
                                        f"quantity_{second.id}": "", f"price_{second.id}": ""})
    assert sold.status_code == 302, text(sold)[:3000]
    cost = post(client, f"{url}/costs", {"kind": "transport", "name": "Такси", "amount": "150",
                                         "rule": "value", "sale": "", "paid_on": ""})
    assert cost.status_code == 302, text(cost)[:2000]
    preview = text(client.get(f"{url}/close"))
    assert aigul.user.name in preview and nurila.user.name in preview
    assert "Check: payouts" in preview and 'id="check"' in preview
    figures = re.search(r'name="figures" value="([0-9a-f]+)"', preview).group(1)
    closed = post(client, f"{url}/close", {f"unsold_{first.id}": "return",
                                           f"unsold_{second.id}": "carry",
                                           "figures": figures})
    assert closed.status_code == 303, text(closed)[:3000]
    session.expire_all()
    assert session.get(SaleLot, lot.id).state == "closed"
    # 30 kg × 320.50 = 9615.00; levy 1.5 % = 144.23; transport 150: 9320.77 by value,
    # 10.3 : 19.7 (30 of 30.5 kg sold, over 10.5 and 20 kg by largest remainder in 0.1 kg)
    assert ledger.member_balance(session, aigul) == 320013
    assert ledger.member_balance(session, nurila) == 612064
    carried = session.scalar(select(SaleLot).where(SaleLot.carried_from_id == lot.id))
    assert carried is not None and carried.grades[1].name == "второй сорт"
    invoice = client.get(f"{url}/sales/{session.scalars(select(Sale.id)).first()}/invoice.pdf")
    assert invoice.status_code == 200 and invoice.mimetype == "application/pdf"
    assert invoice.data.startswith(b"%PDF")
    statement = client.get(f"{url}/payout/{aigul.id}/statement.pdf")
    assert statement.status_code == 200 and statement.data.startswith(b"%PDF")
    payout = text(client.get(f"{url}/payout/{aigul.id}"))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', payout).group(1)
    paid = post(client, f"{url}/payout/{aigul.id}/cash", {"amount": "3200,13", "note": "",
                                                         "idempotency_key": key})
    again = post(client, f"{url}/payout/{aigul.id}/cash", {"amount": "3200,13", "note": "",
                                                          "idempotency_key": key})
    assert paid.status_code == again.status_code == 302
    assert "recorded already" in text(client.get(again.headers["Location"]))
    assert ledger.member_balance(session, aigul) == 0
    # read-only once closed
    assert post(client, f"{url}/contributions", {"member": aigul.id, "grade": first.id,
                                                 "quantity": "1"}).status_code == 422
    assert client.get(f"{url}/sell").status_code == 422


def test_bad_input_gets_a_clear_message_a_4xx_and_changes_nothing(client: FlaskClient,
                                                                  session: Session) -> None:
    group, treasurer, aigul, _nurila, lot, buyer = world(session)
    top, first = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    other_buyer = make_buyer(session, make_group(session))
    session.commit()
    before = counts(session)
    for quantity, grade, message in (("-3", top.id, "cannot be negative"),
                                     ("три", top.id, "is not a number"),
                                     ("2,5", top.id, "steps of 1"),
                                     ("1,2345", top.id, "at most 3 decimals"),
                                     ("2", 9999, "no such grade"),
                                     ("2", "высший", "no such grade")):
        response = post(client, f"{url}/contributions", {"member": aigul.id, "grade": grade,
                                                         "quantity": quantity})
        assert response.status_code == 422, quantity
        assert message in text(response), (quantity, text(response)[:3000])
    sale = {"buyer": buyer.id, "sold_on": "2026-09-01", f"quantity_{first.id}": "",
            f"price_{first.id}": ""}
    for lines, message in (({f"quantity_{top.id}": "37", f"price_{top.id}": "100"},
                            "holds only 36"),
                           ({f"quantity_{top.id}": "2", f"price_{top.id}": "1,1234567"},
                            "at most 6 decimals"),
                           ({f"quantity_{top.id}": "два", f"price_{top.id}": "100"},
                            "not right"),
                           ({f"quantity_{top.id}": "-2", f"price_{top.id}": "100"},
                            "cannot be negative"),
                           ({f"quantity_{top.id}": "2", f"price_{top.id}": "-100"},
                            "cannot be negative"),
                           ({f"quantity_{top.id}": "2", f"price_{top.id}": ""}, "unit price"),
                           ({"quantity_9999": "2", "price_9999": "100"}, "no such grade"),
                           ({f"quantity_{top.id}": "", f"price_{top.id}": ""},
                            "at least one grade")):
        response = post(client, f"{url}/sell", {**sale, **lines})
        assert response.status_code == 422, lines
        assert message in text(response), (lines, text(response)[:3000])
    response = post(client, f"{url}/sell", {**sale, "buyer": other_buyer.id,
                                            f"quantity_{top.id}": "1", f"price_{top.id}": "1"})
    assert response.status_code == 422 and "Choose the buyer" in text(response)
    for amount, message in (("12,345", "at most 2 decimals"), ("сто", "not a number"),
                            ("-5", "cannot be negative"), ("0", "more than zero")):
        response = post(client, f"{url}/costs", {"kind": "transport", "amount": amount,
                                                 "rule": "value"})
        assert response.status_code == 422 and message in text(response), amount
    response = post(client, f"{url}/costs", {"kind": "bribe", "amount": "5", "rule": "value"})
    assert response.status_code == 422 and "Unknown kind" in text(response)
    response = post(client, f"{url}/costs", {"kind": "other", "amount": "5", "rule": "weight"})
    assert response.status_code == 422 and "Unknown rule" in text(response)
    bad_lot = {"product": "Мёд", "unit": "кг", "step": "1", "period_from": "2026-08-01",
               "grades-0-name": "мёд", "grades-0-factor": "ноль"}
    response = post(client, f"/groups/{group.id}/sales/new", bad_lot)
    assert response.status_code == 422 and "not a number" in text(response)
    response = post(client, f"/groups/{group.id}/sales/new",
                    {**bad_lot, "grades-0-factor": "0"})
    assert response.status_code == 422 and "more than zero" in text(response)
    response = post(client, f"/groups/{group.id}/sales/new",
                    {**bad_lot, "grades-0-name": "", "grades-0-factor": ""})
    assert response.status_code == 422 and "at least one grade" in text(response)
    response = post(client, f"/groups/{group.id}/buyers", {"name": "", "kind": "shop"})
    assert response.status_code == 422
    response = post(client, f"/groups/{group.id}/buyers", {"name": "X", "kind": "pirate"})
    assert response.status_code == 422 and "Unknown kind of buyer" in text(response)
    assert counts(session) == before


def test_a_member_sees_her_own_contributions_and_payout_only(client: FlaskClient,
                                                             session: Session) -> None:
    group, treasurer, aigul, nurila, lot, buyer = world(session)
    top, _first = lot.grades
    services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                         lines={top.id: (q("30"), p("300"))}, actor=treasurer.user)
    sale = session.scalars(select(Sale)).first()
    session.commit()
    login(client, aigul.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    page = text(client.get(url))
    assert "Мои сдачи" in page and "36 банок" in page  # her own list; the lot's totals
    assert nurila.user.name not in page and buyer.name not in page
    assert "12 банок" in page  # her own contribution
    mine = client.get(f"{url}/payout")
    assert mine.status_code == 200 and "Предварительно" in text(mine)
    assert client.get(f"{url}/payout/{aigul.id}").status_code == 200
    assert client.get(f"{url}/payout/{nurila.id}").status_code == 404
    assert client.get(f"{url}/payout/{nurila.id}/statement.pdf").status_code == 404
    assert client.get(f"{url}/payout/{aigul.id}/statement.pdf").status_code == 200
    for path in ("/new", f"/{lot.id}/edit", f"/{lot.id}/sell", f"/{lot.id}/close",
                 f"/{lot.id}/sales/{sale.id}/invoice.pdf"):
        assert client.get(f"/groups/{group.id}/sales{path}").status_code == 403, path
    assert client.get(f"/groups/{group.id}/buyers").status_code == 403
    for path, data in ((f"{url}/contributions", {"member": aigul.id, "grade": top.id,
                                                 "quantity": "100"}),
                       (f"{url}/costs", {"kind": "other", "amount": "1", "rule": "value"}),
                       (f"{url}/close", {}), (f"{url}/sales/{sale.id}/cancel", {"reason": "x"}),
                       (f"{url}/payout/{aigul.id}/cash", {"amount": "1"})):
        assert post(client, path, data).status_code == 403, path
    listing = text(client.get(f"/groups/{group.id}/sales"))
    assert "вы сдавали" in listing


def test_another_groups_ids_are_404(client: FlaskClient, session: Session) -> None:
    group, _treasurer, aigul, _n, lot, buyer = world(session)
    other = make_group(session)
    other_treasurer = make_member(session, other, "Фарангис", role="treasurer")
    session.commit()
    login(client, other_treasurer.user.email)
    assert client.get(f"/groups/{group.id}/sales").status_code == 404
    assert client.get(f"/groups/{other.id}/sales/{lot.id}").status_code == 404
    assert client.get(f"/groups/{other.id}/sales/{lot.id}/close").status_code == 404
    assert client.get(f"/groups/{other.id}/buyers/{buyer.id}/edit").status_code == 404
    other_lot = make_sale_lot(session, other, other_treasurer)
    session.commit()
    assert client.get(f"/groups/{other.id}/sales/{other_lot.id}/payout/{aigul.id}"
                      ).status_code == 404
    response = post(client, f"/groups/{other.id}/sales/{other_lot.id}/contributions",
                    {"member": aigul.id, "grade": other_lot.grades[0].id, "quantity": "1"})
    assert response.status_code == 422 and "Choose a member" in text(response)
    response = post(client, f"/groups/{other.id}/sales/{other_lot.id}/contributions",
                    {"member": other_treasurer.id, "grade": lot.grades[0].id, "quantity": "1"})
    assert response.status_code == 422 and "no such grade" in text(response)


def test_payout_copy_text_is_in_her_language(client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, _nurila, lot = sold_and_closed(session)
    session.commit()
    login(client, treasurer.user.email)
    page = text(client.get(f"/groups/{group.id}/sales/{lot.id}/payout/{aigul.id}"))
    copy = re.search(r'<textarea id="copy-text"[^>]*>([^<]*)</textarea>', page).group(1)
    # 36 × 300 = 10 800.00 − 2 % = 10 584.00, of which 12 of 36 jars: 3 528.00
    assert aigul.user.name in copy and "3 528,00 сом" in copy
    assert "Record cash handed out" in page


def test_the_treasurer_changes_an_open_lot_and_its_grades(client: FlaskClient,
                                                          session: Session) -> None:
    group, treasurer, _aigul, _nurila, lot, _buyer = world(session)
    top, first = lot.grades
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/edit"
    page = text(client.get(url))
    assert 'value="Высший сорт"' in page and 'name="grades-2-name"' in page
    form = {"product": "Варенье", "unit": "банка", "step": "1", "period_from": "2026-08-01",
            "period_to": "2026-09-30", "place": "Склад", "levy_percent": "3",
            "grades-0-id": top.id, "grades-0-name": "Высший", "grades-0-factor": "1",
            "grades-1-id": first.id, "grades-1-name": "Первый", "grades-1-factor": "0,85",
            "grades-2-id": "", "grades-2-name": "Второй", "grades-2-factor": "0,6"}
    response = post(client, url, form)
    assert response.status_code == 302, text(response)[:2000]
    session.expire_all()
    lot = session.get(SaleLot, lot.id)
    assert [(g.name, g.factor) for g in lot.grades] == [("Высший", 1000), ("Первый", 850),
                                                        ("Второй", 600)]
    assert lot.levy_basis_points == 300 and lot.product == "Варенье"
    # a grade with contributions stays; a step that does not fit them is refused
    response = post(client, url, {**form, "grades-1-name": "", "grades-1-factor": ""})
    assert response.status_code == 422 and "stays in the lot" in text(response)
    response = post(client, url, {**form, "step": "5"})
    assert response.status_code == 422 and "not multiples of 5" in text(response)


def test_a_delivery_cost_or_sale_sent_again_through_back_is_asked_first(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: Back brings the lot's forms back with a new key, and
    sending one again recorded a second delivery, a second cost paid from the
    cash and a second sale, without a word. The same one of the last 24 h is
    asked about first; "yes" records it, once."""
    group, treasurer, aigul, _nurila, lot, buyer = world(session)
    treasurer.user.locale = "ru"
    ledger.record_payment(session, aigul, amount=100_000, method="cash", reference="",
                          idempotency_key="paid-in-cash-000000000", actor=treasurer.user)
    session.commit()
    top = lot.grades[0]
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    delivery = {"member": aigul.id, "grade": top.id, "quantity": "3", "brought_on": "",
                "note": ""}
    cost = {"kind": "transport", "name": "Такси", "amount": "150", "rule": "value", "sale": "",
            "paid_on": ""}
    sale = {"buyer": buyer.id, "sold_on": "2026-09-01", "note": "",
            f"quantity_{top.id}": "2", f"price_{top.id}": "50"}
    for path, form, asked in (("contributions", delivery, "Такая же сдача"),
                              ("costs", cost, "Такой же расход (Транспорт: Такси, 150,00 сом)"),
                              ("sell", sale, "Такая же продажа")):
        assert post(client, f"{url}/{path}", form).status_code == 302
        before = counts(session)
        again = post(client, f"{url}/{path}", form)  # Back: the same form, a new key
        page = text(again)
        assert again.status_code == 200 and asked in page, page[:3000]
        assert "Записать ещё раз?" in page and counts(session) == before
        # the question's page sends the form as typed, with its key, when she says yes
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
        assert fields["confirm_again"] == "1" and fields["idempotency_key"]
        assert all(fields[name] == str(value) for name, value in form.items() if value), fields
        yes = client.post(f"{url}/{path}", data=fields)
        assert yes.status_code == 302 and counts(session) != before
        after_yes = counts(session)
        assert client.post(f"{url}/{path}", data=fields).status_code == 302  # "yes" twice
        assert counts(session) == after_yes


def test_a_lots_payout_is_not_reversed_from_her_statement_and_a_reversed_hand_out_is_owed(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: "Сторнировать" on a lot's payout in her statement
    took it back from her account while the lot still said she was paid: the
    books and the lot told two stories. The payout is not reversed there (an
    adjustment corrects what she is owed); a cash hand-out recorded by
    mistake may be, and the lot then counts it as not handed out."""
    group, treasurer, aigul, _nurila, lot = sold_and_closed(session)
    handed, _new = services.pay_member(session, aigul, amount=100_000, actor=treasurer.user,
                                       idempotency_key="hand-out-000000000001", lot_id=lot.id)
    session.commit()
    payout = session.scalar(select(Posting).where(Posting.kind == "payout",
                                                  Posting.membership_id == aigul.id))
    login(client, treasurer.user.email)
    statement = f"/groups/{group.id}/accounts/{aigul.id}"
    page = text(client.get(statement))
    assert f'postings/{payout.id}/reverse"' not in page
    assert f'postings/{handed.posting_id}/reverse"' in page
    balance = ledger.member_balance(session, aigul)
    refused = post(client, f"{statement}/postings/{payout.id}/reverse", {"reason": "ошибка"})
    assert refused.status_code == 422 and "record an adjustment" in text(refused)
    assert ledger.member_balance(session, aigul) == balance
    assert services.cash_handed(session, lot) == {aigul.id: 100_000}
    reversed_ = post(client, f"{statement}/postings/{handed.posting_id}/reverse",
                     {"reason": "не выдано"})
    assert reversed_.status_code == 302
    session.expire_all()
    assert services.cash_handed(session, lot) == {}
    sheet = services.payout_sheet(session, lot)
    hers = next(line for line in sheet.lines if line.membership.id == aigul.id)
    assert hers.handed == 0


def test_the_books_say_which_part_of_the_purchases_to_pay_is_an_open_lots_money(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: while a lot was open, its sales' money showed in the
    books as "other purchases still to pay" (costs no supplier bills), with
    nothing to say it was the members' money of a sale. The books say how
    much of it is open lots' money; closed, the lot's money is the members'."""
    group, treasurer, aigul, _nurila, lot, buyer = world(session)
    ledger.record_payment(session, aigul, amount=100_000, method="cash", reference="",
                          idempotency_key="paid-in-cash-000000000", actor=treasurer.user)
    top, _first = lot.grades
    services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                         lines={top.id: (q("10"), p("300"))}, actor=treasurer.user)
    services.add_cost(session, lot, kind="transport", amount=25_050, actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    accounts = text(client.get(f"/groups/{group.id}/accounts"))
    held = re.search(r'id="lots-held">([^<]*)<', accounts).group(1)
    assert "2,749.50 som" in held and "not a debt" in held  # 10 × 300.00 − 250.50
    # a card of its own, apart from the purchases still to pay (none), and so
    # in the equation: found on a walk, it read as a debt of the group
    assert re.search(r'id="lots-held-card">2,749.50', accounts)
    assert re.search(r'id="purchases">0.00', accounts)
    equation = re.search(r'id="equation">([^<]*)<', accounts).group(1)
    assert ("other purchases still to pay 0.00 som + open joint-sale lots "
            "2,749.50 som.") in equation, equation
    assert "The books balance." in accounts
    services.close_lot(session, lot, treasurer.user, unsold_actions={lot.grades[1].id: "return",
                                                                    top.id: "return"})
    session.commit()
    accounts = text(client.get(f"/groups/{group.id}/accounts"))
    assert 'id="lots-held"' not in accounts and "The books balance." in accounts
    assert 'id="lots-held-card"' not in accounts and "open joint-sale lots" not in accounts


def test_handing_out_more_than_her_account_holds_is_refused_before_any_question(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: 1 000 000 to hand out was first asked about ("the
    cash holds only …"), and refused only after "yes"."""
    group, treasurer, aigul, _nurila, lot = sold_and_closed(session)
    session.commit()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/payout/{aigul.id}/cash"
    before = counts(session)
    refused = post(client, url, {"amount": "1000000", "note": ""})
    assert refused.status_code == 422, text(refused)[:2000]
    assert "Her account holds only 3,528.00 som" in text(refused)
    assert "Record it anyway?" not in text(refused) and counts(session) == before


def test_when_the_costs_are_more_than_her_share_her_payout_says_she_owes_without_a_minus(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: "Динара owes −91.20", a double negative."""
    group, treasurer, aigul, _nurila, lot, buyer = world(session)
    ledger.record_payment(session, aigul, amount=100_000, method="cash", reference="",
                          idempotency_key="paid-in-cash-000000000", actor=treasurer.user)
    top, _first = lot.grades
    services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                         lines={top.id: (q("1"), p("10"))}, actor=treasurer.user)
    services.add_cost(session, lot, kind="transport", amount=50_000, rule="equal",
                      actor=treasurer.user)
    services.close_lot(session, lot, treasurer.user, unsold_actions={lot.grades[1].id: "return",
                                                                    top.id: "return"})
    session.commit()
    from coop.sales.models import SalePayout

    owing = session.scalar(select(SalePayout).where(SalePayout.lot_id == lot.id,
                                                    SalePayout.amount < 0))
    assert owing is not None  # 10.00 sold, 500.00 of costs
    from coop.groups.models import Membership

    name = session.get(Membership, owing.membership_id).user.name
    login(client, treasurer.user.email)
    page = text(client.get(f"/groups/{group.id}/sales/{lot.id}/payout/{owing.membership_id}"))
    foot = page.split("<tfoot>", 1)[1].split("</tfoot>", 1)[0]
    assert f"{name} owes" in foot, foot
    owed = re.search(r'class="num total">([^<]*)<', foot).group(1)
    assert "−" not in owed and "-" not in owed and owed != "0.00 som", owed
    # what was not sold went back to her: said so to the treasurer, not "to you"
    assert "jars given back" in page and "given back to you" not in page


def test_a_lots_page_hands_out_only_what_the_lot_still_owes_her(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: her account held more than this lot's payout (from
    earlier lots), and 5 000 then 2 000 recorded on a lot whose payout to her
    was 3 777,55 all counted as this lot's: its sheet said the lot's cash was
    nearly all handed out while the other members had received nothing. A
    lot's page records at most what the lot still owes her, and her
    statement's entry names the lot."""
    group, treasurer, aigul, nurila, lot = sold_and_closed(session)
    ledger.adjust_member(session, aigul, amount=-100_000, reason="из прошлой продажи",
                         actor=treasurer.user)  # 1 000.00 more in her account
    session.commit()
    assert ledger.member_balance(session, aigul) == 452_800
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}/payout/{aigul.id}/cash"
    before = counts(session)
    refused = post(client, url, {"amount": "4000", "note": ""})
    assert refused.status_code == 422
    assert "Of this lot's payout, 3,528.00 som is still to be handed to her" in unescape(
        text(refused))
    assert counts(session) == before
    assert post(client, url, {"amount": "2000", "note": "при всех"}).status_code == 302
    # the same hand-out again (Back, a new key), now more than the lot owes her:
    # refused with what it owes, not first asked "record another?"
    same = post(client, url, {"amount": "2000", "note": "при всех"})
    assert same.status_code == 422 and "Record another?" not in text(same)
    assert "1,528.00 som is still to be handed" in text(same)
    assert post(client, url, {"amount": "1528", "note": ""}).status_code == 302
    again = post(client, url, {"amount": "1", "note": ""})
    assert again.status_code == 422 and "0.00 som is still to be handed" in text(again)
    sheet = services.payout_sheet(session, lot)
    assert sheet.line(aigul.id).handed == 352_800 and sheet.line(aigul.id).still_to_hand == 0
    assert sheet.line(nurila.id).handed == 0 and sheet.line(nurila.id).still_to_hand > 0
    assert ledger.member_balance(session, aigul) == 100_000  # the rest stays hers
    statement = text(client.get(f"/groups/{group.id}/accounts/{aigul.id}"))
    assert f"{services.lot_title(lot)}: при всех" in statement


def test_no_cash_is_handed_out_on_a_lot_still_open(client: FlaskClient,
                                                    session: Session) -> None:
    group, treasurer, aigul, _nurila, lot, _buyer = world(session)
    ledger.adjust_member(session, aigul, amount=-100_000, reason="из прошлой продажи",
                         actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    before = counts(session)
    refused = post(client, f"/groups/{group.id}/sales/{lot.id}/payout/{aigul.id}/cash",
                   {"amount": "10", "note": ""})
    assert refused.status_code == 422 and "0.00 som is still to be handed" in text(refused)
    assert counts(session) == before


def test_days_still_to_come_and_days_before_the_collection_are_refused(
        client: FlaskClient, session: Session) -> None:
    """Found on the walk: a sale dated next June was recorded (its money in the
    cash today, its line in every payout), and contributions brought on
    01.03.2027 and 01.03.2020 were taken for a lot collected in December
    2026. A day still to come is refused for a contribution, a sale and a
    cost; a contribution before the lot's collection starts, too."""
    from datetime import timedelta

    from coop.i18n import local_today

    group, treasurer, aigul, _nurila, lot, buyer = world(session)
    ledger.record_payment(session, aigul, amount=100_000, method="cash", reference="",
                          idempotency_key="paid-in-cash-000000000", actor=treasurer.user)
    session.commit()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    top, _first = lot.grades
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    before_start = (lot.period_from - timedelta(days=1)).isoformat()
    still_to_come = "This day is still to come: enter the day it happened."
    before = counts(session)
    for path, fields, refusal in (
            ("contributions", {"member": aigul.id, "grade": top.id, "quantity": "2",
                               "brought_on": tomorrow, "note": ""}, still_to_come),
            ("contributions", {"member": aigul.id, "grade": top.id, "quantity": "2",
                               "brought_on": before_start, "note": ""},
             "collection starts on"),
            ("sell", {"buyer": buyer.id, "sold_on": tomorrow, "note": "",
                      f"quantity_{top.id}": "1", f"price_{top.id}": "300"}, still_to_come),
            ("costs", {"kind": "transport", "name": "Такси", "amount": "150", "rule": "value",
                       "sale": "", "paid_on": tomorrow}, still_to_come)):
        refused = post(client, f"{url}/{path}", fields)
        assert refused.status_code == 422, (path, text(refused)[:2000])
        assert refusal in unescape(text(refused)), path
        assert counts(session) == before
    today = local_today().isoformat()
    assert post(client, f"{url}/contributions", {
        "member": aigul.id, "grade": top.id, "quantity": "2", "brought_on": today,
        "note": ""}).status_code == 302
    assert post(client, f"{url}/sell", {
        "buyer": buyer.id, "sold_on": today, "note": "", f"quantity_{top.id}": "1",
        f"price_{top.id}": "300"}).status_code == 302
