"""The ★ in "What each member would pay", on the comparison page and in its PDF:
one rule, in the quotes service, for both. With one complete offer (Альфа) and
one incomplete (Бета: no fabric, which its column takes at the catalog's list
price, with no delivery for it), Бета's column is the lowest for every member,
yet it is no choice the group has: it never gets the ★, and both the page and
the PDF say next to its figures why they are not what members would pay."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy.orm import Session

from coop.i18n import fmt_money
from coop.quotes import domain
from coop.quotes import services as quotes
from tests.conftest import login
from tests.integration.test_award import TODAY, _two_offers
from tests.integration.test_documents import flat, pdf_text

NOTE_RU = "неполное: остальное по ценам каталога"
EXPLAINED_RU = ("Неполное предложение: недостающие товары посчитаны по ценам каталога, "
                "без доставки. Участницы столько не заплатят.")


def _world(session: Session):  # type: ignore[no-untyped-def]
    """Альфа complete, Бета incomplete and the lowest in every member's row."""
    w, qa, qb = _two_offers(session)
    result = quotes.compare_quotes(session, w.rnd, today=TODAY)
    for row in result.members:  # what makes the case: Бета is below every real choice
        real = [row.totals[qa.id], *row.plans.values()]
        assert row.totals[qb.id] < min(real), row
    return w, qa, qb, result


def _money(amount: int) -> str:
    with force_locale("ru"):
        return flat(fmt_money(amount, "KGS"))


class _Cells(HTMLParser):
    """The rows of table.members-by-quote: each cell as (class, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str]]] = []
        self._in_table = False
        self._cell: list[str] | None = None
        self._class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "members-by-quote" in (found.get("class") or ""):
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell, self._class = [], found.get("class") or ""
        elif self._cell is not None and tag == "span":
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append((self._class, flat("".join(self._cell))))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_the_service_never_gives_the_star_to_an_incomplete_offer(session: Session) -> None:
    _w, qa, qb, result = _world(session)
    assert result.caveats(qb.id) == (domain.INCOMPLETE,) and result.caveats(qa.id) == ()
    assert [o.key for o in result.member_columns] == [qa.id, qb.id]
    for row in result.members:
        assert row.cheapest, row
        assert qb.id not in row.cheapest
        shown = {qa.id: row.totals[qa.id],
                 **{name: row.plans[name] for name in result.plan_columns}}
        assert row.cheapest == {key for key, value in shown.items()
                                if value == min(shown.values())}


def test_an_expired_offer_gets_no_star_and_says_so(session: Session) -> None:
    w, qa, qb, _result = _world(session)
    later = TODAY.replace(day=TODAY.day + 1)
    qa.latest.valid_until = TODAY
    result = quotes.compare_quotes(session, w.rnd, today=later)
    assert result.caveats(qa.id) == (domain.EXPIRED,)
    assert result.caveats(qb.id) == (domain.INCOMPLETE,)
    assert all(not row.cheapest for row in result.members)  # no real choice is left


def test_page_and_pdf_mark_the_incomplete_offer_and_star_the_same_figures(
        client: FlaskClient, session: Session) -> None:
    w, qa, qb, result = _world(session)
    w.treasurer.user.locale = "ru"
    session.commit()
    login(client, w.treasurer.user.email)
    base = f"/groups/{w.group.id}/rounds/{w.rnd.id}/quotes"
    page = client.get(f"{base}/compare")
    assert page.status_code == 200
    parser = _Cells()
    parser.feed(page.get_data(as_text=True))
    head, *body, foot = parser.rows
    names = [text for _class, text in head]
    beta = next(i for i, text in enumerate(names) if text.startswith(qb.supplier.name))
    alpha = names.index(qa.supplier.name)  # a complete offer: no caveat in its head
    assert EXPLAINED_RU in names[beta]
    assert [row[0][1] for row in body] == [row.name for row in result.members]
    starred_on_page = []
    for cells, row in zip(body, result.members, strict=True):
        klass, text = cells[beta]
        assert "best" not in klass and "★" not in text
        assert text == f"{_money(row.totals[qb.id])} {NOTE_RU}"
        assert "★" not in cells[1][1] and "best" not in cells[1][0]  # catalog list prices
        starred = [(i, text) for i, (klass, text) in enumerate(cells) if "★" in text]
        assert starred and all("best" in cells[i][0] for i, _text in starred)
        assert all(i != beta for i, _text in starred)
        starred_on_page += [text for _i, text in starred]
    assert foot[beta][1] == f"{_money(result.members_total[qb.id])} {NOTE_RU}"
    assert NOTE_RU not in foot[alpha][1]
    assert "★ — самая низкая сумма участницы" in page.get_data(as_text=True)  # explained

    pdf = client.get(f"{base}/comparison.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.get_data())
    members_part = text.split("Сколько заплатит каждая участница", 1)[1]
    assert flat(EXPLAINED_RU) in members_part
    for row in result.members:
        figure = _money(row.totals[qb.id])
        assert f"★ {figure}" not in members_part
        assert f"{figure} {NOTE_RU}" in members_part
    assert f"{_money(result.members_total[qb.id])} {NOTE_RU}" in members_part
    # the PDF stars exactly the figures the page stars, member by member
    starred_in_pdf = re.findall(r"★ [\d ]+,\d\d сом", members_part)
    assert starred_in_pdf == starred_on_page
