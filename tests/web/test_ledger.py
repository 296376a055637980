from __future__ import annotations

import csv
import io
import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import services as ledger
from coop.ledger.models import Payment, Posting
from tests.conftest import login, post
from tests.factories import make_group, make_member


def _group(session: Session):  # type: ignore[no-untyped-def]
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    aigul = make_member(session, group, "Айгүл", locale="ky")
    nurila = make_member(session, group, "Нурила")
    ledger.adjust_member(session, aigul, amount=120000, reason="Весна", actor=treasurer.user)
    session.commit()
    return group, treasurer, aigul, nurila


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)


def test_treasurer_records_a_payment_once_even_if_sent_twice(client: FlaskClient,
                                                             session: Session) -> None:
    group, treasurer, aigul, _n = _group(session)
    login(client, treasurer.user.email)
    page = client.get(f"/groups/{group.id}/accounts/{aigul.id}").get_data(as_text=True)
    assert "Owes 1,200.00" in page.replace("\u00a0", " ")
    form = {"amount": "500", "method": "cash", "reference": "", "idempotency_key": _key(page)}
    first = post(client, f"/groups/{group.id}/accounts/{aigul.id}/payment", form)
    second = post(client, f"/groups/{group.id}/accounts/{aigul.id}/payment", form)
    assert first.status_code == second.status_code == 302
    assert "already recorded" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    assert ledger.member_balance(session, aigul) == -70000


def test_bad_payment_gets_a_message_and_writes_nothing(client: FlaskClient,
                                                       session: Session) -> None:
    group, treasurer, aigul, _n = _group(session)
    login(client, treasurer.user.email)
    page = client.get(f"/groups/{group.id}/accounts/{aigul.id}").get_data(as_text=True)
    before = session.scalar(select(func.count()).select_from(Posting))
    for amount, message in (("-5", "cannot be negative"), ("12,345", "at most 2 decimals"),
                            ("abc", "not a number"), ("1" + "0" * 20, "too large"),
                            ("0", "more than zero")):
        response = post(client, f"/groups/{group.id}/accounts/{aigul.id}/payment",
                        {"amount": amount, "method": "cash", "idempotency_key": _key(page)})
        assert response.status_code == 422, amount
        assert message in response.get_data(as_text=True), amount
    bad_method = post(client, f"/groups/{group.id}/accounts/{aigul.id}/payment",
                      {"amount": "5", "method": "gold", "idempotency_key": _key(page)})
    assert bad_method.status_code == 422
    assert session.scalar(select(func.count()).select_from(Posting)) == before


def test_member_sees_only_her_own_account(client: FlaskClient, session: Session) -> None:
    group, _t, aigul, nurila = _group(session)
    login(client, aigul.user.email)
    assert client.get(f"/groups/{group.id}/accounts").headers["Location"].endswith(
        f"/groups/{group.id}/accounts/{aigul.id}")
    own = client.get(f"/groups/{group.id}/accounts/{aigul.id}")
    assert own.status_code == 200 and "Record payment" not in own.get_data(as_text=True)
    assert client.get(f"/groups/{group.id}/accounts/{nurila.id}").status_code == 404
    assert client.get(f"/groups/{group.id}/accounts/{nurila.id}/statement.csv").status_code == 404
    assert client.get(f"/groups/{group.id}/fund").status_code == 403
    assert post(client, f"/groups/{group.id}/accounts/{aigul.id}/payment",
                {"amount": "5", "method": "cash", "idempotency_key": "x" * 30}).status_code == 403


def test_statement_csv_and_copy_text_in_her_language(client: FlaskClient,
                                                     session: Session) -> None:
    group, _t, aigul, _n = _group(session)
    login(client, aigul.user.email)
    response = client.get(f"/groups/{group.id}/accounts/{aigul.id}/statement.csv")
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[-1][3:5] == ["-1200,00", "-1200,00"]  # the group's Excel: a decimal comma
    page = client.get(f"/groups/{group.id}/accounts/{aigul.id}").get_data(as_text=True)
    copy = re.search(r'<textarea id="copy-text"[^>]*>([^<]*)</textarea>', page).group(1)
    assert aigul.user.name in copy and "1 200,00" in copy.replace("\u00a0", " ")
    assert "owe" not in copy  # Kyrgyz, her language


