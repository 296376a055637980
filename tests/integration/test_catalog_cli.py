"""`flask coop import-catalog SUPPLIER_ID FILE`."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.suppliers.models import Product
from tests.factories import make_group, make_supplier

HEADER = "article_code;name;unit;pack_size;granularity;weight_kg;retail_price;tiers"


def write(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "catalog.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode())
    return str(path)


def products(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Product)) or 0


def test_cli_imports_and_commits(runner, session: Session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    supplier = make_supplier(session, make_group(session))
    session.commit()
    path = write(tmp_path, "A;Семена;kg;5;0,5;1;60;0=48,50|50=42", "B;Кетмень;шт;1;1;;;0=380")
    result = runner.invoke(args=["coop", "import-catalog", str(supplier.id), path])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 0 unchanged" in result.stdout
    session.rollback()  # what the command committed stays
    assert products(session) == 2

    path = write(tmp_path, "A;Семена;kg;5;0,5;1;60;0=47", "B;Кетмень;шт;1;1;;;0=380")
    result = runner.invoke(args=["coop", "import-catalog", str(supplier.id), path])
    assert "0 added, 1 updated, 1 unchanged" in result.stdout


def test_cli_reports_every_bad_line_and_writes_nothing(runner, session: Session,  # type: ignore[no-untyped-def]
                                                       tmp_path: Path) -> None:
    supplier = make_supplier(session, make_group(session))
    session.commit()
    path = write(tmp_path, "A;Семена;kg;5;1;1;60;0=48", "B;Лук;kg;2,5;1;;;0=1",
                 "C;Чеснок;kg;1;1;;;5=1")
    result = runner.invoke(args=["coop", "import-catalog", str(supplier.id), path])
    assert result.exit_code == 2
    assert "line 3, pack_size: The pack size 2.5 is not a whole number of steps of 1." \
        in result.stderr
    assert "line 4, tiers: The first price must start at 0" in result.stderr
    assert "added" not in result.stdout
    assert products(session) == 0


def test_cli_refuses_an_unknown_supplier(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "A;Семена;kg;5;1;1;60;0=48")
    result = runner.invoke(args=["coop", "import-catalog", "999999", path])
    assert result.exit_code == 2
    assert "no supplier with id 999999" in result.output
