"""A supplier's catalog, pure: the rules a product must follow, the price-tier
text a treasurer types, and the catalog CSV. Plain dataclasses and integers in
the storage units of `coop.quantities`; no Flask app, no database.

The catalog CSV (what export writes and import reads):

- CSV in UTF-8 (with or without a BOM), in Windows-1251 (what Russian Excel
  saves as "CSV") or in UTF-16 with a BOM (Excel's "Unicode text", tab
  separated); delimiter `;`, `,` or a tab (found from the header line); decimal
  comma or point (`48,50` or `48.50`). Or an Excel workbook (.xlsx): its first
  sheet, line numbers as the sheet's row numbers.
- A header row; names are case-insensitive, Russian names accepted, columns in
  any order, unknown columns ignored:

  ============  ================  ========  =============================================
  column        Russian           needed    meaning
  ============  ================  ========  =============================================
  article_code  артикул           yes       the supplier's code; re-import matches by it
  name          название          yes       product name
  unit          ед.               yes       kg, bag, piece…
  pack_size     упаковка          no        sold in whole packs of this many units
                                            (default: the step)
  granularity   шаг               no        the smallest quantity a member can get
                                            (default 1)
  weight_kg     вес_кг            no        weight of one unit in kg (default 0)
  retail_price  розничная_цена    no        one unit at the bazaar (optional)
  tiers         цены              yes       list prices: `from quantity=unit price`,
                                            separated by `|`: `0=48,50|50=42`
  seed_rate     норма_высева      no        seed to sow one сотка (100 m²), in the
                                            product's unit; empty: not seed. A file
                                            without the column keeps the stored rates
  ============  ================  ========  =============================================

Tiers use `=` (`:` is read too) and `|`: neither clashes with a decimal comma
or a `;`/`,` delimiter, and unlike `50:42` (which Excel turns into a time) a
cell like `0=48,5` stays text when a spreadsheet opens the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from itertools import pairwise
from typing import Any

from flask_babel import lazy_gettext as _l

from coop import units
from coop.csv_export import csv_bytes, decimal_comma, unneutralise
from coop.money import MoneyError
from coop.quantities import (
    MAX_QTY,
    QTY_SCALE,
    local_qty,
    parse_price,
    parse_quantity,
    parse_weight,
    price_str,
    qty_str,
    weight_str,
)

MAX_ARTICLE_CODE = 64
MAX_NAME = 200
MAX_UNIT = 32
MAX_TIERS = 20

COLUMNS = ("article_code", "name", "unit", "pack_size", "granularity", "weight_kg",
           "retail_price", "tiers", "pack_container", "seed_rate")
REQUIRED_COLUMNS = ("article_code", "name", "unit", "tiers")

# Header names as people write them, after `_header_key` (lower case, letters
# and digits only): "Вес, кг" and "weight_kg" both read as weight_kg.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "article_code": ("articlecode", "article", "code", "sku", "артикул", "код"),
    "name": ("name", "productname", "название", "наименование", "товар"),
    "unit": ("unit", "ед", "едизм", "единица", "единицаизмерения"),
    "pack_size": ("packsize", "pack", "упаковка", "вупаковке", "фасовка"),
    "granularity": ("granularity", "step", "шаг", "кратность"),
    "weight_kg": ("weightkg", "weight", "вескг", "вес"),
    "retail_price": ("retailprice", "retail", "розничнаяцена", "розница",
                     "ценанабазаре"),
    "tiers": ("tiers", "pricetiers", "prices", "цены", "оптовыецены"),
    "pack_container": ("packcontainer", "container", "тара", "видупаковки"),
    "seed_rate": ("seedrate", "нормавысева", "нормавысеванасотку", "нормавысевана100м2",
                  "нормапосева"),
}
_ALIAS_TO_COLUMN = {alias: col for col, aliases in COLUMN_ALIASES.items() for alias in aliases}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_SEP_HINT = re.compile(r"^sep=(.)$")
_TIER_SEPARATORS = re.compile(r"[|\n\r]+")
_TIER_EQUALS = re.compile(r"[=:]")


@dataclass(frozen=True)
class Tier:
    """From `min_qty` (pooled, thousandths of the unit) on, `unit_price` (millionths)."""

    min_qty: int
    unit_price: int


@dataclass(frozen=True)
class ProductData:
    """What a treasurer (or a catalog line) says about a product, in storage units."""

    name: str
    unit: str
    pack_size: int
    granularity: int
    tiers: tuple[Tier, ...]
    weight_grams: int = 0
    retail_price: int | None = None
    article_code: str | None = None
    pack_container: str | None = None  # units.CONTAINERS
    seed_rate: int | None = None  # thousandths of the unit per сотка; None: not seed


@dataclass(frozen=True)
class CatalogRow:
    line: int
    product: ProductData
    # False when the file has no seed_rate column: a stored rate is kept
    has_seed_rate: bool = True


@dataclass(frozen=True)
class RowError:
    """`column` is the header as written in the file (or the field name)."""

    line: int
    column: str
    message: Any

    def describe(self) -> Any:
        if self.column:
            return _l("line %(line)d, %(column)s: %(message)s", line=self.line,
                      column=self.column, message=self.message)
        return _l("line %(line)d: %(message)s", line=self.line, message=self.message)


class CatalogError(Exception):
    """The file cannot be imported; `errors` lists every bad line."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the catalog")
        self.errors = list(errors)


