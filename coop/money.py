"""Money in integer minor units: parse what people type, format for a locale,
split a total exactly (largest remainder).

No floats anywhere. `Decimal` appears only at the edges (parsing and formatting).
Error messages are lazy translatable strings so that a form or an API can show
them in the user's language; outside a Flask app they read as English.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, format_decimal, get_currency_precision
from flask_babel import lazy_gettext as _l

# Amounts above this (in major units) are refused as typing mistakes.
MAX_MAJOR = 10**12

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009'’]")
_PLAIN = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class MoneyError(ValueError):
    """A value that is not an amount of money (the message says why)."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def minor_digits(currency: str) -> int:
    """How many decimals the currency's minor unit has (KGS, TJS, USD: 2)."""
    return int(get_currency_precision(currency))


def normalise_decimal_text(text: str) -> str:
    """Turn '1 234,50', '1.234,50', '1,234.50' or '1234.50' into '1234.50'.

    The last of '.' and ',' is the decimal separator when both appear; a lone
    comma is a decimal comma (Russian, Kyrgyz and Tajik spreadsheets write it),
    several of one kind are thousands separators.
    """
    s = _SPACES.sub("", text.strip())
    s = s.replace("\u2212", "-")  # typographic minus
    if "," in s and "." in s:
        decimal_sep = "," if s.rfind(",") > s.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        s = s.replace(group_sep, "").replace(decimal_sep, ".")
    elif s.count(",") == 1:
        s = s.replace(",", ".")
    elif s.count(",") > 1:
        s = s.replace(",", "")
    elif s.count(".") > 1:
        s = s.replace(".", "")
    return s


def parse_decimal(text: str) -> Decimal:
    """A decimal number as people type it; MoneyError for anything else."""
    s = normalise_decimal_text(str(text))
    if not _PLAIN.match(s):
        raise MoneyError(_l("“%(text)s” is not a number.", text=str(text)[:40]))
    try:
        return Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - the regex guards this
        raise MoneyError(_l("“%(text)s” is not a number.", text=str(text)[:40])) from exc


def parse_amount(text: str, currency: str, *, allow_negative: bool = False) -> int:
    """Parse an amount typed by a person into minor units of `currency`."""
    value = parse_decimal(text)
    digits = minor_digits(currency)
    if value.as_tuple().exponent < -digits:  # type: ignore[operator]
        raise MoneyError(_l("An amount in %(currency)s has at most %(digits)d decimals.",
                            currency=LocalCurrency(currency), digits=digits))
    if value < 0 and not allow_negative:
        raise MoneyError(_l("The amount cannot be negative."))
    if abs(value) >= MAX_MAJOR:
        raise MoneyError(_l("The amount is too large."))
    return int(value.scaleb(digits))


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def to_string(minor: int, currency: str) -> str:
    """'1234.50': the plain form used in JSON and CSV."""
    digits = minor_digits(currency)
    return f"{to_decimal(minor, currency):.{digits}f}"


# What people in the villages call their money; CLDR knows "сом" only for ky
# and ru_KG, and nothing local for the somoni.
LOCAL_SYMBOLS = {
    "KGS": {"ru": "сом", "ky": "сом", "tg": "сом", "en": "som"},
    "TJS": {"ru": "сомони", "ky": "сомони", "tg": "сомонӣ", "en": "somoni"},
}


@lru_cache(maxsize=16384)
def format_money(minor: int, currency: str, locale: str) -> str:
    """'1 234,50 сом' for people: Babel's number format for the locale, with the
    name people use for their currency. (Remembered: a page of a large round
    formats the same few amounts again and again, and Babel takes its time.)"""
    symbol = LOCAL_SYMBOLS.get(currency, {}).get(str(locale).split("_")[0])
    if symbol is None:
        return format_currency(to_decimal(minor, currency), currency, locale=locale)
    digits = minor_digits(currency)
    number = format_decimal(to_decimal(minor, currency), format=f"#,##0.{'0' * digits}",
                            locale=locale)
    return f"{number}\u00a0{symbol}"


class LocalCurrency:
    """A currency for a message, named as people there name it ('сом'), in the
    language of whoever reads the message."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def __str__(self) -> str:
        from coop.i18n import current_locale

        locale = current_locale().split("_")[0]
        return LOCAL_SYMBOLS.get(self.code, {}).get(locale, self.code)


class LocalMoney:
    """An amount for a message, shown with its currency in the language of
    whoever reads the message ('1 234,50 сом'): messages are lazy, so it is
    formatted when the message is."""

    __slots__ = ("currency", "minor")

    def __init__(self, minor: int, currency: str) -> None:
        self.minor, self.currency = minor, currency

    def __str__(self) -> str:
        from coop.i18n import current_locale

        return format_money(self.minor, self.currency, current_locale())


def format_input(minor: int, currency: str, locale: str) -> str:
    """An amount as a form field shows it, in the user's locale and with the
    currency's decimals, without grouping: '1234,50' (ru), '1234.50' (en)."""
    digits = minor_digits(currency)
    pattern = "0." + "0" * digits if digits else "0"
    return format_decimal(to_decimal(minor, currency), format=pattern, locale=locale)


def format_number(value: Decimal | int, locale: str) -> str:
    # by its text: Decimal("1.0") == Decimal("1.00"), but they print differently
    return _format_number(str(value), locale)


@lru_cache(maxsize=16384)
def _format_number(text: str, locale: str) -> str:
    return format_decimal(Decimal(text), locale=locale, decimal_quantization=False)


def half_up_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split the integer `total` over `weights` so that the parts add up to it.

    Each part gets the floor of its exact share; the units left over go one each
    to the largest fractional parts, equal fractions to the earliest in the list.
    Weight 0 gets nothing; when every weight is 0, each counts as 1.
    """
    n = len(weights)
    if n == 0:
        if total:
            raise ValueError("cannot split a non-zero total over nobody")
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if total < 0:
        return [-part for part in largest_remainder(-total, weights)]
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * n
        weight_sum = n
    parts = []
    remainders = []
    for i, w in enumerate(weights):
        q, r = divmod(total * w, weight_sum)
        parts.append(q)
        remainders.append((-r, i))
    left = total - sum(parts)
    if left:
        for _, i in sorted(remainders)[:left]:
            parts[i] += 1
    return parts
