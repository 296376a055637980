"""The one CSV writer of every export (a member's statement, a supplier's
catalog): for spreadsheets in a Russian locale (UTF-8 with a BOM, `;`
between cells, CRLF), sent as `text/csv; charset=utf-8` with a filename.

Formulas. A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@`
(and, in some, a tab or CR before one) as a formula: a payment reference
"=HYPERLINK(…)" typed by anyone would become a live link in the treasurer's
Excel. Every text cell that starts so is written with an apostrophe in front
("'=HYPERLINK(…)"), which spreadsheets show as the text typed and never run;
a text that starts with an apostrophe followed by one of them gets one more,
so that `unneutralise` (a catalog imported back) returns exactly what was
typed. A plain number ("-2.50", "-2,50", "1234") is not text: it stays as it
is, so a negative amount is still a number a spreadsheet can add up.

Numbers and dates. Every export writes them as a spreadsheet in the
*group's* language reads them (the group's `language`, not the reader's, so
that every member of a group gets the same file for the Excel of her
country): in ru, ky and tg a decimal comma ("-1234,50") and dates as
dd.MM.yyyy ("02.12.2026 18:00"), which Russian Excel takes as numbers and
dates; in en a decimal point and ISO dates ("2026-12-02 18:00"). Moments are
in the group's time zone. Amounts have no thousands separator and no
currency, so that they stay numbers (`csv_amount`, `csv_date`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import Response
from flask_babel import to_user_timezone

from coop import money

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "text/csv; charset=utf-8"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def decimal_comma(language: str | None) -> bool:
    """A spreadsheet in this language reads "2,50" as a number (ru, ky, tg)."""
    return (language or "ru").split("_")[0] != "en"


def csv_number(text: str, language: str | None) -> str:
    """A plain number ("-2.50", as `money.to_string` writes it) as the
    group's spreadsheet reads it ("-2,50" in ru, ky, tg)."""
    return text.replace(".", ",") if decimal_comma(language) else text


def csv_amount(minor: int, currency: str, language: str | None) -> str:
    """An amount for a CSV cell: "-1234,50" (en "-1234.50"): no thousands
    separator, no currency, so that a spreadsheet adds it up."""
    return csv_number(money.to_string(minor, currency), language)


def csv_date(value: date | datetime | None, language: str | None) -> str:
    """A date "02.12.2026" (en "2026-12-02"); a moment kept in naive UTC, in
    the group's time zone: "02.12.2026 18:00" (en "2026-12-02 18:00")."""
    if value is None:
        return ""
    day = "%Y-%m-%d" if not decimal_comma(language) else "%d.%m.%Y"
    if isinstance(value, datetime):
        return to_user_timezone(value).strftime(f"{day} %H:%M")
    return value.strftime(day)


def needs_apostrophe(cell: str) -> bool:
    """A spreadsheet would run it as a formula, or reading it back would take
    away an apostrophe of its own ("'=x" as typed)."""
    if _PLAIN_NUMBER.fullmatch(cell):
        return False
    return cell.startswith(FORMULA_START) or (cell.startswith("'")
                                              and needs_apostrophe(cell[1:]))


def neutralise(cell: Any) -> str:
    text = "" if cell is None else str(cell)
    return f"'{text}" if needs_apostrophe(text) else text


def unneutralise(cell: str) -> str:
    """What `neutralise` wrote, as it was typed (a catalog imported back)."""
    return cell[1:] if cell.startswith("'") and needs_apostrophe(cell[1:]) else cell


def csv_bytes(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """The rows as CSV, every cell through `neutralise`."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_response(data: bytes, filename: str) -> Response:
    """An attachment with one Content-Type and a filename every browser reads
    (ASCII, plus the name in UTF-8 as RFC 6266 says)."""
    name = _UNSAFE_FILENAME.sub(" ", filename).strip() or "export.csv"
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        disposition += f"; filename*=UTF-8''{quote(name, safe='')}"
    response = Response(data, headers={"Content-Disposition": disposition,
                                       "Cache-Control": "private, no-store"})
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
