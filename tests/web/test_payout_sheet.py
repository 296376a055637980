"""Closing a lot asks first (each member's payout, the debt set off, the cash to
hand her); a second close does nothing; the payout sheet (page and PDF) shows
entitlement, set-off and cash handed over and agrees with the books; the lot
is "payouts credited" until the cash is handed over, then "paid out"."""

from __future__ import annotations

import io
import re
from datetime import date

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.quantities import parse_price as p
from coop.quantities import parse_quantity as q
from coop.sales import services
from coop.sales.models import SaleLot
from tests.conftest import login, post
from tests.web.test_sales_pages import text, world


def owing_world(session: Session):  # type: ignore[no-untyped-def]
    """world() with 36 jars of the top grade sold at 100 and Aigul owing 500.00
    for a purchase (an adjustment in her account)."""
    group, treasurer, aigul, nurila, lot, buyer = world(session)
    top, _first = lot.grades
    services.record_sale(session, lot, buyer_id=buyer.id, sold_on=date(2026, 9, 1),
                         lines={top.id: (q("36"), p("100"))}, actor=treasurer.user)
    accounts = ledger.group_accounts(session, group)
    ledger.post(session, group, debit=ledger.member_account(session, aigul),
                credit=accounts.suppliers, amount=50000, kind="adjustment", memo="seed",
                actor=treasurer.user, membership_id=aigul.id)
    session.commit()
    return group, treasurer, aigul, nurila, lot


def figures(page: str) -> str:
    return re.search(r'name="figures" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]


def row(page: str, name: str) -> list[str]:
    sheet = page.split('id="payout-sheet"')[1].split("</table>")[0]
    line = next(tr for tr in sheet.split("<tr>") if name in tr)
    return re.findall(r'class="num[^"]*"[^>]*>([^<]+)<', line)


def digits(money_text: str) -> int:
    return int(re.sub(r"[^\d-]", "", money_text))


def test_close_shows_set_off_then_the_sheet_agrees_with_the_books(client: FlaskClient,
                                                                   session: Session) -> None:
    group, treasurer, aigul, nurila, lot = owing_world(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/sales/{lot.id}"
    preview = text(client.get(f"{url}/close"))
    entitled, set_off, cash = map(digits, row(preview, aigul.user.name))
    assert entitled == 117600  # 1200.00 of sales less the 2 % levy
    assert (set_off, cash) == (50000, 67600)
    assert list(map(digits, row(preview, nurila.user.name)))[1] == 0
    closed = post(client, f"{url}/close", {"figures": figures(preview)})
    assert closed.status_code == 303
    again = post(client, f"{url}/close", {"figures": figures(preview)})  # the second click
    assert again.status_code == 303
    assert "closed already; nothing was done again" in text(client.get(again.headers["Location"]))
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.kind == "payout")) == 2
    assert ledger.member_balance(session, aigul) == 67600  # the books: payout less her debt

    sheet = text(client.get(f"{url}/close"))
    assert "closed, payouts credited" in sheet and "paid out" not in sheet.split("<h1>")[1][:200]
    assert list(map(digits, row(sheet, aigul.user.name))) == [117600, 50000, 67600, 0, 67600]
    pdf = client.get(f"{url}/payout-sheet.pdf")
    assert pdf.status_code == 200
    words = " ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(pdf.data)).pages)
    words = words.replace("\u00a0", " ").replace("\u202f", " ")
    assert aigul.user.name in words
    assert "Ведомость выплат" in words  # in the group's language
    bare = re.sub(r"[\s.,]", "", words)
    for amount in ("117600", "50000", "67600"):  # payout, set off, cash to hand over
        assert amount in bare

    # the treasurer hands over the cash: the lot is paid out
    page = text(client.get(f"{url}/payout/{aigul.id}"))
    assert f"Payout to {aigul.user.name}" in page and "Your payout" not in page
    message = page.split('id="copy-text"')[1].split("</textarea>")[0]  # in her Russian
    assert "Зачтено в счёт вашего долга группе: −500,00" in message
    assert "Вам наличными: 676,00" in message
    cash_table = page.split('id="payout-cash"')[1].split("</table>")[0]
    assert [digits(x) for x in re.findall(r'class="num[^"]*"[^>]*>([^<]+)<', cash_table)] == [
        117600, -50000, 67600, 0, 67600]
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    post(client, f"{url}/payout/{aigul.id}/cash", {"amount": "676", "note": "",
                                                  "idempotency_key": key})
    sheet = text(client.get(f"{url}/close"))
    assert "closed, payouts credited" in sheet  # Nurila's cash is not handed over yet
    nurila_cash = row(sheet, nurila.user.name)[2]
    page = text(client.get(f"{url}/payout/{nurila.id}"))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    post(client, f"{url}/payout/{nurila.id}/cash", {"amount": nurila_cash.split(" ")[0]
                                                   .replace(",", ""), "note": "",
                                                   "idempotency_key": key})
    sheet = text(client.get(f"{url}/close"))
    assert "closed, paid out" in sheet
    assert "closed, paid out" in text(client.get(f"/groups/{group.id}/sales"))
    session.expire_all()
    assert ledger.member_balance(session, aigul) == ledger.member_balance(session, nurila) == 0
    statement = client.get(f"{url}/payout/{aigul.id}/statement.pdf")
    words = " ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(statement.data)).pages)
    assert "Зачтено в счёт долга" in words and "Выдано наличными" in words  # her locale
    assert "67600" in re.sub(r"[\s.,]", "", words)


def test_close_needs_the_figures_seen_and_refuses_a_member(client: FlaskClient,
                                                           session: Session) -> None:
    group, treasurer, aigul, _nurila, lot = owing_world(session)
    url = f"/groups/{group.id}/sales/{lot.id}"
    login(client, aigul.user.email)
    assert post(client, f"{url}/close", {"figures": "x"}).status_code == 403
    client.post("/logout", data={})
    login(client, treasurer.user.email)
    unseen = post(client, f"{url}/close", {})
    assert unseen.status_code == 422 and "Check the payouts below" in text(unseen)
    stale = post(client, f"{url}/close", {"figures": "0" * 20})
    assert stale.status_code == 409 and "The figures changed" in text(stale)
    session.expire_all()
    assert session.get(SaleLot, lot.id).state == "open"