def test_write_off_reversal_and_reconciliation(client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, _n = _group(session)
    login(client, treasurer.user.email)
    response = post(client, f"/groups/{group.id}/accounts/{aigul.id}/write-off",
                    {"amount": "200", "reason": "Болезнь"})
    assert response.status_code == 302
    too_much = post(client, f"/groups/{group.id}/accounts/{aigul.id}/write-off",
                    {"amount": "5000", "reason": "x"})
    assert too_much.status_code == 422 and "owes only" in too_much.get_data(as_text=True)
    no_reason = post(client, f"/groups/{group.id}/accounts/{aigul.id}/write-off",
                     {"amount": "1", "reason": ""})
    assert no_reason.status_code == 422
    posting = session.scalar(select(Posting).where(Posting.kind == "write_off"))
    reversed_ = post(client, f"/groups/{group.id}/accounts/{aigul.id}/postings/{posting.id}/"
                     "reverse", {"reason": "ошибка"})
    assert reversed_.status_code == 302
    assert ledger.member_balance(session, aigul) == -120000
    accounts = client.get(f"/groups/{group.id}/accounts").get_data(as_text=True)
    assert "The books balance" in accounts
    fund = client.get(f"/groups/{group.id}/fund").get_data(as_text=True)
    assert "Debt written off" in fund and "Reversal" in fund


def test_another_groups_posting_cannot_be_reversed(client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, _n = _group(session)
    other_group, _other_treasurer, _other_member, _x = _group(session)
    login(client, treasurer.user.email)
    foreign = session.scalar(select(Posting).where(Posting.group_id == other_group.id))
    response = post(client, f"/groups/{group.id}/accounts/{aigul.id}/postings/{foreign.id}/"
                    "reverse", {"reason": "x"})
    assert response.status_code == 422
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.reverses_id == foreign.id)) == 0


def test_an_entry_is_reversed_only_from_its_own_members_statement(
        client: FlaskClient, session: Session) -> None:
    """The reversal URL names a member: another member's entry (or a group
    entry) is refused there, so nothing is reversed from the wrong statement."""
    group, treasurer, aigul, nurila = _group(session)
    login(client, treasurer.user.email)
    aiguls = session.scalar(select(Posting).where(Posting.kind == "adjustment",
                                                  Posting.membership_id == aigul.id))
    response = post(client, f"/groups/{group.id}/accounts/{nurila.id}/postings/{aiguls.id}/"
                    "reverse", {"reason": "ошибка"})
    assert response.status_code == 422
    assert "no such entry" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Posting).where(
        Posting.reverses_id == aiguls.id)) == 0
    assert ledger.member_balance(session, aigul) == -120000
    # from her own statement it is reversed
    own = post(client, f"/groups/{group.id}/accounts/{aigul.id}/postings/{aiguls.id}/reverse",
               {"reason": "ошибка"})
    assert own.status_code == 302 and ledger.member_balance(session, aigul) == 0


def _row(page: str, posting_id: int) -> str:
    return re.search(rf'<tr id="entry-{posting_id}">(.*?)</tr>', page, re.S).group(1)


