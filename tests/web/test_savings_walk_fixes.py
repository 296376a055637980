"""What a new user's walk through a savings cycle found: the meeting page and
its record PDF expect the same cash at the close after a recorded difference;
the passbook says what the share-out says she would be handed; the meeting
page's forms do not share element ids."""

from __future__ import annotations

import io
import re
from datetime import date
from html import unescape

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from coop.savings import services as savings
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.savings_factory import close, hold_meeting, make_savings_group


def _ru(client: FlaskClient) -> None:
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": csrf_token(client, "/")})


def _plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _page_text(html: str) -> str:
    return _plain(unescape(re.sub(r"<[^>]+>", " ", html)))


def _pdf_text(content: bytes) -> str:
    return _plain(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def test_the_record_expects_at_the_close_what_the_meeting_page_expects(
        client: FlaskClient, session: Session) -> None:
    """11,00 short in the loan bag, recorded at meeting 2: the page expects the
    close with the shortage in it, and so does the record PDF's "Closing:
    expected" cell, the count beside it, the shortage still listed."""
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    meeting = hold_meeting(session, world, 2, close_it=False)
    savings.add_difference(session, meeting, world.group, bag="loan", amount=-1100,
                           reason="не хватило")
    run = savings.check_meeting(session, meeting, world.group)
    cash = savings.expected_cash(run, meeting)
    savings.close_meeting(session, meeting, world.group, counts=savings.Counts(
        None, None, cash["loan"][1], cash["social"][1]),
        key_holder_ids=world.key_holder_ids, actor=world.treasurer.user)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    html = client.get(url).get_data(as_text=True)
    row = re.search(r"<tr><td>кредитный фонд</td>(.*?)</tr>", html)
    assert row, html[-4000:]
    cells = re.findall(r'data-label="([^"]*)">([^<]*)<', row.group(1))
    on_page = dict((label, _plain(unescape(value))) for label, value in cells)
    close = on_page["Должно быть в конце"].removesuffix(" сом")
    assert on_page["Пересчитано"].removesuffix(" сом") == close
    response = client.get(f"{url}/record.pdf")
    assert response.status_code == 200
    text = _pdf_text(response.data)
    # the row: expected at the opening (not counted then), expected at the close, counted
    found = re.search(r"Кредитный фонд ([\d ]+,\d\d) ([\d ]+,\d\d) ([\d ]+,\d\d)", text)
    assert found, text
    assert (found.group(2), found.group(3)) == (close, close), (found.groups(), on_page)
    assert "недостача 11,00" in text and "не хватило" in text, text


def _share_out_cash(html: str) -> dict[str, tuple[str, str]]:
    """The share-out page's rows: passbook no. -> (cash, coins to the social fund)."""
    rows = {}
    for no, row in re.findall(r"<tr><td>(\d+)\. [^<]*</td>(.*?)</tr>", html, re.S):
        cash = re.search(r'data-label="Наличными"><strong>([^<]*)</strong>', row)
        coins = re.search(r'data-label="Мелочь в социальный фонд">([^<]*)<', row)
        if cash and coins:
            rows[no] = (_plain(unescape(cash.group(1))), _plain(unescape(coins.group(1))))
    return rows


def test_the_passbook_says_the_cash_the_share_out_page_says(
        client: FlaskClient, session: Session) -> None:
    """'If we shared out today': the share-out page hands her the cash at the
    cycle's payout unit (1,00), the coins to the social fund; her passbook,
    page and PDF, say the same cash and coins, not the net before rounding."""
    world = make_savings_group(session)
    meeting = savings.open_meeting(session, world.cycle, world.group, day=date(2026, 3, 5),
                                   kind="regular", actor=world.treasurer.user)
    savings.save_register(session, meeting, world.group, [
        savings.RegisterLine(m.id, "present", shares=shares, social=True)
        for m, shares in zip(world.members, (1, 2, 3, 1, 2), strict=True)])
    late = next(t.id for t in world.cycle.fine_types if t.code == "late")
    savings.add_fine(session, meeting, world.group, member_id=world.members[0].id,
                     fine_type_id=late, amount=None, paid=True)  # 5,00 of income in 9 shares
    close(session, world, meeting)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    _ru(client)
    base = f"/groups/{world.group.id}/savings/{world.cycle.id}"
    rows = _share_out_cash(client.get(f"{base}/share-out").get_data(as_text=True))
    assert len(rows) == len(world.members), rows
    with_coins = [m for m in world.members if rows[str(m.passbook_no)][1] != "0,00 сом"]
    assert with_coins, rows  # the example leaves coins to someone
    for member in world.members:
        cash, coins = (figure.removesuffix(" сом") for figure in rows[str(member.passbook_no)])
        page = _page_text(client.get(f"{base}/passbooks/{member.id}").get_data(as_text=True))
        pdf = _pdf_text(client.get(f"{base}/passbooks/{member.id}.pdf").data)
        if member in with_coins:
            assert (f"{cash} сом ей выдали бы наличными, а {coins} сом мелочью ушли бы в "
                    "социальный фонд") in page, page
            assert f"{cash} сом вам выдали бы наличными" in pdf, pdf
            assert f"{cash} сом наличными и мелочь {coins} сом в социальный фонд" in pdf, pdf
        else:
            assert f"за вычетом её долгов — {cash} сом." in page, page
            assert "мелоч" not in page.lower() and "мелоч" not in pdf.lower(), pdf
        # a projection, with or without coins: never printed as a promise
        assert "Сумма меняется с каждым собранием до распределения." in pdf, pdf


def test_the_meeting_page_gives_every_element_its_own_id(
        client: FlaskClient, session: Session) -> None:
    """The open meeting's many forms (fine, grant, loan, difference, close…):
    no element id twice, so a label focuses its own form's field, each label
    inside the form of its field; the fields keep the names the views read."""
    world = make_savings_group(session)
    hold_meeting(session, world, 1)
    meeting = hold_meeting(session, world, 2, close_it=False)
    session.commit()
    login(client, world.treasurer.user.email, PASSWORD)
    url = f"/groups/{world.group.id}/savings/{world.cycle.id}/meetings/{meeting.id}"
    html = client.get(url).get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert repeated == [], repeated
    for form in re.findall(r"<form\b.*?</form>", html, re.S):
        inside = set(re.findall(r'\sid="([^"]+)"', form))
        for target in re.findall(r'<label for="([^"]+)"', form):
            assert target in inside, (target, form[:500])
    for name in ("amount", "reason", "member", "principal", "closing_loan", "bag", "version"):
        assert f'name="{name}"' in html, name
