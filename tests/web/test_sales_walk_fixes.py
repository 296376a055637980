"""What a new user's walk of a joint sale found (a treasurer and a member, in
Russian): the closing table adds up across and down with a seed loan
withheld; a member can reproduce her share from her page and her PDF; a unit
price finer than the tyiyn is refused; each column says what it holds and each
message is said once."""

from __future__ import annotations

import io
import re
from datetime import date
from html import unescape

from flask import Flask
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import domain, explain
from coop.sales import services as sales
from coop.sales.models import Sale
from tests.conftest import post
from tests.factories import make_buyer, make_sale_lot
from tests.web.test_sales_pages import counts, text
from tests.web.test_sales_pages import world as sales_world
from tests.web.test_season_pages import signed_in
from tests.web.test_season_pages import world as season_world


def minor(money_text: str) -> int:
    return int(re.sub(r"[^\d-]", "", money_text.replace("−", "-")))


def som(amount: int) -> str:
    """An amount as a Russian page prints it, spaces plain."""
    with force_locale("ru"):
        return explain.fmt_money(amount, "KGS").replace("\u00a0", " ").replace("\u202f", " ")


def pdf_text(content: bytes) -> str:
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"\s+", " ", words.replace("\u00a0", " ").replace("\u202f", " "))


def walked_lot(session: Session):  # type: ignore[no-untyped-def]
    """The walk's lot: dried apricots by the kilogram in two grades (0.8 for the
    second), Aigul with a seed loan to repay from her payout, sold at 266,67 a
    kilogram of the second grade, a transport cost by value; closed."""
    w = season_world(session)
    lot = make_sale_lot(session, w.group, w.treasurer, product="Урюк", unit="kg", step="0.1",
                        grades=(("первый сорт", "1"), ("второй сорт", "0.8")),
                        levy_basis_points=200)
    first, second = lot.grades
    for woman, grade, kilos in ((w.aigul, first, "12.4"), (w.aigul, second, "7.1"),
                                (w.nurila, first, "9.3"), (w.nurila, second, "4.9")):
        sales.record_contribution(session, lot, woman, grade_id=grade.id, quantity=q(kilos),
                                  actor=w.treasurer.user, brought_on=date(2026, 8, 10))
    buyer = make_buyer(session, w.group)
    sales.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                      lines={first.id: (q("21.7"), p("333.33")),
                             second.id: (q("12"), p("266.67"))}, actor=w.treasurer.user)
    sales.add_cost(session, lot, kind="transport", name="Такси", amount=35000, rule="value",
                   actor=w.treasurer.user, paid_on=date(2026, 9, 1), overdraw=True)
    sales.add_cost(session, lot, kind="packaging", name="Мешки", amount=10001, rule="equal",
                   actor=w.treasurer.user, paid_on=date(2026, 9, 1), overdraw=True)
    sales.close_lot(session, lot, w.treasurer.user, unsold_actions={})
    session.commit()
    w.lot, w.url = lot, f"/groups/{w.group.id}/sales/{lot.id}"
    return w


def sheet_rows(page: str) -> dict[str, list[int]]:
    sheet = page.split('id="payout-sheet"')[1].split("</thead>")[1].split("</table>")[0]
    rows = {}
    for tr in re.split(r"<tr[^>]*>", sheet)[1:]:
        name = re.sub(r"<[^>]+>", " ", tr.split("</td>")[0].split("</th>")[0]).split()
        rows[" ".join(name)] = [minor(x) for x in
                                re.findall(r'class="num[^"]*"[^>]*>([^<]+)<', tr)]
    return rows


def test_the_closing_table_adds_up_across_and_down_with_a_seed_loan_withheld(
        app_ctx: Flask, session: Session) -> None:
    w = walked_lot(session)
    line = sales.payout_sheet(session, w.lot).line(w.aigul.id)
    assert line is not None and line.seed_loans > 0
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    page = text(treasurer.get(f"{w.url}/close"))
    assert "Займы семенами (в фонд)" in page.split('id="payout-sheet"')[1].split("</thead>")[0]
    rows = sheet_rows(page)
    aigul = next(v for k, v in rows.items() if w.aigul.user.name in k and "Итого" not in k)
    payout, withheld, set_off, cash, _handed, _still = aigul
    assert (payout, withheld, set_off, cash) == (line.entitled, line.seed_loans, line.set_off,
                                                 line.cash_due)
    total = rows["Итого"]
    for row in [*rows.values()]:
        assert row[0] == row[1] + row[2] + row[3], row  # across
    members = [v for k, v in rows.items() if k != "Итого"]
    assert total == [sum(col) for col in zip(*members, strict=True)]  # down
    assert "сначала погашен заём" not in page  # no longer a note beside her name
    pdf = pdf_text(treasurer.get(f"{w.url}/payout-sheet.pdf").data)
    assert "Займы семенами (в фонд)" in pdf
    assert som(total[1]) in pdf.split("Итого")[1]