FieldErrors = list[tuple[str, Any]]


# -- rules ------------------------------------------------------------------

def check_product(product: ProductData) -> FieldErrors:
    """Every broken rule as (field, message); empty when the product is fine."""
    errors: FieldErrors = []
    if product.article_code is not None:
        errors += _check_text("article_code", product.article_code, MAX_ARTICLE_CODE, None)
    errors += _check_text("name", product.name, MAX_NAME, _l("The product needs a name."))
    errors += _check_text("unit", product.unit, MAX_UNIT,
                          _l("Say in what unit it is sold: kg, bag, piece…"))
    step = product.granularity
    if step <= 0:
        errors.append(("granularity", _l("The step must be more than 0.")))
    if product.pack_size <= 0:
        errors.append(("pack_size", _l("The pack size must be more than 0.")))
    elif step > 0 and product.pack_size % step:
        errors.append(("pack_size", _l(
            "The pack size %(pack)s is not a whole number of steps of %(step)s.",
            pack=local_qty(product.pack_size), step=local_qty(step))))
    if product.pack_container is not None and not units.is_container(product.pack_container):
        errors.append(("pack_container", _l(
            "A pack is a bag, sack, box, jar, bottle, bunch or pack; leave it empty for none.")))
    if product.weight_grams < 0:
        errors.append(("weight_kg", _l("A weight cannot be negative.")))
    if product.retail_price is not None and product.retail_price < 0:
        errors.append(("retail_price", _l("A price cannot be negative.")))
    errors += [("seed_rate", message) for message in check_seed_rate(product.seed_rate)]
    errors += [("tiers", message) for message in check_tiers(product.tiers, step)]
    return errors


def check_seed_rate(rate: int | None) -> list[Any]:
    """Seed per сотка, thousandths of the unit: more than zero, or None (not seed)."""
    if rate is not None and not 0 < rate <= MAX_QTY:
        return [_l("The seed rate must be more than zero; leave it empty when this is "
                   "not seed.")]
    return []


def _check_text(name: str, value: str, limit: int, missing: Any) -> FieldErrors:
    if not value.strip() and missing is not None:
        return [(name, missing)]
    if len(value) > limit:
        return [(name, _l("This is too long (at most %(n)d characters).", n=limit))]
    if _CONTROL.search(value):
        return [(name, _l("This contains invisible control characters. Please type it again."))]
    return []


def check_tiers(tiers: Sequence[Tier], granularity: int) -> list[Any]:
    """The list prices: a first tier from 0, then strictly larger quantities."""
    if not tiers:
        return [_l("Give at least one price: from 0 = the unit price.")]
    errors: list[Any] = []
    if tiers[0].min_qty != 0:
        errors.append(_l("The first price must start at 0 (for any quantity), "
                         "for example 0 = 48,50."))
    if len(tiers) > MAX_TIERS:
        errors.append(_l("At most %(n)d prices.", n=MAX_TIERS))
    return errors + tier_sequence_errors(tiers, granularity)


def tier_sequence_errors(tiers: Sequence[Any], granularity: int) -> list[Any]:
    """What every list of price tiers must be, a catalog's or a quote's: growing
    quantities in whole steps, no negative price or quantity."""
    errors: list[Any] = []
    for before, after in pairwise(tiers):
        if after.min_qty <= before.min_qty:
            errors.append(_l("The quantities must grow from one price to the next: "
                             "%(after)s comes after %(before)s.",
                             after=local_qty(after.min_qty), before=local_qty(before.min_qty)))
    for tier in tiers:
        if tier.unit_price < 0:
            errors.append(_l("A price cannot be negative."))
        if tier.min_qty < 0:
            errors.append(_l("A quantity cannot be negative."))
        elif granularity > 0 and tier.min_qty % granularity:
            errors.append(_l("The quantity %(qty)s is not a whole number of steps of %(step)s.",
                             qty=local_qty(tier.min_qty), step=local_qty(granularity)))
    return errors


