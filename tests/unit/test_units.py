"""The unit list (coop.units) and the time zones (coop.zones): pure, no Flask."""

from __future__ import annotations

import pytest

from coop import units, zones


@pytest.mark.parametrize(("text", "code"), [
    ("кг", "kg"), ("Кг.", "kg"), (" КГ ", "kg"), ("килограмм", "kg"), ("kg", "kg"),
    ("kilograms", "kg"), ("г", "g"), ("гр.", "g"), ("грамм", "g"), ("т", "t"), ("тонна", "t"),
    ("л", "l"), ("литр", "l"), ("шт", "piece"), ("шт.", "piece"), ("pcs", "piece"),
    ("даана", "piece"), ("дона", "piece"), ("упаковка", "pack"), ("уп.", "pack"),
    ("таңгак", "pack"), ("баста", "pack"), ("пакет", "bag"), ("bag", "bag"),
    ("мешок", "sack"), ("кап", "sack"), ("халта", "sack"), ("коробка", "box"),
    ("қуттӣ", "box"), ("банка", "jar"), ("бутылка", "bottle"), ("шиша", "bottle"),
    ("бөтөлкө", "bottle"), ("пучок", "bunch"), ("боо", "bunch"), ("даста", "bunch"),
    ("м", "m"), ("метр", "m"), ("metres", "m"),
])
def test_free_text_in_any_language_maps_onto_the_list(text: str, code: str) -> None:
    assert units.code_for(text) == code
    assert units.normalise(text) == code


@pytest.mark.parametrize("text", ["ғалтак", "банка 0,5 л", "мешок 50 кг", "sachet", ""])
def test_text_naming_no_unit_is_kept_as_written(text: str) -> None:
    assert units.code_for(text) is None
    assert units.normalise(text) == text
    assert not units.is_known(text)


def test_every_code_is_its_own_alias_and_no_alias_names_two_units() -> None:
    seen: dict[str, str] = {}
    for unit in units.UNITS:
        assert units.code_for(unit.code) == unit.code
        for alias in unit.aliases:
            key = alias.lower().rstrip(".")
            assert seen.setdefault(key, unit.code) == unit.code, alias
    assert units.OTHER not in units.CODES
    assert len(set(units.CODES)) == len(units.CODES) >= 13


def test_normalising_twice_changes_nothing() -> None:
    for text in ("кг", "Шт.", "ғалтак", "kg", "bag"):
        assert units.normalise(units.normalise(text)) == units.normalise(text)


@pytest.mark.parametrize(("milli", "n"), [(1000, 1), (2000, 2), (5000, 5), (11000, 11),
                                          (21000, 21), (2500, 2), (500, 2), (-3000, 3)])
def test_the_plural_form_of_a_fraction_is_that_of_two(milli: int, n: int) -> None:
    assert units.plural_count(milli) == n


def test_metric_units_have_symbols() -> None:
    assert [u.code for u in units.UNITS if u.metric] == ["kg", "g", "t", "l", "m"]
    assert units.is_metric("kg") and not units.is_metric("bag")
    assert not units.is_metric("ғалтак")


@pytest.mark.parametrize(("country", "currency", "zone"), [
    ("KG", "KGS", "Asia/Bishkek"), ("TJ", "TJS", "Asia/Dushanbe"), ("TJ", "USD", "Asia/Dushanbe"),
    ("", "TJS", "Asia/Dushanbe"), ("KZ", "KZT", "Asia/Almaty"), (None, "EUR", "Asia/Bishkek"),
])
def test_a_group_lives_in_the_zone_of_its_country_else_its_currency(
        country: str | None, currency: str, zone: str) -> None:
    assert zones.default_timezone(country, currency) == zone
    assert zone in zones.TIMEZONES
