"""The paper meeting form, typed into a spreadsheet: one row per member in
passbook order (the blank form's order), read all-or-nothing with every bad
line reported by its number. Pure: no Flask request, no database.

Columns (the header names them, in any of the app's languages or in
English): passbook, name, attendance, shares, social, repayment, fine,
fine paid, loan, months, purpose. Only passbook, attendance and shares are
required; an empty cell is nothing entered."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from coop import money
from coop.suppliers.domain import CatalogError, RowError, read_rows

COLUMNS = ("passbook", "name", "attendance", "shares", "social", "repayment", "fine",
           "fine_paid", "loan", "months", "purpose")
REQUIRED = ("passbook", "attendance", "shares")

# The header's words, lower case without spaces and punctuation.
_ALIASES = {
    "passbook": ("passbook", "passbookno", "no", "№", "номер", "сберкнижка", "номерсберкнижки",
                 "китепче", "дафтарча"),
    "name": ("name", "member", "участница", "имя", "фио", "мүчө", "аъзо", "ном"),
    "attendance": ("attendance", "here", "присутствие", "явка", "катышуу", "иштирок"),
    "shares": ("shares", "доли", "долей", "үлүштөр", "ҳиссаҳо"),
    "social": ("social", "socialfund", "соцфонд", "социальныйфонд", "фондвзаимопомощи",
               "социалдыкфонд", "фондииҷтимоӣ"),
    "repayment": ("repayment", "погашение", "возврат", "возвратзайма", "төлөм", "баргардонидан"),
    "fine": ("fine", "штраф", "айып", "ҷарима"),
    "fine_paid": ("finepaid", "штрафоплачен", "оплачен", "төлөндү", "пардохтшуд"),
    "loan": ("loan", "заём", "заем", "займ", "кредит", "карыз", "қарз"),
    "months": ("months", "месяцев", "срок", "срокмесяцев", "ай", "моҳ"),
    "purpose": ("purpose", "цель", "назначение", "максат", "мақсад"),
}
_ALIAS_TO_COLUMN = {alias: column for column, aliases in _ALIASES.items()
                    for alias in aliases}

_PRESENT = {"present", "p", "yes", "y", "+", "1", "п", "да", "присутствует", "был", "была",
            "бар", "ҳозир", "ха", "ҳа"}
_REPRESENTED = {"represented", "r", "пр", "через", "представитель", "передала", "өкүл",
                "намоянда"}
_ABSENT = {"absent", "a", "no", "n", "-", "0", "н", "нет", "отсутствует", "не", "жок",
           "йўқ", "нест", "набуд"}
_YES = {"1", "y", "yes", "+", "да", "д", "оплачен", "ооба", "ҳа", "ха", "x", "х", "v", "✓"}
_NO = {"", "0", "n", "no", "-", "нет", "н", "жок", "не", "нест"}


@dataclass(frozen=True)
class FormLine:
    """One member's row as typed."""

    line: int
    passbook: int
    name: str
    attendance: str
    shares: int
    social: bool
    repayment: int
    fine: str
    fine_paid: bool
    loan: int
    months: int
    purpose: str


class MeetingFileError(CatalogError):
    """The file cannot be entered; `errors` lists every bad line."""


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.strip().lower()) if text.strip() != "№" else "№"