# -- text a person types ------------------------------------------------------

def parse_tiers(text: str) -> tuple[tuple[Tier, ...], list[Any]]:
    """'0 = 48,50' and '50 = 42', one per line or separated by '|'.

    Returns the tiers in the order written and the messages for the bad ones.
    """
    tiers: list[Tier] = []
    errors: list[Any] = []
    for part in _TIER_SEPARATORS.split(text or ""):
        part = part.strip()
        if not part:
            continue
        pieces = _TIER_EQUALS.split(part)
        if len(pieces) != 2 or not pieces[0].strip() or not pieces[1].strip():
            errors.append(_l("“%(text)s”: write each price as quantity = price, "
                             "for example 50 = 42,00.", text=part[:40]))
            continue
        try:
            min_qty = parse_quantity(pieces[0])
            unit_price = parse_price(pieces[1])
        except MoneyError as exc:
            errors.append(_l("“%(text)s”: %(reason)s", text=part[:40], reason=exc.message))
            continue
        tiers.append(Tier(min_qty, unit_price))
    return tuple(tiers), errors


def product_from_text(values: Mapping[str, str | None]) -> tuple[ProductData | None, FieldErrors]:
    """Read a product from text fields named as the CSV columns (a form or a
    catalog line). Returns the product, or None and every (field, message)."""
    text = {name: (values.get(name) or "").strip() for name in COLUMNS}
    for name in ("article_code", "name", "unit", "pack_container"):
        text[name] = _one_line(text[name])
    text["unit"] = units.normalise(text["unit"])  # "кг", "Kg.", "килограмм": kg
    # "мешок", "Sack", "кап": sack; a word naming no container is kept to be refused
    container = (units.container_for(text["pack_container"]) or text["pack_container"]) \
        if text["pack_container"] else None
    errors: FieldErrors = []

    def number(name: str, parse: Any, default: int | None) -> int | None:
        if not text[name]:
            return default
        try:
            return int(parse(text[name]))
        except MoneyError as exc:
            errors.append((name, exc.message))
            return None

    granularity = number("granularity", parse_quantity, QTY_SCALE)
    pack_size = number("pack_size", parse_quantity, granularity)
    weight = number("weight_kg", parse_weight, 0)
    retail = number("retail_price", parse_price, None)
    seed_rate = number("seed_rate", parse_quantity, None)
    tiers, tier_errors = parse_tiers(text["tiers"])
    errors += [("tiers", message) for message in tier_errors]
    # a rule about a value that did not parse (or that hangs on the step) is noise
    failed = {name for name, _message in errors}
    if "granularity" in failed:
        failed |= {"pack_size", "tiers"}
    product = ProductData(
        name=text["name"], unit=text["unit"],
        pack_size=pack_size if pack_size is not None else QTY_SCALE,
        granularity=granularity if granularity is not None else QTY_SCALE,
        tiers=tiers, weight_grams=weight or 0, retail_price=retail,
        article_code=text["article_code"] or None, pack_container=container,
        seed_rate=seed_rate)
    errors += [(name, message) for name, message in check_product(product)
               if name not in failed]
    return (None, errors) if errors else (product, [])


def _one_line(text: str) -> str:
    """A spreadsheet cell may hold line breaks and runs of spaces; a name does not."""
    return " ".join(re.split(r"[ \t\r\n]+", text)).strip()


def product_to_text(product: ProductData, *, decimal_comma: bool = True,
                    tier_separator: str = "|", tier_equals: str = "=") -> dict[str, str]:
    """The product as the text fields `product_from_text` reads back."""

    def dec(text: str) -> str:
        return text.replace(".", ",") if decimal_comma else text

    retail = product.retail_price
    return {
        "article_code": product.article_code or "",
        "name": product.name,
        "unit": product.unit,
        "pack_size": dec(qty_str(product.pack_size)),
        "granularity": dec(qty_str(product.granularity)),
        "weight_kg": dec(weight_str(product.weight_grams)),
        "retail_price": "" if retail is None else dec(price_str(retail)),
        "tiers": tier_separator.join(
            f"{dec(qty_str(t.min_qty))}{tier_equals}{dec(price_str(t.unit_price))}"
            for t in product.tiers),
        "pack_container": product.pack_container or "",
        "seed_rate": "" if product.seed_rate is None else dec(qty_str(product.seed_rate)),
    }


