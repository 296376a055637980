"""The catalog rules and the catalog CSV (coop.suppliers.domain): pure, no app."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coop import units
from coop.suppliers import domain
from coop.suppliers.domain import CatalogError, ProductData, Tier

HEADER = "article_code;name;unit;pack_size;granularity;weight_kg;retail_price;tiers"


def csv_bytes(*lines: str, bom: bool = False, newline: str = "\r\n") -> bytes:
    return (("\ufeff" if bom else "") + newline.join(lines) + newline).encode("utf-8")


def errors_of(data: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(CatalogError) as info:
        domain.parse_catalog(data)
    return [(e.line, e.column, str(e.message)) for e in info.value.errors]


def test_semicolons_decimal_commas_and_bom() -> None:
    rows = domain.parse_catalog(csv_bytes(
        HEADER, "SEED-01;Семена моркови;кг;5;0,5;1,25;60,5;0=48,50|50=42,125", bom=True))
    assert len(rows) == 1
    assert rows[0].line == 2
    assert rows[0].product == ProductData(
        article_code="SEED-01", name="Семена моркови", unit="kg", pack_size=5000,
        granularity=500, weight_grams=1250, retail_price=60_500_000,
        tiers=(Tier(0, 48_500_000), Tier(50_000, 42_125_000)))


def test_commas_and_decimal_points_without_bom() -> None:
    rows = domain.parse_catalog(csv_bytes(
        HEADER.replace(";", ","), "T-7,Кетмень,piece,1,1,1.2,450,0=380|10=350.5", newline="\n"))
    product = rows[0].product
    assert (product.weight_grams, product.retail_price) == (1200, 450_000_000)
    assert product.tiers == (Tier(0, 380_000_000), Tier(10_000, 350_500_000))


def test_line_numbers_count_line_breaks_inside_quotes() -> None:
    errors = errors_of(csv_bytes(
        HEADER,
        'A1;"Лопата; стальная ""Кузнец""";шт;1;1;;;"0=300"',
        'A2;"Грабли\nбольшие";шт;1;1;;;0=200',
        "A3;Вилы;шт;1;1;;;oops"))
    assert [(line, column) for line, column, _m in errors] == [(5, "tiers")]


def test_quoted_names_read_back_exactly() -> None:
    rows = domain.parse_catalog(csv_bytes(
        HEADER, 'A1;"Лопата; стальная ""Кузнец""";шт;1;1;;;"0=300"'))
    assert rows[0].product.name == 'Лопата; стальная "Кузнец"'


def test_russian_headers_any_case_any_order_and_unknown_columns_ignored() -> None:
    rows = domain.parse_catalog(csv_bytes(
        "Название;АРТИКУЛ;Ед.;Цены;Примечание;Вес, кг;Шаг;Упаковка;Розничная цена",
        "Семена;S1;кг;0=48,5;привезти к среде;0,5;0,5;25;55"))
    product = rows[0].product
    assert (product.article_code, product.name, product.unit) == ("S1", "Семена", "kg")
    assert (product.pack_size, product.granularity, product.weight_grams) == (25000, 500, 500)
    assert product.retail_price == 55_000_000


def test_optional_columns_take_their_defaults() -> None:
    rows = domain.parse_catalog(csv_bytes("article_code;name;unit;tiers", "X;Мешок;bag;0=10"))
    product = rows[0].product
    assert (product.granularity, product.pack_size, product.weight_grams,
            product.retail_price) == (1000, 1000, 0, None)


def test_empty_lines_are_skipped_and_excel_sep_line_is_read() -> None:
    rows = domain.parse_catalog(csv_bytes(
        "sep=,", HEADER.replace(";", ","), ",,,,,,,", "A,B,kg,1,1,0,,0=1", ",,,,,,,", ""))
    assert [row.line for row in rows] == [4]


def test_every_bad_line_is_reported_at_once_with_its_column() -> None:
    errors = errors_of(csv_bytes(
        HEADER,
        "A1;Хороший;кг;5;1;1;10;0=9",
        "A2;;кг;2,5;1;1;10;0=9",
        "A3;Семена;кг;5;0;1;-4;0=9",
        "A4;Лук;кг;5;1;abc;10;10=9|5=8",
        "A5;Мука;кг;5;1;1;10;0=9,1234567",
        "A1;Чеснок;кг;5;1;1;10;0=9",
        ";Без кода;кг;5;1;1;10;0=9",
    ))
    found = {(line, column) for line, column, _m in errors}
    assert found == {
        (3, "name"), (3, "pack_size"),
        (4, "granularity"), (4, "retail_price"),
        (5, "weight_kg"), (5, "tiers"),
        (6, "tiers"),
        (7, "article_code"),
        (8, "article_code"),
    }
    messages: dict[tuple[int, str], str] = {}
    for line, column, message in errors:
        messages[line, column] = messages.get((line, column), "") + message + " / "
    assert "2.5 is not a whole number of steps of 1" in messages[(3, "pack_size")]
    assert "more than 0" in messages[(4, "granularity")]
    assert "cannot be negative" in messages[(4, "retail_price")]
    assert "must start at 0" in messages[(5, "tiers")]
    assert "at most 6 decimals" in messages[(6, "tiers")]
    assert "also on line 2" in messages[(7, "article_code")]
    assert "article code is needed" in messages[(8, "article_code")]


