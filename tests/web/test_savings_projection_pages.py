"""The same 'if we shared out today' on every page of a cycle adopted
mid-way (spec/savings.md §4.3, §11): the member's passbook and its PDF, the
share-out page, its draft PDF and the cycle's page count the shares bought
on paper. The share-out page and its draft PDF used to run the engine
without the paper books: 150,00 of equity instead of 475,00."""

from __future__ import annotations

import io
import re
from datetime import date

from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.savings_factory import hold_plain_meeting, make_adopted_group


def _text(raw: str) -> str:
    return " ".join(raw.replace("\u00a0", " ").replace("\u202f", " ").split())


def _pdf_text(content: bytes) -> str:
    return _text(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def test_an_adopted_cycle_shows_the_same_projection_on_every_page(
        client: FlaskClient, session: Session) -> None:
    """After meeting 1: E = (4 + 2 from paper + 3) × 50,00 + 25,00 = 475,00;
    Айгүл's 5 of 9 shares give her 263,89, after the 105,00 she still owes
    from paper 158,89, of which 158,00 in cash."""
    world = make_adopted_group(session)
    hold_plain_meeting(session, world, date(2026, 3, 5), 1)
    session.commit()
    aigul = world.members[0]
    base = f"/groups/{world.group.id}/savings/{world.cycle.id}"
    login(client, world.memberships[0].user.email, PASSWORD)  # the member herself
    client.post("/language", data={"locale": "ru", "next": "/",
                                   "csrf_token": csrf_token(client, "/")})

    passbook = _text(client.get(f"{base}/passbooks/{aigul.id}").get_data(as_text=True))
    assert "263,89" in passbook and "475,00" in passbook and "158,89" in passbook, passbook

    response = client.get(f"{base}/passbooks/{aigul.id}.pdf")
    assert response.status_code == 200
    printed = _pdf_text(response.data)
    assert "263,89" in printed and "475,00" in printed, printed

    response = client.get(f"{base}/share-out")
    assert response.status_code == 200
    sheet = _text(response.get_data(as_text=True))
    assert "<dd>475,00 сом</dd>" in sheet and "<dd>9</dd>" in sheet, sheet
    row = re.sub(r"<[^>]+>", " ", sheet.split(f"1. {aigul.name}")[1].split("</tr>")[0])
    assert row.split() == ["5", "250,00", "сом", "13,89", "сом", "263,89", "сом", "105,00",
                           "сом", "158,00", "сом", "0,89", "сом"], row

    response = client.get(f"{base}/share-out.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = _pdf_text(response.data)
    assert "475,00" in pdf and "263,89" in pdf and "158,00" in pdf, pdf

    cycle = _text(client.get(base).get_data(as_text=True))
    assert "263,89" in cycle and "158,89" in cycle, cycle