# -- the CSV file ---------------------------------------------------------------

@dataclass
class CatalogTable:
    """A decoded CSV: which cell holds which column, and the data records."""

    columns: dict[str, int]
    headers: list[str]
    records: list[tuple[int, list[str]]] = field(default_factory=list)
    header_line: int = 1

    def column_label(self, name: str) -> str:
        index = self.columns.get(name)
        return self.headers[index] if index is not None and self.headers[index] else name


def _header_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.strip().lower())


def _unreadable(line: int = 1) -> CatalogError:
    return CatalogError([RowError(line, "", _l(
        "The file cannot be read as a catalog. In your spreadsheet choose “Save as” and "
        "the type “CSV UTF-8”, “CSV”, “Unicode text” or “Excel workbook (.xlsx)”, then "
        "upload that file."))])


def _decode(data: bytes) -> str:
    """The text of a CSV as spreadsheets save it: UTF-8 (BOM or not), UTF-16
    with a BOM (Excel's "Unicode text"), else Windows-1251 (Russian Excel's
    "CSV"), which is taken only when it reads as Cyrillic text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _unreadable() from exc
    head = data[:4096]
    if head.count(0) * 4 > len(head):  # UTF-16 without its BOM, or not text at all
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _mostly_text(text):
                return text
        raise _unreadable()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        if not data[:exc.start].isascii():
            # UTF-8 up to here, then not: lines pasted from two files
            raise CatalogError([RowError(line, "", _l(
                "The file is not UTF-8 text. In your spreadsheet choose “Save as” and the "
                "type “CSV UTF-8”, then upload that file."))]) from exc
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise _unreadable(line) from exc
        if not _mostly_text(text):
            raise _unreadable(line) from exc
        return text


_CYRILLIC_OR_ASCII = re.compile(r"[\x09\x0a\x0d\x20-\x7e\u0400-\u04ff«»–—№“”„’‘…\u00a0]")


def _mostly_text(text: str) -> bool:
    """Letters, digits and punctuation of Russian, Kyrgyz and Tajik text: a
    file in another code page read as Windows-1251 is mostly symbols."""
    sample = text[:20000]
    if not sample:
        return True
    readable = len(_CYRILLIC_OR_ASCII.findall(sample))
    return readable >= 0.97 * len(sample)


# -- Excel workbooks -------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 .xls
MAX_XLSX_UNPACKED = 64 * 1024 * 1024  # a zip bomb is refused before it is opened


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV would hold: 48.5 -> '48.5', 5.0 -> '5'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # 15 significant digits: what the double holds, without 0.30000000000000004
        return format(Decimal(f"{value:.15g}").normalize(), "f") if value == value else ""
    if isinstance(value, int | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """(row number, cells as text) of the first sheet's rows."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise _unreadable() from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise CatalogError([RowError(1, "", _l(
            "This workbook is too large to import. Save the catalog alone as a CSV file."))])
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise CatalogError([RowError(1, "", _l(
            "This Excel file cannot be read (%(reason)s). Open it in your spreadsheet and "
            "save it again as “Excel workbook (.xlsx)” or as “CSV UTF-8”.",
            reason=type(exc).__name__))]) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, [_cell_text(value) for value in values]))
        return rows
    finally:
        workbook.close()