def test_errors_name_the_column_as_the_file_writes_it() -> None:
    errors = errors_of(csv_bytes("Артикул;Название;Ед.;Цены", "A1;Семена;кг;ноль=5"))
    assert errors[0][:2] == (2, "Цены")
    described = str(domain.RowError(2, "Цены", "bad").describe())
    assert described == "line 2, Цены: bad"


def test_duplicate_article_codes_are_refused() -> None:
    errors = errors_of(csv_bytes(HEADER, "A;X;kg;1;1;0;;0=1", "B;Y;kg;1;1;0;;0=1",
                                 "A;Z;kg;1;1;0;;0=2"))
    assert [(line, column) for line, column, _m in errors] == [(4, "article_code")]


def test_missing_header_column() -> None:
    errors = errors_of(csv_bytes("article_code;name;pack_size", "A;X;1"))
    assert len(errors) == 1
    line, _column, message = errors[0]
    assert line == 1 and "unit, tiers" in message


def test_column_given_twice() -> None:
    errors = errors_of(csv_bytes("article_code;name;unit;tiers;цены", "A;X;kg;0=1;0=2"))
    assert errors[0][:2] == (1, "цены") and "twice" in errors[0][2]


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", "\ufeff".encode()])
def test_empty_file(data: bytes) -> None:
    assert errors_of(data) == [(1, "", "The file is empty.")]


def test_header_without_products() -> None:
    assert errors_of(csv_bytes(HEADER)) == [(2, "", "The file has a header row but no products.")]


def test_non_utf8_bytes_give_a_clear_error_with_the_line() -> None:
    data = csv_bytes(HEADER, "A;Семена;кг;1;1;0;;0=1").replace(b"\r\n", b"\n") + \
        "B;Морковь;кг;1;1;0;;0=1\n".encode("cp1251")
    errors = errors_of(data)
    assert len(errors) == 1
    line, _column, message = errors[0]
    assert line == 3 and "not UTF-8" in message and "CSV UTF-8" in message


def test_unquoted_decimal_comma_in_a_comma_file_is_explained() -> None:
    errors = errors_of(csv_bytes(HEADER.replace(";", ","), "A,X,kg,1,1,0,48,50,0=1"))
    line, column, message = errors[0]
    assert (line, column) == (2, "") and "in quotes" in message


def test_control_characters_are_refused_and_line_breaks_in_names_joined() -> None:
    errors = errors_of(csv_bytes(HEADER, "A;X\x00;kg;1;1;0;;0=1"))
    assert errors[0][:2] == (2, "name") and "control characters" in errors[0][2]
    rows = domain.parse_catalog(csv_bytes(HEADER, 'A;"Грабли\r\n  большие";kg;1;1;0;;0=1'))
    assert rows[0].product.name == "Грабли большие"


@pytest.mark.parametrize(
    ("text", "tiers"),
    [
        ("0 = 48,50\n50 = 42", (Tier(0, 48_500_000), Tier(50_000, 42_000_000))),
        ("0:48.5|50:42", (Tier(0, 48_500_000), Tier(50_000, 42_000_000))),
        ("  0=1 000,5 \r\n\r\n 2,5 = 0,000001 ", (Tier(0, 1_000_500_000), Tier(2500, 1))),
    ],
)
def test_parse_tiers_reads_what_people_type(text: str, tiers: tuple[Tier, ...]) -> None:
    assert domain.parse_tiers(text) == (tiers, [])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("50 42", "write each price as quantity = price"),
        ("0 = ", "write each price as quantity = price"),
        ("0 = 1 = 2", "write each price as quantity = price"),
        ("0 = abc", "is not a number"),
        ("-1 = 5", "cannot be negative"),
        ("0 = -5", "cannot be negative"),
        ("0,0001 = 5", "at most 3 decimals"),
    ],
)
def test_parse_tiers_refuses_with_a_reason(text: str, reason: str) -> None:
    tiers, errors = domain.parse_tiers(text)
    assert tiers == ()
    assert len(errors) == 1 and reason in str(errors[0])


