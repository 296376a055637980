"""A quantity with its unit, and a unit price, as people read them in their
language: "2,5 килограмма", "19 пакетов", "38,00 сом за пакет".

Every page, PDF, text copy and message that prints a number next to a unit
goes through `quantity` (or `unit_price`, `pack`, `label`): the grammar lives
here and in the catalogs, once. The unit list is `coop.units`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel.numbers import format_decimal
from flask_babel import get_translations
from flask_babel import gettext as _

from coop import money, units
from coop.quantities import PRICE_SCALE

# code -> (translations, n) -> "%(number)s килограмма"
_LONG: dict[str, Callable[[Any, int], str]] = {
    "kg": lambda t, n: t.npgettext("unit", "%(number)s kilogram", "%(number)s kilograms", n),
    "g": lambda t, n: t.npgettext("unit", "%(number)s gram", "%(number)s grams", n),
    "t": lambda t, n: t.npgettext("unit", "%(number)s tonne", "%(number)s tonnes", n),
    "l": lambda t, n: t.npgettext("unit", "%(number)s litre", "%(number)s litres", n),
    "piece": lambda t, n: t.npgettext("unit", "%(number)s piece", "%(number)s pieces", n),
    "pack": lambda t, n: t.npgettext("unit", "%(number)s pack", "%(number)s packs", n),
    "bag": lambda t, n: t.npgettext("unit", "%(number)s bag", "%(number)s bags", n),
    "sack": lambda t, n: t.npgettext("unit", "%(number)s sack", "%(number)s sacks", n),
    "box": lambda t, n: t.npgettext("unit", "%(number)s box", "%(number)s boxes", n),
    "jar": lambda t, n: t.npgettext("unit", "%(number)s jar", "%(number)s jars", n),
    "bottle": lambda t, n: t.npgettext("unit", "%(number)s bottle", "%(number)s bottles", n),
    "bunch": lambda t, n: t.npgettext("unit", "%(number)s bunch", "%(number)s bunches", n),
    "m": lambda t, n: t.npgettext("unit", "%(number)s metre", "%(number)s metres", n),
}

# code -> the unit on its own, after a label ("Quantity, kg") or a name ("Seed (bags)")
_LABEL: dict[str, Callable[[Any], str]] = {
    "kg": lambda t: t.pgettext("unit label", "kg"),
    "g": lambda t: t.pgettext("unit label", "g"),
    "t": lambda t: t.pgettext("unit label", "t"),
    "l": lambda t: t.pgettext("unit label", "l"),
    "piece": lambda t: t.pgettext("unit label", "pcs"),
    "pack": lambda t: t.pgettext("unit label", "packs"),
    "bag": lambda t: t.pgettext("unit label", "bags"),
    "sack": lambda t: t.pgettext("unit label", "sacks"),
    "box": lambda t: t.pgettext("unit label", "boxes"),
    "jar": lambda t: t.pgettext("unit label", "jars"),
    "bottle": lambda t: t.pgettext("unit label", "bottles"),
    "bunch": lambda t: t.pgettext("unit label", "bunches"),
    "m": lambda t: t.pgettext("unit label", "m"),
}

# code -> (translations) -> "%(price)s за кг", for a price with its currency
_PER: dict[str, Callable[[Any], str]] = {
    "kg": lambda t: t.pgettext("unit price", "%(price)s per kg"),
    "g": lambda t: t.pgettext("unit price", "%(price)s per gram"),
    "t": lambda t: t.pgettext("unit price", "%(price)s per tonne"),
    "l": lambda t: t.pgettext("unit price", "%(price)s per litre"),
    "piece": lambda t: t.pgettext("unit price", "%(price)s per piece"),
    "pack": lambda t: t.pgettext("unit price", "%(price)s per pack"),
    "bag": lambda t: t.pgettext("unit price", "%(price)s per bag"),
    "sack": lambda t: t.pgettext("unit price", "%(price)s per sack"),
    "box": lambda t: t.pgettext("unit price", "%(price)s per box"),
    "jar": lambda t: t.pgettext("unit price", "%(price)s per jar"),
    "bottle": lambda t: t.pgettext("unit price", "%(price)s per bottle"),
    "bunch": lambda t: t.pgettext("unit price", "%(price)s per bunch"),
    "m": lambda t: t.pgettext("unit price", "%(price)s per metre"),
}


# container -> (translations) -> "мешок %(quantity)s", for a pack with its container
_CONTAINER: dict[str, Callable[[Any], str]] = {
    "pack": lambda t: t.pgettext("pack container", "pack of %(quantity)s"),
    "bag": lambda t: t.pgettext("pack container", "bag of %(quantity)s"),
    "sack": lambda t: t.pgettext("pack container", "sack of %(quantity)s"),
    "box": lambda t: t.pgettext("pack container", "box of %(quantity)s"),
    "jar": lambda t: t.pgettext("pack container", "jar of %(quantity)s"),
    "bottle": lambda t: t.pgettext("pack container", "bottle of %(quantity)s"),
    "bunch": lambda t: t.pgettext("pack container", "bunch of %(quantity)s"),
}

# container -> its name on its own, for a select ("мешок", "sack")
_CONTAINER_NAME: dict[str, Callable[[Any], str]] = {
    "pack": lambda t: t.pgettext("pack container name", "pack"),
    "bag": lambda t: t.pgettext("pack container name", "bag"),
    "sack": lambda t: t.pgettext("pack container name", "sack"),
    "box": lambda t: t.pgettext("pack container name", "box"),
    "jar": lambda t: t.pgettext("pack container name", "jar"),
    "bottle": lambda t: t.pgettext("pack container name", "bottle"),
    "bunch": lambda t: t.pgettext("pack container name", "bunch"),
}


def _locale() -> str:
    from coop.i18n import current_locale

    return current_locale()


def is_other(unit: str | None) -> bool:
    """A unit the list does not know ("ғалтак"): it has no grammar, so a
    sentence names it apart ("unit: ғалтак") and gives bare numbers."""
    return bool(unit) and code(unit or "") is None


def code(unit: str) -> str | None:
    """The list's code for a stored unit: a code, or text written before the
    list (a settled round keeps its units as they were: "кг", "пакет")."""
    return unit if unit in _LONG else units.code_for(unit or "")


class UnitWords:
    """Quantities and unit prices in one locale, with its translations looked
    up once (a bill or a PDF prints hundreds of them). Made for the current
    locale unless given one and its translations."""

    def __init__(self, locale: str | None = None, translations: Any = None) -> None:
        self.locale = locale or _locale()
        self.t = translations if translations is not None else get_translations()

    def number(self, milli: int, decimals: int = 3) -> str:
        """A quantity in thousandths (or 10**-decimals) as a number: '2,5'."""
        return money.format_number(Decimal(milli).scaleb(-decimals), self.locale)

    def quantity(self, milli: int | None, unit: str, decimals: int = 3) -> str:
        """'2,5 килограмма', '19 пакетов', '1 bag'; an "other" unit, which has
        no grammar here, reads 'ғалтак: 4'. The quantity is in thousandths of
        the unit (or in 10**-decimals, as the split engine keeps it)."""
        if milli is None:
            return ""
        text = self.number(milli, decimals)
        found = code(unit)
        if found is None:
            return self.t.gettext("%(unit)s: %(num)s") % {"unit": unit, "num": text} \
                if unit else text
        scale = 10**decimals
        n = abs(milli) // scale if milli % scale == 0 else 2
        return _LONG[found](self.t, n) % {"number": text}

    def label(self, unit: str) -> str:
        """The unit on its own: 'кг', 'пакеты'; an "other" unit as it was typed."""
        found = code(unit)
        return _LABEL[found](self.t) if found else unit

    def short(self, milli: int, unit: str) -> str:
        """A quantity with the unit's short symbol when it has one ('50 кг',
        '2,5 l'), else as `quantity` ('12 банок'), kept on one line."""
        found = code(unit)
        if found is not None and units.is_metric(found):
            return f"{self.number(milli)}\u00a0{_LABEL[found](self.t)}"
        # "12 банок" stays on one line when a narrow cell wraps "коробка 12 банок"
        return self.quantity(milli, unit).replace(" ", "\u00a0")

    def pack(self, milli: int | None, unit: str, container: str | None = None) -> str:
        """A pack size as a number of the unit: with its container 'мешок 50 кг',
        'коробка 12 банок', 'sack of 50 kg'; without, 'упаковка 20 пакетов'."""
        if milli is None:
            return ""
        if container in _CONTAINER:
            return _CONTAINER[container](self.t) % {"quantity": self.short(milli, unit)}
        return self.t.gettext("pack of %(quantity)s") % {"quantity": self.quantity(milli, unit)}

    def container(self, container: str) -> str:
        """A container's name on its own: 'мешок', 'sack'."""
        return _CONTAINER_NAME[container](self.t) if container in _CONTAINER_NAME else ""

    def price(self, micro: int | None, currency: str) -> str:
        """A unit price kept in millionths, with its currency and at least the
        currency's decimals: '38,00 сом', '0,0125 сом'."""
        if micro is None:
            return ""
        return format_price(micro, currency, self.locale)

    def unit_price(self, micro: int | None, currency: str, unit: str) -> str:
        """'38,00 сом за пакет'; for an "other" unit '38,00 сом за ғалтак'."""
        if micro is None:
            return ""
        text = self.price(micro, currency)
        found = code(unit)
        if found is None:
            return (self.t.gettext("%(price)s per %(unit)s") % {"price": text, "unit": unit}
                    if unit else text)
        return _PER[found](self.t) % {"price": text}


    def per(self, unit: str) -> str:
        """'за пакет', '1 пакет үчүн', 'per bag': the unit-price phrase without
        a price, for a label over a price field."""
        found = code(unit)
        if found is None:
            return (self.t.gettext("%(price)s per %(unit)s") % {"price": "", "unit": unit}).strip()
        return (_PER[found](self.t) % {"price": ""}).strip()


