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
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "text/csv; charset=utf-8"
_PLAIN_NUMBER = re.compile(r"-?[0-9]+([.,][0-9]+)?")
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


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