def read_meeting_file(data: bytes, currency: str, fine_codes: Mapping[str, str],
                      passbooks: Mapping[int, str]) -> list[FormLine]:
    """Every member's row, or MeetingFileError with every bad line.
    `fine_codes` maps what may be typed (code or name, lower case) to the
    fine type's code; `passbooks` the members taking part (number → name)."""
    try:
        rows = read_rows(data)
    except CatalogError as error:
        raise MeetingFileError(error.errors) from None
    while rows and not any(cell.strip() for cell in rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise MeetingFileError([RowError(1, "", _l("The file is empty."))])
    (header_line, header), records = rows[0], rows[1:]
    columns: dict[str, int] = {}
    errors: list[RowError] = []
    for index, text in enumerate(header):
        column = _ALIAS_TO_COLUMN.get(_key(text))
        if column is not None and column not in columns:
            columns[column] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise MeetingFileError([RowError(header_line, "", _l(
            "The first line must name the columns; it lacks %(missing)s. Start from the "
            "blank form's file.", missing=", ".join(missing)))])
    lines: list[FormLine] = []
    seen: dict[int, int] = {}
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        cell = {c: (cells[i].strip() if i < len(cells) else "") for c, i in columns.items()}
        problems: list[tuple[str, Any]] = []
        passbook = _integer(cell["passbook"].lstrip("№").strip())
        if passbook is None or passbook not in passbooks:
            problems.append((header[columns["passbook"]], _l(
                "no member of this meeting has passbook number “%(value)s”.",
                value=cell["passbook"][:20])))
        elif passbook in seen:
            problems.append((header[columns["passbook"]], _l(
                "passbook %(number)s is also on line %(line)s.", number=passbook,
                line=seen[passbook])))
        else:
            seen[passbook] = line
        attendance = _attendance(cell["attendance"])
        if attendance is None:
            problems.append((header[columns["attendance"]], _l(
                "“%(value)s”: write present, represented or absent (п, пр, н).",
                value=cell["attendance"][:20])))
        shares = _integer(cell["shares"] or "0")
        if shares is None:
            problems.append((header[columns["shares"]], _l(
                "“%(value)s” is not a whole number of shares.", value=cell["shares"][:20])))
        social = _flag(cell.get("social", ""))
        if social is None:
            problems.append((header[columns["social"]], _l(
                "“%(value)s”: write 1 if she paid, 0 if not.", value=cell["social"][:20])))
        repayment = _amount(cell.get("repayment", ""), currency, problems,
                            header[columns["repayment"]] if "repayment" in columns else "")
        loan = _amount(cell.get("loan", ""), currency, problems,
                       header[columns["loan"]] if "loan" in columns else "")
        months = _integer(cell.get("months", "") or "0")
        if months is None or (loan and not 1 <= months <= 12):
            problems.append((header[columns["months"]] if "months" in columns else "", _l(
                "a loan needs its months, from 1 to 12.")))
        fine_text = cell.get("fine", "")
        fine = ""
        if fine_text:
            fine = fine_codes.get(fine_text.lower(), "")
            if not fine:
                problems.append((header[columns["fine"]], _l(
                    "“%(value)s” is not one of this cycle's fines (%(known)s).",
                    value=fine_text[:40], known=", ".join(sorted(set(fine_codes.values()))))))
        fine_paid = _flag(cell.get("fine_paid", ""))
        if fine_paid is None:
            problems.append((header[columns["fine_paid"]], _l(
                "“%(value)s”: write 1 if she paid, 0 if not.", value=cell["fine_paid"][:20])))
        errors += [RowError(line, column, message) for column, message in problems]
        if not problems:
            lines.append(FormLine(
                line=line, passbook=passbook or 0, name=cell.get("name", ""),
                attendance=attendance or "absent", shares=shares or 0, social=bool(social),
                repayment=repayment, fine=fine, fine_paid=bool(fine_paid), loan=loan,
                months=months or 0, purpose=cell.get("purpose", "")[:500]))
    if errors:
        raise MeetingFileError(errors)
    if not lines:
        raise MeetingFileError([RowError(header_line, "", _l("The file has no member's row."))])
    return lines


def _integer(text: str) -> int | None:
    text = text.strip()
    if text.endswith((".0", ",0")):
        text = text[:-2]
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _attendance(text: str) -> str | None:
    word = text.strip().lower()
    if word in _PRESENT:
        return "present"
    if word in _REPRESENTED:
        return "represented"
    if word in _ABSENT or word == "":
        return "absent" if word else None
    return None


def _flag(text: str) -> bool | None:
    word = text.strip().lower()
    if word in _NO:
        return False
    if word in _YES:
        return True
    try:  # the amount itself ("10", "10,00") counts as paid
        return money.parse_decimal(word) > 0
    except money.MoneyError:
        return None


def _amount(text: str, currency: str, problems: list[tuple[str, Any]], column: str) -> int:
    if not text.strip():
        return 0
    try:
        return money.parse_amount(text, currency)
    except money.MoneyError as error:
        problems.append((column, error.message))
        return 0


def blank_rows(members: Sequence[tuple[int, str]]) -> list[list[str]]:
    """The blank form as a spreadsheet: the header, then one row per member."""
    return [list(COLUMNS), *[[str(number), name, "", "", "", "", "", "", "", "", ""]
                             for number, name in members]]
