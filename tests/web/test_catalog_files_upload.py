"""The catalog page and `flask coop import-catalog` take the files people
have: Windows-1251 CSV, Excel's "Unicode text", .xlsx; all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.suppliers.models import Product
from tests.conftest import login, post
from tests.factories import make_group, make_member, make_supplier
from tests.unit.test_catalog_files import DATA, HEADER, ROWS, xlsx

UPLOADS = [("windows-1251.csv", (DATA / "windows-1251.csv").read_bytes()),
           ("Каталог.txt", (DATA / "unicode-text.txt").read_bytes()),
           ("Каталог.xlsx", xlsx([HEADER, *ROWS])),
           ("utf8-bom.csv", (DATA / "utf8-bom.csv").read_bytes())]


def _products(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    return list(session.execute(select(Product.article_code, Product.name)
                                .order_by(Product.article_code)).all())


@pytest.mark.parametrize(("filename", "data"), UPLOADS)
def test_treasurer_uploads_the_file_her_spreadsheet_saved(
        client: FlaskClient, session: Session, filename: str, data: bytes) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    supplier = make_supplier(session, group)
    session.commit()
    login(client, treasurer.user.email)
    url = f"/groups/{group.id}/suppliers/{supplier.id}/import"
    response = post(client, url, {"file": (io.BytesIO(data), filename)},
                    content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert [tuple(r) for r in _products(session)] == [("NPK-16", "Нитроаммофоска 16:16:16 — мешок"),
                                  ("SEED-01", "Семена моркови «Нантская»"),
                                  ("TOOL-07", "Кетмень")]
    page = client.get(f"/groups/{group.id}/suppliers/{supplier.id}").get_data(as_text=True)
    assert "Кетмень" in page and "from 50 kilograms: 42.00" in page and "48.50" in page


def test_a_bad_line_in_a_workbook_imports_nothing_and_names_the_row(
        client: FlaskClient, session: Session) -> None:
    group = make_group(session)
    treasurer = make_member(session, group, "Майрам", role="treasurer")
    supplier = make_supplier(session, group)
    session.commit()
    login(client, treasurer.user.email)
    data = xlsx([HEADER, *ROWS, ["BAD-1", "Лопата", "шт", 1, 1, 1, None, "0=abc"]])
    response = post(client, f"/groups/{group.id}/suppliers/{supplier.id}/import",
                    {"file": (io.BytesIO(data), "Каталог.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Nothing was imported" in text and "line 5, цены" in text
    assert _products(session) == []


def _count(session: Session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Product)) or 0


def test_the_cli_imports_windows_1251_and_xlsx(runner, session: Session,  # type: ignore[no-untyped-def]
                                               tmp_path: Path) -> None:
    supplier = make_supplier(session, make_group(session))
    session.commit()
    result = runner.invoke(args=["coop", "import-catalog", str(supplier.id),
                                 str(DATA / "windows-1251.csv")])
    assert result.exit_code == 0, result.output
    assert "3 added, 0 updated, 0 unchanged" in result.stdout
    book = tmp_path / "Каталог.xlsx"
    book.write_bytes(xlsx([HEADER, *[[*row[:6], row[6], "0=1"] for row in ROWS]]))
    result = runner.invoke(args=["coop", "import-catalog", str(supplier.id), str(book)])
    assert result.exit_code == 0, result.output
    assert "0 added, 3 updated, 0 unchanged" in result.stdout
    result = runner.invoke(args=["coop", "import-catalog", str(supplier.id),
                                 str(DATA / "unicode-text-bad-line-5.txt")])
    assert result.exit_code == 2
    assert "line 5, цены" in result.stderr
    assert _count(session) == 3
