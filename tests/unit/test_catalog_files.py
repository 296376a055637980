"""Catalog files as people have them: CSV in UTF-8 (with or without a BOM), in
Windows-1251 (Russian Excel's "CSV"), in UTF-16 (Excel's "Unicode text"), and
Excel workbooks (.xlsx); all read the same, every bad line named by number."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from coop.suppliers.domain import CatalogError, parse_catalog, read_catalog

DATA = Path(__file__).resolve().parent.parent / "data" / "catalog"
FILES = ["utf8.csv", "utf8-bom.csv", "windows-1251.csv", "unicode-text.txt"]
HEADER = ["артикул", "название", "ед.", "упаковка", "шаг", "вес_кг", "розничная_цена", "цены"]
ROWS = [["SEED-01", "Семена моркови «Нантская»", "кг", 5, 0.5, 1, 60, "0=48,50|50=42"],
        ["TOOL-07", "Кетмень", "шт", 1, 1, 1.2, 450, "0=380|10=350"],
        ["NPK-16", "Нитроаммофоска 16:16:16 — мешок", "мешок", 1, 1, 50, 2100,
         "0=1850|20=1790"]]


def xlsx(rows: list[list[object]], *, gap: bool = False, title_row: bool = False) -> bytes:
    """A workbook as Excel saves it: numbers as numbers, text as text."""
    book = Workbook()
    sheet = book.active
    if title_row:
        sheet.append([])  # an empty first row above the header
    for index, row in enumerate(rows):
        sheet.append(row)
        if gap and index == 1:
            sheet.append([])  # an empty row between products
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary(data: bytes) -> list[tuple[int, str, str, int, int, int, tuple]]:
    return [(row.line, row.product.article_code, row.product.name, row.product.pack_size,
             row.product.granularity, row.product.weight_grams,
             tuple((t.min_qty, t.unit_price) for t in row.product.tiers))
            for row in parse_catalog(data)]


def _errors(data: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(CatalogError) as info:
        parse_catalog(data)
    return [(e.line, e.column, str(e.message)) for e in info.value.errors]


EXPECTED = _summary((DATA / "utf8.csv").read_bytes())


def test_the_utf8_file_reads_as_written() -> None:
    assert [r[:3] for r in EXPECTED] == [
        (2, "SEED-01", "Семена моркови «Нантская»"), (3, "TOOL-07", "Кетмень"),
        (4, "NPK-16", "Нитроаммофоска 16:16:16 — мешок")]
    assert EXPECTED[0][3:] == (5000, 500, 1000, ((0, 48_500_000), (50_000, 42_000_000)))


@pytest.mark.parametrize("name", FILES)
def test_every_encoding_gives_the_same_catalog(name: str) -> None:
    assert _summary((DATA / name).read_bytes()) == EXPECTED


def test_an_xlsx_workbook_gives_the_same_catalog() -> None:
    assert _summary(xlsx([HEADER, *ROWS])) == EXPECTED


def test_xlsx_numbers_read_as_written() -> None:
    book = xlsx([HEADER, ["A", "Семена", "кг", 3.0, 0.1 + 0.2, 0.001, 48.5, "0=3"]])
    row = parse_catalog(book)[0].product
    assert (row.pack_size, row.granularity, row.weight_grams, row.retail_price) == (
        3_000, 300, 1, 48_500_000)


@pytest.mark.parametrize("name", ["windows-1251-bad-line-5.csv",
                                  "unicode-text-bad-line-5.txt"])
def test_a_bad_line_is_named_by_number_in_every_encoding(name: str) -> None:
    errors = _errors((DATA / name).read_bytes())
    assert [(line, column) for line, column, _m in errors] == [(5, "цены")]
    assert "abc" in errors[0][2]


def test_xlsx_errors_carry_the_sheets_row_numbers() -> None:
    bad = [*ROWS, ["BAD-1", "", "шт", 1, 1, 1, None, "0=380"],
           ["BAD-2", "Лопата", "шт", 1, 1, 1, None, "0=abc"]]
    errors = _errors(xlsx([HEADER, *bad], gap=True, title_row=True))
    # an empty row above the header and one after the second product: rows 1 and 5
    assert [(line, column) for line, column, _m in errors] == [(7, "название"), (8, "цены")]


def test_a_workbook_that_is_not_one_is_refused_with_a_message() -> None:
    for data in (b"PK\x03\x04broken", xlsx([HEADER])[:200]):
        errors = _errors(data)
        assert errors[0][0] == 1 and "cannot be read" in errors[0][2]
    old = _errors(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert "old Excel file (.xls)" in old[0][2]
    assert _errors(xlsx([HEADER]))[0][2] == "The file has a header row but no products."
    assert _errors(xlsx([]))[0][2] == "The file is empty."


def test_a_zip_bomb_is_refused_before_it_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    from coop.suppliers import domain

    monkeypatch.setattr(domain, "MAX_XLSX_UNPACKED", 1000)
    assert "too large" in _errors(xlsx([HEADER, *ROWS]))[0][2]


def test_a_file_in_another_code_page_is_refused_not_read_as_garbage() -> None:
    text = "article_code;name;unit;tiers\r\nA;Семена моркови;кг;0=1\r\n"
    errors = _errors(text.encode("cp866"))  # DOS Cyrillic
    assert errors[0][0] == 2 and "cannot be read as a catalog" in errors[0][2]
    # UTF-16 without its BOM is still UTF-16
    header = read_catalog(text.encode("utf-16-le"))
    assert header.headers == ["article_code", "name", "unit", "tiers"]