def _detect_delimiter(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_catalog(data: bytes) -> CatalogTable:
    """Decode the file (CSV in any of its encodings, or .xlsx), find the
    delimiter and the columns; CatalogError for a file that cannot be read at
    all (encoding, header)."""
    return _table(read_rows(data))


def read_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """Every row of a spreadsheet file with its line number: CSV in any of
    the encodings and delimiters spreadsheets save, or an .xlsx workbook;
    CatalogError for a file that cannot be read at all. (The savings
    group's paper meeting form is read by it too.)"""
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(_OLE_MAGIC):
        raise CatalogError([RowError(1, "", _l(
            "This is an old Excel file (.xls). Open it in your spreadsheet and save it as "
            "“Excel workbook (.xlsx)” or as “CSV UTF-8”, then upload that file."))])
    text = _decode(data)
    if not text.strip():
        raise CatalogError([RowError(1, "", _l("The file is empty."))])
    first_line, _newline, rest = text.partition("\n")
    header_line = 1
    sep_hint = _SEP_HINT.match(first_line.strip())
    if sep_hint:  # Excel's "sep=;" line before the header
        delimiter, text, header_line = sep_hint.group(1), rest, 2
    else:
        delimiter = _detect_delimiter(first_line)
    offset = header_line - 1
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    try:
        headers = next(reader, [])
        last_line = reader.line_num + offset
        for cells in reader:
            records.append((last_line + 1, cells))
            last_line = reader.line_num + offset
    except csv.Error as exc:
        raise CatalogError([RowError(reader.line_num + offset, "", _l(
            "The file cannot be read as CSV here: %(reason)s", reason=str(exc)))]) from exc
    return [(header_line, headers), *records]


def _table(rows: list[tuple[int, list[str]]]) -> CatalogTable:
    """The first non-empty row names the columns; the rows after it are data."""
    while rows and not any(cell.strip() for cell in rows[0][1]):
        rows = rows[1:]
    if not rows:
        raise CatalogError([RowError(1, "", _l("The file is empty."))])
    (header_line, header_cells), records = rows[0], rows[1:]
    headers = [cell.strip() for cell in header_cells]
    while headers and not headers[-1]:  # a sheet's empty columns on the right
        headers.pop()
    table = CatalogTable(columns={}, headers=headers, records=records, header_line=header_line)
    errors = []
    for index, header in enumerate(headers):
        column = _ALIAS_TO_COLUMN.get(_header_key(header))
        if column is None:
            continue
        if column in table.columns:
            errors.append(RowError(header_line, header, _l(
                "This column appears twice (also as “%(other)s”).",
                other=headers[table.columns[column]])))
        else:
            table.columns[column] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in table.columns]
    if missing:
        errors.append(RowError(header_line, "", _l(
            "The header row lacks the column(s) %(missing)s. The first line must name the "
            "columns, for example: %(example)s", missing=", ".join(missing),
            example=";".join(COLUMNS))))
    if errors:
        raise CatalogError(errors)
    return table


def parse_records(table: CatalogTable, records: Iterable[tuple[int, list[str]]] | None = None
                  ) -> list[CatalogRow]:
    """Every record as a product; CatalogError listing every bad line.

    `records` defaults to the table's; pass them wrapped (a progress bar) to
    watch the work."""
    rows: list[CatalogRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    width = len(table.headers)
    for line, cells in table.records if records is None else records:
        if not any(cell.strip() for cell in cells):
            continue  # spreadsheets leave empty lines at the end
        if any(cell.strip() for cell in cells[width:]):
            errors.append(RowError(line, "", _l(
                "This line has %(cells)d cells but the header only %(columns)d. A number with "
                "a decimal comma must be in quotes in a comma-separated file; or separate "
                "the columns with “;”.", cells=len(cells), columns=width)))
            continue
        values = {name: _unquote_formula(cells[index]) if index < len(cells) else ""
                  for name, index in table.columns.items()}
        product, field_errors = product_from_text(values)
        code = (values.get("article_code") or "").strip()
        if not code:
            field_errors.insert(0, ("article_code", _l(
                "The article code is needed: a new import finds the product by it. If the "
                "supplier has none, make one up (for example SEED-01).")))
        elif code in seen:
            field_errors.insert(0, ("article_code", _l(
                "The article code %(code)s is also on line %(line)d.", code=code,
                line=seen[code])))
        else:
            seen[code] = line
        if field_errors:
            errors += [RowError(line, table.column_label(name), message)
                       for name, message in field_errors]
        elif product is not None:
            rows.append(CatalogRow(line, product, has_seed_rate="seed_rate" in table.columns))
    if not errors and not rows:
        errors.append(RowError(table.header_line + 1, "",
                               _l("The file has a header row but no products.")))
    if errors:
        raise CatalogError(errors)
    return rows


def parse_catalog(data: bytes) -> list[CatalogRow]:
    """The whole file, all or nothing: the rows, or CatalogError with every bad line."""
    return parse_records(read_catalog(data))


def _unquote_formula(cell: str) -> str:
    return unneutralise(cell)


def write_catalog(products: Iterable[ProductData], language: str | None = "ru") -> bytes:
    """The catalog CSV for the group's spreadsheets: BOM, `;`, a decimal comma
    in ru, ky and tg (a point in en), formulas neutralised (coop.csv_export).
    `parse_catalog` reads either back."""
    comma = decimal_comma(language)
    return csv_bytes(COLUMNS, ([product_to_text(product, decimal_comma=comma)[name]
                                for name in COLUMNS] for product in products))


def iter_errors_text(errors: Iterable[RowError]) -> Iterator[str]:
    """One line of text per error, in the current language."""
    for error in errors:
        yield str(error.describe())