@lru_cache(maxsize=16384)
def format_price(micro: int, currency: str, locale: str) -> str:
    """'38,00\u00a0сом': a unit price in millionths (a bill prints the same few
    prices on many lines, and Babel's formatting is the slow part of a bill)."""
    digits = money.minor_digits(currency)
    pattern = "#,##0" + ("." + "0" * digits + "#" * (6 - digits) if digits else ".######")
    value = format_decimal(Decimal(micro) / PRICE_SCALE, format=pattern, locale=locale)
    symbol = money.LOCAL_SYMBOLS.get(currency, {}).get(locale.split("_")[0], currency)
    return f"{value}\u00a0{symbol}"


def quantity(milli: int | None, unit: str) -> str:
    return UnitWords().quantity(milli, unit)


def decimal_quantity(value: Decimal | str | None, unit: str) -> str:
    """A quantity given as a decimal ('2.5', Decimal('2.5')) with its unit."""
    if value is None or value == "":
        return ""
    exponent = Decimal(value).normalize().as_tuple().exponent
    decimals = max(0, -int(exponent))
    return UnitWords().quantity(int(Decimal(value).scaleb(decimals)), unit, decimals)


def label(unit: str) -> str:
    return UnitWords().label(unit)


def pack(milli: int | None, unit: str, container: str | None = None) -> str:
    return UnitWords().pack(milli, unit, container)