def test_a_reversed_entry_says_so_and_offers_no_second_reversal(client: FlaskClient,
                                                                session: Session) -> None:
    group, treasurer, aigul, _n = _group(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/accounts/{aigul.id}"
    assert post(client, f"{url}/payment", {"amount": "500", "method": "cash"}).status_code == 302
    payment = session.scalar(select(Posting).where(Posting.kind == "payment"))
    charge = session.scalar(select(Posting).where(Posting.kind == "adjustment"))
    reverse_payment = f"{url}/postings/{payment.id}/reverse"
    assert f'action="{reverse_payment}"' in client.get(url).get_data(as_text=True)
    assert post(client, reverse_payment, {"reason": "ошибка"}).status_code == 302
    reversal = session.scalar(select(Posting).where(Posting.reverses_id == payment.id))

    page = client.get(url).get_data(as_text=True)
    # neither can be reversed (again); the charge, not reversed, still can
    assert f'action="{reverse_payment}"' not in page
    assert f'action="{url}/postings/{reversal.id}/reverse"' not in page
    assert f'action="{url}/postings/{charge.id}/reverse"' in _row(page, charge.id)
    reversed_row, mirror_row = _row(page, payment.id), _row(page, reversal.id)
    assert "reversed on" in reversed_row and f'href="#entry-{reversal.id}"' in reversed_row
    assert "reverses the entry of" in mirror_row and f'href="#entry-{payment.id}"' in mirror_row
    assert "reversed on" not in _row(page, charge.id)
    # a period that may hide the other entry links to the whole statement
    since = client.get(f"{url}?from=2000-01-01").get_data(as_text=True)
    assert f'href="{url}#entry-{reversal.id}"' in _row(since, payment.id)

    count = select(func.count()).select_from(Posting)
    before = session.scalar(count)
    again = post(client, reverse_payment, {"reason": "ещё раз"})
    assert again.status_code == 422 and "already reversed" in again.get_data(as_text=True)
    twice = post(client, f"{url}/postings/{reversal.id}/reverse", {"reason": "ещё раз"})
    assert twice.status_code == 422 and "cannot be reversed" in twice.get_data(as_text=True)
    assert session.scalar(count) == before
    assert ledger.member_balance(session, aigul) == -120000


def test_a_payment_far_beyond_what_she_owes_is_asked_first(client: FlaskClient,
                                                          session: Session) -> None:
    """Found on the walk: 1,000,000,000 som was recorded as typed. A payment
    beyond her debt and what her open orders could cost is asked first, with
    the credit it would leave; recorded when confirmed, once."""
    group, treasurer, aigul, _n = _group(session)  # she owes 1,200.00
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/accounts/{aigul.id}/payment"
    form = {"amount": "1000000000", "method": "cash", "reference": "",
            "idempotency_key": "big-payment-key-00001"}
    asked = post(client, url, form)
    page = asked.get_data(as_text=True).replace("\u00a0", " ")
    assert asked.status_code == 200 and "Record it anyway?" in page, page[:2000]
    assert "owes 1,200.00 som" in page and "999,998,800.00 som in credit" in page
    assert session.scalar(select(func.count()).select_from(Payment)) == 0
    for _ in range(2):
        assert post(client, url, {**form, "confirm_again": "1"}).status_code == 302
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    # Nurila owes nothing and orders nothing: even 0.01 is an advance, asked
    nurila = _n
    small = post(client, f"/groups/{group.id}/accounts/{nurila.id}/payment",
                 {"amount": "0.01", "method": "cash", "idempotency_key": "small-key-000000001"})
    assert small.status_code == 200 and "Record it anyway?" in small.get_data(as_text=True)


def test_a_payment_of_what_she_owes_is_not_asked(client: FlaskClient, session: Session) -> None:
    group, treasurer, aigul, _n = _group(session)  # she owes 1,200.00
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/accounts/{aigul.id}/payment"
    paid = post(client, url, {"amount": "1200", "method": "cash",
                              "idempotency_key": "exact-key-0000000001"})
    assert paid.status_code == 302
    assert ledger.member_balance(session, aigul) == 0


def test_the_csv_pdf_and_api_show_a_reversal_as_the_page_does(client: FlaskClient,
                                                              session: Session) -> None:
    """Found on the walk: the statement page marks a reversed entry and its
    reversal, but the CSV, the PDF and the API did not say so."""
    from pypdf import PdfReader

    from tests.factories import make_api_token

    group, treasurer, aigul, _n = _group(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/accounts/{aigul.id}"
    assert post(client, f"{url}/payment", {"amount": "500", "method": "cash"}).status_code == 302
    payment = session.scalar(select(Posting).where(Posting.kind == "payment"))
    assert post(client, f"{url}/postings/{payment.id}/reverse",
                {"reason": "ошибка"}).status_code == 302
    reversal = session.scalar(select(Posting).where(Posting.reverses_id == payment.id))
    year = str(payment.created_at.year)

    sheet = client.get(f"{url}/statement.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(sheet), delimiter=";" if ";" in sheet else ","))
    notes = {row[1]: row[2] for row in rows[1:]}
    assert notes["Payment"].startswith("reversed on") and year in notes["Payment"], notes
    assert notes["Reversal"].startswith("ошибка · reverses the entry of"), notes

    pdf = client.get(f"{url}/statement.pdf")
    assert pdf.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    # her statement prints in her language (ky)
    assert "жокко чыгарылган" in text, text[:2000]  # "reversed on …"

    token = make_api_token(session, treasurer.user)
    session.commit()
    body = client.get(f"/api/v1/groups/{group.id}/accounts/{aigul.id}/statement",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[payment.id]["reversed_by_id"] == reversal.id
    assert by_id[reversal.id]["reverses_id"] == payment.id
    assert by_id[reversal.id]["reversed_by_id"] is None


def test_a_refused_form_comes_back_as_typed_on_her_statement(client: FlaskClient,
                                                             session: Session) -> None:
    """Found on the walk: a refused money form showed an error page and lost
    what was typed. It comes back on her statement, filled in, with the error
    by its field and nothing recorded."""
    group, treasurer, aigul, _n = _group(session)
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/accounts/{aigul.id}"
    before = session.scalar(select(func.count()).select_from(Posting))
    refused = post(client, f"{url}/payment", {"amount": "12,345", "method": "mobile",
                                              "reference": "Кв-77"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Nothing was recorded" in page and "at most 2 decimals" in page
    assert 'value="12,345"' in page and 'value="Кв-77"' in page
    assert re.search(r'<option selected value="mobile">|<option value="mobile" selected', page)
    assert "Account of Айгүл" in page  # her statement, not an error page
    written_off = post(client, f"{url}/write-off", {"amount": "5000", "reason": "Болезнь"})
    page = written_off.get_data(as_text=True)
    assert written_off.status_code == 422 and "owes only" in page and 'value="Болезнь"' in page
    assert session.scalar(select(func.count()).select_from(Posting)) == before


def test_the_statements_links_have_dots_only_between_them(client: FlaskClient,
                                                         session: Session) -> None:
    """Her statement's links (CSV, PDF, invoices): the dots between them stood
    in the period form as words of their own, and on a phone each one was left
    at a line's end («Боргирии CSV · / Боргирии PDF ·»). The links are now a
    list, and the list's style draws a dot between two links on one line."""
    group, _t, aigul, _n = _group(session)
    aigul.user.locale = "tg"
    session.commit()
    login(client, aigul.user.email)
    page = client.get(f"/groups/{group.id}/accounts/{aigul.id}").get_data(as_text=True)
    form = re.search(r'<form method="get" class="period">(.*?)</form>', page, re.S).group(1)
    assert "·" not in form and "&middot;" not in form and "&#183;" not in form
    links = re.search(r'<ul class="links">(.*?)</ul>', form, re.S).group(1)
    assert re.findall(r"<li><a href=\"[^\"]+\">([^<]+)</a></li>", links) == [
        "Боргирии CSV", "Боргирии PDF", "Ҳисобномаҳо ва кредит-нотаҳо"]
    assert re.sub(r"<li>.*?</li>", "", links, flags=re.S).strip() == ""  # nothing else in it
    style = client.get("/static/coop.css").get_data(as_text=True)
    assert 'ul.links>li::before{content:"·"' in style