def test_her_page_and_pdf_explain_her_share_to_the_tyiyn(app_ctx: Flask,
                                                         session: Session) -> None:
    w = walked_lot(session)
    view = sales.compute_split(session, w.lot)
    mine = view.split.member(w.aigul.id)
    assert mine is not None
    working = domain.value_share(view.split, mine)
    assert working is not None and working.rounding != 0  # the walk's case: a tyiyn moved
    assert working.by_value == view.split.revenue - view.split.levy - 35000
    assert abs(working.exact - working.share) < 1
    aigul = signed_in(app_ctx, w.aigul.user.email)
    page = text(aigul.get(f"{w.url}/payout/{w.aigul.id}"))
    said = page.split('id="share-working"')[1].split("</ol>")[0]
    net, share = som(working.by_value), som(working.share)
    assert f"= {net}" in said and "Точная доля" in said and "…" in said
    assert ("Округлено вверх до " if working.rounding > 0 else "Округлено вниз до ") + share \
        in said
    assert "Единиц стоимости" in page and ">Стоимость<" not in page
    pdf = pdf_text(aigul.get(f"{w.url}/payout/{w.aigul.id}/statement.pdf").data)
    for sentence in re.findall(r"<li>([^<]+)</li>", said):
        assert unescape(sentence).replace("  ", " ") in pdf, (sentence, pdf[:1500])
    assert "× 266,67 сом" in pdf and "× 333,33 сом" in pdf  # the prices her page shows
    assert "за закупки" not in pdf and "долг группе" in pdf


def test_a_unit_price_finer_than_the_tyiyn_is_refused_once_and_nothing_is_written(
        app_ctx: Flask, session: Session) -> None:
    group, treasurer, _aigul, _nurila, lot, buyer = sales_world(session)
    top, first = lot.grades
    client = signed_in(app_ctx, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    before = counts(session)
    sale = {"buyer": buyer.id, "sold_on": "2026-09-01", f"quantity_{first.id}": "",
            f"price_{first.id}": "", f"quantity_{top.id}": "3", f"price_{top.id}": "333,333"}
    response = post(client, f"{url}/sell", sale)
    page = text(response)
    assert response.status_code == 422
    assert page.count("at most 2 decimals, as money has") == 1, page
    assert counts(session) == before
    response = post(client, f"{url}/sell", {**sale, f"price_{top.id}": "333,33"})
    assert response.status_code == 302
    session.expire_all()
    assert session.scalar(select(Sale).order_by(Sale.id.desc())).revenue == 99999  # type: ignore[union-attr]


def test_a_sale_refused_says_why_once(app_ctx: Flask, session: Session) -> None:
    group, treasurer, _aigul, _nurila, lot, buyer = sales_world(session)
    top, first = lot.grades
    client = signed_in(app_ctx, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    sale = {"buyer": buyer.id, "sold_on": "2026-09-01", f"quantity_{first.id}": "",
            f"price_{first.id}": ""}
    for too_much, message in (("37", "holds only 36"), ("-2", "cannot be negative")):
        response = post(client, f"{url}/sell", {**sale, f"quantity_{top.id}": too_much,
                                                f"price_{top.id}": "100"})
        assert response.status_code == 422 and text(response).count(message) == 1, too_much


def test_each_message_and_heading_is_said_once(
        app_ctx: Flask, session: Session) -> None:
    group, treasurer, aigul, _nurila, lot, _buyer = sales_world(session)
    top = lot.grades[0]
    treasurer.user.locale = "ru"
    session.commit()
    client = signed_in(app_ctx, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    response = post(client, f"{url}/contributions", {"member": aigul.id, "grade": top.id,
                                                     "quantity": "-3"})
    page = text(response)
    assert response.status_code == 422
    assert "Количество не может быть отрицательным." in page
    assert "Количество: Количество" not in page
    payout = text(client.get(f"{url}/payout/{aigul.id}"))
    assert payout.count("Скопировать как текст") == 1
    close = text(client.get(f"{url}/close"))
    assert "Доля стоимости, %" in close and ">Стоимость<" not in close


def test_hand_out_note_names_the_debt_to_the_group(app_ctx: Flask, session: Session) -> None:
    w = walked_lot(session)
    treasurer = signed_in(app_ctx, w.treasurer.user.email)
    page = text(treasurer.get(f"{w.url}/payout/{w.aigul.id}"))
    assert "за закупки" not in page and "Её долг группе, за что бы он ни был" in page