def container_of(product: Any, pack_size: int | None) -> str | None:
    """The product's container for a pack of `pack_size`: a quote from another
    supplier may sell other packs, which are not the catalog's sack."""
    container = getattr(product, "pack_container", None)
    return container if pack_size == getattr(product, "pack_size", None) else None


def container_choices() -> list[tuple[str, str]]:
    """('', 'no container'), then (code, name) of each container, for a select."""
    words = UnitWords()
    return [("", words.t.gettext("no container"))] + [
        (c, words.container(c)) for c in units.CONTAINERS]


def price(micro: int | None, currency: str) -> str:
    return UnitWords().price(micro, currency)


def currency_name(currency: str) -> str:
    """The currency as people name it, the same on every page: 'сом', 'сомонӣ'."""
    from coop.i18n import current_locale

    locale = current_locale().split("_")[0]
    return money.LOCAL_SYMBOLS.get(currency, {}).get(locale, currency)


def minor_unit_name(currency: str) -> str:
    """The currency's minor unit as people name it, for a sentence that splits
    to it: 'тыйын' for the som, 'дирам' for the somoni (its code for a currency
    without one: as `currency_name`)."""
    from coop.i18n import current_locale

    locale = current_locale().split("_")[0]
    return money.LOCAL_MINOR_UNITS.get(currency, {}).get(locale) or currency_name(currency)


def per(unit: str) -> str:
    return UnitWords().per(unit)


def unit_price(micro: int | None, currency: str, unit: str) -> str:
    return UnitWords().unit_price(micro, currency, unit)


def in_sentence(milli: int | None, unit: str) -> str:
    """A quantity inside a sentence: '19 пакетов'; for an "other" unit, which
    has no grammar, the bare number ('19'), the sentence led by `note`."""
    if is_other(unit):
        return "" if milli is None else UnitWords().number(milli)
    return quantity(milli, unit)


def note(unit: str) -> str:
    """What leads a sentence of bare numbers in an "other" unit: 'Единица:
    ғалтак. ' ('' for a unit of the list)."""
    return str(_("Unit: %(unit)s.", unit=sentence_end(unit))) + " " if is_other(unit) else ""


def sentence_end(unit: str) -> str:
    """A unit that ends a sentence: an abbreviation's own full stop ends it
    ("компл.", not "компл.." before the sentence's)."""
    return unit[:-1] if unit.endswith(".") else unit


def order(firm: int, tolerance: int, unit: str) -> str:
    """An order line as a change history shows it: '6 пакетов', '6 пакетов,
    допуск 2 пакета', 'no order'."""
    if not firm and not tolerance:
        return str(_("no order"))
    if not tolerance:
        return quantity(firm, unit)
    return str(_("%(quantity)s, tolerance %(tolerance)s", quantity=quantity(firm, unit),
                 tolerance=quantity(tolerance, unit)))


def choices() -> list[tuple[str, str]]:
    """(code, label) for a select, in the list's order."""
    words = UnitWords()
    return [(c, words.label(c)) for c in units.CODES]