def test_product_rules() -> None:
    good = ProductData(name="Семена", unit="kg", pack_size=5000, granularity=500,
                       tiers=(Tier(0, 10), Tier(1500, 9)))
    assert domain.check_product(good) == []

    def fields(**changes: object) -> list[str]:
        return [field for field, _m in domain.check_product(
            ProductData(**{**good.__dict__, **changes}))]

    assert fields(pack_size=5200) == ["pack_size"]
    assert fields(pack_size=0) == ["pack_size"]
    assert fields(granularity=0) == ["granularity"]
    assert fields(tiers=()) == ["tiers"]
    assert fields(tiers=(Tier(500, 10),)) == ["tiers"]
    assert fields(tiers=(Tier(0, 10), Tier(1200, 9))) == ["tiers"]  # not a multiple of 0.5
    assert fields(tiers=(Tier(0, 10), Tier(1500, 9), Tier(1500, 8))) == ["tiers"]
    assert fields(tiers=(Tier(0, -1),)) == ["tiers"]
    assert fields(name="  ", unit="") == ["name", "unit"]
    assert fields(article_code="x" * 65) == ["article_code"]
    assert fields(weight_grams=-1, retail_price=-1) == ["weight_kg", "retail_price"]


def test_product_from_text_does_not_pile_rules_on_values_that_did_not_parse() -> None:
    product, errors = domain.product_from_text(
        {"name": "X", "unit": "kg", "granularity": "abc", "pack_size": "2,5", "tiers": "0=1|3=1"})
    assert product is None
    assert [field for field, _m in errors] == ["granularity"]


def test_export_is_bom_semicolons_and_decimal_commas_and_reads_back() -> None:
    products = [
        ProductData(article_code="S-1", name="Семена; сорт \"Нантская\"", unit="kg",
                    pack_size=2500, granularity=500, weight_grams=1250,
                    retail_price=60_500_000, tiers=(Tier(0, 48_500_000), Tier(50_000, 1)),
                    pack_container="sack", seed_rate=12_500),
        ProductData(article_code="=cmd|' /C calc'!A0", name="-Вилы", unit="piece",
                    pack_size=1000, granularity=1000, tiers=(Tier(0, 300_000_000),)),
    ]
    data = domain.write_catalog(products)
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER + ";pack_container;seed_rate"
    assert ("S-1;\"Семена; сорт \"\"Нантская\"\"\";kg;2,5;0,5;1,25;60,5;0=48,5|50=0,000001;"
            "sack;12,5") in text
    # cells a spreadsheet would run as formulas get a leading quote
    assert "\r\n'=cmd|' /C calc'!A0;'-Вилы;" in text
    assert [row.product for row in domain.parse_catalog(data)] == products


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
                ).filter(lambda s: s == s.strip() and "  " not in s and s != "")


@st.composite
def products(draw: st.DrawFn) -> ProductData:
    step = draw(st.integers(1, 5000))
    tiers_at = sorted(draw(st.sets(st.integers(1, 10_000), max_size=4)))
    prices = draw(st.lists(st.integers(0, 10**15), min_size=len(tiers_at) + 1,
                           max_size=len(tiers_at) + 1))
    return ProductData(
        article_code=draw(_text), name=draw(_text),
        # stored units are normalised: a code of the list, or other text as written
        unit=units.normalise(draw(_text.filter(lambda s: len(s) < 32))),
        granularity=step, pack_size=step * draw(st.integers(1, 100)),
        weight_grams=draw(st.integers(0, 10**8)),
        retail_price=draw(st.none() | st.integers(0, 10**15)),
        seed_rate=draw(st.none() | st.integers(1, 10**9)),
        tiers=tuple(Tier(q * step, p) for q, p in zip([0, *tiers_at], prices, strict=True)))


@settings(max_examples=150, deadline=None)
@given(st.lists(products(), min_size=1, max_size=5, unique_by=lambda p: p.article_code))
def test_any_valid_catalog_survives_export_and_import(catalog: list[ProductData]) -> None:
    assert [row.product for row in domain.parse_catalog(domain.write_catalog(catalog))] == catalog


def test_seed_rate_column_is_optional_and_read_in_russian() -> None:
    old = (HEADER + "\nS-1;Морковь;kg;1;1;0;;0=5").encode()
    [row] = domain.parse_catalog(old)
    assert row.product.seed_rate is None and not row.has_seed_rate
    new = ("артикул;название;ед.;цены;Норма высева\n"
           "S-1;Морковь;kg;0=5;0,05\nS-2;Лопата;piece;0=300;").encode()
    first, second = domain.parse_catalog(new)
    assert first.has_seed_rate and first.product.seed_rate == 50
    assert second.product.seed_rate is None


def test_a_seed_rate_of_zero_is_refused_by_line() -> None:
    data = ("article_code;name;unit;tiers;seed_rate\nS-1;Морковь;kg;0=5;0\n"
            "S-2;Лук;kg;0=5;много").encode()
    with pytest.raises(CatalogError) as caught:
        domain.parse_catalog(data)
    assert [(e.line, e.column) for e in caught.value.errors] == [(2, "seed_rate"),
                                                                (3, "seed_rate")]
