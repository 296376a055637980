"""Units of measure: the list a product or a sale lot is sold in, and how the
free text people write ("кг", "килограмм", "шт.", "мешок", "pcs") maps onto it.

Pure: no Flask, no database. A unit is stored as its code ("kg", "bag"); text
that maps onto no code is kept as it was typed, an "other" unit, which is
printed without grammatical agreement ("ғалтак: 4"). The words people read
(plural forms, labels, "per kg") live in `coop.unit_text`, through the
translation catalogs; a new unit is one more entry here and there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

OTHER = "other"
MAX_OTHER = 32


@dataclass(frozen=True)
class Unit:
    code: str
    metric: bool  # has a short symbol that never agrees with its number (kg, l)
    aliases: tuple[str, ...]  # how people write it, in ru, ky, tg and en


UNITS: tuple[Unit, ...] = (
    Unit("kg", True, ("kg", "kgs", "kilo", "kilogram", "kilograms", "kilogramme", "кг",
                      "кило", "килограмм", "килограмма", "килограммов", "килограм",
                      "килограммы")),
    Unit("g", True, ("g", "gr", "gram", "grams", "gramme", "г", "гр", "грамм", "грамма",
                     "граммов", "грам", "граммы")),
    Unit("t", True, ("t", "tonne", "tonnes", "ton", "tons", "т", "тн", "тонна", "тонны",
                     "тонн")),
    Unit("l", True, ("l", "lt", "litre", "litres", "liter", "liters", "л", "литр", "литра",
                     "литров", "литры")),
    Unit("piece", False, ("piece", "pieces", "pc", "pcs", "шт", "штука", "штуки", "штук",
                          "штучка", "даана", "дона")),
    Unit("pack", False, ("pack", "packs", "package", "packet", "pkg", "уп", "упак",
                         "упаковка", "упаковки", "упаковок", "пачка", "пачки", "пачек",
                         "таңгак", "баста")),
    Unit("bag", False, ("bag", "bags", "пакет", "пакета", "пакетов", "пакеты", "пак")),
    Unit("sack", False, ("sack", "sacks", "мешок", "мешка", "мешков", "мешки", "меш", "кап",
                         "халта", "ҷувол", "чувал")),
    Unit("box", False, ("box", "boxes", "коробка", "коробки", "коробок", "кор", "ящик",
                        "ящика", "ящиков", "куту", "қуттӣ", "кутти")),
    Unit("jar", False, ("jar", "jars", "банка", "банки", "банок", "бан")),
    Unit("bottle", False, ("bottle", "bottles", "бутылка", "бутылки", "бутылок", "бут",
                           "бөтөлкө", "шиша")),
    Unit("bunch", False, ("bunch", "bunches", "пучок", "пучка", "пучков", "пучки", "пуч",
                          "боо", "даста")),
    Unit("m", True, ("m", "metre", "metres", "meter", "meters", "м", "метр", "метра",
                     "метров", "метры")),
)

CODES: tuple[str, ...] = tuple(u.code for u in UNITS)
_BY_CODE = {u.code: u for u in UNITS}
_BY_ALIAS = {alias: u.code for u in UNITS for alias in (u.code, *u.aliases)}
_SPACES = re.compile(r"\s+")


def _key(text: str) -> str:
    """'Кг.', ' КГ ', 'кг' all read 'кг'; 'ё' as 'е'."""
    key = _SPACES.sub(" ", text).strip().lower().replace("ё", "е")
    return key.rstrip(".").strip()


@lru_cache(maxsize=4096)
def code_for(text: str) -> str | None:
    """The code of the unit this text names, in any of the four languages, or None
    (a bill or a PDF asks it of the same few units hundreds of times)."""
    return _BY_ALIAS.get(_key(text))


def normalise(text: str) -> str:
    """What to store for a unit typed as `text`: its code when it names one, else
    the text itself: an "other" unit."""
    return code_for(text) or text


def is_known(unit: str) -> bool:
    return unit in _BY_CODE


def is_metric(unit: str) -> bool:
    found = _BY_CODE.get(unit)
    return bool(found and found.metric)


def plural_count(milli: int) -> int:
    """The number that picks the plural form for a quantity in thousandths.

    A whole number is itself. A fraction takes the form of "2": in Russian the
    genitive singular ("2,5 килограмма"), in English the plural ("2.5
    kilograms"); Kyrgyz and Tajik nouns do not change after a number."""
    if milli % 1000 == 0:
        return abs(milli) // 1000
    return 2


# The units a pack can be: "мешок 50 кг" is a sack holding 50 kg of the product's
# unit. Stored on a product as the code; no container prints the pack as before.
CONTAINERS: tuple[str, ...] = ("pack", "bag", "sack", "box", "jar", "bottle", "bunch")


def is_container(code: str | None) -> bool:
    return code in CONTAINERS


def container_for(text: str) -> str | None:
    """The container this text names ("мешок", "Sack", "кап", "box"), or None
    when it names no unit that can hold a pack."""
    found = code_for(text)
    return found if found in CONTAINERS else None
